/* A transport that answers from a byte string, with a virtual clock: for
 * testing the runner's handling of device replies (test_replies.c). Any
 * bytes are a valid input. Layout: the 18-byte device descriptor, a 2-byte
 * little-endian length and that many bytes of configuration set (what the
 * host holds), then per request one byte whose low 3 bits choose the
 * outcome (0 ok, 1 STALL, 2 timeout, 3 device gone, 4 bus error,
 * 5 overflow, 6-7 ok) and, for an IN request that is ok, a 2-byte length
 * and the reply's bytes. When the bytes run out the device is gone. data
 * must outlive the transport. (The replies fuzzer puts the input in front
 * of the emulated devices instead: fuzz/fuzz_replies.c.) */
#ifndef DFS_TESTS_REPLAY_TRANSPORT_H
#define DFS_TESTS_REPLAY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "dfuscope/runner.h"

dfs_result replay_transport_new(const uint8_t *data, size_t len, struct dfs_transport *out,
                                struct dfs_clock *clock);
void replay_transport_free(struct dfs_transport *t);

#endif
