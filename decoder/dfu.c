/* DFU 1.1 and DfuSe: which interfaces are DFU, the state of each through
 * every request and reply, DfuSe commands and addresses, memory operations,
 * and the diagnosis rules that need this state (dfu-facts.md 1-4,
 * dfu-quirks.md). */
#include <stdio.h>
#include <string.h>

#include "dfuscope/dfuse.h"
#include "state.h"

#define MAX_DFU_IFS 4
#define MAX_ALTS DFS_DFU_MAX_ALTS
#define MAX_OUTSIDE 16   /* distinct out-of-layout accesses reported per interface */
#define MAX_IGNORED_REPORTS 3
#define ZERO_POLL_LIMIT 3
#define TIMING_SLACK_US 1000 /* time stamp granularity allowance */

struct alt {
    uint8_t ifnum, alt, proto, iInterface;
    bool named;
    char name[256];
    uint64_t name_frame;
    bool layout_ok;
    bool layout_tried;
    struct dfs_layout layout;
    char why[128];
};

enum pend_kind { PEND_NONE, PEND_CMD, PEND_WRITE, PEND_LEAVE, PEND_MANIFEST };

/* An option-byte area: from the table of known chips, or an alternate
 * setting whose layout is named "Option Bytes". */
struct ob_ref {
    bool is;
    uint32_t start;
    uint64_t end;
    char what[DFS_LAYOUT_NAME_SIZE + 32]; /* "\"NAME\" of alternate setting N" */
};

struct pending {
    enum pend_kind kind;
    uint8_t cmd;
    bool mass;
    bool has_addr;
    uint32_t addr, len;
    uint16_t block;
    uint8_t alt;
    uint64_t frame, done_frame; /* the request's submit and completion */
    struct dfs_time ts;
    uint8_t *data;
    uint32_t data_len;
    bool busy_seen;
    struct ob_ref ob;       /* set when the block writes option bytes */
};

struct dfu_if {
    bool used;
    uint8_t ifnum;
    bool from_desc, runtime, confirmed;
    bool has_func;
    struct dfs_desc_dfu_functional func;
    uint32_t xfer;
    bool xfer_inferred;
    bool dfuse, dfuse_known;
    uint8_t state;
    bool ptr_valid;
    uint32_t ptr;
    uint64_t ptr_frame;      /* the SET_ADDRESS command that set it */
    struct pending pend;
    /* busy replies */
    bool busy;
    struct dfs_time busy_ts;
    uint32_t busy_poll;
    uint64_t busy_frame;
    uint32_t zero_polls;
    uint64_t zero_first_frame;
    bool zero_reported;
    bool episode;
    uint64_t episode_frame;
    struct dfs_time episode_ts;
    uint32_t episode_polls, episode_max_poll;
    bool episode_ignored;
    unsigned ignored_reports;
    /* sequences */
    bool dl_seq, ul_seq;
    uint16_t dl_last, ul_last;
    bool dl_last_ok;
    uint32_t dl_offset, ul_offset;
    /* last request */
    uint8_t last_req;
    uint64_t last_req_frame;
    /* stall pairing */
    bool stall_pending;
    uint64_t stall_frame;
    uint8_t stall_req;
    bool error_reported;
    bool size_reported;
    bool proto_reported;
    uint32_t outside[MAX_OUTSIDE];
    uint8_t outside_need[MAX_OUTSIDE];
    unsigned n_outside;
};

enum lost_kind { LOST_NONE, LOST_OB, LOST_LEAVE, LOST_OTHER };

struct lost {
    enum lost_kind kind;
    bool left;               /* the device left (or went silent) */
    uint64_t req_frame, req_done_frame, fail_frame, fail_submit_frame, gone_frame;
    struct dfs_time fail_ts;
    int32_t status;          /* failing status; 0 = answered (leave) */
    uint32_t addr, len;
    uint8_t ifnum, alt, state;
    uint8_t req;
    uint8_t prev_req;        /* the request before the failing GETSTATUS */
    uint64_t prev_frame;
    struct ob_ref ob;
    uint8_t reply_state;     /* for an answered leave */
    bool answered;
    uint32_t back_id;        /* the device instance that appeared afterwards */
    uint64_t back_frame;
};

struct dfs__dfu_dev {
    struct dfu_if ifs[MAX_DFU_IFS];
    struct alt *alts;          /* grown as the configuration needs, up to MAX_ALTS */
    unsigned n_alts, cap_alts;
    bool config_parsed;
    bool dup_reported[MAX_DFU_IFS];
    struct lost lost;
};

static const char *sname(uint8_t s)
{
    const char *n = dfs_dfu_state_name(s);
    return n ? n : "an undefined state";
}

static const char *rname(uint8_t r)
{
    const char *n = dfs_dfu_request_name(r);
    return n ? n : "?";
}

static const char *stname(uint8_t st)
{
    const char *n = dfs_dfu_status_name(st);
    return n ? n : "an undefined status";
}

/* The frames of a finding that two frames prove (either may be 0: none). */
static struct dfs__frames frame_pair(uint64_t a, uint64_t b)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, a);
    dfs__frames_add(&fr, b);
    return fr;
}

static struct dfs__dfu_dev *dfu_dev(dfs_decoder *d, struct dfs__device *dev, bool create)
{
    if (!dev->dfu && create) {
        dev->dfu = dfs__calloc(d, 1, sizeof *dev->dfu);
        if (!dev->dfu) {
            dfs__nomem(d, "cannot track the DFU state of a device");
            return NULL;
        }
        for (int i = 0; i < MAX_DFU_IFS; i++)
            dev->dfu->ifs[i].state = DFS_STATE_UNKNOWN;
    }
    return dev->dfu;
}

static struct dfu_if *find_if(struct dfs__dfu_dev *dd, uint8_t ifnum, bool create)
{
    for (int i = 0; i < MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].ifnum == ifnum)
            return &dd->ifs[i];
    if (!create)
        return NULL;
    for (int i = 0; i < MAX_DFU_IFS; i++)
        if (!dd->ifs[i].used) {
            struct dfu_if *f = &dd->ifs[i];
            memset(f, 0, sizeof *f);
            f->used = true;
            f->ifnum = ifnum;
            f->state = DFS_STATE_UNKNOWN;
            return f;
        }
    return NULL;
}

static struct alt *find_alt(struct dfs__dfu_dev *dd, uint8_t ifnum, uint8_t alt)
{
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == ifnum && dd->alts[i].alt == alt)
            return &dd->alts[i];
    return NULL;
}

static uint8_t cur_alt(const struct dfs__device *dev, uint8_t ifnum)
{
    return ifnum < DFS__MAX_IFACES ? dev->alt[ifnum] : 0;
}

static void pend_clear(dfs_decoder *d, struct dfu_if *f)
{
    dfs__free(d, f->pend.data);
    memset(&f->pend, 0, sizeof f->pend);
}

static size_t put_dec(char *p, unsigned v)
{
    char t[10];
    size_t n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while (v /= 10);
    for (size_t i = 0; i < n; i++)
        p[i] = t[n - 1 - i];
    return n;
}

static size_t put_hex4(char *p, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 4; i++)
        p[i] = hx[(v >> (12 - 4 * i)) & 15];
    return 4;
}

/* "device 1.6 (0483:df11)". Written by hand: it runs for every DFU request,
 * and snprintf here was a tenth of the time diagnose takes. */
static void dev_label(const struct dfs__device *dev, char *buf, size_t size)
{
    char t[40];
    size_t n = 7;
    memcpy(t, "device ", 7);
    n += put_dec(t + n, dev->bus);
    t[n++] = '.';
    n += put_dec(t + n, dev->devnum);
    if (dev->identified) {
        t[n++] = ' ';
        t[n++] = '(';
        n += put_hex4(t + n, dev->vid);
        t[n++] = ':';
        n += put_hex4(t + n, dev->pid);
        t[n++] = ')';
    }
    if (!size)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(buf, t, n);
    buf[n] = '\0';
}

/* ---- descriptors ------------------------------------------------------------- */

static void check_duplicates(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                             uint8_t ifnum, bool at_end)
{
    int slot = -1;
    for (int i = 0; i < MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].ifnum == ifnum)
            slot = i;
    if (slot < 0 || dd->dup_reported[slot])
        return;
    unsigned n = 0, named = 0;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == ifnum) {
            n++;
            named += dd->alts[i].named;
        }
    if (n < 2 || (named < n && !at_end))
        return;
    /* the largest group of alternate settings sharing one string */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        const struct alt *a = &dd->alts[i];
        if (a->ifnum != ifnum || !a->named || a->name[0] != '@')
            continue;
        struct dfs__frames fr = {0};
        char alts[96] = "";
        size_t pos = 0;
        unsigned same = 0;
        for (unsigned j = 0; j < dd->n_alts; j++) {
            const struct alt *b = &dd->alts[j];
            if (b->ifnum == ifnum && b->named && strcmp(a->name, b->name) == 0) {
                same++;
                dfs__frames_add(&fr, b->name_frame);
                pos = dfs__appendf(alts, sizeof alts, pos, "%s%u", same > 1 ? ", " : "", b->alt);
            }
        }
        if (same < 2)
            continue;
        dd->dup_reported[slot] = true;
        char who[64];
        dev_label(dev, who, sizeof who);
        bool ob_missing = true;
        for (unsigned j = 0; j < dd->n_alts; j++)
            if (dd->alts[j].ifnum == ifnum && dd->alts[j].layout_ok &&
                dfs_ob_area_find(dd->alts[j].layout.regions[0].start))
                ob_missing = false;
        dfs__emit_finding(
            d, DFS_F_DESC_DUPLICATE_ALT_LAYOUTS, dev->id, fr.n ? fr.v[fr.n - 1] : d->cur_frame,
            &fr,
            "This is a defect of the device's descriptors (on the STM32G0 system bootloader it "
            "is known): the host cannot tell the memories apart. dfu-util checks every address "
            "against the layout of the alternate setting it uses, so reading or writing option "
            "bytes or OTP through it needs the :force modifier (dfu-util 0.10+, e.g. "
            "-s 0x1FFF7800:force:128); take the real addresses from the chip's reference manual "
            "(RM0444 for STM32G0: option bytes 0x1FFF7800-0x1FFF787F, OTP 0x1FFF7000-0x1FFF73FF).",
            "%s: alternate settings %s of interface %u %s advertise \"%s\"%s. Distinct "
            "memories (internal flash, option bytes, OTP) should each have their own layout "
            "string%s.",
            who, alts, ifnum, same == 2 ? "both" : "all", a->name,
            same == n       ? ""
            : named == same ? (n - named == 1
                                   ? " (the name of the other alternate setting is not in the "
                                     "capture)"
                                   : " (the names of the other alternate settings are not in "
                                     "the capture)")
                            : " (other alternate settings advertise other strings)",
            !ob_missing     ? ""
            : named == n    ? "; no alternate setting advertises an option-byte area"
                            : "; none of those whose name the capture holds advertises an "
                              "option-byte area");
        return;
    }
}

