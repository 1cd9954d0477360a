/* The rig of the record parsers' tests (test_usbpcap.c, test_darwin.c): a
 * decoder with a sink that records every event (recorder.h), fed records
 * written byte by byte by the test, one frame after the other, 1 ms apart. */
#ifndef DFS_TEST_RECORD_RIG_H
#define DFS_TEST_RECORD_RIG_H

#include <stddef.h>
#include <stdint.h>

#include "recorder.h"

struct t {
    dfs_decoder *d;
    struct recorder *r;
    uint64_t frame; /* of the last record fed */
};

struct t start(void);
/* Feed the n bytes of buf as the next record, of link type linktype. */
void feed_record(struct t *t, int linktype, const uint8_t *buf, size_t n);
/* Finish the capture and free the decoder (the recorder stays readable). */
void stop(struct t *t);

/* GET_DESCRIPTOR(DEVICE) of 18 bytes, and the STM32 system bootloader's
 * device descriptor (0483:df11 rev 2.00) that answers it. */
extern const uint8_t get_dev_desc[8];
extern const uint8_t dev_desc[18];

#endif
