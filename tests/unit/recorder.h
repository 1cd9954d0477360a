/* Test helper: a decoder sink that copies every event it receives, so tests
 * can look at them after the callbacks have returned, plus a few helpers to
 * feed hand-built URBs through the public decoder API. */
#ifndef DFS_TEST_RECORDER_H
#define DFS_TEST_RECORDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/dfuscope.h"
#include "records.h"

#define REC_MAX 128
#define REC_DATA 512

struct rec_urb {
    struct dfs_urb u;
    uint8_t data[REC_DATA];
};

struct rec_control {
    struct dfs_control c;
    uint8_t data[REC_DATA];
    char request[160];
    char summary[400];
};

/* kinds, in the order the events arrived */
enum rec_kind { REC_URB = 'u', REC_CONTROL = 'c', REC_DEVICE = 'd', REC_FINDING = 'f' };

struct recorder {
    struct rec_urb urbs[REC_MAX];
    size_t n_urbs;
    struct rec_control ctls[REC_MAX];
    size_t n_ctls;
    struct dfs_device_event devs[REC_MAX];
    size_t n_devs;
    struct dfs_finding findings[REC_MAX];
    size_t n_findings;
    char order[4 * REC_MAX + 1]; /* one rec_kind letter per event */
    size_t n_events;
    /* return non-zero from the callback of this kind at its stop_at-th
     * event (1-based); 0 = never */
    char stop_kind;
    size_t stop_at;
};

static inline int rec_event(struct recorder *r, char kind, size_t n)
{
    if (r->n_events < sizeof r->order - 1)
        r->order[r->n_events++] = kind;
    return r->stop_kind == kind && r->stop_at == n ? 1 : 0;
}

static inline int rec_on_urb(void *user, const struct dfs_urb *u)
{
    struct recorder *r = user;
    if (r->n_urbs < REC_MAX) {
        struct rec_urb *e = &r->urbs[r->n_urbs];
        e->u = *u;
        uint32_t n = u->data_len < REC_DATA ? u->data_len : REC_DATA;
        if (n)
            memcpy(e->data, u->data, n);
        e->u.data = e->data;
    }
    return rec_event(r, REC_URB, ++r->n_urbs);
}

static inline int rec_on_control(void *user, const struct dfs_control *c)
{
    struct recorder *r = user;
    if (r->n_ctls < REC_MAX) {
        struct rec_control *e = &r->ctls[r->n_ctls];
        e->c = *c;
        uint32_t n = c->data_len < REC_DATA ? c->data_len : REC_DATA;
        if (n)
            memcpy(e->data, c->data, n);
        e->c.data = c->data ? e->data : NULL;
        dfs_control_request_str(c, e->request, sizeof e->request);
        dfs_control_data_str(c, e->summary, sizeof e->summary);
    }
    return rec_event(r, REC_CONTROL, ++r->n_ctls);
}

static inline int rec_on_device(void *user, const struct dfs_device_event *ev)
{
    struct recorder *r = user;
    if (r->n_devs < REC_MAX)
        r->devs[r->n_devs] = *ev;
    return rec_event(r, REC_DEVICE, ++r->n_devs);
}

static inline int rec_on_finding(void *user, const struct dfs_finding *f)
{
    struct recorder *r = user;
    if (r->n_findings < REC_MAX)
        r->findings[r->n_findings] = *f;
    return rec_event(r, REC_FINDING, ++r->n_findings);
}

static inline struct recorder *recorder_new(void)
{
    struct recorder *r = calloc(1, sizeof *r);
    return r;
}

static inline struct dfs_sink recorder_sink(struct recorder *r)
{
    struct dfs_sink s = {
        .user = r,
        .on_urb = rec_on_urb,
        .on_control = rec_on_control,
        .on_device = rec_on_device,
        .on_finding = rec_on_finding,
    };
    return s;
}

/* Findings with this code, and the nth of them (0-based) or NULL. */
static inline size_t rec_count(const struct recorder *r, enum dfs_finding_code code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings && i < REC_MAX; i++)
        n += r->findings[i].code == code;
    return n;
}

static inline const struct dfs_finding *rec_finding(const struct recorder *r,
                                                    enum dfs_finding_code code, size_t nth)
{
    for (size_t i = 0; i < r->n_findings && i < REC_MAX; i++)
        if (r->findings[i].code == code && nth-- == 0)
            return &r->findings[i];
    return NULL;
}

/* The nth finding with this code; fails the test when there is none. */
#define REC_FINDING_OR_FAIL(r, code, nth) rec_finding_or_fail((r), (code), (nth), __FILE__, __LINE__)
static inline const struct dfs_finding *rec_finding_or_fail(const struct recorder *r,
                                                            enum dfs_finding_code code,
                                                            size_t nth, const char *file,
                                                            int line)
{
    const struct dfs_finding *f = rec_finding(r, code, nth);
    if (!f) {
        print_error("%s:%d: no finding %d number %zu\n", file, line, (int)code, nth);
        fail();
        abort(); /* not reached */
    }
    return f;
}

/* Device events of one kind: count and nth. */
static inline size_t rec_dev_count(const struct recorder *r, enum dfs_device_change ch)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_devs && i < REC_MAX; i++)
        n += r->devs[i].change == ch;
    return n;
}

static inline const struct dfs_device_event *rec_dev(const struct recorder *r,
                                                     enum dfs_device_change ch, size_t nth)
{
    for (size_t i = 0; i < r->n_devs && i < REC_MAX; i++)
        if (r->devs[i].change == ch && nth-- == 0)
            return &r->devs[i];
    return NULL;
}

/* Encode u (host order) as a record of the given link type and feed it.
 * Returns what dfs_decoder_feed returned. */
static inline dfs_result feed_urb_lt(dfs_decoder *d, const struct dfs_urb *u, uint64_t frame,
                                     int linktype)
{
    uint8_t *buf = malloc(64 + 16 * 4 + (size_t)u->data_len);
    if (!buf)
        return DFS_E_NOMEM;
    struct dfs_record rec = rec_of(u, linktype, frame, buf, 64 + 16 * 4 + (size_t)u->data_len);
    dfs_result r = dfs_decoder_feed(d, &rec);
    free(buf);
    return r;
}

static inline dfs_result feed_urb(dfs_decoder *d, const struct dfs_urb *u, uint64_t frame)
{
    return feed_urb_lt(d, u, frame, DFS_LINKTYPE_USB_LINUX_MMAPPED);
}

/* Setup packet helper */
static inline void setup8(uint8_t s[8], uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                          uint16_t length)
{
    s[0] = type;
    s[1] = req;
    s[2] = (uint8_t)value;
    s[3] = (uint8_t)(value >> 8);
    s[4] = (uint8_t)index;
    s[5] = (uint8_t)(index >> 8);
    s[6] = (uint8_t)length;
    s[7] = (uint8_t)(length >> 8);
}

#endif