static void load_alt_name(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                          struct alt *a, const uint8_t *raw, size_t len, uint64_t frame)
{
    char utf8[256];
    if (dfs_desc_string_utf8(raw, len, utf8, sizeof utf8, NULL) != DFS_OK)
        return;
    if (a->named && strcmp(a->name, utf8) == 0)
        return;
    snprintf(a->name, sizeof a->name, "%s", utf8);
    a->named = true;
    a->name_frame = frame;
    a->layout_ok = false;
    a->why[0] = '\0';
    struct dfu_if *f = find_if(dd, a->ifnum, false);
    bool dfuse_like = a->name[0] == '@' || (f && f->dfuse);
    if (dfuse_like) {
        a->layout_tried = true;
        dfs_result r = dfs_layout_parse(a->name, strlen(a->name), &a->layout, a->why, sizeof a->why);
        a->layout_ok = r == DFS_OK;
        if (!a->layout_ok) {
            char who[64];
            dev_label(dev, who, sizeof who);
            struct dfs__frames fr = {0};
            dfs__frames_add(&fr, frame);
            dfs__emit_finding(
                d, DFS_F_DESC_LAYOUT_INVALID, dev->id, frame, &fr,
                "Fix the string in the device firmware (form "
                "\"@Name /0xSTART/COUNT*SIZE[ KM]TYPE,...\"). dfu-util parses the layout "
                "before it looks at any modifier and stops with \"Failed to parse memory "
                "layout\", so :force does not help; hosts with their own device database "
                "(STM32CubeProgrammer) do not depend on the string.",
                "%s: the name \"%s\" of interface %u alternate setting %u (string %u, frame "
                "%llu) is not a valid DfuSe memory layout: %s.",
                who, a->name, a->ifnum, a->alt, a->iInterface, (unsigned long long)frame, a->why);
        }
    }
    check_duplicates(d, dev, dd, a->ifnum, false);
}

static void parse_config(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                         uint64_t frame)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    dfs_desc_walk_init(&w, dev->config, dev->config_len);
    int rc;
    char who[64];
    dev_label(dev, who, sizeof who);
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, frame);
    dd->n_alts = 0;
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        if (pr.code == DFS_DESC_FUNCTIONAL_SHORT) {
            dfs__emit_finding(d, DFS_F_DESC_FUNCTIONAL_SHORT, dev->id, frame, &fr,
                              "DFU 1.1 hosts read bcdDFUVersion from bytes 7-8; a 7-byte "
                              "descriptor is the DFU 1.0 layout. Make the descriptor 9 bytes "
                              "with bcdDFUVersion 0x0110 (or 0x011A for DfuSe).",
                              "%s: %s", who, pr.msg);
        } else if (pr.code != DFS_DESC_OK) {
            dfs__emit_finding(d, DFS_F_DESC_INVALID_LENGTH, dev->id, frame, &fr,
                              "Fix the descriptor in the device firmware; hosts may ignore the "
                              "rest of the configuration.",
                              "%s: configuration descriptor: %s", who, pr.msg);
        }
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
            struct dfu_if *f = find_if(dd, it.u.interface.bInterfaceNumber, true);
            if (f) {
                f->from_desc = true;
                f->confirmed = true;
                f->runtime = it.u.interface.bInterfaceProtocol == DFS_DFU_PROTO_RUNTIME;
            }
            uint8_t proto = it.u.interface.bInterfaceProtocol;
            if (proto != DFS_DFU_PROTO_RUNTIME && proto != DFS_DFU_PROTO_DFU && f &&
                !f->proto_reported) {
                f->proto_reported = true;
                dfs__emit_finding(
                    d, DFS_F_DESC_DFU_PROTOCOL_INVALID, dev->id, frame, &fr,
                    "Use bInterfaceProtocol 1 for the run-time interface and 2 in DFU mode. "
                    "Hosts that check it (fwupd without its use-protocol-zero quirk) do not "
                    "recognise the interface.",
                    "%s: DFU interface %u alternate setting %u has bInterfaceProtocol %u; DFU "
                    "1.1 defines 1 (run-time) and 2 (DFU mode).",
                    who, it.u.interface.bInterfaceNumber, it.u.interface.bAlternateSetting, proto);
            }
            if (dd->n_alts < MAX_ALTS && !find_alt(dd, it.u.interface.bInterfaceNumber,
                                                   it.u.interface.bAlternateSetting)) {
                if (dd->n_alts == dd->cap_alts) {
                    /* most devices have a few: grow, do not reserve MAX_ALTS */
                    unsigned cap = dd->cap_alts ? dd->cap_alts * 2 : 4;
                    if (cap > MAX_ALTS)
                        cap = MAX_ALTS;
                    struct alt *n = dfs__realloc(d, dd->alts, cap * sizeof *n);
                    if (!n) {
                        dfs__nomem(d, "cannot keep the alternate settings of a DFU interface");
                        return;
                    }
                    dd->alts = n;
                    dd->cap_alts = cap;
                }
                struct alt *a = &dd->alts[dd->n_alts++];
                memset(a, 0, sizeof *a);
                a->ifnum = it.u.interface.bInterfaceNumber;
                a->alt = it.u.interface.bAlternateSetting;
                a->proto = it.u.interface.bInterfaceProtocol;
                a->iInterface = it.u.interface.iInterface;
            }
        } else if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            struct dfu_if *f = find_if(dd, it.iface.bInterfaceNumber, true);
            if (f) {
                f->has_func = true;
                f->func = it.u.dfu;
                if (it.u.dfu.wTransferSize && it.u.dfu.wTransferSize != 0xffff) {
                    f->xfer = it.u.dfu.wTransferSize;
                    f->xfer_inferred = false;
                }
                if (it.u.dfu.has_version) {
                    uint16_t v = it.u.dfu.bcdDFUVersion;
                    f->dfuse = v == DFS_DFU_VERSION_DFUSE;
                    f->dfuse_known = true;
                    if (v != DFS_DFU_VERSION_1_1 && v != DFS_DFU_VERSION_DFUSE && v != 0x0100)
                        dfs__emit_finding(
                            d, DFS_F_DESC_DFU_VERSION_UNKNOWN, dev->id, frame, &fr,
                            "Report bcdDFUVersion 0x0110 (DFU 1.1) or 0x011A (ST DfuSe). Hosts "
                            "treat other values as DFU 1.1 or need a quirk (dfu-util "
                            "QUIRK_FORCE_DFU11, fwupd DfuForceVersion).",
                            "%s: interface %u's DFU functional descriptor gives bcdDFUVersion "
                            "0x%04x, which is neither DFU 1.0/1.1 nor DfuSe.",
                            who, it.iface.bInterfaceNumber, v);
                }
                if (it.u.dfu.wTransferSize == 0 || it.u.dfu.wTransferSize == 0xffff)
                    dfs__emit_finding(
                        d, DFS_F_DESC_TRANSFER_SIZE_INVALID, dev->id, frame, &fr,
                        "Set wTransferSize to the largest block the device accepts (for a "
                        "full-speed device typically 64 to 2048).",
                        "%s: interface %u's DFU functional descriptor gives wTransferSize %u: "
                        "hosts cannot size their DNLOAD/UPLOAD blocks from it.",
                        who, it.iface.bInterfaceNumber, it.u.dfu.wTransferSize);
            }
        }
    }
    if (rc < 0)
        dfs__emit_finding(d, DFS_F_DESC_INVALID_LENGTH, dev->id, frame, &fr,
                          "Fix the descriptor lengths in the device firmware.",
                          "%s: configuration descriptor: %s", who, pr.msg);
    for (int i = 0; i < MAX_DFU_IFS; i++) {
        struct dfu_if *f = &dd->ifs[i];
        if (f->used && f->from_desc && !f->has_func)
            dfs__emit_finding(
                d, DFS_F_DESC_FUNCTIONAL_MISSING, dev->id, frame, &fr,
                "Add the 9-byte DFU functional descriptor (type 0x21) after the interface "
                "descriptor(s); without it hosts guess wTransferSize and the DFU version.",
                "%s: DFU interface %u has no DFU functional descriptor in its configuration "
                "(wTotalLength %zu): wTransferSize, the attributes and bcdDFUVersion are unknown.",
                who, f->ifnum, dev->config_len);
        if (f->used && !f->dfuse_known && dev->identified && dev->vid == 0x0483 &&
            dev->pid == 0xdf11) {
            f->dfuse = true; /* ST's DfuSe bootloader PID */
            f->dfuse_known = true;
        }
    }
    dd->config_parsed = true;
    /* strings read before the configuration */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        size_t len;
        const uint8_t *raw = dfs__device_string(dev, dd->alts[i].iInterface, dev->langid, &len);
        if (raw && dd->alts[i].iInterface)
            load_alt_name(d, dev, dd, &dd->alts[i], raw, len, frame);
    }
}

/* ---- classification ---------------------------------------------------------- */

static bool config_has_dfu_interface(const struct dfs__device *dev, uint16_t ifnum)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, dev->config, dev->config_len);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1)
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceNumber == ifnum &&
            it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS)
            return true;
    return false;
}

bool dfs__dfu_classify(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    if (!ctl->has_setup)
        return false;
    const struct dfs_setup *s = &ctl->setup;
    if (s->bmRequestType != DFS_DFU_REQTYPE_OUT && s->bmRequestType != DFS_DFU_REQTYPE_IN)
        return false;
    if (s->bRequest > DFS_DFU_ABORT || (s->wIndex >> 8) != 0)
        return false;
    bool in = s->bmRequestType == DFS_DFU_REQTYPE_IN;
    /* the direction each request must have */
    bool want_in = s->bRequest == DFS_DFU_UPLOAD || s->bRequest == DFS_DFU_GETSTATUS ||
                   s->bRequest == DFS_DFU_GETSTATE;
    if (in != want_in)
        return false;
    uint8_t ifnum = (uint8_t)s->wIndex;
    if (dev->config && !dev->config_partial)
        return config_has_dfu_interface(dev, ifnum);
    /* No configuration descriptor in the capture: take the interface for DFU
     * only once a GETSTATUS or GETSTATE gets a reply only DFU gives. */
    struct dfs__dfu_dev *dd = dev->dfu;
    struct dfu_if *f = dd ? find_if(dd, ifnum, false) : NULL;
    if (f && f->confirmed)
        return true;
    bool ok = ctl->end == DFS_CTL_COMPLETED && ctl->status == 0;
    bool pattern = false;
    if (s->bRequest == DFS_DFU_GETSTATUS && s->wValue == 0 && s->wLength == DFS_GETSTATUS_LEN &&
        ok && ctl->data_len == DFS_GETSTATUS_LEN && ctl->data[4] <= 15 && ctl->data[0] <= 15)
        pattern = true;
    if (s->bRequest == DFS_DFU_GETSTATE && s->wValue == 0 && s->wLength == 1 && ok &&
        ctl->data_len == 1 && ctl->data[0] <= DFS_STATE_ERROR)
        pattern = true;
    if (!pattern)
        return false;
    dd = dfu_dev(d, dev, true);
    if (!dd)
        return false;
    f = find_if(dd, ifnum, true);
    if (!f)
        return false;
    f->confirmed = true;
    if (!f->dfuse_known && dev->identified && dev->vid == 0x0483 && dev->pid == 0xdf11) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    return true;
}

