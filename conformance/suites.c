/* The built-in suites (docs/conformance.md): descriptors, dfu11, dfuse.
 * Every check has an id and the clause it comes from. Suites only read,
 * except where a check says it needs a flag; such a check is skipped
 * without it. Checks that cannot apply (a plain DFU device in the dfuse
 * suite) are skipped with the reason. */
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define POLLS 1000

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- check tables -------------------------------------------------------------------------- */

enum {
    D_DEVICE_LENGTH,
    D_DEVICE_MPS,
    D_DEVICE_SHORT_READ,
    D_CONFIG_LENGTH,
    D_CONFIG_TOTAL,
    D_CONFIG_STRUCTURE,
    D_STRING_LANGIDS,
    D_STRING_LENGTHS,
    D_QUALIFIER,
    D_BAD_REQUEST,
    D_DFU_INTERFACE,
    D_DFU_FUNC_PRESENT,
    D_DFU_FUNC_LENGTH,
    D_DFU_FUNC_VALUES,
    D_LAYOUT_PARSE,
    D_LAYOUT_UNIQUE,
    D__COUNT
};

static const struct dfs_check_info desc_checks[] = {
    [D_DEVICE_LENGTH] = {"desc.device.length", "USB 2.0 9.6.1",
                         "Device descriptor: 18 bytes, bLength 18, bDescriptorType 1", 0},
    [D_DEVICE_MPS] = {"desc.device.max-packet-size", "USB 2.0 9.6.1",
                      "bMaxPacketSize0 is 8, 16, 32 or 64 and bNumConfigurations is not 0", 0},
    [D_DEVICE_SHORT_READ] = {"desc.device.short-read", "USB 2.0 9.4.3",
                             "GET_DESCRIPTOR with wLength 8 returns the first 8 bytes only", 0},
    [D_CONFIG_LENGTH] = {"desc.config.length", "USB 2.0 9.6.3",
                         "Configuration descriptor: bLength 9, bDescriptorType 2, bmAttributes "
                         "bit 7 set",
                         0},
    [D_CONFIG_TOTAL] = {"desc.config.total-length", "USB 2.0 9.6.3",
                        "wTotalLength bytes are returned and they are exactly the descriptors of "
                        "the configuration",
                        0},
    [D_CONFIG_STRUCTURE] = {"desc.config.structure", "USB 2.0 9.6.3, 9.6.5, 9.6.6",
                            "Every descriptor has a valid length and type; bNumInterfaces and "
                            "bNumEndpoints match what follows",
                            0},
    [D_STRING_LANGIDS] = {"desc.string.langids", "USB 2.0 9.6.7",
                          "String descriptor 0 lists at least one LANGID", 0},
    [D_STRING_LENGTHS] = {"desc.string.lengths", "USB 2.0 9.6.7",
                          "Each string descriptor has an even bLength equal to the bytes "
                          "returned, and is valid UTF-16",
                          0},
    [D_QUALIFIER] = {"desc.qualifier", "USB 2.0 9.6.2",
                     "DEVICE_QUALIFIER: a full-speed-only device STALLs it, a high-speed device "
                     "returns 10 bytes",
                     0},
    [D_BAD_REQUEST] = {"desc.bad-request", "USB 2.0 9.2.7, 8.5.3.4",
                       "A GET_DESCRIPTOR of an undefined type STALLs, and the next request is "
                       "answered",
                       0},
    [D_DFU_INTERFACE] = {"desc.dfu.interface", "DFU 1.1 4.2.3 (4.1.2 run-time)",
                         "DFU interface: class 0xFE, subclass 0x01, protocol 2 (DFU mode) or 1 "
                         "(run-time), no endpoints",
                         0},
    [D_DFU_FUNC_PRESENT] = {"desc.dfu.functional-present", "DFU 1.1 4.2.4 (4.1.3)",
                            "The DFU interface carries a DFU functional descriptor", 0},
    [D_DFU_FUNC_LENGTH] = {"desc.dfu.functional-length", "DFU 1.1 4.1.3 (table 4.2)",
                           "The DFU functional descriptor has bLength 9 (with bcdDFUVersion)", 0},
    [D_DFU_FUNC_VALUES] = {"desc.dfu.functional-values", "DFU 1.1 4.1.3",
                           "bcdDFUVersion is 0x0110 (or ST's 0x011A) and wTransferSize is at "
                           "least bMaxPacketSize0",
                           0},
    [D_LAYOUT_PARSE] = {"desc.dfuse.layout-parse", "ST UM0424, AN3156 (memory layout string)",
                        "Each alternate setting of a DfuSe device names its memory with a "
                        "layout string that parses",
                        0},
    [D_LAYOUT_UNIQUE] = {"desc.dfuse.layout-unique", "ST AN3156 (one memory per alternate setting)",
                         "No two alternate settings advertise the same memory layout", 0},
};

enum {
    F_GETSTATUS_IDLE,
    F_GETSTATE_IDLE,
    F_ABORT_IDLE,
    F_CLRSTATUS_IDLE,
    F_INVALID_STALLS,
    F_CLRSTATUS_ERROR,
    F_UPLOAD_XFER,
    F_UPLOAD_SHORT,
    F_ABORT_UPLOAD,
    F_ABORT_DNLOAD,
    F_POLL_SUFFICIENT,
    F_BUSY_POLL,
    F_GETSTATUS_EARLY,
    F__COUNT
};

static const struct dfs_check_info dfu_checks[] = {
    [F_GETSTATUS_IDLE] = {"dfu11.getstatus-idle", "DFU 1.1 6.1.2",
                          "GETSTATUS in dfuIDLE answers 6 bytes: status OK, state dfuIDLE", 0},
    [F_GETSTATE_IDLE] = {"dfu11.getstate-idle", "DFU 1.1 6.1.4",
                         "GETSTATE in dfuIDLE answers 1 byte: dfuIDLE", 0},
    [F_ABORT_IDLE] = {"dfu11.abort-idle", "DFU 1.1 6.1.5, A.2.3",
                      "ABORT in dfuIDLE is accepted and the device stays in dfuIDLE", 0},
    [F_CLRSTATUS_IDLE] = {"dfu11.clrstatus-idle", "DFU 1.1 A.2.3; dfu-quirks R15",
                          "CLRSTATUS outside dfuERROR is refused with a STALL, not accepted into "
                          "dfuERROR",
                          0},
    [F_INVALID_STALLS] = {"dfu11.invalid-request-stalls", "DFU 1.1 A.2.3, A.2.6, A.2.11",
                          "A request invalid in the state STALLs and leads to dfuERROR with "
                          "errSTALLEDPKT",
                          0},
    [F_CLRSTATUS_ERROR] = {"dfu11.clrstatus-error", "DFU 1.1 6.1.3, A.2.11",
                           "CLRSTATUS in dfuERROR returns the device to dfuIDLE with status OK",
                           0},
    [F_UPLOAD_XFER] = {"dfu11.upload-transfer-size", "DFU 1.1 4.1.3 (wTransferSize), 6.2",
                       "An UPLOAD of wTransferSize bytes is answered, not STALLed", 0},
    [F_UPLOAD_SHORT] = {"dfu11.upload-short-end", "DFU 1.1 6.2, A.2.10",
                        "UPLOAD ends with a short packet, and the device is then in dfuIDLE", 0},
    [F_ABORT_UPLOAD] = {"dfu11.abort-upload-idle", "DFU 1.1 6.1.5, A.2.10",
                        "ABORT in dfuUPLOAD-IDLE returns the device to dfuIDLE", 0},
    [F_ABORT_DNLOAD] = {"dfu11.abort-dnload-idle", "DFU 1.1 6.1.5, A.2.6",
                        "ABORT in dfuDNLOAD-IDLE returns the device to dfuIDLE", 0},
    [F_POLL_SUFFICIENT] = {"dfu11.poll-timeout-sufficient", "DFU 1.1 6.1.2 (bwPollTimeout)",
                           "A GETSTATUS sent once the announced bwPollTimeout has passed does "
                           "not STALL",
                           0},
    [F_BUSY_POLL] = {"dfu11.busy-poll-timeout", "DFU 1.1 6.1.2; dfu-quirks R4",
                     "A dfuDNBUSY reply does not announce bwPollTimeout 0 while the device stays "
                     "busy",
                     0},
    [F_GETSTATUS_EARLY] = {"dfu11.getstatus-early", "DFU 1.1 6.1.2; dfu-quirks R2",
                           "A GETSTATUS sent before bwPollTimeout is answered (or STALLed) and "
                           "the device recovers",
                           DFS_ALLOW_TIMING_ABUSE},
};

enum { S_COMMANDS, S_SET_ADDRESS, S_READ_REGION, S_READ_OB, S_OUTSIDE, S__COUNT };

static const struct dfs_check_info dfuse_checks[] = {
    [S_COMMANDS] = {"dfuse.commands", "ST AN3156 (Get command)",
                    "UPLOAD of block 0 in dfuIDLE lists the commands: 0x00 first, 0x21 and 0x41 "
                    "among them",
                    0},
    [S_SET_ADDRESS] = {"dfuse.set-address", "ST AN3156 (Set Address Pointer)",
                       "Set Address Pointer to the start of the alternate setting's memory: "
                       "dfuDNBUSY, then dfuDNLOAD-IDLE with status OK",
                       0},
    [S_READ_REGION] = {"dfuse.read-region", "ST AN3156 (Read memory), UM0424",
                       "Reading the start of each readable region of the layout returns the "
                       "bytes asked for",
                       0},
    [S_READ_OB] = {"dfuse.read-option-bytes", "ST AN3156 (Read memory); RM0444 option bytes",
                   "The option bytes can be read (read only)", 0},
    [S_OUTSIDE] = {"dfuse.address-outside",
                   "ST AN3156 (Set Address Pointer: errTARGET; Read memory: errADDRESS)",
                   "An address outside every advertised region is refused (dfuERROR with "
                   "errTARGET or errADDRESS, or a STALL), not answered with data",
                   0},
};

static const char *const suite_names[DFS_SUITE__COUNT] = {"descriptors", "dfu11", "dfuse"};

const char *dfs_suite_name(enum dfs_suite s)
{
    return (unsigned)s < DFS_SUITE__COUNT ? suite_names[s] : NULL;
}

dfs_result dfs_suite_find(const char *name, enum dfs_suite *out)
{
    if (!name || !out)
        return DFS_E_INVAL;
    for (int i = 0; i < DFS_SUITE__COUNT; i++)
        if (strcmp(name, suite_names[i]) == 0) {
            *out = (enum dfs_suite)i;
            return DFS_OK;
        }
    if (strcmp(name, "dfu") == 0 || strcmp(name, "dfu1.1") == 0) {
        *out = DFS_SUITE_DFU11;
        return DFS_OK;
    }
    return DFS_E_NOTFOUND;
}

