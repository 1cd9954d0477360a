/* Scenarios of the findings that need the device's own answer to be true
 * (issue 15), shared by test_dfu.c (every finding has a scenario) and
 * test_dfu_truth.c (their neighbours: the cases that must stay silent). */
#ifndef DFS_TEST_TRUTH_SCENARIOS_H
#define DFS_TEST_TRUTH_SCENARIOS_H

#include "dfu_rig.h"

/* The GD32VF103's identity, its serial "3CBJ" sent as bare bytes. */
extern const struct sess_dev_desc GD32_DEVICE;

/* GET_DESCRIPTOR(STRING index) answered with the raw bytes; the submit frame. */
uint64_t read_raw_string(struct sess *s, uint8_t index, const uint8_t *raw, uint32_t len);

/* A DfuSe page erase at addr that the device STALLs; the submit frame. */
uint64_t erase_stalled(struct sess *s, uint32_t addr);

/* desc.string-not-utf16: the GD32VF103's serial, read twice as dfu-util does */
void sc_string_not_utf16(struct sess *s, struct expect *e);

/* dfu.dnload-stall: a full block within wTransferSize STALLed in dfuIDLE
 * (dfu-quirks R9: a buffer smaller than announced) */
void sc_dnload_stall(struct sess *s, struct expect *e);
/* dfu.dnload-stall: ST's middleware after pydfu.py's initial CLRSTATUS (R15) */
void sc_dnload_stall_after_clrstatus(struct sess *s, struct expect *e);

#endif