/* ---- transactions -------------------------------------------------------------- */

static enum dfs_dfu_outcome outcome_of(const struct dfs_control *ctl)
{
    if (ctl->end == DFS_CTL_NEVER_COMPLETED)
        return DFS_DFU_NO_REPLY;
    switch (-(int64_t)ctl->status) { /* 64 bits: the status may be INT32_MIN */
    case 0: return DFS_DFU_ACK;
    case DFS_LINUX_EPIPE: return DFS_DFU_STALLED;
    case DFS_LINUX_ENODEV:
    case DFS_LINUX_ESHUTDOWN: return DFS_DFU_NO_DEVICE;
    case DFS_LINUX_ENOENT:
    case DFS_LINUX_ECONNRESET: return DFS_DFU_CANCELLED;
    default: return DFS_DFU_BUS_ERROR;
    }
}

static bool request_allowed(uint8_t req, uint8_t st, uint16_t wLength)
{
    switch (req) {
    case DFS_DFU_DETACH: return st == DFS_STATE_APP_IDLE;
    case DFS_DFU_DNLOAD:
        return st == DFS_STATE_DNLOAD_IDLE || (st == DFS_STATE_DFU_IDLE && wLength > 0);
    case DFS_DFU_UPLOAD: return st == DFS_STATE_DFU_IDLE || st == DFS_STATE_UPLOAD_IDLE;
    case DFS_DFU_GETSTATUS: return true;
    case DFS_DFU_CLRSTATUS: return st == DFS_STATE_ERROR;
    case DFS_DFU_GETSTATE: return st != DFS_STATE_DNBUSY && st != DFS_STATE_MANIFEST;
    case DFS_DFU_ABORT:
        return st == DFS_STATE_DFU_IDLE || st == DFS_STATE_DNLOAD_SYNC ||
               st == DFS_STATE_DNLOAD_IDLE || st == DFS_STATE_MANIFEST_SYNC ||
               st == DFS_STATE_UPLOAD_IDLE;
    }
    return false;
}

static bool reply_allowed(uint8_t before, uint8_t after)
{
    if (after == DFS_STATE_ERROR)
        return true;
    switch (before) {
    case DFS_STATE_APP_IDLE: return after == DFS_STATE_APP_IDLE;
    case DFS_STATE_APP_DETACH: return after == DFS_STATE_APP_DETACH || after == DFS_STATE_APP_IDLE;
    case DFS_STATE_DFU_IDLE: return after == DFS_STATE_DFU_IDLE;
    case DFS_STATE_DNLOAD_SYNC:
    case DFS_STATE_DNBUSY:
        return after == DFS_STATE_DNBUSY || after == DFS_STATE_DNLOAD_IDLE ||
               after == DFS_STATE_DNLOAD_SYNC;
    case DFS_STATE_DNLOAD_IDLE: return after == DFS_STATE_DNLOAD_IDLE;
    case DFS_STATE_MANIFEST_SYNC:
    case DFS_STATE_MANIFEST:
        return after == DFS_STATE_MANIFEST || after == DFS_STATE_MANIFEST_SYNC ||
               after == DFS_STATE_MANIFEST_WAIT_RESET || after == DFS_STATE_DFU_IDLE;
    case DFS_STATE_MANIFEST_WAIT_RESET: return after == DFS_STATE_MANIFEST_WAIT_RESET;
    case DFS_STATE_UPLOAD_IDLE: return after == DFS_STATE_UPLOAD_IDLE;
    case DFS_STATE_ERROR: return false;
    default: return true;
    }
}

static int emit_txn(dfs_decoder *d, const struct dfs_dfu_txn *t)
{
    d->stats.dfu_txns++;
    if (!d->sink.on_dfu)
        return 0;
    return dfs__stop(d, d->sink.on_dfu(d->sink.user, t));
}

static void emit_mem(dfs_decoder *d, const struct dfs__device *dev, const struct dfu_if *f,
                     enum dfs_mem_kind kind, uint32_t addr, uint32_t len, const uint8_t *data,
                     uint32_t data_len, bool ok, uint8_t bstatus, uint16_t block, uint64_t frame,
                     uint64_t exec_frame, struct dfs_time ts, uint8_t alt)
{
    if (!d->sink.on_mem || d->error)
        return;
    struct dfs_mem_op op = {
        .device = dev->id,
        .lane = dev->lane,
        .interface = f->ifnum,
        .alt = alt,
        .kind = kind,
        .dfuse = f->dfuse,
        .address = addr,
        .length = len,
        .data = data,
        .data_len = data_len,
        .ok = ok,
        .bStatus = bstatus,
        .block = block,
        .frame = frame,
        .exec_frame = exec_frame,
        .ts = ts,
    };
    dfs__stop(d, d->sink.on_mem(d->sink.user, &op));
}

/* The layout of the alternate setting in use, when it parsed. */
static const struct alt *layout_alt(const struct dfs__dfu_dev *dd, const struct dfs__device *dev,
                                    uint8_t ifnum)
{
    const struct alt *a = find_alt((struct dfs__dfu_dev *)dd, ifnum, cur_alt(dev, ifnum));
    return a && a->layout_ok ? a : NULL;
}

static void check_layout(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                         struct dfu_if *f, uint32_t addr, uint32_t len, uint8_t need,
                         const char *what, uint64_t frame)
{
    const struct alt *a = layout_alt(dd, dev, f->ifnum);
    if (!a || dfs_layout_allows(&a->layout, addr, len, need))
        return;
    /* one report per address and kind of access */
    for (unsigned i = 0; i < f->n_outside; i++)
        if (f->outside[i] == addr && f->outside_need[i] == need)
            return;
    if (f->n_outside >= MAX_OUTSIDE)
        return;
    f->outside_need[f->n_outside] = need;
    f->outside[f->n_outside++] = addr;
    /* another alternate setting that advertises it? */
    const struct alt *other = NULL;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == f->ifnum && dd->alts[i].layout_ok && &dd->alts[i] != a &&
            dfs_layout_allows(&dd->alts[i].layout, addr, len, need))
            other = &dd->alts[i];
    const struct dfs_layout_region *r = dfs_layout_find(&a->layout, addr);
    const char *verb = need == DFS_MEM_READABLE   ? "readable"
                       : need == DFS_MEM_WRITABLE ? "writeable"
                                                  : "erasable";
    char who[64], remedy[DFS_FINDING_TEXT_SIZE];
    dev_label(dev, who, sizeof who);
    const struct dfs_ob_area *ob = dfs_ob_area_find(addr);
    size_t pos = 0;
    if (other)
        pos = dfs__appendf(remedy, sizeof remedy, pos,
                           "Alternate setting %u advertises this address (\"%s\"): select it "
                           "(dfu-util -a %u). ",
                           other->alt, other->name, other->alt);
    if (need == DFS_MEM_READABLE)
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses such a read (\"Page at 0x%08x is not readable\"). If "
                     "the address is right for the chip (check its reference manual), add the "
                     ":force modifier with the length: -s 0x%08x:force:%u -U file (dfu-util "
                     "0.9 accepts :force for uploads only together with a length).",
                     addr, addr, len ? len : 4);
    else if (need == DFS_MEM_WRITABLE)
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses such a download (\"... is not writeable\"). If the "
                     "address is right for the chip, dfu-util 0.10 and later write it with "
                     "-s 0x%08x:force -D file, without erasing pages outside the layout.%s",
                     ob ? ob->start : addr,
                     ob ? " In the option-byte area, write the whole area from its base "
                          "address (AN3156)."
                        : "");
    else
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses to erase such a page (\"... can not be erased\"), "
                     "even with :force. Erase through an alternate setting that advertises "
                     "the page as erasable, or fix the layout string in the firmware.");
    struct dfs__frames fr = frame_pair(a->name_frame, frame);
    dfs__emit_finding(d, DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT, dev->id, frame, &fr, remedy,
                      "%s: frame %llu %s %u byte%s at 0x%08x, but alternate setting %u of "
                      "interface %u advertises \"%s\", where that address is %s%s%s.",
                      who, (unsigned long long)frame, what, len, len == 1 ? "" : "s", addr,
                      a->alt, f->ifnum, a->name,
                      r ? "not " : "not in any region",
                      r ? verb : "",
                      ob ? " (it is in the option-byte area of the chip)" : "");
}

static void seq_check(dfs_decoder *d, struct dfs__device *dev, struct dfu_if *f, bool upload,
                      uint16_t block, uint64_t frame)
{
    bool *active = upload ? &f->ul_seq : &f->dl_seq;
    uint16_t *last = upload ? &f->ul_last : &f->dl_last;
    if (*active && block != (uint16_t)(*last + 1)) {
        bool retry = !upload && block == *last && !f->dl_last_ok;
        if (!retry) {
            char who[64];
            dev_label(dev, who, sizeof who);
            const char *kind = block == *last ? "repeated"
                               : (uint16_t)(block - *last) < 0x8000 ? "skipped blocks"
                                                                    : "out of order";
            dfs__emit_finding(d, DFS_F_DFU_BLOCK_SEQUENCE, dev->id, frame, NULL,
                              "Number blocks consecutively (DFU 1.1 section 6.1.1: wValue is "
                              "incremented for each block, wrapping at 65535).",
                              "%s: %s block %u at frame %llu follows block %u: %s.", who,
                              upload ? "UPLOAD" : "DNLOAD", block, (unsigned long long)frame,
                              *last, kind);
        }
    }
    *active = true;
    *last = block;
}

static uint32_t block_address(const struct dfu_if *f, uint16_t block)
{
    return f->ptr + (uint32_t)(block - 2) * f->xfer;
}