const struct dfs_check_info *dfs_suite_checks(enum dfs_suite s, size_t *count)
{
    size_t n = 0;
    const struct dfs_check_info *t = NULL;
    switch (s) {
    case DFS_SUITE_DESCRIPTORS:
        t = desc_checks;
        n = D__COUNT;
        break;
    case DFS_SUITE_DFU11:
        t = dfu_checks;
        n = F__COUNT;
        break;
    case DFS_SUITE_DFUSE:
        t = dfuse_checks;
        n = S__COUNT;
        break;
    default:
        break;
    }
    if (count)
        *count = n;
    return t;
}

/* A check with no steps and a verdict of its own: an id of ci with
 * "[instance]" after it when instance is given. notify: tell the caller's
 * on_check, as checks that ran do. */
static void record_check(struct dfs_run__sess *s, const char *suite,
                         const struct dfs_check_info *ci, const char *instance, enum dfs_verdict v,
                         bool notify, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void record_check(struct dfs_run__sess *s, const char *suite,
                         const struct dfs_check_info *ci, const char *instance, enum dfs_verdict v,
                         bool notify, const char *fmt, ...)
{
    s->check = dfs_run__report_add_check(s->rep, suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *r = dfs_run__report_check_mut(s->rep, s->check);
    if (r) {
        if (instance)
            dfs_run__fmt(r->id, sizeof r->id, "%s[%s]", ci->id, instance);
        r->verdict = v;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg, sizeof r->msg, fmt, ap);
        va_end(ap);
    }
    if (notify && s->o->on_check)
        s->o->on_check(s->o->user, s->rep, (size_t)s->check);
    s->check = -1;
}

void dfs_run__suite_list_not_run(struct dfs_run__sess *s, enum dfs_suite suite, const char *why)
{
    size_t n;
    const struct dfs_check_info *t = dfs_suite_checks(suite, &n);
    for (size_t i = 0; i < n; i++)
        record_check(s, suite_names[suite], &t[i], NULL, DFS_VERDICT_ERROR, false, "not run: %s",
                     why);
}

/* ---- helpers ------------------------------------------------------------------------------------ */

struct ctx {
    struct dfs_run__sess *s;
    const char *suite;
};

static void step(struct ctx *c, const struct dfs_check_info *ci, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void step(struct ctx *c, const struct dfs_check_info *ci, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dfs_run__step_begin(c->s, ci ? ci->id : c->suite, "%s", text);
}

static void step_done(struct ctx *c, enum dfs_xfer_status st, uint32_t got)
{
    if (st == DFS_XFER_OK && got)
        dfs_run__step_reply(c->s, "ok, %u byte%s", (unsigned)got, got == 1 ? "" : "s");
    else
        dfs_run__step_reply(c->s, "%s", dfs_xfer_status_name(st));
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
}

/* A state's name, "?" for a value DFU 1.1 does not define. */
static const char *state_text(uint8_t state)
{
    const char *n = dfs_dfu_state_name(state);
    return n ? n : "?";
}

static void gs_text(char *buf, size_t size, const struct dfs_run__getstatus *gs)
{
    const char *a = dfs_dfu_status_name(gs->bStatus), *b = dfs_dfu_state_name(gs->bState);
    dfs_run__fmt(buf, size, "status %s, state %s, poll %u ms", a ? a : "?", b ? b : "?",
                 (unsigned)gs->poll_ms);
}

/* GETSTATUS as its own step. */
static enum dfs_xfer_status gs_step(struct ctx *c, const struct dfs_check_info *ci, bool nowait,
                                    struct dfs_run__getstatus *gs)
{
    step(c, ci, "getstatus%s", nowait ? " nowait" : "");
    bool short_reply = false;
    enum dfs_xfer_status st = dfs_run__getstatus(c->s, nowait, gs, &short_reply);
    if (st == DFS_XFER_OK) {
        char t[120];
        gs_text(t, sizeof t, gs);
        dfs_run__step_reply(c->s, "ok: %s", t);
    } else {
        dfs_run__step_reply(c->s, "%s%s", dfs_xfer_status_name(st),
                            short_reply ? " (reply shorter than 6 bytes)" : "");
    }
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return st;
}

static enum dfs_xfer_status out_step(struct ctx *c, const struct dfs_check_info *ci, uint8_t req,
                                     uint16_t wValue, const uint8_t *data, uint16_t len,
                                     const char *text)
{
    step(c, ci, "%s", text);
    enum dfs_xfer_status st = dfs_run__dfu_out(c->s, req, wValue, data, len, false);
    step_done(c, st, 0);
    return st;
}

static enum dfs_xfer_status in_step(struct ctx *c, const struct dfs_check_info *ci, uint8_t req,
                                    uint16_t wValue, uint8_t *buf, uint16_t len, uint32_t *got,
                                    const char *text)
{
    step(c, ci, "%s", text);
    enum dfs_xfer_status st = dfs_run__dfu_in(c->s, req, wValue, buf, len, false, got);
    step_done(c, st, *got);
    return st;
}

/* Bring the device to dfuIDLE between checks, as a step of its own. */
static bool to_idle(struct ctx *c, const struct dfs_check_info *ci)
{
    step(c, ci, "bring the device to dfuIDLE");
    bool ok = dfs_run__ensure_idle(c->s, c->s->o->busy_floor_ms);
    dfs_run__step_reply(c->s, ok ? "dfuIDLE" : "could not");
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return ok;
}

/* Stop the suite here: the device left, or the user asked to stop (between
 * checks; never inside one). */
static bool device_lost(struct ctx *c)
{
    if (!c->s->gone)
        return dfs_run__interrupted(c->s);
    if (!c->s->fatal) {
        dfs_run__report_set_outcome(c->s->rep, DFS_RUN_DEVICE_LOST,
                                    "the device %04x:%04x left the bus during the %s suite; the "
                                    "checks after it were not run",
                                    c->s->id.vid, c->s->id.pid, c->suite);
        c->s->fatal = true;
    }
    return true;
}

/* The checks of a table from index `from` on, as not run. */
static void rest_not_run(struct ctx *c, const struct dfs_check_info *t, size_t from, size_t n,
                         enum dfs_verdict v, const char *why)
{
    for (size_t i = from; i < n; i++)
        record_check(c->s, c->suite, &t[i], NULL, v, true, "%s", why);
}

/* ---- descriptors ------------------------------------------------------------------------------------ */

struct strref {
    uint8_t index;
    char what[40];
};

static void suite_descriptors(struct ctx *c)
{
    struct dfs_run__sess *s = c->s;
    const struct dfs_check_info *T = desc_checks;
    uint8_t dev[64], buf[DFS_RUN__CFG_MAX];
    uint32_t got = 0;
    enum dfs_xfer_status st;

    /* device descriptor */
    dfs_run__check_begin(s, c->suite, &T[D_DEVICE_LENGTH], NULL);
    step(c, &T[D_DEVICE_LENGTH], "get-descriptor device length=64");
    st = dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, 64, dev, &got);
    step_done(c, st, got);
    uint32_t dev_len = st == DFS_XFER_OK ? got : 0;
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(DEVICE) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != DFS_DEVICE_DESC_LEN || dev[0] != DFS_DEVICE_DESC_LEN ||
             dev[1] != DFS_DT_DEVICE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "%u bytes returned for wLength 64, bLength %u, bDescriptorType %u; "
                           "expected 18, 18, 1",
                           (unsigned)got, got ? dev[0] : 0, got > 1 ? dev[1] : 0);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (device_lost(c))
        return;

    dfs_run__check_begin(s, c->suite, &T[D_DEVICE_MPS], NULL);
    if (dev_len >= 18) {
        uint8_t mps = dev[7];
        if (mps != 8 && mps != 16 && mps != 32 && mps != 64)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "bMaxPacketSize0 is %u", mps);
        else if (dev[17] == 0)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "bNumConfigurations is 0");
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "bMaxPacketSize0 %u, %u configuration%s", mps,
                               dev[17], dev[17] == 1 ? "" : "s");
    } else {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no complete device descriptor");
    }

    dfs_run__check_begin(s, c->suite, &T[D_DEVICE_SHORT_READ], NULL);
    step(c, &T[D_DEVICE_SHORT_READ], "get-descriptor device length=8");
    uint8_t d8[8];
    st = dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, 8, d8, &got);
    step_done(c, st, got);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(DEVICE, wLength 8) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != 8)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%u bytes returned for wLength 8", (unsigned)got);
    else if (dev_len >= 8 && memcmp(d8, dev, 8) != 0)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "the first 8 bytes differ from the full descriptor");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (device_lost(c))
        return;

    /* configuration descriptor */
    dfs_run__check_begin(s, c->suite, &T[D_CONFIG_LENGTH], NULL);
    step(c, &T[D_CONFIG_LENGTH], "get-descriptor config length=9");
    uint8_t c9[9];
    st = dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, 9, c9, &got);
    step_done(c, st, got);
    uint16_t total = 0;
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(CONFIGURATION) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != 9 || c9[0] != 9 || c9[1] != DFS_DT_CONFIGURATION)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "%u bytes, bLength %u, bDescriptorType %u; expected 9, 9, 2",
                           (unsigned)got, got ? c9[0] : 0, got > 1 ? c9[1] : 0);
    else if (!(c9[7] & 0x80))
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "bmAttributes 0x%02x: bit 7 (reserved, one) is clear", c9[7]);
    else {
        total = le16(c9 + 2);
        dfs_run__check_end(s, DFS_VERDICT_PASS, "wTotalLength %u", total);
    }
    if (st == DFS_XFER_OK && got >= 4)
        total = le16(c9 + 2);
    if (device_lost(c))
        return;

    dfs_run__check_begin(s, c->suite, &T[D_CONFIG_TOTAL], NULL);
    uint32_t cfg_len = 0;
    if (total < 9) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "wTotalLength %u is less than 9", total);
    } else {
        uint16_t ask = total < sizeof buf - 16 ? (uint16_t)(total + 16) : (uint16_t)sizeof buf;
        step(c, &T[D_CONFIG_TOTAL], "get-descriptor config length=%u", ask);
        st = dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, ask, buf, &got);
        step_done(c, st, got);
        if (st != DFS_XFER_OK) {
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(CONFIGURATION, %u) failed: %s",
                               ask, dfs_xfer_status_name(st));
        } else {
            cfg_len = got;
            /* the sum of the descriptors' lengths */
            size_t sum = 0;
            while (sum + 2 <= got && buf[sum] >= 2)
                sum += buf[sum];
            if (got != total)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "%u bytes returned for wLength %u; wTotalLength says %u",
                                   (unsigned)got, ask, total);
            else if (sum != total)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "the descriptors add up to %zu bytes; wTotalLength says %u", sum,
                                   total);
            else
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes", total);
        }
    }
    if (device_lost(c))
        return;

    /* walk the set */
    dfs_run__check_begin(s, c->suite, &T[D_CONFIG_STRUCTURE], NULL);
    struct strref strs[8 + DFS_RUN__MAX_ALTS];
    size_t n_strs = 0;
    if (dev_len >= 18) {
        static const char *const what[] = {"iManufacturer", "iProduct", "iSerialNumber"};
        for (int k = 0; k < 3; k++)
            if (dev[14 + k]) {
                strs[n_strs].index = dev[14 + k];
                dfs_run__fmt(strs[n_strs].what, sizeof strs[0].what, "%s", what[k]);
                n_strs++;
            }
    }
    /* DFU facts from the bytes on the wire */
    bool dfu_found = false, func_found = false, func_short = false, func_bad = false;
    struct dfs_desc_dfu_functional func;
    memset(&func, 0, sizeof func);
    uint8_t dfu_class_proto = 0, dfu_endpoints = 0;
    int dfu_iface = -1;
    if (!cfg_len) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no configuration set was read");
    } else {
        struct dfs_desc_walker w;
        struct dfs_desc_item it;
        struct dfs_desc_problem pb;
        dfs_desc_walk_init(&w, buf, cfg_len);
        char problem[400] = "";
        unsigned ifaces[32];
        size_t n_ifaces = 0;
        int eps_left = -1;
        struct dfs_desc_interface cur;
        memset(&cur, 0, sizeof cur);
        int r;
        uint8_t num_ifaces = cfg_len > 4 ? buf[4] : 0;
        while ((r = dfs_desc_walk_next(&w, &it, &pb)) == 1) {
            if (pb.code != DFS_DESC_OK && !problem[0] &&
                !(it.bDescriptorType == DFS_DT_DFU_FUNCTIONAL && it.in_interface &&
                  it.iface.bInterfaceClass == DFS_DFU_CLASS)) {
                dfs_run__fmt(problem, sizeof problem, "%s", pb.msg);
            }
            if (it.kind == DFS_DK_CONFIG) {
                if (it.offset != 0 && !problem[0])
                    dfs_run__fmt(problem, sizeof problem,
                                 "a second configuration descriptor at offset %zu", it.offset);
                if (it.u.config.iConfiguration && n_strs < 8) {
                    strs[n_strs].index = it.u.config.iConfiguration;
                    dfs_run__fmt(strs[n_strs].what, sizeof strs[0].what, "iConfiguration");
                    n_strs++;
                }
            } else if (it.kind == DFS_DK_INTERFACE) {
                if (eps_left > 0 && !problem[0])
                    dfs_run__fmt(problem, sizeof problem,
                                 "interface %u alternate %u announces %u endpoints but has %u",
                                 cur.bInterfaceNumber, cur.bAlternateSetting, cur.bNumEndpoints,
                                 (unsigned)(cur.bNumEndpoints - eps_left));
                cur = it.u.interface;
                eps_left = cur.bNumEndpoints;
                bool known = false;
                for (size_t k = 0; k < n_ifaces; k++)
                    known |= ifaces[k] == cur.bInterfaceNumber;
                if (!known && n_ifaces < 32)
                    ifaces[n_ifaces++] = cur.bInterfaceNumber;
                if (cur.bInterfaceClass == DFS_DFU_CLASS &&
                    cur.bInterfaceSubClass == DFS_DFU_SUBCLASS &&
                    (dfu_iface < 0 || dfu_iface == cur.bInterfaceNumber)) {
                    dfu_found = true;
                    dfu_iface = cur.bInterfaceNumber;
                    if (!dfu_class_proto || cur.bInterfaceProtocol != dfu_class_proto)
                        dfu_class_proto = cur.bInterfaceProtocol;
                    if (cur.bNumEndpoints > dfu_endpoints)
                        dfu_endpoints = cur.bNumEndpoints;
                }
                if (cur.iInterface && n_strs < sizeof strs / sizeof strs[0]) {
                    bool dup = false;
                    for (size_t k = 0; k < n_strs; k++)
                        dup |= strs[k].index == cur.iInterface;
                    if (!dup) {
                        strs[n_strs].index = cur.iInterface;
                        dfs_run__fmt(strs[n_strs].what, sizeof strs[0].what, "iInterface of alt %u",
                                     cur.bAlternateSetting);
                        n_strs++;
                    }
                }
            } else if (it.kind == DFS_DK_ENDPOINT) {
                if (eps_left <= 0 && !problem[0])
                    dfs_run__fmt(problem, sizeof problem,
                                 "endpoint descriptor at offset %zu beyond bNumEndpoints of its "
                                 "interface",
                                 it.offset);
                eps_left--;
            } else if (it.bDescriptorType == DFS_DT_DFU_FUNCTIONAL && it.in_interface &&
                       it.iface.bInterfaceClass == DFS_DFU_CLASS &&
                       it.iface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
                if (!func_found) {
                    func_found = true;
                    if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
                        func = it.u.dfu;
                        func_short = !func.has_version;
                    } else if (it.bLength >= DFS_DFU_FUNC_DESC_LEN_1_0) {
                        func.bLength = it.bLength;
                        func.bmAttributes = it.raw[2];
                        func.wDetachTimeOut = le16(it.raw + 3);
                        func.wTransferSize = le16(it.raw + 5);
                        func_short = true;
                    } else {
                        func.bLength = it.bLength;
                        func_bad = true;
                    }
                }
            }
        }
        if (r < 0 && !problem[0])
            dfs_run__fmt(problem, sizeof problem, "%s", pb.msg);
        if (eps_left > 0 && !problem[0])
            dfs_run__fmt(problem, sizeof problem,
                         "interface %u alternate %u announces %u endpoints but has fewer",
                         cur.bInterfaceNumber, cur.bAlternateSetting, cur.bNumEndpoints);
        if (!problem[0] && n_ifaces != num_ifaces)
            dfs_run__fmt(problem, sizeof problem, "bNumInterfaces is %u but %zu interface%s follow",
                         num_ifaces, n_ifaces, n_ifaces == 1 ? "" : "s");
        if (problem[0])
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", problem);
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "%zu interface%s", n_ifaces,
                               n_ifaces == 1 ? "" : "s");
    }

    /* strings */
    dfs_run__check_begin(s, c->suite, &T[D_STRING_LANGIDS], NULL);
    step(c, &T[D_STRING_LANGIDS], "get-descriptor string 0");
    uint8_t sbuf[256];
    st = dfs_run__get_descriptor(s, DFS_DT_STRING, 0, 0, 255, sbuf, &got);
    step_done(c, st, got);
    uint16_t lang = 0x0409;
    if (st == DFS_XFER_STALL && n_strs == 0)
        dfs_run__check_end(s, DFS_VERDICT_PASS,
                           "no strings: string 0 STALLs, and no index names one");
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(STRING 0) failed: %s%s",
                           dfs_xfer_status_name(st),
                           n_strs ? " although descriptors name strings" : "");
    else if (got < 4 || sbuf[1] != DFS_DT_STRING || sbuf[0] < 4 || (sbuf[0] & 1) ||
             sbuf[0] != got)
        dfs_run__check_end(
            s, DFS_VERDICT_FAIL,
            "%u bytes, bLength %u, bDescriptorType %u: expected an even bLength >= 4 "
            "equal to the bytes returned, type 3",
            (unsigned)got, got ? sbuf[0] : 0, got > 1 ? sbuf[1] : 0);
    else {
        lang = le16(sbuf + 2);
        const char *ln = dfs_langid_name(lang);
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%u LANGID%s, first 0x%04x%s%s%s",
                           (sbuf[0] - 2) / 2, sbuf[0] > 4 ? "s" : "", lang, ln ? " (" : "",
                           ln ? ln : "", ln ? ")" : "");
    }
    if (device_lost(c))
        return;

    dfs_run__check_begin(s, c->suite, &T[D_STRING_LENGTHS], NULL);
    char sproblem[400] = "";
    for (size_t k = 0; k < n_strs; k++) {
        step(c, &T[D_STRING_LENGTHS], "get-descriptor string %u lang=0x%04x (%s)",
             strs[k].index, lang, strs[k].what);
        st = dfs_run__get_descriptor(s, DFS_DT_STRING, strs[k].index, lang, 255, sbuf, &got);
        step_done(c, st, got);
        if (sproblem[0])
            continue;
        if (st != DFS_XFER_OK) {
            dfs_run__fmt(sproblem, sizeof sproblem, "string %u (%s): %s", strs[k].index,
                         strs[k].what, dfs_xfer_status_name(st));
        } else if (got < 2 || sbuf[1] != DFS_DT_STRING) {
            dfs_run__fmt(sproblem, sizeof sproblem, "string %u (%s): %u bytes, type %u",
                         strs[k].index, strs[k].what, (unsigned)got, got > 1 ? sbuf[1] : 0);
        } else if (sbuf[0] & 1) {
            dfs_run__fmt(sproblem, sizeof sproblem, "string %u (%s): odd bLength %u", strs[k].index,
                         strs[k].what, sbuf[0]);
        } else if (sbuf[0] != got) {
            dfs_run__fmt(sproblem, sizeof sproblem,
                         "string %u (%s): bLength %u but %u bytes returned for wLength 255",
                         strs[k].index, strs[k].what, sbuf[0], (unsigned)got);
        } else {
            char u[300];
            struct dfs_desc_problem pb;
            if (dfs_desc_string_utf8(sbuf, got, u, sizeof u, &pb) != DFS_OK ||
                pb.code != DFS_DESC_OK)
                dfs_run__fmt(sproblem, sizeof sproblem, "string %u (%s): %s", strs[k].index,
                             strs[k].what, pb.msg);
        }
        if (device_lost(c))
            return;
    }
    if (sproblem[0])
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", sproblem);
    else if (!n_strs)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no descriptor names a string");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%zu string%s", n_strs, n_strs == 1 ? "" : "s");

    /* device qualifier */
    dfs_run__check_begin(s, c->suite, &T[D_QUALIFIER], NULL);
    step(c, &T[D_QUALIFIER], "get-descriptor device-qualifier");
    uint8_t q[10];
    st = dfs_run__get_descriptor(s, DFS_DT_DEVICE_QUALIFIER, 0, 0, 10, q, &got);
    step_done(c, st, got);
    uint16_t bcd = dev_len >= 4 ? le16(dev + 2) : 0;
    bool full_only = s->id.speed == DFS_SPEED_FULL || s->id.speed == DFS_SPEED_LOW ||
                     (s->id.speed == DFS_SPEED_UNKNOWN && bcd && bcd < 0x0200);
    if (s->id.speed == DFS_SPEED_HIGH) {
        if (st != DFS_XFER_OK || got != 10 || q[0] != 10 || q[1] != DFS_DT_DEVICE_QUALIFIER)
            dfs_run__check_end(s, DFS_VERDICT_FAIL,
                               "a high-speed device must return its 10-byte DEVICE_QUALIFIER; got "
                               "%s, %u bytes",
                               dfs_xfer_status_name(st), (unsigned)got);
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    } else if (full_only) {
        if (st == DFS_XFER_STALL)
            dfs_run__check_end(s, DFS_VERDICT_PASS,
                               "STALL, as a full-speed-only device must answer");
        else
            dfs_run__check_end(
                s, DFS_VERDICT_FAIL,
                "a full-speed-only device must STALL GET_DESCRIPTOR(DEVICE_QUALIFIER); "
                "got %s%s",
                dfs_xfer_status_name(st), st == DFS_XFER_OK ? " with data" : "");
    } else {
        if (st == DFS_XFER_STALL ||
            (st == DFS_XFER_OK && got == 10 && q[0] == 10 && q[1] == DFS_DT_DEVICE_QUALIFIER))
            dfs_run__check_end(s, DFS_VERDICT_PASS,
                               "%s (bus speed unknown: either answer is right)",
                               st == DFS_XFER_STALL ? "STALL" : "10-byte qualifier");
        else
            dfs_run__check_end(s, DFS_VERDICT_FAIL,
                               "neither a STALL nor a 10-byte qualifier: %s, %u "
                               "bytes",
                               dfs_xfer_status_name(st), (unsigned)got);
    }
    if (device_lost(c))
        return;

    /* a request the device cannot support */
    dfs_run__check_begin(s, c->suite, &T[D_BAD_REQUEST], NULL);
    step(c, &T[D_BAD_REQUEST], "get-descriptor 0 (type 0 is undefined)");
    uint8_t junk[64];
    st = dfs_run__get_descriptor(s, 0, 0, 0, sizeof junk, junk, &got);
    step_done(c, st, got);
    enum dfs_xfer_status st2;
    uint32_t got2 = 0;
    step(c, &T[D_BAD_REQUEST], "get-descriptor device");
    st2 = dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, DFS_DEVICE_DESC_LEN, junk, &got2);
    step_done(c, st2, got2);
    if (st != DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "GET_DESCRIPTOR of type 0 was answered with %s%s; a "
                           "request error must STALL",
                           dfs_xfer_status_name(st), st == DFS_XFER_OK ? " (data)" : "");
    else if (st2 != DFS_XFER_OK || got2 != DFS_DEVICE_DESC_LEN)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "after the STALL the device did not answer "
                           "GET_DESCRIPTOR(DEVICE): %s",
                           dfs_xfer_status_name(st2));
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (device_lost(c))
        return;

    /* DFU */
    dfs_run__check_begin(s, c->suite, &T[D_DFU_INTERFACE], NULL);
    if (!cfg_len)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no configuration set was read");
    else if (!dfu_found)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "no interface of class 0xFE subclass 0x01");
    else if (dfu_class_proto != DFS_DFU_PROTO_DFU && dfu_class_proto != DFS_DFU_PROTO_RUNTIME)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "bInterfaceProtocol %u; DFU 1.1 defines 1 (run-time) "
                           "and 2 (DFU mode)",
                           dfu_class_proto);
    else if (dfu_endpoints)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "the DFU interface has %u endpoint%s; DFU uses the "
                           "default control pipe only",
                           dfu_endpoints, dfu_endpoints == 1 ? "" : "s");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "interface %d, %s, no endpoints (as DFU requires)",
                           dfu_iface, dfu_class_proto == 2 ? "DFU mode" : "run-time");

    dfs_run__check_begin(s, c->suite, &T[D_DFU_FUNC_PRESENT], NULL);
    if (!dfu_found)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no DFU interface");
    else if (!func_found)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "no descriptor of type 0x21 follows the DFU "
                           "interface; wTransferSize and the attributes are unknown");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);

    dfs_run__check_begin(s, c->suite, &T[D_DFU_FUNC_LENGTH], NULL);
    if (!func_found)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no DFU functional descriptor");
    else if (func_bad || func_short || func.bLength != DFS_DFU_FUNC_DESC_LEN)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "bLength %u%s", func.bLength,
                           func.bLength == DFS_DFU_FUNC_DESC_LEN_1_0
                               ? ": the DFU 1.0 layout, without bcdDFUVersion (dfu-quirks R7)"
                               : "");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);

    dfs_run__check_begin(s, c->suite, &T[D_DFU_FUNC_VALUES], NULL);
    uint8_t mps = dev_len >= 8 ? dev[7] : 8;
    if (!func_found || func_bad)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no usable DFU functional descriptor");
    else if (func_short)
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "no bcdDFUVersion (see desc.dfu.functional-length)");
    else if (func.bcdDFUVersion != DFS_DFU_VERSION_1_1 &&
             func.bcdDFUVersion != DFS_DFU_VERSION_DFUSE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "bcdDFUVersion 0x%04x (dfu-quirks R8)",
                           func.bcdDFUVersion);
    else if (func.wTransferSize < mps)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "wTransferSize %u is less than bMaxPacketSize0 %u",
                           func.wTransferSize, mps);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "bcdDFUVersion 0x%04x, wTransferSize %u",
                           func.bcdDFUVersion, func.wTransferSize);

    /* DfuSe layouts: the names the run read at the start */
    bool dfuse = s->facts.dfuse == 1;
    dfs_run__check_begin(s, c->suite, &T[D_LAYOUT_PARSE], NULL);
    if (!dfuse) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "not a DfuSe device");
    } else {
        char p[500] = "";
        unsigned named = 0;
        for (unsigned i = 0; i < s->n_alts; i++) {
            const struct dfs_run__alt *a = &s->alts[i];
            if (!a->name_read) {
                if (!p[0])
                    dfs_run__fmt(p, sizeof p, "alt %u has no name (iInterface %u)", a->alt,
                                 a->iInterface);
                continue;
            }
            named++;
            if (!p[0] && !a->layout_ok)
                dfs_run__fmt(p, sizeof p, "alt %u \"%s\": %s", a->alt, a->name,
                             a->name[0] != '@' ? "does not start with '@'" : a->layout_err);
        }
        if (p[0])
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", p);
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "%u layout%s", named, named == 1 ? "" : "s");
    }

    dfs_run__check_begin(s, c->suite, &T[D_LAYOUT_UNIQUE], NULL);
    if (!dfuse) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "not a DfuSe device");
    } else {
        char p[600] = "";
        for (unsigned i = 0; i < s->n_alts && !p[0]; i++)
            for (unsigned k = i + 1; k < s->n_alts && !p[0]; k++) {
                const struct dfs_run__alt *a = &s->alts[i], *b = &s->alts[k];
                if (!a->layout_ok || !b->layout_ok)
                    continue;
                bool same = a->layout.n_regions == b->layout.n_regions;
                for (unsigned r = 0; same && r < a->layout.n_regions; r++)
                    same = a->layout.regions[r].start == b->layout.regions[r].start &&
                           a->layout.regions[r].end == b->layout.regions[r].end &&
                           a->layout.regions[r].size == b->layout.regions[r].size &&
                           a->layout.regions[r].flags == b->layout.regions[r].flags;
                if (same) {
                    unsigned also = 0;
                    for (unsigned m = k + 1; m < s->n_alts; m++)
                        also += s->alts[m].layout_ok &&
                                strcmp(s->alts[m].name, a->name) == 0;
                    dfs_run__fmt(
                        p, sizeof p,
                        "alternate settings %u and %u%s both advertise \"%s\"; each should "
                        "name its own memory (flash, option bytes, OTP, ...), so tools "
                        "cannot tell them apart (dfuscope diagnose: "
                        "desc.duplicate-alt-layouts)",
                        a->alt, b->alt, also ? " (and more)" : "", a->name);
                }
            }
        if (p[0])
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", p);
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    }
}

