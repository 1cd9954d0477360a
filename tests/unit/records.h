/* Test helpers: hand-built usbmon records. */
#ifndef DFS_TEST_RECORDS_H
#define DFS_TEST_RECORDS_H

#include <stdint.h>
#include <string.h>

#include "dfuscope/dfuscope.h"

/* A control submit with setup bytes (and OUT data when given). */
static inline struct dfs_urb urb_ctl_submit(uint64_t id, uint16_t bus, uint8_t dev,
                                            const uint8_t setup[8], const uint8_t *data,
                                            uint32_t data_len)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.type = 'S';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = (setup[0] & 0x80) ? 0x80 : 0x00;
    u.devnum = dev;
    u.bus = bus;
    u.flag_setup = 0;
    u.flag_data = data_len ? 0 : ((setup[0] & 0x80) ? '<' : '>');
    u.status = -115;
    u.length = (uint32_t)(setup[6] | (setup[7] << 8));
    u.len_cap = data_len;
    memcpy(u.setup, setup, 8);
    u.data = data;
    u.data_len = data_len;
    return u;
}

/* A control completion (IN data when given). */
static inline struct dfs_urb urb_ctl_complete(uint64_t id, uint16_t bus, uint8_t dev, uint8_t ep,
                                              int32_t status, const uint8_t *data,
                                              uint32_t data_len, uint32_t actual)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.type = 'C';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = ep;
    u.devnum = dev;
    u.bus = bus;
    u.flag_setup = '-';
    u.flag_data = data_len ? 0 : '>';
    u.status = status;
    u.length = actual;
    u.len_cap = data_len;
    u.data = data;
    u.data_len = data_len;
    return u;
}

/* Encode u into buf as a record of the given link type (host order). */
static inline struct dfs_record rec_of(const struct dfs_urb *u, int linktype, uint64_t frame,
                                       uint8_t *buf, size_t size)
{
    struct dfs_record r;
    memset(&r, 0, sizeof r);
    r.frame = frame;
    r.ts.sec = 1000 + (int64_t)frame;
    r.ts.nsec = 0;
    r.linktype = linktype;
    r.caplen = (uint32_t)dfs_usbmon_encode(u, linktype, DFS_ORDER_HOST, buf, size);
    r.origlen = r.caplen;
    r.data = buf;
    return r;
}

#endif
