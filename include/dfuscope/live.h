/* dfuscope: live capture, record sources and device following.
 *
 * Three pieces, used together by `dfuscope capture` and `dfuscope follow`:
 *
 *   dfs_source    where records come from: a capture file, a pipe or a file
 *                 another program is still writing (dfs_capreader in follow
 *                 mode), or a live usbmon interface through libpcap. Whatever
 *                 the source, the caller gets struct dfs_record and everything
 *                 after "a record arrived" is shared.
 *   dfs_follower  keeps only the records of one device, following it across
 *                 resets and re-enumeration, with a bounded hold-back buffer for
 *                 devices that are still enumerating (see below).
 *   usbmon/sysfs  finding a device and its bus in sysfs, checking that usbmon
 *                 is there and readable, and dropping root privileges after
 *                 the capture handle is open (the way tcpdump -Z does).
 *
 * The file system root used for /sys and /dev can be moved (the `root`
 * arguments, the DFUSCOPE_SYSROOT environment variable of the command line)
 * so that every error path can be tested on a machine without usbmon.
 */
#ifndef DFUSCOPE_LIVE_H
#define DFUSCOPE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "decoder.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- record sources ------------------------------------------------------ */

typedef struct dfs_source dfs_source;

struct dfs_live_options {
    const char *interface; /* "usbmon1"; "usbmon0" captures every bus */
    int snaplen;           /* bytes kept per record; 0: 262144 */
    int buffer_size;       /* kernel buffer in bytes; 0: 1 MiB (see docs/capture.md) */
};

/* Open a live usbmon interface with libpcap (immediate mode, non-blocking).
 * On failure returns DFS_E_NOTFOUND (no such interface: usbmon not loaded or
 * no such bus), DFS_E_UNSUPPORTED (permission denied) or DFS_E_IO; err says
 * which and how to fix it. */
DFS_API dfs_result dfs_source_open_live(const struct dfs_live_options *opt, dfs_source **out,
                                        char *err, size_t err_size);

/* Open a capture file ("-" for standard input) without reading from it yet:
 * nothing is parsed until the first dfs_source_next(), so privileges can be
 * dropped in between. With follow, a file that another program is still
 * writing is read as it grows (a missing or still empty file is waited for),
 * and a pipe is read record by record until its writer closes it (a pipe
 * is always read that way, follow or not).
 * warn gets the reader's messages about damaged records. */
DFS_API dfs_result dfs_source_open_file(const char *path, bool follow,
                                        dfs_capreader_warn_fn warn, void *warn_user,
                                        dfs_source **out, char *err, size_t err_size);

/* Next record, waiting at most timeout_ms for it (0: do not wait).
 * DFS_CAP_RECORD: *rec is valid until the next call. DFS_CAP_AGAIN: nothing
 * yet (or a signal arrived). DFS_CAP_EOF: the input has ended. DFS_CAP_ERROR:
 * dfs_source_error() says why. */
DFS_API enum dfs_capnext dfs_source_next(dfs_source *s, struct dfs_record *rec, int timeout_ms);
DFS_API const char *dfs_source_error(const dfs_source *s);
/* "usbmon1", or the file name ("<stdin>" for "-"). */
DFS_API const char *dfs_source_name(const dfs_source *s);
/* Link type, or -1 while a file source has not read its header yet. */
DFS_API int dfs_source_linktype(const dfs_source *s);
DFS_API bool dfs_source_is_live(const dfs_source *s);

struct dfs_source_stats {
    uint64_t records;        /* records delivered */
    bool have_kernel;        /* the two counters below are known (live) */
    uint64_t kernel_dropped; /* records the kernel dropped (pcap_stats ps_drop) */
    uint64_t kernel_queued;  /* records received by the kernel (ps_recv) */
    uint64_t damaged;        /* file: records the reader recovered from */
    uint64_t skipped_bytes;  /* file: bytes skipped to find the next record */
    struct dfs_capture_end file_end; /* file: what it says about its end (pcapng
                                        interface statistics), so far */
};
DFS_API void dfs_source_stats(dfs_source *s, struct dfs_source_stats *st);
DFS_API void dfs_source_close(dfs_source *s);

/* ---- usbmon and sysfs ------------------------------------------------------ */

/* One USB device as sysfs describes it (/sys/bus/usb/devices/N-P.P). */
struct dfs_sysfs_device {
    char name[64];          /* "1-1.2" */
    uint16_t bus;
    uint8_t devnum;
    uint16_t vid, pid;
    char serial[128];       /* "" when the device has none */
    char product[128];
    bool dfu_runtime;       /* an interface FE/01/01 */
    bool dfu_mode;          /* an interface FE/01/02 */
};

/* Every USB device under root (NULL or "" for "/"), sorted by bus and device
 * number. *out is malloc'ed (free it); DFS_E_NOTFOUND when root has no
 * sys/bus/usb/devices directory (no USB, or sysfs not mounted). */
DFS_API dfs_result dfs_sysfs_devices(const char *root, struct dfs_sysfs_device **out,
                                     size_t *n, char *err, size_t err_size);

/* The device meant by --device (BUS.DEV, or VID:PID when by_id). Returns
 * DFS_OK, DFS_E_NOTFOUND (no such device) or DFS_E_LIMIT (VID:PID matches
 * several devices); err says which, listing the candidates. */