/* ---- dfu11 -------------------------------------------------------------------------------------------- */

static bool can_upload(const struct dfs_run__sess *s)
{
    return !s->has_func || (s->func.bmAttributes & DFS_DFU_ATTR_CAN_UPLOAD);
}

/* The first readable region start of the current (or any) alt, 0 if none. */
static bool first_readable(const struct dfs_run__sess *s, uint8_t alt, uint32_t *addr,
                           uint32_t *len)
{
    const struct dfs_run__alt *a = dfs_run__alt_info(s, alt);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < s->n_alts; i++) {
            const struct dfs_run__alt *b = pass == 0 ? a : &s->alts[i];
            if (!b || !b->layout_ok)
                continue;
            for (unsigned r = 0; r < b->layout.n_regions; r++)
                if (b->layout.regions[r].flags & DFS_MEM_READABLE) {
                    *addr = b->layout.regions[r].start;
                    uint64_t l = b->layout.regions[r].end - b->layout.regions[r].start;
                    *len = l > 0xffffffffu ? 0xffffffffu : (uint32_t)l;
                    return true;
                }
            if (pass == 0)
                break;
        }
    }
    return false;
}

/* DfuSe: the DNLOAD of a command with an address (set-address or erase),
 * as a step named by the command, the address and note. */
