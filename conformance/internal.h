/* Internal declarations of the conformance runner (libc only).
 * Not installed; tests and fuzz targets may include it. */
#ifndef DFS_CONFORMANCE_INTERNAL_H
#define DFS_CONFORMANCE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/descriptors.h"
#include "dfuscope/dfu.h"
#include "dfuscope/runner.h"
#include "dfuscope/usb.h"

/* ---- growable byte buffer ----------------------------------------------------- */
struct dfs_run__buf {
    uint8_t *p;
    size_t len, cap;
    bool failed; /* an allocation failed: contents incomplete */
};
/* Append n bytes; returns the offset of the first one, or SIZE_MAX. */
size_t dfs_run__buf_add(struct dfs_run__buf *b, const void *p, size_t n);
void dfs_run__buf_free(struct dfs_run__buf *b);

/* Bounded formatting helpers (always NUL-terminated). */
void dfs_run__fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t dfs_run__catf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- scripts ---------------------------------------------------------------------- */

enum dfs_run__step_kind {
    DFS_RUN__SK_GET_DESCRIPTOR,
    DFS_RUN__SK_SET_CONFIGURATION,
    DFS_RUN__SK_SET_INTERFACE,
    DFS_RUN__SK_GET_STATUS,
    DFS_RUN__SK_CLEAR_FEATURE,
    DFS_RUN__SK_CONTROL,
    DFS_RUN__SK_DETACH,
    DFS_RUN__SK_DNLOAD,
    DFS_RUN__SK_UPLOAD,
    DFS_RUN__SK_GETSTATUS,
    DFS_RUN__SK_CLRSTATUS,
    DFS_RUN__SK_GETSTATE,
    DFS_RUN__SK_ABORT,
    DFS_RUN__SK_POLL,
    DFS_RUN__SK_SET_ADDRESS,
    DFS_RUN__SK_ERASE,
    DFS_RUN__SK_MASS_ERASE,
    DFS_RUN__SK_READ_UNPROTECT,
    DFS_RUN__SK_LEAVE,
    DFS_RUN__SK_READ,
    DFS_RUN__SK_WRITE,
    DFS_RUN__SK_WAIT,
    DFS_RUN__SK_WAIT_POLL,
    DFS_RUN__SK_CHECK,
};

/* Case labels, for switches over every step kind: the DFU class requests
 * a script spells out, and all the steps that are one control request with
 * the setup packet in the step (standard, vendor and those DFU ones). */
#define DFS_RUN__SK_DFU_REQUEST_CASES                                                              \
    case DFS_RUN__SK_DETACH:                                                                       \
    case DFS_RUN__SK_DNLOAD:                                                                       \
    case DFS_RUN__SK_UPLOAD:                                                                       \
    case DFS_RUN__SK_GETSTATUS:                                                                    \
    case DFS_RUN__SK_CLRSTATUS:                                                                    \
    case DFS_RUN__SK_GETSTATE:                                                                     \
    case DFS_RUN__SK_ABORT
#define DFS_RUN__SK_REQUEST_CASES                                                                  \
    case DFS_RUN__SK_GET_DESCRIPTOR:                                                               \
    case DFS_RUN__SK_SET_CONFIGURATION:                                                            \
    case DFS_RUN__SK_SET_INTERFACE:                                                                \
    case DFS_RUN__SK_GET_STATUS:                                                                   \
    case DFS_RUN__SK_CLEAR_FEATURE:                                                                \
    case DFS_RUN__SK_CONTROL: DFS_RUN__SK_DFU_REQUEST_CASES

enum dfs_run__outcome_exp {
    DFS_RUN__EX_DEFAULT = 0, /* nothing said: the request must complete */
    DFS_RUN__EX_OK,
    DFS_RUN__EX_STALL,
    DFS_RUN__EX_TIMEOUT,
    DFS_RUN__EX_FAIL, /* any failure: STALL, timeout, bus error, no device */
    DFS_RUN__EX_ANY,
};

enum dfs_run__cmp { DFS_RUN__EQ = 0, DFS_RUN__LT, DFS_RUN__LE, DFS_RUN__GT, DFS_RUN__GE };

