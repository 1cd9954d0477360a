/* Test helper: a sink that writes every decoder event as one line of text,
 * so two runs can be compared with strcmp (split invariance, out-of-memory
 * loop). Portable mode leaves out what only one usbmon link type carries
 * (the 64-byte header's interval, start_frame, xfer_flags, ndesc) and
 * counts len_cap without the isochronous descriptors, so a capture
 * converted between link types 189 and 220 gives the same log. */
#ifndef DFS_TEST_EVLOG_H
#define DFS_TEST_EVLOG_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/dfuscope.h"

struct evlog {
    char *buf;
    size_t len, cap;
    bool portable;
    unsigned long lines;
};

static inline void evlog_printf(struct evlog *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void evlog_printf(struct evlog *l, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(l->buf ? l->buf + l->len : NULL, l->buf ? l->cap - l->len : 0, fmt,
                          ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (l->buf && l->len + (size_t)n < l->cap) {
            l->len += (size_t)n;
            return;
        }
        size_t cap = l->cap ? l->cap : 65536;
        while (cap <= l->len + (size_t)n)
            cap *= 2;
        char *nb = realloc(l->buf, cap);
        if (!nb)
            abort();
        l->buf = nb;
        l->cap = cap;
    }
}

static inline void evlog_hex(struct evlog *l, const uint8_t *p, uint32_t n)
{
    static const char hx[] = "0123456789abcdef";
    evlog_printf(l, " [%u]", n);
    if (l->len + 2 * (size_t)n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 65536;
        while (cap < l->len + 2 * (size_t)n + 1)
            cap *= 2;
        char *nb = realloc(l->buf, cap);
        if (!nb)
            abort();
        l->buf = nb;
        l->cap = cap;
    }
    for (uint32_t i = 0; i < n; i++) {
        l->buf[l->len++] = hx[p[i] >> 4];
        l->buf[l->len++] = hx[p[i] & 15];
    }
    l->buf[l->len] = '\0';
}

static inline int evlog_urb(void *user, const struct dfs_urb *u)
{
    struct evlog *l = user;
    uint32_t desc = u->ndesc * DFS_USBMON_ISODESC_LEN; /* both forms count them */
    evlog_printf(l,
                 "urb frame=%" PRIu64 " ts=%" PRId64 ".%09u id=%" PRIx64 " %c xfer=%u ep=%02x "
                 "dev=%u.%u setup_flag=%d data_flag=%d urbts=%" PRId64 ".%06d status=%d "
                 "len=%u len_cap=%u link=%" PRIu64 " instance=%u",
                 u->frame, u->ts.sec, u->ts.nsec, u->id, u->type, u->xfer_type, u->endpoint,
                 u->bus, u->devnum, u->flag_setup, u->flag_data, u->urb_ts_sec,
                 (int)u->urb_ts_usec, (int)u->status, u->length,
                 l->portable ? u->len_cap - desc : u->len_cap, u->link_frame, u->device);
    if (u->has_setup)
        evlog_printf(l, " setup=%02x%02x%02x%02x%02x%02x%02x%02x", u->setup[0], u->setup[1],
                     u->setup[2], u->setup[3], u->setup[4], u->setup[5], u->setup[6],
                     u->setup[7]);
    else
        evlog_printf(l, " iso=%d/%d", (int)u->iso_error_count, (int)u->iso_numdesc);
    if (!l->portable && u->mmapped)
        evlog_printf(l, " interval=%d start=%d flags=%u ndesc=%u", (int)u->interval,
                     (int)u->start_frame, u->xfer_flags, u->ndesc);
    evlog_hex(l, u->data, u->data_len);
    evlog_printf(l, "\n");
    l->lines++;
    return 0;
}

static inline int evlog_control(void *user, const struct dfs_control *c)
{
    struct evlog *l = user;
    char req[256], data[512];
    dfs_control_request_str(c, req, sizeof req);
    dfs_control_data_str(c, data, sizeof data);
    evlog_printf(l,
                 "control frames=%" PRIu64 "-%" PRIu64 " dev=%u.%u instance=%u ep=%02x "
                 "id=%" PRIx64 " end=%d status=%d actual=%u partial=%d dfu=%d req=\"%s\" "
                 "data=\"%s\"",
                 c->submit_frame, c->complete_frame, c->bus, c->devnum, c->device, c->endpoint,
                 c->urb_id, (int)c->end, (int)c->status, c->actual_length, c->data_partial,
                 c->dfu, req, data);
    evlog_hex(l, c->data, c->data_len);
    evlog_printf(l, "\n");
    l->lines++;
    return 0;
}

static inline int evlog_device(void *user, const struct dfs_device_event *e)
{
    struct evlog *l = user;
    evlog_printf(l,
                 "device frame=%" PRIu64 " change=%d instance=%u lane=%u previous=%u "
                 "dev=%u.%u %04x:%04x\n",
                 e->frame, (int)e->change, e->device, e->lane, e->previous, e->bus, e->devnum,
                 e->vid, e->pid);
    l->lines++;
    return 0;
}

static inline int evlog_dfu(void *user, const struct dfs_dfu_txn *t)
{
    struct evlog *l = user;
    evlog_printf(l,
                 "dfu frame=%" PRIu64 " reply=%" PRIu64 " instance=%u lane=%u if=%u alt=%u "
                 "dfuse=%d req=%u wValue=%u wLength=%u length=%u usb_status=%d outcome=%d "
                 "cmd=%d addr=%d:%08x mass=%d leave=%d status=%d:%u poll=%u state=%d:%u "
                 "istr=%u wait=%" PRId64 " asked=%u before=%u after=%u",
                 t->frame, t->reply_frame, t->device, t->lane, t->interface, t->alt, t->dfuse,
                 t->request, t->wValue, t->wLength, t->length, (int)t->usb_status,
                 (int)t->outcome, t->cmd, t->has_address, t->address, t->mass_erase, t->leave,
                 t->has_status, t->bStatus, t->poll_timeout_ms, t->has_state, t->bState,
                 t->iString, t->poll_wait_us, t->poll_asked_ms, t->state_before,
                 t->state_after);
    evlog_hex(l, t->data, t->data_len);
    evlog_printf(l, "\n");
    l->lines++;
    return 0;
}

static inline int evlog_mem(void *user, const struct dfs_mem_op *m)
{
    struct evlog *l = user;
    evlog_printf(l,
                 "mem frame=%" PRIu64 " exec=%" PRIu64 " instance=%u lane=%u if=%u alt=%u "
                 "kind=%d dfuse=%d addr=%08x length=%u ok=%d status=%u block=%u",
                 m->frame, m->exec_frame, m->device, m->lane, m->interface, m->alt,
                 (int)m->kind, m->dfuse, m->address, m->length, m->ok, m->bStatus, m->block);
    evlog_hex(l, m->data, m->data_len);
    evlog_printf(l, "\n");
    l->lines++;
    return 0;
}

static inline int evlog_finding(void *user, const struct dfs_finding *f)
{
    struct evlog *l = user;
    evlog_printf(l, "finding %s frame=%" PRIu64 " instance=%u frames=", f->id, f->frame,
                 f->device);
    for (unsigned i = 0; i < f->n_frames; i++)
        evlog_printf(l, "%s%" PRIu64, i ? "," : "", f->frames[i]);
    evlog_printf(l, " \"%s\" remedy=\"%s\"\n", f->explanation, f->remedy);
    l->lines++;
    return 0;
}

static inline struct dfs_sink evlog_sink(struct evlog *l)
{
    struct dfs_sink s = {.user = l,
                         .on_urb = evlog_urb,
                         .on_control = evlog_control,
                         .on_device = evlog_device,
                         .on_dfu = evlog_dfu,
                         .on_mem = evlog_mem,
                         .on_finding = evlog_finding};
    return s;
}

static inline void evlog_clear(struct evlog *l)
{
    l->len = 0;
    l->lines = 0;
    if (l->buf)
        l->buf[0] = '\0';
}

static inline void evlog_free(struct evlog *l)
{
    free(l->buf);
    memset(l, 0, sizeof *l);
}

/* Line number (1-based) where a and b first differ, 0 when equal. */
static inline unsigned long evlog_first_diff(const char *a, const char *b)
{
    unsigned long line = 1;
    for (size_t i = 0;; i++) {
        if (a[i] != b[i])
            return line;
        if (!a[i])
            return 0;
        if (a[i] == '\n')
            line++;
    }
}

/* Line `line` (1-based) of a log, without its newline, into buf. */
static inline const char *evlog_line(const char *log, unsigned long line, char *buf, size_t size)
{
    const char *p = log ? log : "";
    for (unsigned long i = 1; i < line && *p; i++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
    return buf;
}

#endif