static enum dfs_xfer_status dfuse_command(struct ctx *c, const struct dfs_check_info *ci,
                                          uint8_t command, uint32_t addr, const char *note)
{
    uint8_t cmd[5] = {command, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                      (uint8_t)(addr >> 24)};
    char t[80];
    dfs_run__fmt(t, sizeof t, "%s 0x%08x%s", command == DFS_DFUSE_ERASE ? "erase" : "set-address",
                 (unsigned)addr, note);
    return out_step(c, ci, DFS_DFU_DNLOAD, 0, cmd, 5, t);
}

/* DfuSe: set the address pointer, then GETSTATUS until done. */
static enum dfs_xfer_status set_address(struct ctx *c, const struct dfs_check_info *ci,
                                        uint32_t addr, uint32_t floor_ms,
                                        struct dfs_run__getstatus *gs)
{
    enum dfs_xfer_status st = dfuse_command(c, ci, DFS_DFUSE_SET_ADDRESS, addr, "");
    if (st != DFS_XFER_OK)
        return st;
    step(c, ci, "poll");
    st = dfs_run__poll_idle(c->s, POLLS, floor_ms, gs);
    if (st == DFS_XFER_OK) {
        char g[120];
        gs_text(g, sizeof g, gs);
        dfs_run__step_reply(c->s, "ok: %s", g);
    } else {
        dfs_run__step_reply(c->s, "%s", dfs_xfer_status_name(st));
    }
    dfs_run__step_end(c->s, DFS_VERDICT_NONE, NULL);
    return st;
}

