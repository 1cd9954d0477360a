/* The rig of the URB and device tracking tests (urb_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "urb_rig.h"

struct t start(const struct dfs_options *opt)
{
    struct t t;
    t.r = recorder_new();
    assert_non_null(t.r);
    struct dfs_sink sink = recorder_sink(t.r);
    assert_int_equal(dfs_decoder_new(opt, &sink, &t.d), DFS_OK);
    return t;
}

void stop(struct t *t)
{
    dfs_decoder_free(t->d);
    free(t->r);
}

/* ---- record builders --------------------------------------------------------- */

struct dfs_urb get_descriptor(uint64_t id, uint8_t dev, uint8_t type, uint8_t index,
                              uint16_t langid, uint16_t len)
{
    uint8_t s[8];
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, (uint16_t)(type << 8 | index), langid, len);
    return urb_ctl_submit(id, 1, dev, s, NULL, 0);
}

struct dfs_urb out_request(uint64_t id, uint8_t dev, uint8_t type, uint8_t req,
                           uint16_t value, uint16_t index, const uint8_t *data,
                           uint16_t len)
{
    uint8_t s[8];
    setup8(s, type, req, value, index, len);
    return urb_ctl_submit(id, 1, dev, s, data, data ? len : 0);
}

struct dfs_urb done_in(uint64_t id, uint8_t dev, int32_t status, const uint8_t *data,
                       uint32_t n)
{
    return urb_ctl_complete(id, 1, dev, 0x80, status, data, n, n);
}

struct dfs_urb done_out(uint64_t id, uint8_t dev, int32_t status, uint32_t actual)
{
    return urb_ctl_complete(id, 1, dev, 0x00, status, NULL, 0, actual);
}

struct dfs_urb bulk(char type, uint64_t id, uint8_t dev, uint8_t ep, int32_t status)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.type = type;
    u.xfer_type = DFS_XFER_BULK;
    u.endpoint = ep;
    u.devnum = dev;
    u.bus = 1;
    u.flag_setup = '-';
    u.flag_data = '<';
    u.status = status;
    u.length = 512;
    return u;
}
