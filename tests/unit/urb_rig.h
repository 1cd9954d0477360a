/* The rig of the URB and device tracking tests (test_urb.c,
 * test_urb_devices.c): a decoder with a sink that records every event
 * (recorder.h), and hand-built records of control and bulk transfers. */
#ifndef DFS_TEST_URB_RIG_H
#define DFS_TEST_URB_RIG_H

#include <stdint.h>

#include "recorder.h"

/* the status values of usbmon records (negative errno) */
#define EINPROGRESS_ (-115)
#define EPIPE_ (-32)
#define ENODEV_ (-19)
#define ESHUTDOWN_ (-108)
#define ENOENT_ (-2)

/* STM32 system bootloader (dfu-facts.md section 4): 0483:df11 rev 2.00 */
static const uint8_t dev_desc_df11[18] = {18,   1,    0x00, 0x02, 0, 0, 0, 64, 0x83,
                                          0x04, 0x11, 0xdf, 0x00, 0x02, 1, 2, 3, 1};

/* another device: 1234:5678 */
static const uint8_t dev_desc_other[18] = {18,   1,    0x00, 0x02, 0, 0, 0, 64, 0x34,
                                           0x12, 0x78, 0x56, 0x00, 0x01, 0, 0, 0, 1};

struct t {
    dfs_decoder *d;
    struct recorder *r;
};

struct t start(const struct dfs_options *opt);
void stop(struct t *t);

/* ---- record builders --------------------------------------------------------- */

struct dfs_urb get_descriptor(uint64_t id, uint8_t dev, uint8_t type, uint8_t index,
                              uint16_t langid, uint16_t len);
struct dfs_urb out_request(uint64_t id, uint8_t dev, uint8_t type, uint8_t req,
                           uint16_t value, uint16_t index, const uint8_t *data,
                           uint16_t len);
struct dfs_urb done_in(uint64_t id, uint8_t dev, int32_t status, const uint8_t *data,
                       uint32_t n);
struct dfs_urb done_out(uint64_t id, uint8_t dev, int32_t status, uint32_t actual);
struct dfs_urb bulk(char type, uint64_t id, uint8_t dev, uint8_t ep, int32_t status);

#define FEED(t, u, frame)                                                                    \
    do {                                                                                     \
        struct dfs_urb u_ = (u);                                                             \
        assert_int_equal(feed_urb((t)->d, &u_, (frame)), DFS_OK);                            \
    } while (0)

#endif