/* DfuSe: set the address pointer to the first readable region of the
 * current alternate setting (or any) and reach dfuDNLOAD-IDLE. len, when
 * given, gets the region's size. */
static bool address_readable(struct ctx *c, const struct dfs_check_info *ci, uint32_t *len)
{
    struct dfs_run__sess *s = c->s;
    struct dfs_run__getstatus gs;
    uint32_t addr, l;
    if (!first_readable(s, s->alt_known ? s->alt : 0, &addr, &l))
        return false;
    if (len)
        *len = l;
    return set_address(c, ci, addr, s->o->busy_floor_ms, &gs) == DFS_XFER_OK &&
           gs.bState == DFS_STATE_DNLOAD_IDLE;
}

/* DfuSe: as address_readable, then ABORT to dfuIDLE, so that UPLOAD block 2
 * on reads from there. */
static bool point_at_readable(struct ctx *c, const struct dfs_check_info *ci, uint32_t *len)
{
    return address_readable(c, ci, len) &&
           out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort") == DFS_XFER_OK;
}

/* The end of an ABORT check: ABORT in `state`, then GETSTATUS; the device
 * must accept it and be in dfuIDLE. */
static void abort_to_idle(struct ctx *c, const struct dfs_check_info *ci, const char *state)
{
    struct dfs_run__getstatus gs;
    enum dfs_xfer_status st = out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort");
    enum dfs_xfer_status st2 = gs_step(c, ci, false, &gs);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(c->s, DFS_VERDICT_FAIL, "ABORT in %s: %s", state,
                           dfs_xfer_status_name(st));
    else if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE)
        dfs_run__check_end(c->s, DFS_VERDICT_FAIL, "after ABORT: %s, state %s",
                           dfs_xfer_status_name(st2),
                           st2 == DFS_XFER_OK ? state_text(gs.bState) : "?");
    else
        dfs_run__check_end(c->s, DFS_VERDICT_PASS, NULL);
}

/* Start something that makes the device busy: a DfuSe set-address, or on a
 * plain DFU device a download of its own first block (needs WRITE). The
 * DNLOAD only; the caller sends the GETSTATUS. */
static bool start_busy(struct ctx *c, const struct dfs_check_info *ci, const uint8_t *image,
                       uint32_t image_len, bool real_work, char *why, size_t why_size)
{
    struct dfs_run__sess *s = c->s;
    if (s->facts.dfuse == 1 && real_work && (s->o->allow & DFS_ALLOW_ERASE)) {
        /* real work: erase the last page of the first erasable region
         * (a set-address may take no time at all) */
        const struct dfs_run__alt *a = dfs_run__alt_info(s, s->alt_known ? s->alt : 0);
        for (unsigned r = 0; a && a->layout_ok && r < a->layout.n_regions; r++) {
            const struct dfs_layout_region *rg = &a->layout.regions[r];
            if ((rg->flags & (DFS_MEM_ERASABLE | DFS_MEM_WRITABLE)) !=
                (DFS_MEM_ERASABLE | DFS_MEM_WRITABLE))
                continue;
            uint32_t page = (uint32_t)(rg->end - rg->size);
            if (dfs_run__area_needs(&s->facts, page, rg->size, NULL, 0) & ~s->o->allow)
                continue; /* option bytes or OTP: not for a timing check */
            if (dfuse_command(c, ci, DFS_DFUSE_ERASE, page, " (the region's last page)") !=
                DFS_XFER_OK) {
                dfs_run__fmt(why, why_size, "the erase DNLOAD failed");
                return false;
            }
            return true;
        }
    }
    if (s->facts.dfuse == 1) {
        uint32_t addr, len;
        if (!first_readable(s, s->alt_known ? s->alt : 0, &addr, &len)) {
            dfs_run__fmt(why, why_size, "no region in the layout to point the address at");
            return false;
        }
        if (dfuse_command(c, ci, DFS_DFUSE_SET_ADDRESS, addr, "") != DFS_XFER_OK) {
            dfs_run__fmt(why, why_size, "the set-address DNLOAD failed");
            return false;
        }
        return true;
    }
    if (!(s->o->allow & DFS_ALLOW_WRITE)) {
        dfs_run__fmt(why, why_size,
                     "needs --allow-write: a plain DFU 1.1 device is only busy while "
                     "it takes a download (the check downloads the device's own first block and "
                     "aborts)");
        return false;
    }
    if (!image || !image_len) {
        dfs_run__fmt(why, why_size, "no image was uploaded to download back");
        return false;
    }
    if (out_step(c, ci, DFS_DFU_DNLOAD, 0, image, (uint16_t)image_len,
                 "dnload 0 (the device's own first block)") != DFS_XFER_OK) {
        dfs_run__fmt(why, why_size, "the DNLOAD failed");
        return false;
    }
    return true;
}