struct dfs_run__expect {
    bool given;                 /* an `expect` clause was written */
    enum dfs_run__outcome_exp outcome;
    bool disconnect;
    uint32_t disconnect_ms;     /* 0: the run's default */
    bool reenum;
    uint16_t vid, pid;
    uint32_t reenum_ms;         /* 0: 5000 */
    bool has_status, has_state, has_length, has_poll, has_data;
    uint8_t status, state;
    enum dfs_run__cmp length_op, poll_op;
    uint32_t length, poll;
    size_t data_off, mask_off;  /* in the script's arena */
    uint32_t data_len;
    bool data_prefix;           /* the reply may be longer than the pattern */
};

struct dfs_run__step {
    enum dfs_run__step_kind kind;
    uint32_t file;        /* index into the file-name table */
    unsigned line, column;
    char text[160];       /* the step as written (shortened) */
    struct dfs_setup setup; /* standard/raw requests; DFU requests get wIndex at run time */
    bool setup_iface;     /* wIndex is the DFU interface (filled at run time) */
    bool iface_given;     /* set-interface/get-status named an interface */
    uint32_t addr;        /* DfuSe address, detach timeout, wait ms, poll max */
    uint32_t length;      /* read length */
    size_t data_off;      /* OUT data in the arena */
    uint32_t data_len;
    bool nowait;
    uint32_t timeout_ms;  /* 0: the run's default */
    size_t check_id_off, clause_off, title_off; /* SK_CHECK strings in the arena */
    struct dfs_run__expect ex;
};

struct dfs_script {
    struct dfs_run__step *steps;
    size_t n_steps, cap_steps;
    char **files;
    size_t n_files;
    size_t n_loads; /* include and data files read while parsing */
    struct dfs_run__buf arena;
};

static inline const uint8_t *dfs_run__script_data(const struct dfs_script *s, size_t off)
{
    return s->arena.p + off;
}
static inline const char *dfs_run__script_str(const struct dfs_script *s, size_t off)
{
    return (const char *)s->arena.p + off;
}
const char *dfs_run__step_file(const struct dfs_script *s, const struct dfs_run__step *st);
/* Does the step send requests (not wait, wait poll or check)? */
static inline bool dfs_run__step_sends_request(enum dfs_run__step_kind k)
{
    return k != DFS_RUN__SK_WAIT && k != DFS_RUN__SK_WAIT_POLL && k != DFS_RUN__SK_CHECK;
}

/* ---- safety --------------------------------------------------------------------- */

/* Flags one operation needs: a DfuSe write/erase at [addr, addr + len)
 * (len 0 for a page erase of unknown size: the address only). area names
 * the special area touched ("option bytes: STM32G0 ..."), or "". */
unsigned dfs_run__area_needs(const struct dfs_device_facts *f, uint32_t addr, uint32_t len,
                             char *area, size_t area_size);
/* Known OTP areas of ST parts (for devices whose layout does not name them). */
struct dfs_run__otp_area {
    uint32_t start, end;
    const char *families;
};
const struct dfs_run__otp_area *dfs_run__otp_area_find(uint32_t addr, uint32_t len);

/* Classify one DfuSe DNLOAD block-0 command. */
enum dfs_run__dfuse_cmd_kind {
    DFS_RUN__CMD_NONE = 0, /* zero-length (leave) */
    DFS_RUN__CMD_GET_COMMANDS,
    DFS_RUN__CMD_SET_ADDRESS,
    DFS_RUN__CMD_ERASE,
    DFS_RUN__CMD_MASS_ERASE,
    DFS_RUN__CMD_READ_UNPROTECT,
    DFS_RUN__CMD_UNKNOWN,
};
enum dfs_run__dfuse_cmd_kind dfs_run__dfuse_cmd(const uint8_t *d, uint32_t len, uint32_t *addr);

/* The DfuSe address pointer as far as it is known. */
struct dfs_run__ptr_state {
    bool known;
    uint32_t addr;
};
/* Flags a DNLOAD of block with len bytes of data needs (dfuse: 1 DfuSe,
 * 0 plain DFU, -1 not known yet: what is certain either way, -2 a device
 * that says neither: what either reading needs); a set-address updates
 * *ps. why says what the request does. */