DFS_API dfs_result dfs_sysfs_find(const char *root, bool by_id, uint16_t a, uint16_t b,
                                  struct dfs_sysfs_device *out, char *err, size_t err_size);

enum dfs_usbmon_status {
    DFS_USBMON_OK = 0,
    DFS_USBMON_NOT_LOADED,    /* no usbmon at all: modprobe usbmon */
    DFS_USBMON_NO_SUCH_BUS,   /* usbmon is there, but not this bus */
    DFS_USBMON_NO_PERMISSION, /* /dev/usbmonN exists but cannot be read */
};

/* Is /dev/usbmon<bus> under root there and readable by this process? msg gets
 * a message that names the fix (modprobe, root or CAP_NET_RAW + read access). */
DFS_API enum dfs_usbmon_status dfs_usbmon_check(const char *root, unsigned bus, char *msg,
                                                size_t msg_size);

/* ---- privileges ------------------------------------------------------------ */

struct dfs_privdrop {
    bool drop;   /* false: nothing to do */
    uid_t uid;
    gid_t gid;
};

/* Decide whether to drop root privileges: yes when the effective user is
 * root and the program was started through sudo (SUDO_UID and SUDO_GID name a
 * user other than root). sudo_uid/sudo_gid are the variables' values (NULL
 * when unset). Returns DFS_OK, or DFS_E_INVAL when the variables are set but
 * unusable (then nothing must be parsed: err says why). */
DFS_API dfs_result dfs_privdrop_plan(uid_t euid, const char *sudo_uid, const char *sudo_gid,
                                     struct dfs_privdrop *out, char *err, size_t err_size);
/* Carry out a plan: supplementary groups, group, user; then check that root
 * cannot be regained. Returns DFS_OK or DFS_E_IO (err says which step). */
DFS_API dfs_result dfs_privdrop_apply(const struct dfs_privdrop *p, char *err, size_t err_size);

/* ---- following one device ------------------------------------------------- */

/* What --device named, plus what sysfs told about it (live capture). */
struct dfs_follow_target {
    bool by_addr;           /* bus/devnum name the first instance */
    uint16_t bus;
    uint8_t devnum;
    bool by_id;             /* vid/pid name it (when by_addr too: from sysfs) */
    uint16_t vid, pid;
    char serial[128];       /* "" when unknown */
    bool dfu;               /* known to have a DFU interface (sysfs) */
};

/* The follower feeds every record to a decoder of its own to learn which
 * device instance each record belongs to. A record of an instance that is
 * still enumerating (first seen at address 0, not yet identified) cannot be
 * judged yet: it and every record after it are held back, in order, until the
 * instance is identified. At most max_held records / max_held_bytes are held;
 * beyond that the oldest undecided instance is decided by the rule in
 * docs/capture.md ("Devices that never finish enumerating") and reported. */
struct dfs_follower_options {
    size_t size;               /* sizeof, set by init */
    uint32_t max_held;         /* default 4096 records */
    size_t max_held_bytes;     /* default 8 MiB */
    struct dfs_options decoder;
};
DFS_API void dfs_follower_options_init(struct dfs_follower_options *o);

typedef struct dfs_follower dfs_follower;

/* Notes about what the follower decided ("following 1.7 -> 1.9 (0483:df11):
 * same serial"), and about records it could not keep. */
typedef void (*dfs_follow_note_fn)(void *user, const char *msg);

DFS_API dfs_result dfs_follower_new(const struct dfs_follow_target *t,
                                    const struct dfs_follower_options *o,
                                    dfs_follow_note_fn note, void *note_user,
                                    dfs_follower **out);
/* Take one record (copied when it has to be held). Pop every record ready
 * before the next push. Returns DFS_OK, DFS_E_NOMEM, DFS_E_STATE (a record was
 * left unpopped) or the tracking decoder's sticky error. */
DFS_API dfs_result dfs_follower_push(dfs_follower *f, const struct dfs_record *rec);
/* The next record to keep, in capture order with its original frame number:
 * true and *rec (valid until the next push/pop/finish), or false when none is
 * ready. */
DFS_API bool dfs_follower_pop(dfs_follower *f, struct dfs_record *rec);
/* End of input: decide every held record; pop the rest afterwards. */
DFS_API dfs_result dfs_follower_finish(dfs_follower *f);

struct dfs_follower_stats {
    uint64_t records;      /* pushed */
    uint64_t kept;         /* popped */
    uint64_t dropped;      /* other devices' records */
    uint64_t unattributed; /* records no device could be found for (unparsable) */
    uint64_t held;         /* held back right now */
    uint64_t forced;       /* instances decided at the hold-back limit or the end */
    uint32_t instances;    /* device instances of the followed device so far */
    bool found;            /* the device has been seen */
    bool present;          /* ... and its latest instance has not left */
    uint16_t bus;          /* its latest instance */
    uint8_t devnum;
    uint16_t vid, pid;     /* 0 when not known */
    uint8_t dfu_state;     /* last DFU state seen, DFS_STATE_UNKNOWN if none */
};
DFS_API void dfs_follower_stats(const dfs_follower *f, struct dfs_follower_stats *st);
DFS_API void dfs_follower_free(dfs_follower *f);

#ifdef __cplusplus
}
#endif
#endif
