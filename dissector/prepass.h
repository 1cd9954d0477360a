/* dfuscope Wireshark plugin: decoding the whole capture file before its
 * first frame is shown (see docs/wireshark.md, "One pass and two passes"). */
#ifndef DFS_DISSECTOR_PREPASS_H
#define DFS_DISSECTOR_PREPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* What Wireshark shows as frame 1, to recognise the file. */
struct dfs__first_frame {
    const uint8_t *data;
    uint32_t caplen, len;
    int encap;              /* WTAP_ENCAP_* */
    bool has_ts;
    int64_t ts_sec;
    int32_t ts_nsec;
};

struct dfs__prepass {
    bool done;              /* a file was found and decoded */
    char path[512];         /* the file (its real name, for messages) */
    uint64_t frames;        /* records read (Wireshark's frame count) */
    uint32_t *digest;       /* digest[i] of frame i+1 */
    bool read_error;        /* the file could not be read to its end */
    char error[256];
    int decoder_result;     /* dfs_result of the last decoder call */
};

/* Identity of a frame as Wireshark hands it to dissectors. */
uint32_t dfs__frame_digest(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec);

/* Look through the regular files this process has open for the capture file
 * whose first record is `first`, and decode all of it (feed and finish) into
 * `res`. Returns true when a file was found; then `out` says what was read. */
bool dfs__prepass_run(const struct dfs__first_frame *first, struct dfs__res *res,
                      struct dfs__prepass *out);

void dfs__prepass_clear(struct dfs__prepass *p);

/* Map a Wireshark encapsulation to a usbmon link type, or 0. */
int dfs__encap_linktype(int encap);

#endif