static void infer_xfer(struct dfu_if *f, uint16_t wLength)
{
    if (f->has_func && f->func.wTransferSize && f->func.wTransferSize != 0xffff)
        return;
    if (wLength > f->xfer) {
        f->xfer = wLength;
        f->xfer_inferred = true;
    }
}

/* A request failed and nothing later shows the device stayed: remember it
 * until later traffic, a disconnect, a return, or the end says more. */
static void lost_start(struct dfs__dfu_dev *dd, enum lost_kind kind, const struct dfu_if *f,
                       const struct dfs_control *ctl, uint8_t state_before, uint8_t alt)
{
    struct lost *l = &dd->lost;
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->req_frame = f->pend.frame ? f->pend.frame : f->last_req_frame;
    l->fail_frame = ctl->complete_frame ? ctl->complete_frame : ctl->submit_frame;
    l->fail_submit_frame = ctl->submit_frame;
    l->req_done_frame = f->pend.done_frame;
    l->fail_ts = ctl->complete_frame ? ctl->complete_ts : ctl->submit_ts;
    l->status = ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : ctl->status;
    l->addr = f->pend.addr;
    l->len = f->pend.len;
    l->ifnum = f->ifnum;
    l->alt = alt;
    l->state = state_before;
    l->req = ctl->setup.bRequest;
    l->prev_req = f->last_req;
    l->prev_frame = f->last_req_frame;
    l->ob = f->pend.ob;
}

static void status_words(int32_t status, char *buf, size_t size)
{
    if (status == 1)
        snprintf(buf, size, "got no answer at all");
    else if (status == -DFS_LINUX_EPIPE)
        snprintf(buf, size,
                 "failed with a STALL (-32 EPIPE, which libusb reports as LIBUSB_ERROR_PIPE)");
    else
        snprintf(buf, size, "failed with status %d (%s: %s)", (int)status,
                 dfs_errno_name(status) ? dfs_errno_name(status) : "?",
                 dfs_status_meaning(status));
}

/* What a device that appeared after the failure is: 1 the same device in DFU
 * mode, 2 the same device running its application (DFU run-time interface),
 * 3 something else (or not known yet). */
static int back_kind(const struct dfs__device *old, const struct dfs__device *back)
{
    bool same_id = old->identified && back->identified && old->vid == back->vid &&
                   old->pid == back->pid;
    if (back->config && !back->config_partial) {
        struct dfs_desc_walker w;
        struct dfs_desc_item it;
        dfs_desc_walk_init(&w, back->config, back->config_len);
        bool dfu_mode = false, other_dfu = false;
        while (dfs_desc_walk_next(&w, &it, NULL) == 1)
            if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
                it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
                if (it.u.interface.bInterfaceProtocol == DFS_DFU_PROTO_DFU)
                    dfu_mode = true;
                else /* run-time, or the protocol 0 some devices use */
                    other_dfu = true;
            }
        return dfu_mode ? 1 : other_dfu ? 2 : 3;
    }
    return same_id ? 1 : 3;
}

/* back: the device that appeared afterwards, or NULL (never came back within
 * the capture). */
static void lost_report(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        const struct dfs__device *back)
{
    struct lost *l = &dd->lost;
    if (l->kind == LOST_NONE)
        return;
    int came = back ? back_kind(dev, back) : 0;
    uint64_t back_frame = back ? back->first_frame : 0;
    char who[64], st[160], comeback[400] = "";
    dev_label(dev, who, sizeof who);
    status_words(l->status, st, sizeof st);
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->req_done_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    if (l->gone_frame)
        dfs__frames_add(&fr, l->gone_frame);
    if (back_frame)
        dfs__frames_add(&fr, back_frame);
    double after = 0;
    if (back) {
        after = (double)dfs__time_diff_us(back->first_ts, l->fail_ts) / 1e6;
        char id[48] = "";
        if (back->identified)
            snprintf(id, sizeof id, " (%04x:%04x)", back->vid, back->pid);
        const char *as = came == 1   ? "in DFU mode again"
                         : came == 2 ? "running its application: its configuration has a DFU "
                                       "run-time interface, not a DFU-mode one"
                                     : "as a device that is not in DFU mode; if it is this "
                                       "board, it now runs something other than the bootloader";
        snprintf(comeback, sizeof comeback, "It came back %.1f s later as device %u.%u%s, %s",
                 after, back->bus, back->devnum, id, as);
    } else {
        /* the capture may have gone on after its last record (its end
         * time): the silence until then counts */
        after = (double)dfs__time_diff_us(dfs__capture_end_ts(d), l->fail_ts) / 1e6;
        double last = (double)dfs__time_diff_us(d->cur_ts, l->fail_ts) / 1e6;
        if (after < 2.0)
            snprintf(comeback, sizeof comeback,
                     "The capture ends %.1f s after the failure, too soon to see whether it "
                     "comes back (a reset and re-enumeration take about a second)",
                     after);
        else if (dfs__end_extends(d))
            snprintf(comeback, sizeof comeback,
                     "The capture went on for %.1f s after the failure without the device "
                     "coming back (a reset and re-enumeration take about a second): the last "
                     "record is %.1f s after the failure, and nothing was recorded from then "
                     "until capturing stopped",
                     after, last);
        else
            snprintf(comeback, sizeof comeback,
                     "It did not come back within the capture, which ends %.1f s after the "
                     "failure",
                     after);
    }
    /* the device stayed away long enough to say it did not come back */
    bool stayed_away = !back && after >= 2.0 && dfs__end_extends(d);
    /* what shows the device went away: a disconnect or a new enumeration, or
     * only the silence until the end of the capture */
    char gone[96];
    if (l->gone_frame)
        snprintf(gone, sizeof gone, "the device left the bus (frame %llu)",
                 (unsigned long long)l->gone_frame);
    else
        snprintf(gone, sizeof gone, "nothing more was seen from the device");
    bool stall = l->status == -DFS_LINUX_EPIPE;

    if (l->kind == LOST_OB) {
        char remedy[DFS_FINDING_TEXT_SIZE], away[400] = "";
        if (stayed_away)
            snprintf(away, sizeof away,
                     "The chip did not re-enumerate in DFU mode within %.0f s: its new option "
                     "bytes (nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK, the securable area SEC_SIZE) "
                     "decide where it boots, and they no longer select the system bootloader. "
                     "Power-cycle it with the BOOT0 pin high (if nBOOT_SEL lets the pin "
                     "decide) to get DFU back, or connect over SWD to read and correct them.",
                     after);
        snprintf(remedy, sizeof remedy,
                 "Do not read the pipe error as a failed write. %s Read the option bytes back "
                 "and compare them with what was written (dfu-util 0.10+: dfu-util -d "
                 "%04x:%04x -a %u -s 0x%08x:force:%u -U ob.bin). To write option bytes with "
                 "dfu-util, start at the option-byte base and let it expect the reset: "
                 "-s 0x%08x:force:will-reset -D ob.bin.",
                 stayed_away ? away
                 : came == 1 ? "The write most likely took effect."
                 : came >= 2
                     ? "The chip most likely now boots from flash: its new option bytes "
                       "(nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK) select another boot source; "
                       "enter the system bootloader with the BOOT0 pin (if nBOOT_SEL allows it) "
                       "or through SWD to get DFU back."
                     : "Reset or power-cycle the board with the boot pins set for the system "
                       "bootloader; if it does not enumerate in DFU mode, the new option bytes "
                       "(nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK, the securable area SEC_SIZE) "
                       "decide where it boots: connect over SWD to inspect them.",
                 dev->identified ? dev->vid : 0x0483, dev->identified ? dev->pid : 0xdf11,
                 l->alt, l->ob.start, (unsigned)(l->ob.end - l->ob.start), l->ob.start);
        dfs__emit_finding(
            d, DFS_F_DFUSE_OPTION_BYTES_RESET, dev->id, l->fail_frame, &fr, remedy,
            "%s: frame %llu wrote %u byte%s at 0x%08x, in the option-byte area 0x%08x-0x%08x "
            "(%s). The GETSTATUS at frame %llu that executes the write %s, and %s. That is "
            "what an option-byte write does: the bootloader reloads the option bytes and the "
            "chip resets before it can answer (AN3156, RM0444). The %s is the reset, not a "
            "protocol error. %s.",
            who, (unsigned long long)l->req_frame, l->len, l->len == 1 ? "" : "s", l->addr,
            l->ob.start, (uint32_t)(l->ob.end - 1), l->ob.what, (unsigned long long)l->fail_frame,
            st, gone, stall ? "STALL" : "failure", comeback);
    } else if (l->kind == LOST_LEAVE) {
        dfs__emit_finding(
            d, DFS_F_DFUSE_LEAVE_RESET, dev->id, l->fail_frame, &fr,
            came ? NULL
                 : "If the device should have started its firmware, check that the firmware is "
                   "at the address the leave request jumped to.",
            "%s: after the leave request (zero-length DNLOAD at frame %llu) the GETSTATUS at "
            "frame %llu %s and %s, as a DfuSe leave intends: the bootloader jumps to the "
            "address pointer. An error a host prints here is harmless when every block before "
            "was acknowledged. %s.",
            who, (unsigned long long)l->req_frame, (unsigned long long)l->fail_frame,
            l->answered ? "answered" : st, gone, comeback);
    } else {
        dfs__emit_finding(
            d, DFS_F_DFU_DEVICE_LOST, dev->id, l->fail_frame, &fr,
            "Find out why the device reset (brown-out, watchdog during a long erase, a "
            "firmware fault): capture again with the device's own logs, and check that the "
            "device answers every GETSTATUS within the host's timeout.",
            "%s: the %s at frame %llu (in %s) %s, and %s, in the middle of the DFU "
            "session. %s.",
            who, rname(l->req), (unsigned long long)l->fail_frame, sname(l->state), st, gone,
            comeback);
    }
    l->kind = LOST_NONE;
}

