/* dfuscope Wireshark plugin: decoding the whole capture file before its
 * first frame is shown (see docs/wireshark.md, "One pass and two passes"). */
#ifndef DFS_DISSECTOR_PREPASS_H
#define DFS_DISSECTOR_PREPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
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

/* A file this process has open: the descriptor it is open under, and what
 * tells whether it is still the same file, unchanged. */
struct dfs__file_id {
    int fd;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_sec;
    long mtime_nsec;
};

struct dfs__prepass {
    bool done;              /* a file was found and decoded */
    char path[512];         /* the file (its real name, for messages) */
    struct dfs__file_id file; /* the file as found */
    uint64_t frames;        /* records read (Wireshark's frame count) */
    uint32_t *digest;       /* digest[i] of frame i+1 */
    bool read_error;        /* the file could not be read to its end */
    char error[256];
    int decoder_result;     /* dfs_result of the last decoder call */
};

/* Look through the regular files this process has open for the capture file
 * whose first record is `first`, and decode all of it (feed and finish) into
 * `res`. Returns true when a file was found; then `out` says what was read.
 * When `out` and `res` already hold the results of a file that is still open,
 * unchanged (same file, size and modification time, same first record), they
 * are kept as they are and `*reused` is set: Wireshark dissects a capture
 * again after a change of preferences, and the file need not be decoded
 * again for that. */
bool dfs__prepass_run(const struct dfs__first_frame *first, struct dfs__res *res,
                      struct dfs__prepass *out, bool *reused);

/* Feed frames 1 to `upto` of the file read ahead into `dec` (a new decoder
 * whose sink fills `res`), reading the file again, each frame checked against
 * its digest. Returns how many frames were fed: `upto`, or fewer when the file
 * can no longer be read or differs from what was read ahead. A decoder error
 * is left in `*decoder_result` (its frame in `*error_frame`). */
uint64_t dfs__prepass_replay(const struct dfs__prepass *p, uint64_t upto, dfs_decoder *dec,
                             struct dfs__res *res, int *decoder_result,
                             uint64_t *error_frame);

void dfs__prepass_clear(struct dfs__prepass *p);

/* Map a Wireshark encapsulation to a link type dfuscope reads, or 0. */
int dfs__encap_linktype(int encap);

/* A pcapng custom block as Wireshark shows it (its Private Enterprise
 * Number, the data after it) that is one of Packetry's bus events: true,
 * and its event code (enum dfs_usb_event) in *code. */
bool dfs__packetry_event(uint32_t pen, const uint8_t *data, uint32_t len, uint8_t *code);

#endif
