/* libusb's debug log (LIBUSB_DEBUG=4, or libusb_set_option(LOG_LEVEL,
 * DEBUG); "[ 0.025602] [00000825] libusb: debug [reap_for_handle] urb
 * type=2 status=0 transferred=4"). libusb 1.0 does not print a control
 * transfer's setup packet, only its submission and, when usbfs reaps it, its
 * URB type, status and length: enough to tell a STALL (status -32) or a
 * device that left (-19, -108) from a request that went through, not which
 * request it was. The lines are understood; the statuses back up what the
 * tool printed around them. */
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
    if (!dfs_log__num(p + neg, rest - neg, &v) || v > 100000)
        return false;
    *out = neg ? -(long)v : (long)v;
    return true;
}

bool dfs_log__libusb_line(dfs_log *l, const struct dfs_log__line *ln)
{
    const char *tag = dfs_log__find(ln->s, ln->len > 64 ? 64 : ln->len, "libusb: ");
    if (!tag && !dfs_log__starts(ln, "libusb version "))
        return false;
    if (!tag)
        return true; /* dfu-util 0.10+ prints it always */
    struct dfs_log__libusb *u = &l->usb;
    long type, status;
    /* "[libusb_open] open 1.4": the device the tool opened */
    const char *op = dfs_log__find(ln->s, ln->len, "[libusb_open] open ");
    if (op) {
        unsigned long bus, dev;
        const char *b = op + 19, *end = ln->s + ln->len;
        const char *dot = memchr(b, '.', (size_t)(end - b));
        if (dot && dfs_log__num(b, (size_t)(dot - b), &bus) &&
            dfs_log__num(dot + 1, (size_t)(end - dot - 1), &dev) && bus && bus <= 0xffff &&
            dev && dev < 128) {
            l->cur_bus = (uint16_t)bus;
            l->cur_devnum = (uint8_t)dev;
        }
    }
    if (dfs_log__find(ln->s, ln->len, "[reap_for_handle] urb type=") &&
        number_after(ln, "type=", &type) && number_after(ln, "status=", &status) && type == 2) {
        u->transfers++;
        u->last_status = (int32_t)status;
        u->last_line = ln->no;
        if (status == -32)
            u->stalls++;
        if (status == -19 || status == -108)
            u->gone++;
    }
    dfs_log__tool_seen(l, "libusb debug log");
    return true;
}