/* The device stayed: the failure was a rejection. */
static void lost_stayed(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        uint64_t frame)
{
    struct lost *l = &dd->lost;
    if (l->kind == LOST_NONE)
        return;
    if (l->kind == LOST_LEAVE) { /* the jump did not happen: nothing to add */
        l->kind = LOST_NONE;
        return;
    }
    char who[64], st[160];
    dev_label(dev, who, sizeof who);
    status_words(l->status, st, sizeof st);
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    dfs__frames_add(&fr, frame);
    if (l->req == DFS_DFU_GETSTATUS && l->status != -DFS_LINUX_EPIPE)
        dfs__emit_finding(
            d, DFS_F_DFU_GETSTATUS_FAILED, dev->id, l->fail_frame, &fr,
            "A bus error on a device that stays usually means a marginal connection (cable, "
            "hub, supply) or a device that stops answering for a moment while it works; "
            "capture again directly on a root port, and check that the device answers every "
            "request while busy.",
            "%s: the GETSTATUS at frame %llu (in %s, after %s at frame %llu) %s, but the device "
            "stayed on the bus (frame %llu completed normally).",
            who, (unsigned long long)l->fail_frame, sname(l->state), rname(l->prev_req),
            (unsigned long long)l->prev_frame, st, (unsigned long long)frame);
    else if (l->req == DFS_DFU_GETSTATUS)
        dfs__emit_finding(
            d, DFS_F_DFU_GETSTATUS_STALL, dev->id, l->fail_frame, &fr,
            l->kind == LOST_OB
                ? "The bootloader refused the option-byte write: read the status with another "
                  "GETSTATUS first (bStatus says why), then CLRSTATUS; write the whole "
                  "option-byte area from its base address, with values valid for the chip."
                : "Read the status with another GETSTATUS first (bStatus says why), then send "
                  "CLRSTATUS to return to dfuIDLE; check that the request before it was valid "
                  "in the device's state.",
            "%s: the GETSTATUS at frame %llu (in %s, after %s at frame %llu) %s, but the device "
            "stayed on the bus (frame %llu completed normally): this STALL is a real rejection, "
            "not a reset%s.",
            who, (unsigned long long)l->fail_frame, sname(l->state), rname(l->prev_req),
            (unsigned long long)l->prev_frame, st, (unsigned long long)frame,
            l->kind == LOST_OB ? " of the option-byte write" : "");
    l->kind = LOST_NONE;
}

/* A DFU request was stalled: the device is in dfuERROR now, and the next
 * GETSTATUS should say so (report_stall_pairing). Returns dfuERROR. */
static uint8_t stalled_request(struct dfu_if *f, uint64_t frame, uint8_t req)
{
    f->stall_pending = true;
    f->stall_frame = frame;
    f->stall_req = req;
    return DFS_STATE_ERROR;
}

static void report_stall_pairing(dfs_decoder *d, struct dfs__device *dev, struct dfu_if *f,
                                 const struct dfs_dfu_txn *t)
{
    char who[64];
    dev_label(dev, who, sizeof who);
    if (f->stall_pending && t->bState != DFS_STATE_ERROR) {
        struct dfs__frames fr = frame_pair(f->stall_frame, t->frame);
        dfs__emit_finding(d, DFS_F_DFU_STALL_WITHOUT_ERROR_STATE, dev->id, t->frame, &fr,
                          "DFU 1.1 pairs the two: a device that stalls a request enters "
                          "dfuERROR with errSTALLEDPKT until CLRSTATUS.",
                          "%s: %s was stalled at frame %llu, but the next GETSTATUS (frame %llu) "
                          "reports %s, not dfuERROR.",
                          who, rname(f->stall_req), (unsigned long long)f->stall_frame,
                          (unsigned long long)t->frame, sname(t->bState));
    } else if (!f->stall_pending && t->bState == DFS_STATE_ERROR &&
               t->bStatus == DFS_STATUS_ERR_STALLEDPKT && t->state_before != DFS_STATE_ERROR &&
               t->state_before != DFS_STATE_UNKNOWN && f->last_req != DFS_DFU_GETSTATUS) {
        struct dfs__frames fr = frame_pair(f->last_req_frame, t->frame);
        dfs__emit_finding(d, DFS_F_DFU_STALL_WITHOUT_ERROR_STATE, dev->id, t->frame, &fr,
                          "A device that rejects a request must stall it (DFU 1.1), so the "
                          "host sees the rejection when it happens.",
                          "%s: GETSTATUS at frame %llu reports dfuERROR/errSTALLEDPKT, but the "
                          "request before it (%s at frame %llu) was acknowledged, not stalled.",
                          who, (unsigned long long)t->frame, rname(f->last_req),
                          (unsigned long long)f->last_req_frame);
    }
    f->stall_pending = false;
}

static void end_episode(dfs_decoder *d, struct dfs__device *dev, struct dfu_if *f,
                        const struct dfs_dfu_txn *t)
{
    if (!f->episode)
        return;
    f->episode = false;
    int64_t busy_us = dfs__time_diff_us(t->reply_frame ? t->reply_ts : t->ts, f->episode_ts);
    if (f->episode_polls >= 3 && !f->episode_ignored && f->episode_max_poll > 0 &&
        busy_us >= 100000 && busy_us > 3 * (int64_t)f->episode_max_poll * 1000) {
        char who[64];
        dev_label(dev, who, sizeof who);
        struct dfs__frames fr = frame_pair(f->episode_frame, t->frame);
        dfs__emit_finding(
            d, DFS_F_DFU_POLL_TIMEOUT_TOO_SHORT, dev->id, t->frame, &fr,
            "The device should announce in bwPollTimeout how long the operation really takes, "
            "so hosts wait once instead of polling; hosts that trust it and give up after a few "
            "polls fail here (dfu-util forces 35 s for a mass erase on an STM32F405).",
            "%s: the device stayed in dfuDNBUSY for %.3f s over %u polls (frames %llu-%llu) "
            "while announcing at most %u ms per poll.",
            who, (double)busy_us / 1e6, f->episode_polls, (unsigned long long)f->episode_frame,
            (unsigned long long)t->frame, f->episode_max_poll);
    }
}

/* What to do about a DNLOAD, erase or command the device refused. */
static const char *failure_remedy(uint8_t status, bool write)
{
    switch (status) {
    case DFS_STATUS_ERR_ADDRESS:
        return "The address is outside what the device accepts: check it against the chip's "
               "memory map and the layout strings of its alternate settings.";
    case DFS_STATUS_ERR_TARGET:
    case DFS_STATUS_ERR_VENDOR:
        return "The memory may be read- or write-protected: check the protection option bytes "
               "(write protection, read-out protection; removing read-out protection needs a "
               "read unprotect, which mass-erases the chip).";
    case DFS_STATUS_ERR_ERASE:
    case DFS_STATUS_ERR_CHECK_ERASED:
        return "The erase failed: check the page's write protection in the option bytes and the "
               "supply voltage, and that the page exists on this chip.";
    case DFS_STATUS_ERR_WRITE:
    case DFS_STATUS_ERR_PROG:
    case DFS_STATUS_ERR_VERIFY:
        return "Programming failed: erase the target pages before writing them, check the "
               "write protection in the option bytes and the supply voltage.";
    case DFS_STATUS_ERR_FILE:
        return "The device rejected the data as not meant for it: check the file is built for "
               "this device and variant.";
    case DFS_STATUS_ERR_NOTDONE:
        return "The device considers the firmware incomplete: send every block before the "
               "zero-length DNLOAD that ends the download.";
    default:
        return write ? "Read the status string if the device gives one, erase the target area "
                       "before writing, and check the protection option bytes."
                     : "Read the status string if the device gives one, and check the "
                       "command's argument against the chip's memory map.";
    }
}