static void suite_dfu11(struct ctx *c)
{
    struct dfs_run__sess *s = c->s;
    const struct dfs_check_info *T = dfu_checks;
    struct dfs_run__getstatus gs;
    enum dfs_xfer_status st;
    uint32_t got = 0;
    uint32_t floor = s->o->busy_floor_ms;
    if (!s->have_dfu) {
        rest_not_run(c, T, 0, F__COUNT, DFS_VERDICT_SKIP, "the device has no DFU interface");
        return;
    }
    if (s->protocol != DFS_DFU_PROTO_DFU) {
        rest_not_run(c, T, 0, F__COUNT, DFS_VERDICT_SKIP,
                     "the device is in run-time mode (bInterfaceProtocol 1); this suite tests DFU "
                     "mode: switch with a `detach` script or dfu-util -e first");
        return;
    }
    uint32_t xfer = s->has_func && s->func.wTransferSize ? s->func.wTransferSize : 0;
    uint32_t chunk = xfer ? xfer : 256; /* until the transfer-size check says */

    /* getstatus / getstate in dfuIDLE */
    dfs_run__check_begin(s, c->suite, &T[F_GETSTATUS_IDLE], NULL);
    bool idle = to_idle(c, &T[F_GETSTATUS_IDLE]);
    st = gs_step(c, &T[F_GETSTATUS_IDLE], false, &gs);
    if (device_lost(c))
        goto lost;
    if (!idle && st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "GETSTATUS failed (%s) and the device could not be "
                           "brought to dfuIDLE",
                           dfs_xfer_status_name(st));
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATUS: %s", dfs_xfer_status_name(st));
    else if (gs.bState != DFS_STATE_DFU_IDLE || gs.bStatus != DFS_STATUS_OK) {
        char g[120];
        gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s, after the device was brought to dfuIDLE", g);
    } else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (!idle) {
        rest_not_run(c, T, F_GETSTATE_IDLE, F__COUNT, DFS_VERDICT_SKIP,
                     "not run: the device could not be brought to dfuIDLE");
        return;
    }

    dfs_run__check_begin(s, c->suite, &T[F_GETSTATE_IDLE], NULL);
    uint8_t b[8];
    st = in_step(c, &T[F_GETSTATE_IDLE], DFS_DFU_GETSTATE, 0, b, 1, &got, "getstate");
    if (st != DFS_XFER_OK || got != 1)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATE: %s, %u bytes", dfs_xfer_status_name(st),
                           (unsigned)got);
    else if (b[0] != DFS_STATE_DFU_IDLE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "GETSTATE says %s (%u) right after GETSTATUS said "
                           "dfuIDLE",
                           state_text(b[0]), b[0]);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (device_lost(c))
        goto lost;

    dfs_run__check_begin(s, c->suite, &T[F_ABORT_IDLE], NULL);
    abort_to_idle(c, &T[F_ABORT_IDLE], "dfuIDLE");
    if (device_lost(c))
        goto lost;
    to_idle(c, NULL);

    /* CLRSTATUS outside dfuERROR */
    dfs_run__check_begin(s, c->suite, &T[F_CLRSTATUS_IDLE], NULL);
    st = out_step(c, &T[F_CLRSTATUS_IDLE], DFS_DFU_CLRSTATUS, 0, NULL, 0, "clrstatus");
    enum dfs_xfer_status st2 = gs_step(c, &T[F_CLRSTATUS_IDLE], false, &gs);
    if (st == DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_PASS, "STALL");
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "CLRSTATUS in dfuIDLE: %s",
                           dfs_xfer_status_name(st));
    else if (st2 == DFS_XFER_OK && gs.bState == DFS_STATE_DFU_IDLE && gs.bStatus == DFS_STATUS_OK)
        dfs_run__check_end(s, DFS_VERDICT_WARN,
                           "accepted and ignored; DFU 1.1 allows CLRSTATUS in "
                           "dfuERROR only, so a STALL is expected");
    else {
        char g[120] = "no reply";
        if (st2 == DFS_XFER_OK)
            gs_text(g, sizeof g, &gs);
        dfs_run__check_end(
            s, DFS_VERDICT_FAIL,
            "CLRSTATUS in dfuIDLE was accepted and then: %s "
            "(dfu-quirks R15: a host that sends CLRSTATUS first is left in an error)",
            g);
    }
    if (device_lost(c))
        goto lost;
    to_idle(c, NULL);

    /* an invalid request */
    dfs_run__check_begin(s, c->suite, &T[F_INVALID_STALLS], NULL);
    bool in_error = false;
    {
        const char *what;
        bool sent = true;
        if (s->facts.dfuse == 1) {
            /* DfuSe: UPLOAD in dfuDNLOAD-IDLE (a zero-length DNLOAD in
             * dfuIDLE would be a DfuSe leave) */
            what = "UPLOAD in dfuDNLOAD-IDLE";
            sent = address_readable(c, &T[F_INVALID_STALLS], NULL);
            if (sent)
                st = in_step(c, &T[F_INVALID_STALLS], DFS_DFU_UPLOAD, 2, b, 8, &got, "upload 2 8");
        } else {
            what = "zero-length DNLOAD in dfuIDLE";
            st = out_step(c, &T[F_INVALID_STALLS], DFS_DFU_DNLOAD, 0, NULL, 0, "dnload 0");
        }
        if (!sent) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP,
                               "could not reach dfuDNLOAD-IDLE with a "
                               "set-address");
        } else {
            st2 = gs_step(c, &T[F_INVALID_STALLS], false, &gs);
            if (st != DFS_XFER_STALL)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s was answered with %s, not a STALL",
                                   what, dfs_xfer_status_name(st));
            else if (st2 != DFS_XFER_OK)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATUS after the STALL: %s",
                                   dfs_xfer_status_name(st2));
            else if (gs.bState != DFS_STATE_ERROR || gs.bStatus != DFS_STATUS_ERR_STALLEDPKT) {
                char g[120];
                gs_text(g, sizeof g, &gs);
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "%s STALLed, but then: %s; expected dfuERROR "
                                   "with errSTALLEDPKT (dfu-quirks R18)",
                                   what, g);
            } else {
                in_error = true;
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%s: STALL, then dfuERROR/errSTALLEDPKT",
                                   what);
            }
        }
    }
    if (device_lost(c))
        goto lost;

    dfs_run__check_begin(s, c->suite, &T[F_CLRSTATUS_ERROR], NULL);
    if (!in_error) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "the device was not in dfuERROR (see "
                           "dfu11.invalid-request-stalls)");
    } else {
        st = out_step(c, &T[F_CLRSTATUS_ERROR], DFS_DFU_CLRSTATUS, 0, NULL, 0, "clrstatus");
        st2 = gs_step(c, &T[F_CLRSTATUS_ERROR], false, &gs);
        if (st != DFS_XFER_OK)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "CLRSTATUS in dfuERROR: %s",
                               dfs_xfer_status_name(st));
        else if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE ||
                 gs.bStatus != DFS_STATUS_OK) {
            char g[120] = "no reply";
            if (st2 == DFS_XFER_OK)
                gs_text(g, sizeof g, &gs);
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "after CLRSTATUS: %s", g);
        } else
            dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    }
    if (device_lost(c))
        goto lost;
    to_idle(c, NULL);

    /* uploads */
    uint8_t *image = NULL;
    uint32_t image_len = 0;
    dfs_run__check_begin(s, c->suite, &T[F_UPLOAD_XFER], NULL);
    if (!can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "bitCanUpload is 0");
    } else if (!xfer) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "wTransferSize is unknown (no usable DFU functional "
                           "descriptor)");
    } else {
        uint8_t *buf = malloc(xfer);
        bool ready = buf != NULL;
        uint16_t block = 0;
        uint32_t want = xfer;
        if (ready && s->facts.dfuse == 1) {
            uint32_t len = 0;
            ready = point_at_readable(c, &T[F_UPLOAD_XFER], &len);
            block = 2;
            if (len < want)
                want = len;
        }
        if (!ready) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP,
                               buf ? "could not point the device at readable "
                                     "memory"
                                   : "out of memory");
        } else {
            char t[40];
            dfs_run__fmt(t, sizeof t, "upload %u %u", block, (unsigned)want);
            st = in_step(c, &T[F_UPLOAD_XFER], DFS_DFU_UPLOAD, block, buf, (uint16_t)want, &got,
                         t);
            if (st != DFS_XFER_OK)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "UPLOAD of wTransferSize (%u) bytes: %s; the "
                                   "functional descriptor promises more than the device takes "
                                   "(dfu-quirks R9)",
                                   (unsigned)xfer, dfs_xfer_status_name(st));
            else {
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes returned", (unsigned)got);
                chunk = xfer;
                if (s->facts.dfuse != 1) {
                    image = buf;
                    image_len = got;
                    buf = NULL;
                }
            }
        }
        if (st != DFS_XFER_OK && xfer > 256)
            chunk = 256; /* go on with transfers the device takes */
        free(buf);
    }
    if (device_lost(c))
        goto lost_free; /* the image of the first upload may be held */
    to_idle(c, NULL);

    dfs_run__check_begin(s, c->suite, &T[F_UPLOAD_SHORT], NULL);
    if (!can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "bitCanUpload is 0");
    } else if (s->facts.dfuse == 1) {
        /* DfuSe: the command list (UPLOAD block 0) is the upload that ends */
        uint8_t *buf = malloc(chunk);
        if (!buf) {
            dfs_run__check_end(s, DFS_VERDICT_ERROR, "out of memory");
        } else {
            char t[40];
            dfs_run__fmt(t, sizeof t, "upload 0 %u", (unsigned)chunk);
            st = in_step(c, &T[F_UPLOAD_SHORT], DFS_DFU_UPLOAD, 0, buf, (uint16_t)chunk, &got, t);
            if (st != DFS_XFER_OK)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block 0: %s",
                                   dfs_xfer_status_name(st));
            else if (got >= chunk)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "UPLOAD of block 0 (the command list) "
                                   "returned all %u bytes asked for: no short packet ends it",
                                   (unsigned)got);
            else
                dfs_run__check_end(s, DFS_VERDICT_PASS, "the command list, %u bytes",
                                   (unsigned)got);
            free(buf);
        }
    } else {
        uint8_t *buf = malloc(chunk);
        uint32_t total = 0;
        bool ended = false;
        st = DFS_XFER_OK;
        uint32_t block = 0;
        step(c, &T[F_UPLOAD_SHORT], "upload blocks of %u bytes until a short one (at most %u "
             "bytes)", (unsigned)chunk, (unsigned)s->o->upload_limit);
        while (buf && total < s->o->upload_limit && block <= 0xffff) {
            st = dfs_run__dfu_in(s, DFS_DFU_UPLOAD, (uint16_t)block, buf, (uint16_t)chunk, false,
                                 &got);
            if (st != DFS_XFER_OK)
                break;
            total += got;
            block++;
            if (got < chunk) {
                ended = true;
                break;
            }
            if (dfs_run__interrupted(s))
                break;
        }
        dfs_run__step_reply(s, "%s: %u bytes in %u blocks%s", dfs_xfer_status_name(st),
                            (unsigned)total, (unsigned)block, ended ? ", the last one short" : "");
        dfs_run__step_end(s, DFS_VERDICT_NONE, NULL);
        free(buf);
        if (!buf)
            dfs_run__check_end(s, DFS_VERDICT_ERROR, "out of memory");
        else if (st != DFS_XFER_OK)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block %u: %s", (unsigned)block,
                               dfs_xfer_status_name(st));
        else if (!ended)
            dfs_run__check_end(
                s, s->stopping ? DFS_VERDICT_ERROR : DFS_VERDICT_FAIL,
                "%u bytes read in full blocks and no short packet%s", (unsigned)total,
                s->stopping ? " (interrupted)" : " (the device never ends the upload)");
        else {
            st2 = gs_step(c, &T[F_UPLOAD_SHORT], false, &gs);
            if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "after the short packet: %s, state %s",
                                   dfs_xfer_status_name(st2),
                                   st2 == DFS_XFER_OK ? state_text(gs.bState) : "?");
            else
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes, then dfuIDLE", (unsigned)total);
        }
    }
    if (device_lost(c))
        goto lost_free;
    to_idle(c, NULL);

    /* ABORT from dfuUPLOAD-IDLE */
    dfs_run__check_begin(s, c->suite, &T[F_ABORT_UPLOAD], NULL);
    if (!can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "bitCanUpload is 0");
    } else {
        bool ready = true;
        uint16_t block = 0;
        if (s->facts.dfuse == 1) {
            ready = point_at_readable(c, &T[F_ABORT_UPLOAD], NULL);
            block = 2;
        }
        if (!ready) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP,
                               "could not point the device at readable memory");
        } else {
            char t[40];
            dfs_run__fmt(t, sizeof t, "upload %u 8", block);
            st = in_step(c, &T[F_ABORT_UPLOAD], DFS_DFU_UPLOAD, block, b, 8, &got, t);
            if (st != DFS_XFER_OK || got < 8) {
                dfs_run__check_end(s, DFS_VERDICT_SKIP,
                                   "an UPLOAD of 8 bytes did not fill (%s, %u "
                                   "bytes): dfuUPLOAD-IDLE not reached",
                                   dfs_xfer_status_name(st), (unsigned)got);
            } else {
                abort_to_idle(c, &T[F_ABORT_UPLOAD], "dfuUPLOAD-IDLE");
            }
        }
    }
    if (device_lost(c))
        goto lost_free;
    to_idle(c, NULL);

    /* bwPollTimeout: honoured exactly here */
    dfs_run__check_begin(s, c->suite, &T[F_POLL_SUFFICIENT], NULL);
    long chk_busy = dfs_run__report_add_check(s->rep, c->suite, T[F_BUSY_POLL].id,
                                              T[F_BUSY_POLL].clause, T[F_BUSY_POLL].title);
    {
        char why[300] = "";
        struct dfs_check_result *cb;
        if (!start_busy(c, &T[F_POLL_SUFFICIENT], image, image_len, true, why, sizeof why)) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
            if ((cb = dfs_run__report_check_mut(s->rep, chk_busy)) != NULL) {
                cb->verdict = DFS_VERDICT_SKIP;
                dfs_run__fmt(cb->msg, sizeof cb->msg, "%s", why);
            }
        } else {
            enum dfs_verdict v_suff = DFS_VERDICT_PASS, v_busy = DFS_VERDICT_PASS;
            char m_suff[300] = "", m_busy[300] = "";
            unsigned polls = 0, busy_replies = 0;
            bool prev_zero_busy = false;
            uint64_t started = dfs_run__now(s);
            for (;;) {
                st = gs_step(c, &T[F_POLL_SUFFICIENT], true, &gs);
                polls++;
                if (st == DFS_XFER_STALL && polls > 1) {
                    v_suff = DFS_VERDICT_FAIL;
                    dfs_run__fmt(m_suff, sizeof m_suff,
                                 "GETSTATUS %u, sent %u ms after a dfuDNBUSY "
                                 "reply that asked for %u ms, STALLed: the announced time is too "
                                 "short (dfu-quirks R2/R3)",
                                 polls, (unsigned)((dfs_run__now(s) - s->busy_at_us) / 1000),
                                 (unsigned)s->busy_poll_ms);
                    break;
                }
                if (st != DFS_XFER_OK) {
                    v_suff = DFS_VERDICT_FAIL;
                    dfs_run__fmt(m_suff, sizeof m_suff, "GETSTATUS %u: %s", polls,
                                 dfs_xfer_status_name(st));
                    break;
                }
                if (gs.bState != DFS_STATE_DNBUSY)
                    break;
                busy_replies++;
                if (prev_zero_busy && v_busy == DFS_VERDICT_PASS) {
                    v_busy = DFS_VERDICT_FAIL;
                    dfs_run__fmt(m_busy, sizeof m_busy,
                                 "a dfuDNBUSY reply asked for 0 ms, and the "
                                 "GETSTATUS sent right after it found the device still busy "
                                 "(dfu-quirks R4)");
                }
                prev_zero_busy = gs.poll_ms == 0;
                if (polls >= 2000 || dfs_run__now(s) - started > 60000000u) {
                    v_suff = DFS_VERDICT_FAIL;
                    dfs_run__fmt(m_suff, sizeof m_suff,
                                 "still dfuDNBUSY after %u GETSTATUS and "
                                 "%.1f s",
                                 polls, (double)(dfs_run__now(s) - started) / 1e6);
                    break;
                }
                dfs_run__wait_poll(s, 0); /* exactly the time asked for */
            }
            if (v_suff == DFS_VERDICT_PASS)
                dfs_run__fmt(m_suff, sizeof m_suff, "%u GETSTATUS, %u busy repl%s, then %s", polls,
                             busy_replies, busy_replies == 1 ? "y" : "ies", state_text(gs.bState));
            dfs_run__check_end(s, v_suff, "%s", m_suff);
            if ((cb = dfs_run__report_check_mut(s->rep, chk_busy)) != NULL) {
                if (v_busy == DFS_VERDICT_PASS && v_suff == DFS_VERDICT_FAIL && busy_replies == 0)
                    v_busy = DFS_VERDICT_SKIP;
                cb->verdict = v_busy;
                if (v_busy == DFS_VERDICT_SKIP)
                    dfs_run__fmt(m_busy, sizeof m_busy, "no dfuDNBUSY reply to judge");
                dfs_run__fmt(cb->msg, sizeof cb->msg, "%s", m_busy);
            }
        }
        if (s->o->on_check)
            s->o->on_check(s->o->user, s->rep, (size_t)chk_busy);
    }
    if (device_lost(c))
        goto lost_free;
    to_idle(c, NULL);

    /* ABORT from dfuDNLOAD-IDLE */
    dfs_run__check_begin(s, c->suite, &T[F_ABORT_DNLOAD], NULL);
    {
        char why[300] = "";
        if (!start_busy(c, &T[F_ABORT_DNLOAD], image, image_len, false, why, sizeof why)) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
        } else {
            step(c, &T[F_ABORT_DNLOAD], "poll");
            st = dfs_run__poll_idle(s, POLLS, floor, &gs);
            dfs_run__step_reply(s, "%s", dfs_xfer_status_name(st));
            dfs_run__step_end(s, DFS_VERDICT_NONE, NULL);
            if (st != DFS_XFER_OK || gs.bState != DFS_STATE_DNLOAD_IDLE) {
                dfs_run__check_end(s, DFS_VERDICT_SKIP, "dfuDNLOAD-IDLE not reached (%s)",
                                   dfs_xfer_status_name(st));
            } else {
                abort_to_idle(c, &T[F_ABORT_DNLOAD], "dfuDNLOAD-IDLE");
            }
        }
    }
    if (device_lost(c))
        goto lost_free;
    to_idle(c, NULL);

    /* GETSTATUS before the time: only when asked for */
    if (!(s->o->allow & DFS_ALLOW_TIMING_ABUSE)) {
        dfs_run__check_skip(
            s, c->suite, &T[F_GETSTATUS_EARLY],
            "needs --allow-timing-abuse (some devices misbehave when polled early)");
    } else {
        dfs_run__check_begin(s, c->suite, &T[F_GETSTATUS_EARLY], NULL);
        char why[300] = "";
        if (!start_busy(c, &T[F_GETSTATUS_EARLY], image, image_len, true, why, sizeof why)) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
        } else {
            st = gs_step(c, &T[F_GETSTATUS_EARLY], true, &gs);
            if (st != DFS_XFER_OK) {
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "the first GETSTATUS failed: %s",
                                   dfs_xfer_status_name(st));
            } else if (gs.bState != DFS_STATE_DNBUSY || gs.poll_ms == 0) {
                dfs_run__check_end(s, DFS_VERDICT_SKIP, "the device asked for no wait (%s, %u ms)",
                                   state_text(gs.bState), (unsigned)gs.poll_ms);
            } else {
                uint32_t asked = gs.poll_ms;
                st = gs_step(c, &T[F_GETSTATUS_EARLY], true, &gs);
                if (st == DFS_XFER_OK)
                    dfs_run__check_end(s, DFS_VERDICT_PASS,
                                       "answered %s although %u ms were asked "
                                       "for",
                                       state_text(gs.bState), (unsigned)asked);
                else {
                    bool back = to_idle(c, &T[F_GETSTATUS_EARLY]);
                    if (back)
                        dfs_run__check_end(s, DFS_VERDICT_WARN,
                                           "an early GETSTATUS was answered with "
                                           "%s (as the STM32L4 does, dfu-quirks R2); the device "
                                           "recovered",
                                           dfs_xfer_status_name(st));
                    else
                        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                           "an early GETSTATUS was answered "
                                           "with %s and the device did not recover",
                                           dfs_xfer_status_name(st));
                }
            }
        }
        if (device_lost(c))
            goto lost_free;
    }
    to_idle(c, NULL);
    free(image);
    return;
