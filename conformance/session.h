/* A run in progress: the device, what is known of it, the DFU state as
 * tracked from the replies, and the report being filled. Shared by the
 * session primitives (session.c), the device (device.c), the script
 * interpreter (interp.c), the built-in suites (suites.c) and the run entry
 * points (run.c). */
#ifndef DFS_CONFORMANCE_SESSION_H
#define DFS_CONFORMANCE_SESSION_H

#include "dfuscope/descriptors.h"
#include "dfuscope/quirks.h"
#include "internal.h"

#define DFS_RUN__MAX_ALTS 16
#define DFS_RUN__MAX_POLLS 1000 /* GETSTATUS requests while waiting for a busy device */
#define DFS_RUN__CFG_MAX 4096

struct dfs_run__alt {
    uint8_t alt, iInterface, protocol;
    bool name_read;       /* the iInterface string was read */
    char name[256];       /* UTF-8 */
    bool layout_ok;       /* name is a DfuSe layout that parsed */
    struct dfs_layout layout;
    char layout_err[160]; /* why it did not parse (names starting with '@') */
};

struct dfs_run__sess {
    const struct dfs_run_options *o;
    const struct dfs_transport *t;
    const struct dfs_clock *clk;
    dfs_report *rep;
    uint64_t t0;
    struct dfs_time wall0;
    /* device */
    bool open, gone;
    struct dfs_usb_ident id;
    struct dfs_device_sel sel;
    uint8_t devdesc[DFS_DEVICE_DESC_LEN];
    uint8_t cfg[DFS_RUN__CFG_MAX];
    size_t cfg_len;
    struct dfs_desc_device dev;
    bool have_dfu;                /* a DFU interface was found */
    unsigned dfu_quirk;           /* ... by this quirk of the family (R25: FLIP), or 0 */
    uint8_t iface;
    uint8_t protocol;             /* 1 run-time, 2 DFU mode */
    bool has_func;
    struct dfs_desc_dfu_functional func;
    unsigned n_alts;
    struct dfs_run__alt alts[DFS_RUN__MAX_ALTS];
    uint16_t langid;
    struct dfs_device_facts facts;
    bool claimed;
    /* tracked state */
    bool alt_known;
    uint8_t alt;
    bool state_known;
    uint8_t state, status;
    bool busy;                    /* last GETSTATUS said dfuDNBUSY or dfuMANIFEST */
    uint64_t busy_at_us;          /* when that reply came */
    uint32_t busy_poll_ms;        /* and the bwPollTimeout it asked for */
    struct dfs_run__ptr_state ptr;
    bool ob_pending;              /* an option-byte change is being executed */
    bool ob_noted;
    /* recording */
    uint64_t urb_id;
    size_t step;                  /* current step, SIZE_MAX when none */
    long check;                   /* current check, -1 when none */
    bool fatal;                   /* stop the run (outcome already set) */
    bool stopping;                /* the user asked to stop */
};

/* ---- session primitives (session.c) ---- */