/* GETSTATUS answered: execution of what is pending, state checks. */
static void on_getstatus_reply(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                               struct dfu_if *f, struct dfs_dfu_txn *t,
                               const struct dfs_control *ctl)
{
    char who[64];
    dev_label(dev, who, sizeof who);
    const uint8_t *p = ctl->data;
    t->has_status = t->has_state = true;
    t->bStatus = p[0];
    t->poll_timeout_ms = dfs__le24(p + 1);
    t->bState = p[4];
    t->iString = p[5];
    if (t->bState > DFS_STATE_ERROR || t->bStatus > DFS_STATUS_ERR_STALLEDPKT) {
        dfs__emit_finding(d, DFS_F_DFU_BAD_STATE_VALUE, dev->id, t->frame, NULL,
                          "Report one of the DFU 1.1 states (0-10) in bState and a status "
                          "(0-15) in bStatus; ST's USB device middleware is known to put the "
                          "status errSTALLEDPKT (15) into bState after an UPLOAD of block 1.",
                          "%s: the GETSTATUS reply at frame %llu has bStatus %u and bState %u; "
                          "%s is not defined by DFU 1.1.",
                          who, (unsigned long long)t->frame, t->bStatus, t->bState,
                          t->bState > DFS_STATE_ERROR ? "that state" : "that status");
    }
    uint8_t before = t->state_before;
    if (before != DFS_STATE_UNKNOWN && t->bState <= DFS_STATE_ERROR && !f->stall_pending &&
        !reply_allowed(before, t->bState)) {
        dfs__emit_finding(d, DFS_F_DFU_STATE_VIOLATION, dev->id, t->frame, NULL,
                          "Follow the DFU 1.1 state diagram (section 6 and appendix A).",
                          "%s: GETSTATUS at frame %llu reports %s, but from %s the state "
                          "diagram does not lead there.",
                          who, (unsigned long long)t->frame, sname(t->bState), sname(before));
    }
    report_stall_pairing(d, dev, f, t);

    /* busy bookkeeping */
    if (t->bState == DFS_STATE_DNBUSY) {
        if (!f->episode) {
            f->episode = true;
            f->episode_frame = t->frame;
            f->episode_ts = t->reply_frame ? t->reply_ts : t->ts;
            f->episode_polls = 0;
            f->episode_max_poll = 0;
            f->episode_ignored = false;
        }
        f->episode_polls++;
        if (t->poll_timeout_ms > f->episode_max_poll)
            f->episode_max_poll = t->poll_timeout_ms;
        f->busy = true;
        f->busy_ts = t->reply_frame ? t->reply_ts : t->ts;
        f->busy_poll = t->poll_timeout_ms;
        f->busy_frame = t->reply_frame ? t->reply_frame : t->frame;
        if (t->poll_timeout_ms == 0) {
            if (!f->zero_polls)
                f->zero_first_frame = t->frame;
            if (++f->zero_polls >= ZERO_POLL_LIMIT && !f->zero_reported) {
                f->zero_reported = true;
                struct dfs__frames fr = frame_pair(f->zero_first_frame, t->frame);
                dfs__emit_finding(
                    d, DFS_F_DFU_ZERO_POLL_TIMEOUT, dev->id, t->frame, &fr,
                    "Announce the expected busy time in bwPollTimeout. Hosts poll such a "
                    "device as fast as they can, and give up after a number of polls "
                    "(dfu-util stops after 100; fwupd needs the allow-zero-polltimeout quirk).",
                    "%s: %u GETSTATUS replies in a row (frames %llu-%llu) report dfuDNBUSY "
                    "with bwPollTimeout 0 ms.",
                    who, f->zero_polls, (unsigned long long)f->zero_first_frame,
                    (unsigned long long)t->frame);
            }
        } else {
            f->zero_polls = 0;
        }
    } else {
        f->busy = false;
        f->zero_polls = 0;
        end_episode(d, dev, f, t);
    }

    /* execution of the pending command or block */
    struct pending *pd = &f->pend;
    if (pd->kind != PEND_NONE) {
        bool failed = t->bState == DFS_STATE_ERROR || t->bStatus != DFS_STATUS_OK;
        bool done = failed || t->bState != DFS_STATE_DNBUSY;
        if (t->bState == DFS_STATE_DNBUSY)
            pd->busy_seen = true;
        if (done) {
            uint64_t xf = t->frame;
            if (failed) {
                struct dfs__frames fr = frame_pair(pd->frame, xf);
                const char *meaning = dfs_dfu_status_meaning(t->bStatus);
                if (pd->ob.is) {
                    dfs__emit_finding(
                        d, DFS_F_DFUSE_OPTION_BYTES_REJECTED, dev->id, xf, &fr,
                        "The bootloader refused the option bytes and stayed: check the values "
                        "(reserved bits, read-protection level, a securable area the chip "
                        "allows) and write the whole area from its base address.",
                        "%s: the option-byte write at frame %llu (%u bytes at 0x%08x) was "
                        "answered at frame %llu with dfuERROR, status %s (%s); the device "
                        "stayed on the bus.",
                        who, (unsigned long long)pd->frame, pd->len, pd->addr,
                        (unsigned long long)xf, stname(t->bStatus), meaning ? meaning : "?");
                } else {
                    const char *what = pd->kind == PEND_WRITE ? "the DNLOAD of"
                                       : pd->cmd == DFS_DFUSE_ERASE
                                           ? (pd->mass ? "the mass erase" : "the erase at")
                                       : pd->cmd == DFS_DFUSE_SET_ADDRESS
                                           ? "setting the address pointer to"
                                       : pd->kind == PEND_CMD ? "the DfuSe command"
                                                              : "the manifestation after";
                    char target[64] = "";
                    if (pd->kind == PEND_WRITE)
                        snprintf(target, sizeof target, " %u bytes at 0x%08x", pd->len,
                                 pd->addr);
                    else if (pd->has_addr)
                        snprintf(target, sizeof target, " 0x%08x", pd->addr);
                    else if (pd->kind == PEND_CMD)
                        snprintf(target, sizeof target, " 0x%02x", pd->cmd);
                    dfs__emit_finding(
                        d, DFS_F_DFU_OPERATION_FAILED, dev->id, xf, &fr,
                        failure_remedy(t->bStatus, pd->kind == PEND_WRITE),
                        "%s: %s%s (frame %llu) failed: the GETSTATUS at frame %llu reports %s "
                        "with status %s (%s)%s.",
                        who, what, target, (unsigned long long)pd->frame, (unsigned long long)xf,
                        sname(t->bState), stname(t->bStatus), meaning ? meaning : "?",
                        t->iString ? " and a status string" : "");
                }
                f->error_reported = true;
            } else if (pd->kind == PEND_CMD && pd->cmd == DFS_DFUSE_SET_ADDRESS && pd->has_addr) {
                f->ptr = pd->addr;
                f->ptr_valid = true;
                f->ptr_frame = pd->frame;
                f->dl_seq = f->ul_seq = false;
            }
            if (pd->kind == PEND_WRITE)
                emit_mem(d, dev, f, DFS_MEM_OP_WRITE, pd->addr, pd->len, pd->data, pd->data_len,
                         !failed, t->bStatus, pd->block, pd->frame, xf, pd->ts, pd->alt);
            else if (pd->kind == PEND_CMD && pd->cmd == DFS_DFUSE_ERASE) {
                uint32_t page = 0;
                if (!pd->mass) {
                    const struct alt *a = layout_alt(dd, dev, f->ifnum);
                    const struct dfs_layout_region *r =
                        a ? dfs_layout_find(&a->layout, pd->addr) : NULL;
                    page = r ? r->size : 0;
                }
                emit_mem(d, dev, f, pd->mass ? DFS_MEM_OP_MASS_ERASE : DFS_MEM_OP_ERASE,
                         pd->addr, page, NULL, 0, !failed, t->bStatus, 0, pd->frame, xf, pd->ts,
                         pd->alt);
                if (!failed && !pd->busy_seen) {
                    struct dfs__frames fr = frame_pair(pd->frame, xf);
                    dfs__emit_finding(
                        d, DFS_F_DFUSE_ERASE_INSTANT, dev->id, xf, &fr,
                        "Read the memory back to check it was erased. ST's USB device "
                        "middleware acknowledges a 1-byte mass erase (0x41) without doing it.",
                        "%s: the %s at frame %llu was reported done by the first GETSTATUS "
                        "(frame %llu, %s) without any dfuDNBUSY: a real flash erase takes time.",
                        who, pd->mass ? "mass erase" : "erase", (unsigned long long)pd->frame,
                        (unsigned long long)xf, sname(t->bState));
                }
            }
            if (pd->kind == PEND_LEAVE && !failed) {
                /* the device is about to jump: its departure is expected */
                lost_start(dd, LOST_LEAVE, f, ctl, t->state_before, pd->alt);
                dd->lost.answered = true;
                dd->lost.reply_state = t->bState;
            }
            pend_clear(d, f);
        }
    }
    if (t->bState == DFS_STATE_ERROR) {
        if (!f->error_reported) {
            char istr[200] = "";
            if (t->iString) {
                size_t len;
                const uint8_t *raw = dfs__device_string(dev, t->iString, dev->langid, &len);
                char u[160];
                if (raw && dfs_desc_string_utf8(raw, len, u, sizeof u, NULL) == DFS_OK)
                    snprintf(istr, sizeof istr, ", status string %u \"%s\"", t->iString, u);
                else
                    snprintf(istr, sizeof istr, ", status string %u (not in the capture)",
                             t->iString);
            }
            const char *meaning = dfs_dfu_status_meaning(t->bStatus);
            bool at_start = t->state_before == DFS_STATE_UNKNOWN;
            dfs__emit_finding(
                d, DFS_F_DFU_ERROR_STATE, dev->id, t->frame, NULL,
                at_start ? "The device was already in dfuERROR when this session (or the "
                           "capture) began. A host clears it with CLRSTATUS and goes on; "
                           "dfu-util does. ST bootloaders report errFIRMWARE this way when "
                           "the flash holds no valid application."
                         : "A host clears it with CLRSTATUS. Find what set it in the requests "
                           "just before this frame.",
                "%s: GETSTATUS at frame %llu reports dfuERROR with status %s (%s)%s%s.", who,
                (unsigned long long)t->frame, stname(t->bStatus), meaning ? meaning : "?", istr,
                at_start ? ", the first state seen on this interface" : "");
            f->error_reported = true;
        }
    } else {
        f->error_reported = false;
    }
}