lost_free:
    free(image);
lost:
    return;
}

/* ---- dfuse ------------------------------------------------------------------------------------------------ */

/* Known option-byte bases of STM32 system bootloaders; each is checked
 * against dfs_ob_area_find so that this list cannot name an area the
 * decoder's table does not know. */
static const uint32_t ob_bases[] = {0x1FFF7800, 0x1FFFC000, 0x1FFF0000, 0x1FFFF800, 0x1FF80000};

static bool in_any_layout(const struct dfs_run__sess *s, uint32_t addr)
{
    for (unsigned i = 0; i < s->n_alts; i++)
        if (s->alts[i].layout_ok && dfs_layout_find(&s->alts[i].layout, addr))
            return true;
    return false;
}

/* Read len bytes at addr on the current alt; returns the bytes read, or
 * -1 when the set-address was refused (gs says how). */
static long read_at(struct ctx *c, const struct dfs_check_info *ci, uint32_t addr, uint32_t len,
                    uint8_t *buf, enum dfs_xfer_status *stp, struct dfs_run__getstatus *gs)
{
    uint32_t floor = c->s->o->busy_floor_ms;
    *stp = set_address(c, ci, addr, floor, gs);
    if (*stp != DFS_XFER_OK || gs->bState != DFS_STATE_DNLOAD_IDLE ||
        gs->bStatus != DFS_STATUS_OK)
        return -1;
    *stp = out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort");
    if (*stp != DFS_XFER_OK)
        return -1;
    uint32_t got = 0;
    char t[40];
    dfs_run__fmt(t, sizeof t, "upload 2 %u", (unsigned)len);
    *stp = in_step(c, ci, DFS_DFU_UPLOAD, 2, buf, (uint16_t)len, &got, t);
    if (*stp != DFS_XFER_OK)
        return -2;
    return (long)got;
}