uint64_t dfs_run__now(struct dfs_run__sess *s);
void dfs_run__sleep_ms(struct dfs_run__sess *s, uint32_t ms);
/* A note for the user while running (on_note). */
void dfs_run__note(struct dfs_run__sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* dfuDNBUSY and dfuMANIFEST: the device is at work. */
static inline bool dfs_run__state_busy(uint8_t state)
{
    return state == DFS_STATE_DNBUSY || state == DFS_STATE_MANIFEST;
}

/* Steps and checks in the report. */
void dfs_run__step_begin(struct dfs_run__sess *s, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dfs_run__step_expect(struct dfs_run__sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dfs_run__step_reply(struct dfs_run__sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dfs_run__step_end(struct dfs_run__sess *s, enum dfs_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
long dfs_run__check_begin(struct dfs_run__sess *s, const char *suite,
                          const struct dfs_check_info *ci, const char *instance);
void dfs_run__check_end(struct dfs_run__sess *s, enum dfs_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a check that has no steps (skipped or not applicable). */
void dfs_run__check_skip(struct dfs_run__sess *s, const char *suite,
                         const struct dfs_check_info *ci, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A check that could not be made without the DFS_ALLOW_* flags `needs`
 * (verdict not checked): ends the current check, or records one with no
 * steps when none is going on. */
void dfs_run__check_not_checked(struct dfs_run__sess *s, const char *suite,
                                const struct dfs_check_info *ci, unsigned needs,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The family of the quirk table that the device belongs to and that shows
 * quirk number `quirk` (R2: 2), or NULL. */
const struct dfs_quirk_family *dfs_run__quirk_family(const struct dfs_run__sess *s,
                                                     unsigned quirk);
/* End the current check as explained by a known quirk of the device's
 * family: what was seen, then the quirk, what hosts do, the source. False
 * (nothing ended) when the device's family does not show that quirk. */
bool dfs_run__check_end_quirk(struct dfs_run__sess *s, unsigned quirk, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One control transfer: waits for bwPollTimeout first (unless nowait) when
 * it is a DFU request after a busy reply, refuses what the flags do not
 * allow, records it (report and usbmon) and tracks the DFU state. */
enum dfs_xfer_status dfs_run__xfer(struct dfs_run__sess *s, const struct dfs_setup *su,
                                   const uint8_t *out, uint8_t *in, uint32_t timeout_ms,
                                   bool nowait, uint32_t *got);

/* DFU helpers on the DFU interface. */
enum dfs_xfer_status dfs_run__dfu_out(struct dfs_run__sess *s, uint8_t req, uint16_t wValue,
                                      const uint8_t *data, uint16_t len, bool nowait);
enum dfs_xfer_status dfs_run__dfu_in(struct dfs_run__sess *s, uint8_t req, uint16_t wValue,
                                     uint8_t *buf, uint16_t len, bool nowait, uint32_t *got);
enum dfs_xfer_status dfs_run__getstatus(struct dfs_run__sess *s, bool nowait,
                                        struct dfs_run__getstatus *gs, bool *short_reply);
/* GETSTATUS until the device is not busy, waiting max(bwPollTimeout,
 * floor_ms) between requests. Returns the status of the last one. */
enum dfs_xfer_status dfs_run__poll_idle(struct dfs_run__sess *s, uint32_t max_polls,
                                        uint32_t floor_ms, struct dfs_run__getstatus *gs);
/* Wait until the bwPollTimeout of the last busy reply has passed, and at
 * least floor_ms since that reply. */
void dfs_run__wait_poll(struct dfs_run__sess *s, uint32_t floor_ms);
/* Bring the device to dfuIDLE (CLRSTATUS from dfuERROR, ABORT from the
 * idle states). Returns true when GETSTATUS then says dfuIDLE. */
bool dfs_run__ensure_idle(struct dfs_run__sess *s, uint32_t floor_ms);
enum dfs_xfer_status dfs_run__get_descriptor(struct dfs_run__sess *s, uint8_t type, uint8_t index,
                                             uint16_t lang, uint16_t len, uint8_t *buf,
                                             uint32_t *got);
enum dfs_xfer_status dfs_run__set_alt(struct dfs_run__sess *s, uint8_t alt);
/* Is the device still on the bus? Waits up to ms for it to leave when
 * wait_gone. */
bool dfs_run__wait_gone(struct dfs_run__sess *s, uint32_t ms);
/* The alternate setting's layout, or NULL. */
const struct dfs_run__alt *dfs_run__alt_info(const struct dfs_run__sess *s, uint8_t alt);
bool dfs_run__interrupted(struct dfs_run__sess *s);

/* ---- the device (device.c) ---- */

/* Open the device the options name and read what the host holds of its
 * descriptors. False (the outcome says why) when it cannot be opened. */
bool dfs_run__open_device(struct dfs_run__sess *s);
/* Read what the host does not hold: the LANGIDs and the alternate
 * settings' names (DfuSe layouts), as a step of the run. */
void dfs_run__identify(struct dfs_run__sess *s);
/* Claim the DFU interface; select the alternate setting the options name.
 * False (the outcome says why) when that fails. */
bool dfs_run__claim(struct dfs_run__sess *s);
bool dfs_run__select_alt(struct dfs_run__sess *s);
/* After a re-enumeration: wait up to within_ms for vid:pid and open it
 * again (the device is new, and so is its state). msg says how it came
 * back, or why it did not. */
bool dfs_run__reopen(struct dfs_run__sess *s, uint16_t vid, uint16_t pid, uint32_t within_ms,
                     char *msg, size_t msg_size);

/* ---- the script interpreter (interp.c) ---- */

/* Run the steps of a script; suite names its checks' suite. */
void dfs_run__script_steps(struct dfs_run__sess *s, const dfs_script *sc, const char *suite);

/* ---- suites (suites.c) ---- */
void dfs_run__suite_run(struct dfs_run__sess *s, enum dfs_suite suite);
/* The checks a suite would run, listed as not run (for a run not made). */
void dfs_run__suite_list_not_run(struct dfs_run__sess *s, enum dfs_suite suite, const char *why);

#endif