void dfs__dfu_on_control(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    /* any normal completion after a failure shows the device stayed */
    if (dd && dd->lost.kind != LOST_NONE && !dd->lost.left && ctl->end == DFS_CTL_COMPLETED &&
        ctl->status == 0 && ctl->complete_frame > dd->lost.fail_frame)
        lost_stayed(d, dev, dd, ctl->complete_frame);
    if (d->error)
        return;

    /* string descriptors naming alternate settings */
    if (dd && ctl->has_setup && ctl->end == DFS_CTL_COMPLETED && ctl->status == 0 &&
        ctl->setup.bmRequestType == 0x80 && ctl->setup.bRequest == DFS_REQ_GET_DESCRIPTOR &&
        (ctl->setup.wValue >> 8) == DFS_DT_STRING && (uint8_t)ctl->setup.wValue) {
        uint8_t idx = (uint8_t)ctl->setup.wValue;
        for (unsigned i = 0; i < dd->n_alts && !d->error; i++)
            if (dd->alts[i].iInterface == idx && ctl->data_len >= 2)
                load_alt_name(d, dev, dd, &dd->alts[i], ctl->data, ctl->data_len,
                              ctl->complete_frame);
    }
    if (!ctl->dfu || d->error)
        return;
    dd = dfu_dev(d, dev, true);
    if (!dd)
        return;
    const struct dfs_setup *s = &ctl->setup;
    struct dfu_if *f = find_if(dd, (uint8_t)s->wIndex, true);
    if (!f)
        return;
    f->confirmed = true;
    uint8_t alt = cur_alt(dev, f->ifnum);
    char who[64];
    dev_label(dev, who, sizeof who);

    struct dfs_dfu_txn t;
    memset(&t, 0, sizeof t);
    t.device = dev->id;
    t.lane = dev->lane;
    t.bus = dev->bus;
    t.devnum = dev->devnum;
    t.interface = f->ifnum;
    t.alt = alt;
    t.frame = ctl->submit_frame ? ctl->submit_frame : ctl->complete_frame;
    t.reply_frame = ctl->complete_frame;
    t.ts = ctl->submit_frame ? ctl->submit_ts : ctl->complete_ts;
    t.reply_ts = ctl->complete_ts;
    t.request = s->bRequest;
    t.wValue = s->wValue;
    t.wLength = s->wLength;
    t.length = ctl->actual_length;
    t.usb_status = ctl->status;
    t.outcome = outcome_of(ctl);
    t.cmd = -1;
    t.data = ctl->data;
    t.data_len = ctl->data_len;
    t.poll_wait_us = -1;

    /* DfuSe semantics when the descriptor says so, or the requests show it */
    if (!f->dfuse_known && s->bRequest == DFS_DFU_DNLOAD && s->wValue == 0 && ctl->data_len &&
        ((ctl->data_len == 5 && (ctl->data[0] == DFS_DFUSE_SET_ADDRESS ||
                                 ctl->data[0] == DFS_DFUSE_ERASE)) ||
         (ctl->data_len == 1 && (ctl->data[0] == DFS_DFUSE_ERASE ||
                                 ctl->data[0] == DFS_DFUSE_READ_UNPROTECT)))) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    t.dfuse = f->dfuse;

    /* time moves dfuDNBUSY on to dfuDNLOAD-SYNC once bwPollTimeout passed */
    uint8_t st = f->state;
    if (st == DFS_STATE_DNBUSY && f->busy &&
        dfs__time_diff_us(t.ts, f->busy_ts) + TIMING_SLACK_US >= (int64_t)f->busy_poll * 1000)
        st = DFS_STATE_DNLOAD_SYNC;
    t.state_before = st;
    bool ok = t.outcome == DFS_DFU_ACK;
    bool stalled = t.outcome == DFS_DFU_STALLED;

    /* requests not allowed in the current state */
    if (st != DFS_STATE_UNKNOWN && !request_allowed(s->bRequest, st, s->wLength) &&
        !(s->bRequest == DFS_DFU_GETSTATUS)) {
        if (s->bRequest == DFS_DFU_CLRSTATUS)
            dfs__emit_finding(d, DFS_F_DFU_CLRSTATUS_OUTSIDE_ERROR, dev->id, t.frame, NULL,
                              "Send CLRSTATUS only in dfuERROR. ST's DFU middleware answers a "
                              "CLRSTATUS in another state by entering dfuERROR (errUNKNOWN); "
                              "removing such a CLRSTATUS fixed flashing STM32 parts with other "
                              "hosts.",
                              "%s: CLRSTATUS at frame %llu was sent in %s.", who,
                              (unsigned long long)t.frame, sname(st));
        else
            dfs__emit_finding(d, DFS_F_DFU_STATE_VIOLATION, dev->id, t.frame, NULL,
                              "Bring the device to a state that allows the request first (ABORT "
                              "returns to dfuIDLE from the idle and sync states, CLRSTATUS from "
                              "dfuERROR).",
                              "%s: %s%s at frame %llu was sent in %s, where DFU 1.1 does not "
                              "allow it%s.",
                              who, rname(s->bRequest),
                              s->bRequest == DFS_DFU_DNLOAD && s->wLength == 0 ? " (zero length)"
                                                                               : "",
                              (unsigned long long)t.frame, sname(st),
                              stalled ? "; the device stalled it" : "");
    }

    /* transfer size */
    if ((s->bRequest == DFS_DFU_DNLOAD || s->bRequest == DFS_DFU_UPLOAD) && f->has_func &&
        f->func.wTransferSize && f->func.wTransferSize != 0xffff &&
        s->wLength > f->func.wTransferSize && !f->size_reported) {
        f->size_reported = true;
        dfs__emit_finding(d, DFS_F_DFU_TRANSFER_SIZE_EXCEEDED, dev->id, t.frame, NULL,
                          "Keep every DNLOAD/UPLOAD within wTransferSize. Some devices (ST's USB "
                          "middleware) silently truncate longer blocks.",
                          "%s: %s at frame %llu asks for %u bytes; the DFU functional descriptor "
                          "allows %u.",
                          who, rname(s->bRequest), (unsigned long long)t.frame, s->wLength,
                          f->func.wTransferSize);
    }

    if (t.outcome == DFS_DFU_NO_REPLY || t.outcome == DFS_DFU_CANCELLED) {
        int64_t us = ctl->submit_frame && ctl->complete_frame
                         ? dfs__time_diff_us(ctl->complete_ts, ctl->submit_ts)
                         : -1;
        struct dfs__frames fr = frame_pair(ctl->submit_frame, ctl->complete_frame);
        char dur[64] = "";
        if (us >= 0)
            snprintf(dur, sizeof dur, " after %.3f s", (double)us / 1e6);
        dfs__emit_finding(
            d, DFS_F_DFU_REQUEST_TIMEOUT, dev->id, t.frame, &fr,
            "A DFU device must answer every request promptly and do long flash work between "
            "requests, announcing it with bwPollTimeout; a device that blocks inside the "
            "control transfer makes the host time out (typically after 5 s).",
            "%s: %s at frame %llu (in %s) %s%s.", who, rname(s->bRequest),
            (unsigned long long)t.frame, sname(st),
            t.outcome == DFS_DFU_NO_REPLY ? "got no answer in the capture"
                                          : "was cancelled by the host before an answer",
            dur);
    }

    switch (s->bRequest) {
    case DFS_DFU_DNLOAD: {
        if (s->wLength)
            infer_xfer(f, s->wLength);
        bool data_block = s->wLength > 0;
        if (f->dfuse && s->wValue == 0 && ctl->data_len >= 1) {
            t.cmd = ctl->data[0];
            if (ctl->data_len >= 5) {
                t.has_address = true;
                t.address = dfs__le32(ctl->data + 1);
            }
            t.mass_erase = ctl->data[0] == DFS_DFUSE_ERASE && ctl->data_len == 1;
            data_block = false;
        } else if (f->dfuse && s->wLength && s->wValue >= 2 && f->ptr_valid) {
            t.has_address = true;
            t.address = block_address(f, s->wValue);
        }
        if (f->dfuse && s->wLength == 0)
            t.leave = true;
        if (data_block && s->wLength)
            seq_check(d, dev, f, false, s->wValue, t.frame);
        if (f->dfuse && data_block && s->wValue < 2 && s->wLength)
            dfs__emit_finding(d, DFS_F_DFU_BLOCK_SEQUENCE, dev->id, t.frame, NULL,
                              "DfuSe data blocks are numbered from 2; block 0 carries "
                              "commands and block 1 is not used (AN3156).",
                              "%s: DNLOAD at frame %llu sends %u bytes of data as block %u.",
                              who, (unsigned long long)t.frame, s->wLength, s->wValue);
        if (ok) {
            pend_clear(d, f);
            struct pending *pd = &f->pend;
            pd->frame = t.frame;
            pd->done_frame = t.reply_frame;
            pd->ts = t.ts;
            pd->block = s->wValue;
            pd->alt = alt;
            pd->len = s->wLength;
            if (s->wLength == 0) {
                pd->kind = f->dfuse ? PEND_LEAVE : PEND_MANIFEST;
                pd->addr = f->ptr;
                pd->has_addr = f->ptr_valid;
                st = DFS_STATE_MANIFEST_SYNC;
                f->dl_seq = false;
            } else {
                st = DFS_STATE_DNLOAD_SYNC;
                if (t.cmd >= 0) {
                    pd->kind = PEND_CMD;
                    pd->cmd = (uint8_t)t.cmd;
                    pd->mass = t.mass_erase;
                    pd->has_addr = t.has_address;
                    pd->addr = t.address;
                    if (t.cmd == DFS_DFUSE_ERASE && t.has_address)
                        check_layout(d, dev, dd, f, t.address, 0, DFS_MEM_ERASABLE, "erases",
                                     t.frame);
                } else {
                    pd->kind = PEND_WRITE;
                    pd->has_addr = f->dfuse ? t.has_address : true;
                    pd->addr = f->dfuse ? t.address : f->dl_offset;
                    if (!f->dfuse)
                        f->dl_offset += ctl->data_len ? ctl->data_len : s->wLength;
                    if (ctl->data_len) {
                        pd->data = dfs__malloc(d, ctl->data_len);
                        if (!pd->data) {
                            dfs__nomem(d, "cannot keep the data of a DFU download");
                            return;
                        }
                        memcpy(pd->data, ctl->data, ctl->data_len);
                        pd->data_len = ctl->data_len;
                    }
                    if (f->dfuse && t.has_address) {
                        check_layout(d, dev, dd, f, t.address, s->wLength, DFS_MEM_WRITABLE,
                                     "writes", t.frame);
                        const struct dfs_ob_area *ob = dfs_ob_area_find(t.address);
                        const struct alt *la = layout_alt(dd, dev, f->ifnum);
                        const struct dfs_layout_region *lr =
                            la ? dfs_layout_find(&la->layout, t.address) : NULL;
                        if (ob) {
                            pd->ob.is = true;
                            pd->ob.start = ob->start;
                            pd->ob.end = ob->end;
                            snprintf(pd->ob.what, sizeof pd->ob.what, "%s", ob->families);
                        } else if (lr && strstr(la->layout.name, "Option")) {
                            pd->ob.is = true;
                            pd->ob.start = la->layout.regions[0].start;
                            pd->ob.end = la->layout.regions[la->layout.n_regions - 1].end;
                            snprintf(pd->ob.what, sizeof pd->ob.what,
                                     "\"%s\" of alternate setting %u", la->layout.name, la->alt);
                        }
                        if (pd->ob.is) {
                            if (t.address != pd->ob.start) {
                                struct dfs__frames fr = frame_pair(f->ptr_frame, t.frame);
                                dfs__emit_finding(
                                    d, DFS_F_DFUSE_OPTION_BYTES_OFFSET_WRITE, dev->id, t.frame,
                                    &fr,
                                    "Write the option bytes from the start of their area with "
                                    "the full block, as AN3156 requires: read the whole area, "
                                    "change the field, and write it back from the base.",
                                    "%s: the option-byte write at frame %llu starts at 0x%08x, "
                                    "0x%x bytes into the option-byte area that begins at 0x%08x "
                                    "(%s); AN3156 requires the address pointer at the start of "
                                    "the option bytes.",
                                    who, (unsigned long long)t.frame, t.address,
                                    t.address - pd->ob.start, pd->ob.start, pd->ob.what);
                            }
                        }
                    }
                }
            }
            f->dl_last_ok = true;
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
            f->dl_last_ok = false;
        } else {
            f->dl_last_ok = false;
        }
        break;
    }
    case DFS_DFU_UPLOAD:
        if (s->wLength)
            infer_xfer(f, s->wLength);
        if (f->dfuse && s->wValue >= 2 && f->ptr_valid) {
            t.has_address = true;
            t.address = block_address(f, s->wValue);
        } else if (f->dfuse && s->wValue == 0) {
            t.cmd = DFS_DFUSE_GET_COMMANDS;
        }
        if (!(f->dfuse && s->wValue < 2))
            seq_check(d, dev, f, true, s->wValue, t.frame);
        if (ok) {
            bool short_frame = ctl->actual_length < s->wLength;
            st = short_frame ? DFS_STATE_DFU_IDLE : DFS_STATE_UPLOAD_IDLE;
            if (short_frame)
                f->ul_seq = false;
            if (f->dfuse && t.has_address) {
                check_layout(d, dev, dd, f, t.address, ctl->actual_length, DFS_MEM_READABLE,
                             "reads", t.frame);
                emit_mem(d, dev, f, DFS_MEM_OP_READ, t.address, ctl->actual_length, ctl->data,
                         ctl->data_len, true, 0, s->wValue, t.frame, 0, t.ts, alt);
            } else if (!f->dfuse) {
                emit_mem(d, dev, f, DFS_MEM_OP_READ, f->ul_offset, ctl->actual_length, ctl->data,
                         ctl->data_len, true, 0, s->wValue, t.frame, 0, t.ts, alt);
                f->ul_offset += ctl->actual_length;
            }
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_GETSTATUS:
        if (f->busy) {
            t.poll_wait_us = dfs__time_diff_us(t.ts, f->busy_ts);
            t.poll_asked_ms = f->busy_poll;
            if (t.poll_wait_us + TIMING_SLACK_US < (int64_t)f->busy_poll * 1000) {
                f->episode_ignored = true;
                if (f->ignored_reports < MAX_IGNORED_REPORTS) {
                    f->ignored_reports++;
                    struct dfs__frames fr = frame_pair(f->busy_frame, t.frame);
                    dfs__emit_finding(
                        d, DFS_F_DFU_POLL_TIMEOUT_IGNORED, dev->id, t.frame, &fr,
                        "Wait at least bwPollTimeout after a dfuDNBUSY reply before the next "
                        "GETSTATUS (DFU 1.1 section 6.1.2). A device may stall a GETSTATUS "
                        "that comes while it is still busy, which the host then reports as "
                        "a failure.",
                        "%s: GETSTATUS at frame %llu came %.3f ms after the dfuDNBUSY reply at "
                        "frame %llu, which asked for %u ms.%s",
                        who, (unsigned long long)t.frame, (double)t.poll_wait_us / 1000.0,
                        (unsigned long long)f->busy_frame, f->busy_poll,
                        f->ignored_reports == MAX_IGNORED_REPORTS
                            ? " (Further early polls on this interface are not reported.)"
                            : "");
                }
            }
        }
        if (ok && ctl->data_len >= DFS_GETSTATUS_LEN) {
            on_getstatus_reply(d, dev, dd, f, &t, ctl);
            st = t.bState <= DFS_STATE_ERROR ? t.bState : st;
        } else if (!ok) {
            bool runtime = f->runtime || st == DFS_STATE_APP_IDLE;
            if (runtime && stalled) {
                dfs__emit_finding(d, DFS_F_DFU_RUNTIME_GETSTATUS_STALL, dev->id, t.frame, NULL,
                                  NULL,
                                  "%s: the run-time DFU interface %u stalled GETSTATUS at frame "
                                  "%llu. DFU 1.1 makes GETSTATUS optional in run-time mode; "
                                  "hosts then assume appIDLE (dfu-util: \"Device does not "
                                  "implement get_status, assuming appIDLE\").",
                                  who, f->ifnum, (unsigned long long)t.frame);
            } else if (t.outcome != DFS_DFU_CANCELLED &&
                       (t.outcome != DFS_DFU_NO_REPLY || f->pend.ob.is ||
                        f->pend.kind == PEND_LEAVE)) {
                /* (a request still open at the end of the capture says nothing about
                 * the device, unless it executes an option-byte write or a leave) */
                /* What did it execute? Decide when we know whether the device stayed. */
                enum lost_kind k = f->pend.kind == PEND_LEAVE ? LOST_LEAVE
                                   : f->pend.ob.is            ? LOST_OB
                                                              : LOST_OTHER;
                if (dd->lost.kind == LOST_LEAVE) {
                    /* the poll after an answered leave: still the leave */
                    dd->lost.answered = false;
                    dd->lost.fail_frame = t.reply_frame ? t.reply_frame : t.frame;
                    dd->lost.fail_ts = t.reply_frame ? t.reply_ts : t.ts;
                    dd->lost.status = ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : ctl->status;
                } else if (dd->lost.kind == LOST_NONE) {
                    lost_start(dd, k, f, ctl, st, alt);
                    if (!f->pend.frame)
                        dd->lost.req_frame = f->last_req_frame ? f->last_req_frame : t.frame;
                }
                if (stalled) {
                    st = DFS_STATE_ERROR;
                    f->stall_pending = false; /* a stalled GETSTATUS cannot report it */
                }
                pend_clear(d, f);
            }
            if (t.outcome == DFS_DFU_NO_DEVICE && dd->lost.kind != LOST_NONE) {
                dd->lost.left = true;
                dd->lost.gone_frame = t.reply_frame;
            }
        }
        break;
    case DFS_DFU_GETSTATE:
        if (ok && ctl->data_len >= 1) {
            t.has_state = true;
            t.bState = ctl->data[0];
            if (t.bState <= DFS_STATE_ERROR)
                st = t.bState;
            else
                dfs__emit_finding(d, DFS_F_DFU_BAD_STATE_VALUE, dev->id, t.frame, NULL,
                                  "Report one of the DFU 1.1 states (0-10).",
                                  "%s: GETSTATE at frame %llu returns %u, which is no DFU state.",
                                  who, (unsigned long long)t.frame, t.bState);
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_CLRSTATUS:
    case DFS_DFU_ABORT:
        if (ok) {
            st = DFS_STATE_DFU_IDLE;
            f->dl_seq = f->ul_seq = false;
            f->busy = false;
            f->stall_pending = false;
            f->error_reported = false;
            pend_clear(d, f);
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_DETACH:
        if (ok)
            st = DFS_STATE_APP_DETACH;
        break;
    default:
        break;
    }
    if (s->bRequest != DFS_DFU_GETSTATUS && s->bRequest != DFS_DFU_GETSTATE) {
        f->last_req = s->bRequest;
        f->last_req_frame = t.frame;
    }
    f->state = st;
    t.state_after = st;
    if (!d->error)
        emit_txn(d, &t);
}

/* ---- device life ---------------------------------------------------------------- */

static void on_left(struct dfs__device *dev, uint64_t frame)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    if (dd && dd->lost.kind != LOST_NONE && !dd->lost.left) {
        dd->lost.left = true;
        dd->lost.gone_frame = frame;
    }
}

void dfs__dfu_on_device(dfs_decoder *d, struct dfs__device *dev, enum dfs_device_change change,
                        uint64_t frame)
{
    switch (change) {
    case DFS_DEV_CONFIGURED:
        if (dev->config && !dev->config_partial) {
            struct dfs__dfu_dev *dd = dfu_dev(d, dev, true);
            if (dd)
                parse_config(d, dev, dd, frame);
            /* the device that came back after a failure: now we know what it is */
            for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
                struct dfs__device *old = d->devs[i];
                if (old != dev && old->dfu && old->dfu->lost.kind != LOST_NONE &&
                    old->dfu->lost.back_id == dev->id)
                    lost_report(d, old, old->dfu, dev);
            }
        }
        break;
    case DFS_DEV_GONE:
        on_left(dev, frame);
        break;
    case DFS_DEV_REENUMERATED: {
        struct dfs__device *old = dfs__device_by_id(d, dev->previous);
        if (old && old->dfu && old->dfu->lost.kind != LOST_NONE) {
            on_left(old, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = frame;
            if (dev->config && !dev->config_partial)
                lost_report(d, old, old->dfu, dev);
        }
        break;
    }
    case DFS_DEV_IDENTIFIED:
        /* a different device appearing on the bus of a device that failed and
         * went quiet: perhaps the same board with other firmware */
        for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
            struct dfs__device *old = d->devs[i];
            if (old == dev || old->bus != dev->bus || !old->dfu ||
                old->dfu->lost.kind == LOST_NONE || old->dfu->lost.back_id ||
                old->last_frame > dev->first_frame || old->first_frame > dev->first_frame)
                continue;
            if (old->identified && old->vid == dev->vid && old->pid == dev->pid)
                continue; /* a re-enumeration: linked right after this */
            on_left(old, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = frame;
        }
        break;
    default:
        break;
    }
}

void dfs__dfu_finish(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
        struct dfs__device *dev = d->devs[i];
        struct dfs__dfu_dev *dd = dev->dfu;
        if (!dd)
            continue;
        for (int k = 0; k < MAX_DFU_IFS; k++)
            if (dd->ifs[k].used)
                check_duplicates(d, dev, dd, dd->ifs[k].ifnum, true);
        if (dd->lost.kind != LOST_NONE) {
            /* no later normal traffic: it left (or went silent) */
            on_left(dev, 0);
            lost_report(d, dev, dd,
                        dd->lost.back_id ? dfs__device_by_id(d, dd->lost.back_id) : NULL);
        }
    }
}

/* ---- lifecycle --------------------------------------------------------------------- */

dfs_result dfs__dfu_init(dfs_decoder *d)
{
    (void)d;
    return DFS_OK;
}

void dfs__dfu_free(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs; i++)
        dfs__dfu_device_free(d, d->devs[i]);
}

