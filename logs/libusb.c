/* libusb's debug log (LIBUSB_DEBUG=4, or libusb_set_option(LOG_LEVEL,
 * DEBUG); "[ 0.025602] [00000825] libusb: debug [reap_for_handle] urb
 * type=2 status=0 transferred=4"). libusb 1.0.19 to 1.0.30 on Linux
 * (libusb/io.c, os/linux_usbfs.c, sync.c) log of each transfer its
 * submission ("[libusb_submit_transfer] transfer 0x..."), its timeout
 * ("[add_to_flying_list] arm timer for timeout in 5000ms"), usbfs's reap
 * ("urb type=2 status=-32 transferred=0": the URB type, 2 for control, its
 * status and the bytes of its data stage) and the completion, never the
 * setup packet nor the data. So the log gives a list of control transfers
 * with their results, on the device of the last "[libusb_open] open 1.6",
 * but not which request each was: the tool's own line right after one
 * names it where it says what it read (dfs_log__libusb_request). */
#include <stdlib.h>
#include <string.h>

#include "log_internal.h"

static bool number_after(const struct dfs_log__line *ln, const char *key, long *out)
{
    const char *p = dfs_log__find(ln->s, ln->len, key);
    if (!p)
        return false;
    p += strlen(key);
    size_t rest = ln->len - (size_t)(p - ln->s);
    bool neg = rest && *p == '-';
    unsigned long v;
    if (!dfs_log__num(p + neg, rest - neg, &v) || v > 100000000)
        return false;
    *out = neg ? -(long)v : (long)v;
    return true;
}

static void submitted(dfs_log *l, uint64_t line)
{
    struct dfs_log__libusb *u = &l->usb;
    if (u->n_x >= DFS_LOG_MAX_TRANSFERS) {
        l->st.transfers_dropped++;
        return;
    }
    if (u->n_x == u->cap_x) {
        size_t nc = u->cap_x ? u->cap_x * 2 : 64;
        struct dfs_log_transfer *n = realloc(u->x, nc * sizeof *n);
        if (!n) {
            l->nomem = true;
            return;
        }
        u->x = n;
        u->cap_x = nc;
    }
    /* at most 64 outstanding: older ones were never reaped in the log (a
     * cut log), and the search for the one reaped stays short */
    if (u->n_x - u->pend >= 64)
        u->pend = u->n_x - 63;
    struct dfs_log_transfer *x = &u->x[u->n_x++];
    memset(x, 0, sizeof *x);
    x->submit_line = line;
    x->bus = u->bus;
    x->devnum = u->devnum;
}

/* usbfs reaped a URB: the oldest transfer not yet reaped (the tools that
 * use libusb's synchronous calls have one at a time); not a control one
 * leaves the list */
static void reaped(dfs_log *l, long type, long status, long len, uint64_t line)
{
    struct dfs_log__libusb *u = &l->usb;
    if (u->pend >= u->n_x)
        return;
    if (type != 2) {
        memmove(&u->x[u->pend], &u->x[u->pend + 1], (u->n_x - u->pend - 1) * sizeof u->x[0]);
        u->n_x--;
        return;
    }
    struct dfs_log_transfer *x = &u->x[u->pend++];
    x->reap_line = line;
    x->status = (int32_t)status;
    x->length = len < 0 ? 0 : (uint32_t)len;
}

void dfs_log__libusb_request(dfs_log *l, enum dfs_log_request r, uint64_t line, bool failed)
{
    struct dfs_log__libusb *u = &l->usb;
    if (!u->n_x)
        return;
    struct dfs_log_transfer *x = &u->x[u->n_x - 1];
    if (!x->reap_line || x->request || line < x->reap_line || line - x->reap_line > 40)
        return;
    if (failed ? x->status == 0 : (x->status != 0 || x->length != 6))
        return;
    x->request = r;
    x->request_line = line;
}

static void opened(dfs_log *l, const char *op, const struct dfs_log__line *ln)
{
    unsigned long bus, dev;
    const char *b = op + 19, *end = ln->s + ln->len;
    const char *dot = memchr(b, '.', (size_t)(end - b));
    if (dot && dfs_log__num(b, (size_t)(dot - b), &bus) &&
        dfs_log__num(dot + 1, (size_t)(end - dot - 1), &dev) && bus && bus <= 0xffff && dev &&
        dev < 128) {
        l->cur_bus = l->usb.bus = (uint16_t)bus;
        l->cur_devnum = l->usb.devnum = (uint8_t)dev;
    }
}

bool dfs_log__libusb_line(dfs_log *l, const struct dfs_log__line *ln)
{
    const char *tag = dfs_log__find(ln->s, ln->len > 64 ? 64 : ln->len, "libusb: ");
    if (!tag && !dfs_log__starts(ln, "libusb version "))
        return false;
    if (!tag)
        return true; /* dfu-util 0.10+ prints it always */
    struct dfs_log__libusb *u = &l->usb;
    long type, status, len, ms;
    const char *op = dfs_log__find(ln->s, ln->len, "[libusb_open] open ");
    if (dfs_log__find(ln->s, ln->len, "[libusb_init] ")) {
        u->pend = u->n_x; /* another program's run: what was not reaped stays so */
        u->bus = 0;
        u->devnum = 0;
    }
    if (op)
        opened(l, op, ln);
    else if (dfs_log__find(ln->s, ln->len, "[libusb_submit_transfer] transfer "))
        submitted(l, ln->no);
    else if (dfs_log__find(ln->s, ln->len, "arm timer for timeout in ") &&
             number_after(ln, "timeout in ", &ms) && u->n_x && !u->x[u->n_x - 1].reap_line)
        u->x[u->n_x - 1].timeout_ms = (uint32_t)ms;
    if (dfs_log__find(ln->s, ln->len, "[reap_for_handle] urb type=") &&
        number_after(ln, "type=", &type) && number_after(ln, "status=", &status) &&
        number_after(ln, "transferred=", &len)) {
        reaped(l, type, status, len, ln->no);
        if (type == 2) {
            u->transfers++;
            u->last_status = (int32_t)status;
            u->last_line = ln->no;
            if (status == -32)
                u->stalls++;
            if (status == -19 || status == -108)
                u->gone++;
        }
    }
    dfs_log__tool_seen(l, "libusb debug log");
    return true;
}

size_t dfs_log_transfer_count(const dfs_log *l)
{
    return l ? l->usb.n_x : 0;
}

const struct dfs_log_transfer *dfs_log_transfer(const dfs_log *l, size_t i)
{
    return l && i < l->usb.n_x ? &l->usb.x[i] : NULL;
}

const char *dfs_log_request_name(enum dfs_log_request r)
{
    return r == DFS_LOG_REQ_GETSTATUS ? "GETSTATUS" : NULL;
}