static void suite_dfuse(struct ctx *c)
{
    struct dfs_run__sess *s = c->s;
    const struct dfs_check_info *T = dfuse_checks;
    struct dfs_run__getstatus gs;
    enum dfs_xfer_status st;
    uint32_t got = 0;
    if (!s->have_dfu || s->facts.dfuse != 1) {
        rest_not_run(c, T, 0, S__COUNT, DFS_VERDICT_SKIP,
                     s->have_dfu ? "not a DfuSe device (bcdDFUVersion is not 0x011A and the "
                                   "alternate settings name no layouts)"
                                 : "the device has no DFU interface");
        return;
    }
    if (s->protocol != DFS_DFU_PROTO_DFU) {
        rest_not_run(c, T, 0, S__COUNT, DFS_VERDICT_SKIP,
                     "the device is in run-time mode (bInterfaceProtocol 1)");
        return;
    }
    uint32_t xfer = s->facts.transfer_size ? s->facts.transfer_size : 256;
    uint32_t rd = xfer < 256 ? xfer : 256; /* read sizes the device surely takes */
    uint8_t buf[256];
    uint8_t first_alt = s->alt_known ? s->alt : 0;

    /* commands */
    dfs_run__check_begin(s, c->suite, &T[S_COMMANDS], NULL);
    if (!to_idle(c, &T[S_COMMANDS])) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the device could not be brought to dfuIDLE");
    } else {
        st = in_step(c, &T[S_COMMANDS], DFS_DFU_UPLOAD, 0, buf, (uint16_t)rd, &got, "upload 0");
        bool has21 = false, has41 = false, has92 = false;
        for (uint32_t i = 1; st == DFS_XFER_OK && i < got; i++) {
            has21 |= buf[i] == DFS_DFUSE_SET_ADDRESS;
            has41 |= buf[i] == DFS_DFUSE_ERASE;
            has92 |= buf[i] == DFS_DFUSE_READ_UNPROTECT;
        }
        if (st != DFS_XFER_OK)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block 0: %s",
                               dfs_xfer_status_name(st));
        else if (got < 1 || buf[0] != DFS_DFUSE_GET_COMMANDS)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "the list does not start with 0x00 (%u bytes)",
                               (unsigned)got);
        else if (!has21 || !has41)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "the list lacks %s%s%s",
                               has21 ? ""
                                     : "0x21 (set "
                                       "address)",
                               !has21 && !has41 ? " and " : "", has41 ? "" : "0x41 (erase)");
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "0x00 0x21 0x41%s", has92 ? " 0x92" : "");
    }
    if (device_lost(c))
        return;
    to_idle(c, NULL);

    /* per alternate setting: set-address and a read of each region start */
    for (unsigned i = 0; i < s->n_alts; i++) {
        const struct dfs_run__alt *a = &s->alts[i];
        char inst[40];
        dfs_run__fmt(inst, sizeof inst, "alt %u", a->alt);
        if (!a->layout_ok) {
            record_check(s, c->suite, &T[S_SET_ADDRESS], inst, DFS_VERDICT_SKIP, true,
                         "no layout string that parses (see desc.dfuse.layout-parse)");
            continue;
        }
        dfs_run__check_begin(s, c->suite, &T[S_SET_ADDRESS], inst);
        step(c, &T[S_SET_ADDRESS], "set-interface %u", a->alt);
        st = dfs_run__set_alt(s, a->alt);
        step_done(c, st, 0);
        if (st != DFS_XFER_OK) {
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "SET_INTERFACE %u: %s", a->alt,
                               dfs_xfer_status_name(st));
            if (device_lost(c))
                return;
            continue;
        }
        to_idle(c, &T[S_SET_ADDRESS]);
        uint32_t start = a->layout.regions[0].start;
        st = set_address(c, &T[S_SET_ADDRESS], start, s->o->busy_floor_ms, &gs);
        if (st != DFS_XFER_OK)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x: %s", (unsigned)start,
                               dfs_xfer_status_name(st));
        else if (gs.bState != DFS_STATE_DNLOAD_IDLE || gs.bStatus != DFS_STATUS_OK) {
            char g[120];
            gs_text(g, sizeof g, &gs);
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x: %s", (unsigned)start, g);
        } else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "0x%08x", (unsigned)start);
        if (device_lost(c))
            return;
        to_idle(c, NULL);
        unsigned nreg = a->layout.n_regions < 16 ? a->layout.n_regions : 16;
        for (unsigned r = 0; r < nreg; r++) {
            const struct dfs_layout_region *rg = &a->layout.regions[r];
            char ri[60];
            dfs_run__fmt(ri, sizeof ri, "alt %u 0x%08x", a->alt, (unsigned)rg->start);
            if (!(rg->flags & DFS_MEM_READABLE)) {
                record_check(s, c->suite, &T[S_READ_REGION], ri, DFS_VERDICT_SKIP, true,
                             "type '%c': not readable by its layout", rg->type);
                continue;
            }
            dfs_run__check_begin(s, c->suite, &T[S_READ_REGION], ri);
            uint64_t rlen = rg->end - rg->start;
            uint32_t want = rlen < rd ? (uint32_t)rlen : rd;
            long n = read_at(c, &T[S_READ_REGION], rg->start, want, buf, &st, &gs);
            if (n == -1) {
                char g[120] = "";
                if (st == DFS_XFER_OK)
                    gs_text(g, sizeof g, &gs);
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x refused: %s",
                                   (unsigned)rg->start,
                                   st == DFS_XFER_OK ? g : dfs_xfer_status_name(st));
            } else if (n < 0) {
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD at 0x%08x: %s", (unsigned)rg->start,
                                   dfs_xfer_status_name(st));
            } else if ((uint32_t)n != want) {
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "%ld bytes returned of %u asked for", n,
                                   (unsigned)want);
            } else {
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes", (unsigned)want);
            }
            if (device_lost(c))
                return;
            to_idle(c, NULL);
        }
    }

    /* option bytes */
    dfs_run__check_begin(s, c->suite, &T[S_READ_OB], NULL);
    {
        bool done = false;
        /* a layout that names them */
        for (unsigned i = 0; i < s->n_alts && !done; i++) {
            const struct dfs_run__alt *a = &s->alts[i];
            if (!a->layout_ok)
                continue;
            bool ob = false;
            for (const char *p = a->layout.name; *p && !ob; p++)
                ob = (p[0] | 0x20) == 'o' && strncmp(p + 1, "ption", 5) == 0;
            if (!ob)
                continue;
            done = true;
            const struct dfs_layout_region *rg = &a->layout.regions[0];
            uint64_t rlen = rg->end - rg->start;
            uint32_t want = rlen < rd ? (uint32_t)rlen : rd;
            step(c, &T[S_READ_OB], "set-interface %u", a->alt);
            st = dfs_run__set_alt(s, a->alt);
            step_done(c, st, 0);
            long n = st == DFS_XFER_OK ? read_at(c, &T[S_READ_OB], rg->start, want, buf, &st, &gs)
                                       : -2;
            if (n < 0)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "alt %u \"%s\": reading 0x%08x failed (%s)",
                                   a->alt, a->layout.name, (unsigned)rg->start,
                                   dfs_xfer_status_name(st));
            else if (n == 0)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "alt %u: 0 bytes at 0x%08x", a->alt,
                                   (unsigned)rg->start);
            else
                dfs_run__check_end(s, DFS_VERDICT_PASS, "%ld bytes at 0x%08x (alt %u, \"%s\")", n,
                                   (unsigned)rg->start, a->alt, a->layout.name);
            to_idle(c, NULL);
        }
        /* else the known STM32 areas, on each alternate setting */
        for (unsigned i = 0; i < s->n_alts && !done; i++) {
            const struct dfs_run__alt *a = &s->alts[i];
            step(c, &T[S_READ_OB], "set-interface %u", a->alt);
            st = dfs_run__set_alt(s, a->alt);
            step_done(c, st, 0);
            if (st != DFS_XFER_OK)
                break;
            for (size_t k = 0; k < sizeof ob_bases / sizeof ob_bases[0] && !done; k++) {
                const struct dfs_ob_area *area = dfs_ob_area_find(ob_bases[k]);
                if (!area)
                    continue;
                uint32_t want = area->end - area->start;
                if (want > rd)
                    want = rd;
                to_idle(c, NULL);
                long n = read_at(c, &T[S_READ_OB], area->start, want, buf, &st, &gs);
                if (n > 0) {
                    done = true;
                    dfs_run__check_end(s, DFS_VERDICT_PASS,
                                       "%ld bytes at 0x%08x (%s) on alt %u, "
                                       "although no layout string names them",
                                       n, (unsigned)area->start, area->families, a->alt);
                }
                if (device_lost(c))
                    return;
            }
        }
        if (!done)
            dfs_run__check_end(s, DFS_VERDICT_SKIP,
                               "no layout names option bytes and none of the "
                               "known STM32 option-byte areas could be read");
        to_idle(c, NULL);
    }
    if (device_lost(c))
        return;

    /* an address outside the layout */
    dfs_run__check_begin(s, c->suite, &T[S_OUTSIDE], NULL);
    {
        uint32_t addr = 0;
        bool found = false;
        uint8_t alt = first_alt;
        for (unsigned i = 0; i < s->n_alts && !found; i++) {
            const struct dfs_run__alt *a = &s->alts[i];
            if (!a->layout_ok)
                continue;
            uint64_t end = 0;
            for (unsigned r = 0; r < a->layout.n_regions; r++)
                if (a->layout.regions[r].end > end)
                    end = a->layout.regions[r].end;
            if (end >= 0x100000000ull)
                continue;
            uint32_t cand = (uint32_t)end;
            if (in_any_layout(s, cand) || dfs_ob_area_find(cand) || dfs_run__otp_area_find(cand, 1))
                continue;
            addr = cand;
            alt = a->alt;
            found = true;
        }
        if (!found) {
            dfs_run__check_end(s, DFS_VERDICT_SKIP,
                               "no address just past a layout is outside every "
                               "other one");
        } else {
            step(c, &T[S_OUTSIDE], "set-interface %u", alt);
            st = dfs_run__set_alt(s, alt);
            step_done(c, st, 0);
            to_idle(c, NULL);
            long n = read_at(c, &T[S_OUTSIDE], addr, 64, buf, &st, &gs);
            bool refused_gs = n == -1 && st == DFS_XFER_OK && gs.bState == DFS_STATE_ERROR;
            if (n == -1 && st == DFS_XFER_STALL)
                dfs_run__check_end(s, DFS_VERDICT_PASS, "set-address 0x%08x: STALL",
                                   (unsigned)addr);
            else if (refused_gs && (gs.bStatus == DFS_STATUS_ERR_TARGET ||
                                    gs.bStatus == DFS_STATUS_ERR_ADDRESS))
                dfs_run__check_end(s, DFS_VERDICT_PASS, "set-address 0x%08x: dfuERROR/%s",
                                   (unsigned)addr, dfs_dfu_status_name(gs.bStatus));
            else if (refused_gs)
                dfs_run__check_end(s, DFS_VERDICT_WARN,
                                   "set-address 0x%08x refused with %s rather "
                                   "than errTARGET",
                                   (unsigned)addr,
                                   dfs_dfu_status_name(gs.bStatus) ? dfs_dfu_status_name(gs.bStatus)
                                                                   : "an undefined status");
            else if (n == -2 && st == DFS_XFER_STALL)
                dfs_run__check_end(s, DFS_VERDICT_PASS, "the UPLOAD at 0x%08x STALLed",
                                   (unsigned)addr);
            else if (n == 0)
                dfs_run__check_end(s, DFS_VERDICT_PASS, "the UPLOAD at 0x%08x returned no data",
                                   (unsigned)addr);
            else if (n > 0)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "0x%08x is outside every layout, yet the "
                                   "device returned %ld bytes from it without an error",
                                   (unsigned)addr, n);
            else
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "unexpected answer at 0x%08x: %s",
                                   (unsigned)addr, dfs_xfer_status_name(st));
            if (device_lost(c))
                return;
            to_idle(c, NULL);
        }
    }
    /* leave the alternate setting as it was */
    if (!s->gone && (!s->alt_known || s->alt != first_alt)) {
        step(c, NULL, "set-interface %u", first_alt);
        st = dfs_run__set_alt(s, first_alt);
        step_done(c, st, 0);
    }
    device_lost(c);
}

void dfs_run__suite_run(struct dfs_run__sess *s, enum dfs_suite suite)
{
    struct ctx c = {s, suite_names[suite]};
    switch (suite) {
    case DFS_SUITE_DESCRIPTORS:
        suite_descriptors(&c);
        break;
    case DFS_SUITE_DFU11:
        suite_dfu11(&c);
        break;
    case DFS_SUITE_DFUSE:
        suite_dfuse(&c);
        break;
    default:
        break;
    }
    const char *why = s->fatal ? "not run: the device left the bus"
                               : "not run: the run was interrupted";
    if (s->check >= 0) /* the check that was going on */
        dfs_run__check_end(s, DFS_VERDICT_ERROR, "%s", why + 9);
    if (s->fatal || s->stopping) {
        /* checks of this suite not reached */
        size_t n;
        const struct dfs_check_info *t = dfs_suite_checks(suite, &n);
        for (size_t i = 0; i < n; i++) {
            bool seen = false;
            for (size_t k = 0; k < dfs_report_check_count(s->rep) && !seen; k++) {
                const struct dfs_check_result *r = dfs_report_check(s->rep, k);
                size_t l = strlen(t[i].id);
                seen = strncmp(r->id, t[i].id, l) == 0 && (r->id[l] == '\0' || r->id[l] == '[');
            }
            if (!seen)
                rest_not_run(&c, t, i, i + 1, DFS_VERDICT_ERROR, why);
        }
    }
}