unsigned dfs_run__dnload_needs(const struct dfs_device_facts *f, int dfuse,
                               struct dfs_run__ptr_state *ps, uint16_t block, const uint8_t *data,
                               uint32_t len, char *why, size_t why_size);
/* The same for step i of a script. */
unsigned dfs_run__step_needs(const dfs_script *s, size_t i, const struct dfs_device_facts *f,
                             struct dfs_run__ptr_state *ps, char *why, size_t why_size);

/* ---- matching -------------------------------------------------------------------- */
/* Does `got` match the pattern (data, mask) of the expectation? */
bool dfs_run__data_match(const uint8_t *pat, const uint8_t *mask, uint32_t pat_len, bool prefix,
                         const uint8_t *got, uint32_t got_len);
/* "0011??22" style text of a pattern, shortened to size. */
void dfs_run__pattern_str(const uint8_t *pat, const uint8_t *mask, uint32_t n, bool prefix,
                          char *buf, size_t size);
void dfs_run__hex_str(const uint8_t *p, size_t n, char *buf, size_t size);
const char *dfs_run__cmp_str(enum dfs_run__cmp op);
bool dfs_run__cmp_ok(enum dfs_run__cmp op, uint32_t got, uint32_t want);

/* ---- replies (replies.c) ---------------------------------------------------------- */

/* bLength and bDescriptorType, the two bytes every descriptor starts with
 * (USB 2.0 9.5), of a reply of len bytes; 0 for a byte it does not have. */
void dfs_run__desc_header(const uint8_t *p, uint32_t len, uint8_t *bLength, uint8_t *type);
/* The fields of a device / configuration descriptor reply, read by the
 * decoder's parser whatever the reply's header says (the checks judge the
 * header on its own): a copy with the header such a descriptor has, zeros
 * for the bytes the reply does not have. */
void dfs_run__device_fields(const uint8_t *p, uint32_t len, struct dfs_desc_device *dev);
void dfs_run__config_fields(const uint8_t *p, uint32_t len, struct dfs_desc_config *cfg);
/* The first LANGID of a string descriptor 0 reply of len bytes, read the
 * same way (bLength taken as len). False when it has none. */
bool dfs_run__first_langid(const uint8_t *p, uint32_t len, uint16_t *langid);

struct dfs_run__getstatus {
    uint8_t bStatus, bState, iString;
    uint32_t poll_ms;
};
/* A GETSTATUS reply of len bytes; false when it is shorter than 6. */
bool dfs_run__getstatus_parse(const uint8_t *b, uint32_t len, struct dfs_run__getstatus *gs);

/* ---- reports (filled by the runner) ---------------------------------------------- */
dfs_report *dfs_run__report_new(const char *kind, const char *name, unsigned allow);
/* Index of the new step/check, or SIZE_MAX / -1 when out of memory. */
size_t dfs_run__report_add_step(dfs_report *r, const char *origin, const char *text, long check,
                                uint64_t t_us);
struct dfs_step_info *dfs_run__report_step_mut(dfs_report *r, size_t i);
size_t dfs_run__report_add_exchange(dfs_report *r, const struct dfs_exchange *x);
long dfs_run__report_add_check(dfs_report *r, const char *suite, const char *id, const char *clause,
                               const char *title);
struct dfs_check_result *dfs_run__report_check_mut(dfs_report *r, long i);
void dfs_run__report_set_outcome(dfs_report *r, enum dfs_run_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dfs_run__report_set_device(dfs_report *r, const struct dfs_usb_ident *id);
void dfs_run__report_set_duration(dfs_report *r, uint64_t us);
bool dfs_run__report_nomem(const dfs_report *r);
/* The more severe of two verdicts (ERROR > FAIL > WARN > PASS > SKIP > NONE). */
enum dfs_verdict dfs_run__verdict_worst(enum dfs_verdict a, enum dfs_verdict b);

#endif
