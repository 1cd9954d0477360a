/* The built-in suites: each is a table of checks (id, clause, title, the
 * function that runs it), walked in order by suite_common.c. A check
 * function sends its requests as steps, ends its check with a verdict and
 * says what comes next. Checks of one suite share what they learned in the
 * suite's state (the device descriptor read by the first one, ...). */
#ifndef DFS_CONFORMANCE_SUITE_H
#define DFS_CONFORMANCE_SUITE_H

#include "session.h"

struct dfs_run__suite;

/* A suite being run. */
struct dfs_run__suite_ctx {
    struct dfs_run__sess *s;
    const char *suite;                 /* its name */
    const struct dfs_run__suite *def;
    void *state;                       /* the suite's own */
    const struct dfs_run__alt *alt;    /* per-alternate-setting checks: the one checked */
};

/* What comes after a check. */
enum dfs_run__next {
    DFS_RUN__NEXT = 0, /* the next check */
    DFS_RUN__NEXT_ALT, /* per-alternate-setting checks: on to the next alternate setting */
    DFS_RUN__STOP,     /* the suite ends here (the device left, the user stopped the run, or
                          the check recorded the rest as not run) */
};

typedef enum dfs_run__next (*dfs_run__check_fn)(struct dfs_run__suite_ctx *c,
                                                const struct dfs_check_info *ci);

struct dfs_run__check {
    dfs_run__check_fn run;
    /* run for each alternate setting in turn, together with the per_alt
     * checks next to it in the table (c->alt is the one checked) */
    bool per_alt;
};

struct dfs_run__suite {
    const char *name;
    const struct dfs_check_info *info; /* the checks, in order (dfs_suite_checks) ... */
    const struct dfs_run__check *checks; /* ... and how each runs */
    size_t n;
    /* The order the checks run in (indices into the tables), when it is
     * not the tables' own; NULL: table order. */
    const uint8_t *order;
    /* Run the suite: set up its state, walk its checks with
     * dfs_run__suite_walk, clean up. */
    void (*run)(struct dfs_run__suite_ctx *c);
};

/* A suite's table is one X-macro of
 *   X(ENUM, function, per_alt, id, clause, title, needs)
 * expanded with these: the enum of its checks, the declarations of their
 * functions, the struct dfs_check_info table and the struct dfs_run__check
 * table. */
#define DFS_RUN__CHECK_ENUM(e, fn, alt, id, clause, title, needs) e,
#define DFS_RUN__CHECK_DECL(e, fn, alt, id, clause, title, needs)                                 \
    static enum dfs_run__next fn(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci);
#define DFS_RUN__CHECK_INFO(e, fn, alt, id, clause, title, needs) [e] = {id, clause, title, needs},
#define DFS_RUN__CHECK_RUN(e, fn, alt, id, clause, title, needs) [e] = {fn, alt},

extern const struct dfs_run__suite dfs_run__suite_descriptors;
extern const struct dfs_run__suite dfs_run__suite_dfu11;
extern const struct dfs_run__suite dfs_run__suite_dfuse;

/* ---- the walk and the steps of checks (suite_common.c) ---- */

/* Run the checks of c->def in table order. False when a check stopped the
 * suite. */
bool dfs_run__suite_walk(struct dfs_run__suite_ctx *c);

/* A check with no steps and a verdict of its own: an id of ci with
 * "[instance]" after it when instance is given. notify: tell the caller's
 * on_check, as checks that ran do. */
void dfs_run__record_check(struct dfs_run__sess *s, const char *suite,
                           const struct dfs_check_info *ci, const char *instance,
                           enum dfs_verdict v, bool notify, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* The checks of the suite from index from up to n, as not run. */
void dfs_run__rest_not_run(struct dfs_run__suite_ctx *c, size_t from, size_t n,
                           enum dfs_verdict v, const char *why);

/* A step of a check (origin: the check's id, or the suite's name). */
void dfs_run__suite_step(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                         const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* End a step: "ok, N bytes" or the transfer's status. */
void dfs_run__suite_step_done(struct dfs_run__suite_ctx *c, enum dfs_xfer_status st,
                              uint32_t got);
/* A state's name, "?" for a value DFU 1.1 does not define. */
const char *dfs_run__state_text(uint8_t state);
/* "status OK, state dfuIDLE, poll 0 ms" */
void dfs_run__gs_text(char *buf, size_t size, const struct dfs_run__getstatus *gs);
/* GETSTATUS, an OUT and an IN DFU request, each as a step of its own. */
enum dfs_xfer_status dfs_run__gs_step(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci, bool nowait,
                                      struct dfs_run__getstatus *gs);
enum dfs_xfer_status dfs_run__out_step(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci, uint8_t req,
                                       uint16_t wValue, const uint8_t *data, uint16_t len,
                                       const char *text);
enum dfs_xfer_status dfs_run__in_step(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci, uint8_t req,
                                      uint16_t wValue, uint8_t *buf, uint16_t len, uint32_t *got,
                                      const char *text);
/* Bring the device to dfuIDLE between checks, as a step of its own. */
bool dfs_run__to_idle(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci);
/* Stop the suite here? True when the device left (the run's outcome then
 * says so) or the user asked to stop (between checks; never inside one). */
bool dfs_run__device_lost(struct dfs_run__suite_ctx *c);

/* ---- DfuSe steps shared by the dfu11 and dfuse suites (suite_common.c) ---- */

/* The start and length of the first readable region of alternate setting
 * alt (or of any). False when no layout names one. */
bool dfs_run__first_readable(const struct dfs_run__sess *s, uint8_t alt, uint32_t *addr,
                             uint32_t *len);
/* The DNLOAD of a command with an address (set-address or erase), as a
 * step named by the command, the address and note. */
enum dfs_xfer_status dfs_run__dfuse_command(struct dfs_run__suite_ctx *c,
                                            const struct dfs_check_info *ci, uint8_t command,
                                            uint32_t addr, const char *note);
/* Set the address pointer, then GETSTATUS until done. */
enum dfs_xfer_status dfs_run__set_address(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci, uint32_t addr,
                                          uint32_t floor_ms, struct dfs_run__getstatus *gs);

/* ---- Atmel FLIP reads (dfu-quirks R25), the dfu11 suite's (suite_common.c) ---- */

/* The FLIP display-data command for the first len bytes of flash, then
 * GETSTATUS: true when the device is in dfuUPLOAD-IDLE. */
bool dfs_run__flip_display(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                           uint16_t len, struct dfs_run__getstatus *gs);
/* dfu11.upload-short-end on a FLIP bootloader: a display of 64 bytes, an
 * UPLOAD of 128 must return the 64 (a short packet) and leave dfuIDLE. */
void dfs_run__flip_upload_short(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci);

#endif