bool dfs__dfu_device_busy(const struct dfs__device *dev)
{
    return dev->dfu && dev->dfu->lost.kind != LOST_NONE;
}

void dfs__dfu_device_retire(dfs_decoder *d, struct dfs__device *dev)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    if (!dd)
        return;
    for (int k = 0; k < MAX_DFU_IFS && !d->error; k++)
        if (dd->ifs[k].used)
            check_duplicates(d, dev, dd, dd->ifs[k].ifnum, true);
}

void dfs__dfu_device_free(dfs_decoder *d, struct dfs__device *dev)
{
    if (!dev->dfu)
        return;
    for (int i = 0; i < MAX_DFU_IFS; i++)
        dfs__free(d, dev->dfu->ifs[i].pend.data);
    dfs__free(d, dev->dfu->alts);
    dfs__free(d, dev->dfu);
    dev->dfu = NULL;
}

dfs_result dfs_decoder_dfu_info(const dfs_decoder *d, uint32_t device, struct dfs_dfu_info *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev)
        return DFS_E_NOTFOUND;
    memset(out, 0, sizeof *out);
    out->state = DFS_STATE_UNKNOWN;
    const struct dfs__dfu_dev *dd = dev->dfu;
    if (!dd)
        return DFS_OK;
    const struct dfu_if *f = NULL;
    for (int i = 0; i < MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].confirmed) {
            f = &dd->ifs[i];
            break;
        }
    if (!f)
        return DFS_OK;
    out->present = true;
    out->from_descriptor = f->from_desc;
    out->interface = f->ifnum;
    out->runtime = f->runtime;
    out->has_functional = f->has_func;
    out->functional = f->func;
    out->transfer_size = f->xfer;
    out->transfer_size_inferred = f->xfer_inferred;
    out->dfuse = f->dfuse;
    out->state = f->state;
    out->address_valid = f->ptr_valid;
    out->address = f->ptr;
    for (unsigned i = 0; i < dd->n_alts && out->n_alts < DFS_DFU_MAX_ALTS; i++) {
        const struct alt *a = &dd->alts[i];
        struct dfs_dfu_alt_info *o = &out->alts[out->n_alts++];
        o->interface = a->ifnum;
        o->alt = a->alt;
        o->protocol = a->proto;
        o->iInterface = a->iInterface;
        o->has_name = a->named;
        snprintf(o->name, sizeof o->name, "%s", a->name);
        o->name_frame = a->name_frame;
        o->layout_parsed = a->layout_ok;
        if (a->layout_ok)
            o->layout = a->layout;
        snprintf(o->layout_error, sizeof o->layout_error, "%s", a->why);
    }
    return DFS_OK;
}
