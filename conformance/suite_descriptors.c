/* The descriptors suite (docs/conformance.md): chapter 9 descriptors and
 * requests, the DFU interface and functional descriptor, the DfuSe layout
 * strings. Read-only. */
#include <stdio.h>
#include <string.h>

#include "dfuscope/quirks.h"
#include "suite.h"

/* bmAttributes bit 7 of a configuration descriptor: reserved, one (USB 2.0 9.6.3) */
#define CONFIG_ATTR_ONE 0x80

/* X(ENUM, function, per_alt, id, clause, title, needs) */
#define DESC_CHECKS(X)                                                                             \
    X(D_DEVICE_LENGTH, device_length, false, "desc.device.length", "USB 2.0 9.6.1",               \
      "Device descriptor: 18 bytes, bLength 18, bDescriptorType 1", 0)                             \
    X(D_DEVICE_MPS, device_mps, false, "desc.device.max-packet-size", "USB 2.0 9.6.1",            \
      "bMaxPacketSize0 is 8, 16, 32 or 64 and bNumConfigurations is not 0", 0)                     \
    X(D_DEVICE_SHORT_READ, device_short_read, false, "desc.device.short-read", "USB 2.0 9.4.3",   \
      "GET_DESCRIPTOR with wLength 8 returns the first 8 bytes only", 0)                           \
    X(D_CONFIG_LENGTH, config_length, false, "desc.config.length", "USB 2.0 9.6.3",               \
      "Configuration descriptor: bLength 9, bDescriptorType 2, bmAttributes bit 7 set", 0)         \
    X(D_CONFIG_TOTAL, config_total, false, "desc.config.total-length", "USB 2.0 9.6.3",           \
      "wTotalLength bytes are returned and they are exactly the descriptors of the "               \
      "configuration",                                                                             \
      0)                                                                                           \
    X(D_CONFIG_STRUCTURE, config_structure, false, "desc.config.structure",                       \
      "USB 2.0 9.6.3, 9.6.5, 9.6.6",                                                               \
      "Every descriptor has a valid length and type; bNumInterfaces and bNumEndpoints match "      \
      "what follows",                                                                              \
      0)                                                                                           \
    X(D_STRING_LANGIDS, string_langids, false, "desc.string.langids", "USB 2.0 9.6.7",            \
      "String descriptor 0 lists at least one LANGID", 0)                                          \
    X(D_STRING_LENGTHS, string_lengths, false, "desc.string.lengths", "USB 2.0 9.6.7",            \
      "Each string descriptor has an even bLength equal to the bytes returned, and is valid "      \
      "UTF-16",                                                                                    \
      0)                                                                                           \
    X(D_QUALIFIER, qualifier, false, "desc.qualifier", "USB 2.0 9.6.2",                           \
      "DEVICE_QUALIFIER: a full-speed-only device STALLs it, a high-speed device returns 10 "      \
      "bytes",                                                                                     \
      0)                                                                                           \
    X(D_BAD_REQUEST, bad_request, false, "desc.bad-request", "USB 2.0 9.2.7, 8.5.3.4",            \
      "A GET_DESCRIPTOR of an undefined type STALLs, and the next request is answered", 0)         \
    X(D_DFU_INTERFACE, dfu_interface, false, "desc.dfu.interface",                                \
      "DFU 1.1 4.2.3 (4.1.2 run-time)",                                                            \
      "DFU interface: class 0xFE, subclass 0x01, protocol 2 (DFU mode) or 1 (run-time), no "       \
      "endpoints",                                                                                 \
      0)                                                                                           \
    X(D_DFU_FUNC_PRESENT, dfu_func_present, false, "desc.dfu.functional-present",                 \
      "DFU 1.1 4.2.4 (4.1.3)", "The DFU interface carries a DFU functional descriptor", 0)         \
    X(D_DFU_FUNC_LENGTH, dfu_func_length, false, "desc.dfu.functional-length",                    \
      "DFU 1.1 4.1.3 (table 4.2)",                                                                 \
      "The DFU functional descriptor has bLength 9 (with bcdDFUVersion)", 0)                       \
    X(D_DFU_FUNC_VALUES, dfu_func_values, false, "desc.dfu.functional-values", "DFU 1.1 4.1.3",   \
      "bcdDFUVersion is 0x0110 (or ST's 0x011A) and wTransferSize is at least bMaxPacketSize0",    \
      0)                                                                                           \
    X(D_LAYOUT_PARSE, layout_parse, false, "desc.dfuse.layout-parse",                             \
      "ST UM0424, AN3156 (memory layout string)",                                                  \
      "Each alternate setting of a DfuSe device names its memory with a layout string that "       \
      "parses",                                                                                    \
      0)                                                                                           \
    X(D_LAYOUT_UNIQUE, layout_unique, false, "desc.dfuse.layout-unique",                          \
      "ST AN3156 (one memory per alternate setting)",                                              \
      "No two alternate settings advertise the same memory layout", 0)                             \
    X(D_VENDOR_REQUEST, vendor_request, false, "desc.vendor-request", "USB 2.0 9.2.7, 8.5.3.4",   \
      "A vendor request the device does not define is STALLed (or answered), not left "           \
      "unanswered",                                                                                \
      DFS_ALLOW_VENDOR_REQUEST)

enum { DESC_CHECKS(DFS_RUN__CHECK_ENUM) D__COUNT };
DESC_CHECKS(DFS_RUN__CHECK_DECL)

/* A string the descriptors name. */
struct strref {
    uint8_t index;
    char what[40];
};

/* What the checks learn for the checks after them. */
struct desc_state {
    uint8_t dev[64];                        /* the device descriptor read */
    uint32_t dev_len;                       /* its length (0: the request failed) */
    struct dfs_desc_device devf;            /* its fields (zero past its length) */
    uint16_t total;                         /* wTotalLength */
    uint8_t cfg[DFS_RUN__CFG_MAX];          /* the configuration set read */
    uint32_t cfg_len;
    struct strref strs[8 + DFS_RUN__MAX_ALTS];
    size_t n_strs;
    uint16_t lang;                          /* the LANGID to read strings with */
    /* DFU facts from the bytes on the wire: the first DFU interface
     * (dfs_desc_find_dfu) and the first functional descriptor of a DFU
     * interface */
    bool dfu_found, func_found, func_short, func_bad;
    struct dfs_desc_dfu_functional func;
    uint8_t dfu_class, dfu_subclass, dfu_class_proto, dfu_endpoints;
    int dfu_iface;
    unsigned dfu_quirk; /* the interface is taken for DFU by this quirk (R25), or 0 */
};

static struct desc_state *state(struct dfs_run__suite_ctx *c) { return c->state; }

/* ---- the device descriptor ---------------------------------------------------------------- */

static enum dfs_run__next device_length(struct dfs_run__suite_ctx *c,
                                        const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor device length=64");
    enum dfs_xfer_status st = dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, 64, d->dev, &got);
    dfs_run__suite_step_done(c, st, got);
    d->dev_len = st == DFS_XFER_OK ? got : 0;
    dfs_run__device_fields(d->dev, d->dev_len, &d->devf);
    uint8_t bLength, type;
    dfs_run__desc_header(d->dev, got, &bLength, &type);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(DEVICE) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != DFS_DEVICE_DESC_LEN || bLength != DFS_DEVICE_DESC_LEN ||
             type != DFS_DT_DEVICE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "%u bytes returned for wLength 64, bLength %u, bDescriptorType %u; "
                           "expected 18, 18, 1",
                           (unsigned)got, bLength, type);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

static enum dfs_run__next device_mps(struct dfs_run__suite_ctx *c,
                                     const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (d->dev_len >= DFS_DEVICE_DESC_LEN) {
        uint8_t mps = d->devf.bMaxPacketSize0, n = d->devf.bNumConfigurations;
        if (mps != 8 && mps != 16 && mps != 32 && mps != 64)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "bMaxPacketSize0 is %u", mps);
        else if (n == 0)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "bNumConfigurations is 0");
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "bMaxPacketSize0 %u, %u configuration%s", mps,
                               n, n == 1 ? "" : "s");
    } else {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no complete device descriptor");
    }
    return DFS_RUN__NEXT;
}

static enum dfs_run__next device_short_read(struct dfs_run__suite_ctx *c,
                                            const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor device length=8");
    uint8_t d8[8];
    enum dfs_xfer_status st = dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, 8, d8, &got);
    dfs_run__suite_step_done(c, st, got);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(DEVICE, wLength 8) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != 8)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%u bytes returned for wLength 8", (unsigned)got);
    else if (d->dev_len >= 8 && memcmp(d8, d->dev, 8) != 0)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "the first 8 bytes differ from the full descriptor");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* ---- the configuration descriptor ------------------------------------------------------------ */

static enum dfs_run__next config_length(struct dfs_run__suite_ctx *c,
                                        const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor config length=9");
    uint8_t c9[9];
    enum dfs_xfer_status st =
        dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, 9, c9, &got);
    dfs_run__suite_step_done(c, st, got);
    uint8_t bLength, type;
    dfs_run__desc_header(c9, got, &bLength, &type);
    struct dfs_desc_config cfg;
    dfs_run__config_fields(c9, st == DFS_XFER_OK ? got : 0, &cfg);
    d->total = 0;
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(CONFIGURATION) failed: %s",
                           dfs_xfer_status_name(st));
    else if (got != DFS_CONFIG_DESC_LEN || bLength != DFS_CONFIG_DESC_LEN ||
             type != DFS_DT_CONFIGURATION)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "%u bytes, bLength %u, bDescriptorType %u; expected 9, 9, 2",
                           (unsigned)got, bLength, type);
    else if (!(cfg.bmAttributes & CONFIG_ATTR_ONE))
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "bmAttributes 0x%02x: bit 7 (reserved, one) is clear",
                           cfg.bmAttributes);
    else {
        d->total = cfg.wTotalLength;
        dfs_run__check_end(s, DFS_VERDICT_PASS, "wTotalLength %u", d->total);
    }
    if (st == DFS_XFER_OK && got >= 4)
        d->total = cfg.wTotalLength;
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

static enum dfs_run__next config_total(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    uint16_t total = d->total;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    d->cfg_len = 0;
    if (total < 9) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "wTotalLength %u is less than 9", total);
        return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
    }
    uint16_t ask =
        total < sizeof d->cfg - 16 ? (uint16_t)(total + 16) : (uint16_t)sizeof d->cfg;
    dfs_run__suite_step(c, ci, "get-descriptor config length=%u", ask);
    enum dfs_xfer_status st =
        dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, ask, d->cfg, &got);
    dfs_run__suite_step_done(c, st, got);
    if (st != DFS_XFER_OK) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(CONFIGURATION, %u) failed: %s",
                           ask, dfs_xfer_status_name(st));
    } else {
        d->cfg_len = got;
        /* the sum of the descriptors' lengths */
        size_t sum = 0;
        while (sum + 2 <= got) {
            uint8_t bLength, type;
            dfs_run__desc_header(d->cfg + sum, got - (uint32_t)sum, &bLength, &type);
            if (bLength < 2)
                break;
            sum += bLength;
        }
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
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* A string index a descriptor names, and which field names it. */
static void add_string(struct desc_state *d, uint8_t index, const char *what)
{
    d->strs[d->n_strs].index = index;
    dfs_run__fmt(d->strs[d->n_strs].what, sizeof d->strs[0].what, "%s", what);
    d->n_strs++;
}

/* The walk of the configuration set: what is wrong with its structure, the
 * interfaces and the strings it names, the DFU facts. */
struct walk {
    char problem[400];
    unsigned ifaces[32];
    size_t n_ifaces;
    int eps_left;
    struct dfs_desc_interface cur;
};

static void walk_interface(struct desc_state *d, struct walk *w, const struct dfs_desc_item *it)
{
    if (w->eps_left > 0 && !w->problem[0])
        dfs_run__fmt(w->problem, sizeof w->problem,
                     "interface %u alternate %u announces %u endpoints but has %u",
                     w->cur.bInterfaceNumber, w->cur.bAlternateSetting, w->cur.bNumEndpoints,
                     (unsigned)(w->cur.bNumEndpoints - w->eps_left));
    const struct dfs_desc_interface *cur = &it->u.interface;
    w->cur = *cur;
    w->eps_left = cur->bNumEndpoints;
    bool known = false;
    for (size_t k = 0; k < w->n_ifaces; k++)
        known |= w->ifaces[k] == cur->bInterfaceNumber;
    if (!known && w->n_ifaces < 32)
        w->ifaces[w->n_ifaces++] = cur->bInterfaceNumber;
    if (cur->iInterface && d->n_strs < sizeof d->strs / sizeof d->strs[0]) {
        bool dup = false;
        for (size_t k = 0; k < d->n_strs; k++)
            dup |= d->strs[k].index == cur->iInterface;
        if (!dup) {
            char what[40];
            dfs_run__fmt(what, sizeof what, "iInterface of alt %u", cur->bAlternateSetting);
            add_string(d, cur->iInterface, what);
        }
    }
}

/* A DFU functional descriptor (the walker's DFS_DK_DFU_FUNCTIONAL), or one
 * too short to be one (DFS_DESC_FUNCTIONAL_SHORT and no fields): the first
 * one of the set is the device's. */
static void walk_functional(struct desc_state *d, const struct dfs_desc_item *it)
{
    if (d->func_found)
        return;
    d->func_found = true;
    if (it->kind == DFS_DK_DFU_FUNCTIONAL) {
        d->func = it->u.dfu;
        d->func_short = !d->func.has_version;
    } else {
        d->func.bLength = it->bLength;
        d->func_bad = true;
    }
}

/* The first DFU interface of the set (through the quirk table: a FLIP
 * bootloader's is of class 0/0/0, R25): the protocol of its last alternate
 * setting, the most endpoints any of them has. */
static void dfu_interface_facts(const struct dfs_run__sess *s, struct desc_state *d)
{
    struct dfs_dfu_interface dfu[DFS_RUN__CFG_MAX / DFS_INTERFACE_DESC_LEN + 1];
    size_t max = sizeof dfu / sizeof dfu[0];
    const struct dfs_desc_device *id = d->dev_len >= DFS_DEVICE_DESC_LEN ? &d->devf : &s->dev;
    size_t n = dfs_quirk_find_dfu(id->idVendor, id->idProduct, id->bcdDevice, d->cfg, d->cfg_len,
                                  dfu, max, &d->dfu_quirk);
    if (n > max)
        n = max;
    for (size_t k = 0; k < n; k++) {
        const struct dfs_desc_interface *i = &dfu[k].iface;
        if (d->dfu_iface >= 0 && i->bInterfaceNumber != d->dfu_iface)
            continue;
        d->dfu_found = true;
        d->dfu_iface = i->bInterfaceNumber;
        d->dfu_class_proto = i->bInterfaceProtocol;
        d->dfu_class = i->bInterfaceClass;
        d->dfu_subclass = i->bInterfaceSubClass;
        if (i->bNumEndpoints > d->dfu_endpoints)
            d->dfu_endpoints = i->bNumEndpoints;
    }
}

static void walk_config(struct desc_state *d, struct walk *w)
{
    struct dfs_desc_walker dw;
    struct dfs_desc_item it;
    struct dfs_desc_problem pb;
    dfs_desc_walk_init(&dw, d->cfg, d->cfg_len);
    w->eps_left = -1;
    int r;
    struct dfs_desc_config cfg;
    dfs_run__config_fields(d->cfg, d->cfg_len, &cfg);
    uint8_t num_ifaces = cfg.bNumInterfaces;
    while ((r = dfs_desc_walk_next(&dw, &it, &pb)) == 1) {
        /* (a short DFU functional descriptor is desc.dfu.functional-length's) */
        bool short_functional = pb.code == DFS_DESC_FUNCTIONAL_SHORT;
        if (pb.code != DFS_DESC_OK && !short_functional && !w->problem[0])
            dfs_run__fmt(w->problem, sizeof w->problem, "%s", pb.msg);
        if (it.kind == DFS_DK_CONFIG) {
            if (it.offset != 0 && !w->problem[0])
                dfs_run__fmt(w->problem, sizeof w->problem,
                             "a second configuration descriptor at offset %zu", it.offset);
            if (it.u.config.iConfiguration && d->n_strs < 8)
                add_string(d, it.u.config.iConfiguration, "iConfiguration");
        } else if (it.kind == DFS_DK_INTERFACE) {
            walk_interface(d, w, &it);
        } else if (it.kind == DFS_DK_ENDPOINT) {
            if (w->eps_left <= 0 && !w->problem[0])
                dfs_run__fmt(w->problem, sizeof w->problem,
                             "endpoint descriptor at offset %zu beyond bNumEndpoints of its "
                             "interface",
                             it.offset);
            w->eps_left--;
        } else if (it.kind == DFS_DK_DFU_FUNCTIONAL || short_functional) {
            walk_functional(d, &it);
        }
    }
    if (r < 0 && !w->problem[0])
        dfs_run__fmt(w->problem, sizeof w->problem, "%s", pb.msg);
    if (w->eps_left > 0 && !w->problem[0])
        dfs_run__fmt(w->problem, sizeof w->problem,
                     "interface %u alternate %u announces %u endpoints but has fewer",
                     w->cur.bInterfaceNumber, w->cur.bAlternateSetting, w->cur.bNumEndpoints);
    if (!w->problem[0] && w->n_ifaces != num_ifaces)
        dfs_run__fmt(w->problem, sizeof w->problem,
                     "bNumInterfaces is %u but %zu interface%s follow", num_ifaces, w->n_ifaces,
                     w->n_ifaces == 1 ? "" : "s");
}

static enum dfs_run__next config_structure(struct dfs_run__suite_ctx *c,
                                           const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    d->n_strs = 0;
    if (d->dev_len >= DFS_DEVICE_DESC_LEN) {
        const struct dfs_desc_device *dev = &d->devf;
        if (dev->iManufacturer)
            add_string(d, dev->iManufacturer, "iManufacturer");
        if (dev->iProduct)
            add_string(d, dev->iProduct, "iProduct");
        if (dev->iSerialNumber)
            add_string(d, dev->iSerialNumber, "iSerialNumber");
    }
    if (!d->cfg_len) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no configuration set was read");
        return DFS_RUN__NEXT;
    }
    struct walk w;
    memset(&w, 0, sizeof w);
    walk_config(d, &w);
    dfu_interface_facts(s, d);
    if (w.problem[0])
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", w.problem);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%zu interface%s", w.n_ifaces,
                           w.n_ifaces == 1 ? "" : "s");
    return DFS_RUN__NEXT;
}

/* ---- strings -------------------------------------------------------------------------------- */

static enum dfs_run__next string_langids(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor string 0");
    uint8_t sbuf[256];
    enum dfs_xfer_status st = dfs_run__get_descriptor(s, DFS_DT_STRING, 0, 0, 255, sbuf, &got);
    dfs_run__suite_step_done(c, st, got);
    uint8_t bLength, type;
    dfs_run__desc_header(sbuf, got, &bLength, &type);
    if (st == DFS_XFER_STALL && d->n_strs == 0)
        dfs_run__check_end(s, DFS_VERDICT_PASS,
                           "no strings: string 0 STALLs, and no index names one");
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GET_DESCRIPTOR(STRING 0) failed: %s%s",
                           dfs_xfer_status_name(st),
                           d->n_strs ? " although descriptors name strings" : "");
    else if (got < 4 || type != DFS_DT_STRING || bLength < 4 || (bLength & 1) || bLength != got)
        dfs_run__check_end(
            s, DFS_VERDICT_FAIL,
            "%u bytes, bLength %u, bDescriptorType %u: expected an even bLength >= 4 "
            "equal to the bytes returned, type 3",
            (unsigned)got, bLength, type);
    else {
        uint16_t ids[127];
        size_t n = dfs_desc_langids(sbuf, got, ids, sizeof ids / sizeof ids[0]);
        d->lang = ids[0];
        const char *ln = dfs_langid_name(d->lang);
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%u LANGID%s, first 0x%04x%s%s%s", (unsigned)n,
                           n > 1 ? "s" : "", d->lang, ln ? " (" : "", ln ? ln : "",
                           ln ? ")" : "");
    }
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* What is wrong with string k as read (st, got bytes in sbuf), into
 * problem; nothing when it is right. */
static void string_problem(const struct strref *sr, enum dfs_xfer_status st, const uint8_t *sbuf,
                           uint32_t got, char *problem, size_t size)
{
    uint8_t bLength, type;
    dfs_run__desc_header(sbuf, got, &bLength, &type);
    if (st != DFS_XFER_OK) {
        dfs_run__fmt(problem, size, "string %u (%s): %s", sr->index, sr->what,
                     dfs_xfer_status_name(st));
    } else if (got < 2 || type != DFS_DT_STRING) {
        dfs_run__fmt(problem, size, "string %u (%s): %u bytes, type %u", sr->index, sr->what,
                     (unsigned)got, type);
    } else if (bLength & 1) {
        dfs_run__fmt(problem, size, "string %u (%s): odd bLength %u", sr->index, sr->what,
                     bLength);
    } else if (bLength != got) {
        dfs_run__fmt(problem, size,
                     "string %u (%s): bLength %u but %u bytes returned for wLength 255",
                     sr->index, sr->what, bLength, (unsigned)got);
    } else {
        char u[300];
        struct dfs_desc_problem pb;
        if (dfs_desc_string_utf8(sbuf, got, u, sizeof u, &pb) != DFS_OK ||
            pb.code != DFS_DESC_OK)
            dfs_run__fmt(problem, size, "string %u (%s): %s", sr->index, sr->what, pb.msg);
    }
}

static enum dfs_run__next string_lengths(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    uint8_t sbuf[256];
    dfs_run__check_begin(s, c->suite, ci, NULL);
    char sproblem[400] = "";
    for (size_t k = 0; k < d->n_strs; k++) {
        const struct strref *sr = &d->strs[k];
        dfs_run__suite_step(c, ci, "get-descriptor string %u lang=0x%04x (%s)", sr->index,
                            d->lang, sr->what);
        enum dfs_xfer_status st =
            dfs_run__get_descriptor(s, DFS_DT_STRING, sr->index, d->lang, 255, sbuf, &got);
        dfs_run__suite_step_done(c, st, got);
        if (sproblem[0])
            continue; /* (the device is not watched once a string failed) */
        string_problem(sr, st, sbuf, got, sproblem, sizeof sproblem);
        if (dfs_run__device_lost(c))
            return DFS_RUN__STOP;
    }
    if (sproblem[0])
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", sproblem);
    else if (!d->n_strs)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no descriptor names a string");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%zu string%s", d->n_strs,
                           d->n_strs == 1 ? "" : "s");
    return DFS_RUN__NEXT;
}

/* ---- requests ----------------------------------------------------------------------------------- */

static enum dfs_run__next qualifier(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor device-qualifier");
    uint8_t q[10];
    enum dfs_xfer_status st =
        dfs_run__get_descriptor(s, DFS_DT_DEVICE_QUALIFIER, 0, 0, 10, q, &got);
    dfs_run__suite_step_done(c, st, got);
    uint16_t bcd = d->dev_len >= 4 ? d->devf.bcdUSB : 0;
    bool full_only = s->id.speed == DFS_SPEED_FULL || s->id.speed == DFS_SPEED_LOW ||
                     (s->id.speed == DFS_SPEED_UNKNOWN && bcd && bcd < 0x0200);
    struct dfs_desc_qualifier qd;
    bool answered = st == DFS_XFER_OK && got == DFS_QUALIFIER_DESC_LEN &&
                    dfs_desc_parse_qualifier(q, got, &qd, NULL) == DFS_OK &&
                    qd.bLength == DFS_QUALIFIER_DESC_LEN;
    if (s->id.speed == DFS_SPEED_HIGH) {
        if (!answered)
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
        if (st == DFS_XFER_STALL || answered)
            dfs_run__check_end(s, DFS_VERDICT_PASS,
                               "%s (bus speed unknown: either answer is right)",
                               st == DFS_XFER_STALL ? "STALL" : "10-byte qualifier");
        else
            dfs_run__check_end(s, DFS_VERDICT_FAIL,
                               "neither a STALL nor a 10-byte qualifier: %s, %u "
                               "bytes",
                               dfs_xfer_status_name(st), (unsigned)got);
    }
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

static enum dfs_run__next bad_request(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    uint32_t got = 0, got2 = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    dfs_run__suite_step(c, ci, "get-descriptor 0 (type 0 is undefined)");
    uint8_t junk[64];
    enum dfs_xfer_status st = dfs_run__get_descriptor(s, 0, 0, 0, sizeof junk, junk, &got);
    dfs_run__suite_step_done(c, st, got);
    dfs_run__suite_step(c, ci, "get-descriptor device");
    enum dfs_xfer_status st2 =
        dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, DFS_DEVICE_DESC_LEN, junk, &got2);
    dfs_run__suite_step_done(c, st2, got2);
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
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* ---- DFU ------------------------------------------------------------------------------------ */

static enum dfs_run__next dfu_interface(struct dfs_run__suite_ctx *c,
                                        const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (!d->cfg_len)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no configuration set was read");
    else if (!d->dfu_found)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "no interface of class 0xFE subclass 0x01");
    else if (d->dfu_quirk && !d->dfu_endpoints)
        /* the family is known for it (R25): named, not failed */
        dfs_run__check_end_quirk(s, d->dfu_quirk,
                                 "no interface of class 0xFE subclass 0x01; interface %d (class "
                                 "%u, subclass %u, protocol %u, no endpoints) is taken for DFU, "
                                 "as dfu-programmer does",
                                 d->dfu_iface, d->dfu_class, d->dfu_subclass, d->dfu_class_proto);
    else if (d->dfu_quirk)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "no interface of class 0xFE subclass 0x01; interface %d, taken for "
                           "DFU instead (dfu-quirks R25), has %u endpoint%s; DFU uses the "
                           "default control pipe only",
                           d->dfu_iface, d->dfu_endpoints, d->dfu_endpoints == 1 ? "" : "s");
    else if (d->dfu_class_proto != DFS_DFU_PROTO_DFU &&
             d->dfu_class_proto != DFS_DFU_PROTO_RUNTIME)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "bInterfaceProtocol %u; DFU 1.1 defines 1 (run-time) "
                           "and 2 (DFU mode)",
                           d->dfu_class_proto);
    else if (d->dfu_endpoints)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "the DFU interface has %u endpoint%s; DFU uses the "
                           "default control pipe only",
                           d->dfu_endpoints, d->dfu_endpoints == 1 ? "" : "s");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "interface %d, %s, no endpoints (as DFU requires)",
                           d->dfu_iface, d->dfu_class_proto == 2 ? "DFU mode" : "run-time");
    return DFS_RUN__NEXT;
}

static enum dfs_run__next dfu_func_present(struct dfs_run__suite_ctx *c,
                                           const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (!d->dfu_found)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no DFU interface");
    else if (!d->func_found && d->dfu_quirk)
        dfs_run__check_end_quirk(s, d->dfu_quirk,
                                 "no DFU functional descriptor: wTransferSize and the attributes "
                                 "are not announced (hosts take the version as 0xff01 and speak "
                                 "the family's own protocol)");
    else if (!d->func_found)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "no descriptor of type 0x21 follows the DFU "
                           "interface; wTransferSize and the attributes are unknown");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return DFS_RUN__NEXT;
}

static enum dfs_run__next dfu_func_length(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (!d->func_found)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no DFU functional descriptor");
    else if (d->func_bad || d->func_short || d->func.bLength != DFS_DFU_FUNC_DESC_LEN)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "bLength %u%s", d->func.bLength,
                           d->func.bLength == DFS_DFU_FUNC_DESC_LEN_1_0
                               ? ": the DFU 1.0 layout, without bcdDFUVersion (dfu-quirks R7)"
                               : "");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return DFS_RUN__NEXT;
}

static enum dfs_run__next dfu_func_values(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct desc_state *d = state(c);
    const struct dfs_desc_dfu_functional *func = &d->func;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    uint8_t mps = d->dev_len >= 8 ? d->devf.bMaxPacketSize0 : 8;
    if (!d->func_found || d->func_bad)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "no usable DFU functional descriptor");
    else if (d->func_short)
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "no bcdDFUVersion (see desc.dfu.functional-length)");
    else if (func->wTransferSize < mps)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "wTransferSize %u is less than bMaxPacketSize0 %u",
                           func->wTransferSize, mps);
    else if (func->bcdDFUVersion != DFS_DFU_VERSION_1_1 &&
             func->bcdDFUVersion != DFS_DFU_VERSION_DFUSE) {
        /* a family known to announce another version (TinyUSB 0x0101) */
        if (!dfs_run__check_end_quirk(s, 8, "bcdDFUVersion 0x%04x", func->bcdDFUVersion))
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "bcdDFUVersion 0x%04x (dfu-quirks R8)",
                               func->bcdDFUVersion);
    } else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "bcdDFUVersion 0x%04x, wTransferSize %u",
                           func->bcdDFUVersion, func->wTransferSize);
    return DFS_RUN__NEXT;
}

/* ---- DfuSe layouts: the names the run read at the start ------------------------------------- */

static enum dfs_run__next layout_parse(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (s->facts.dfuse != 1) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "not a DfuSe device");
        return DFS_RUN__NEXT;
    }
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
    return DFS_RUN__NEXT;
}

static bool same_layout(const struct dfs_layout *a, const struct dfs_layout *b)
{
    bool same = a->n_regions == b->n_regions;
    for (unsigned r = 0; same && r < a->n_regions; r++)
        same = a->regions[r].start == b->regions[r].start &&
               a->regions[r].end == b->regions[r].end &&
               a->regions[r].size == b->regions[r].size &&
               a->regions[r].flags == b->regions[r].flags;
    return same;
}

static enum dfs_run__next layout_unique(struct dfs_run__suite_ctx *c,
                                        const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (s->facts.dfuse != 1) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "not a DfuSe device");
        return DFS_RUN__NEXT;
    }
    char p[600] = "";
    const struct dfs_run__alt *dup = NULL;
    for (unsigned i = 0; i < s->n_alts && !p[0]; i++)
        for (unsigned k = i + 1; k < s->n_alts && !p[0]; k++) {
            const struct dfs_run__alt *a = &s->alts[i], *b = &s->alts[k];
            if (!a->layout_ok || !b->layout_ok || !same_layout(&a->layout, &b->layout))
                continue;
            unsigned also = 0;
            dup = a;
            for (unsigned m = k + 1; m < s->n_alts; m++)
                also += s->alts[m].layout_ok && strcmp(s->alts[m].name, a->name) == 0;
            dfs_run__fmt(p, sizeof p,
                         "alternate settings %u and %u%s both advertise \"%s\"; each should "
                         "name its own memory (flash, option bytes, OTP, ...), so tools "
                         "cannot tell them apart (dfuscope diagnose: "
                         "desc.duplicate-alt-layouts)",
                         a->alt, b->alt, also ? " (and more)" : "", a->name);
        }
    /* the STM32 ROM bootloaders that name every alternate setting alike
     * (the STM32G0C1 of the seed): a known quirk of the family */
    if (p[0] && dup &&
        dfs_run__check_end_quirk(s, 10, "several alternate settings advertise \"%s\"", dup->name))
        return DFS_RUN__NEXT;
    if (p[0])
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s", p);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return DFS_RUN__NEXT;
}

/* ---- vendor requests: only with --allow-vendor-request ------------------------------------ */

static enum dfs_run__next vendor_request(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    if (!(s->o->allow & DFS_ALLOW_VENDOR_REQUEST)) {
        dfs_run__check_not_checked(s, c->suite, ci, DFS_ALLOW_VENDOR_REQUEST,
                                   "needs --allow-vendor-request (what a vendor request does is "
                                   "up to the device's maker)");
        return DFS_RUN__NEXT;
    }
    dfs_run__check_begin(s, c->suite, ci, NULL);
    /* IN, so that no data reaches the device; a timeout of its own, so
     * that a device that never answers costs a second, not the run's */
    struct dfs_setup su = {DFS_REQTYPE_DIR_IN | DFS_REQTYPE_VENDOR, 0xff, 0, 0, 1};
    uint8_t b[1];
    uint32_t got = 0, got2 = 0;
    dfs_run__suite_step(c, ci, "vendor request 0xff (in, 1 byte)");
    enum dfs_xfer_status st = dfs_run__xfer(s, &su, NULL, b, 1000, false, &got);
    dfs_run__suite_step_done(c, st, got);
    uint8_t dev[DFS_DEVICE_DESC_LEN];
    dfs_run__suite_step(c, ci, "get-descriptor device");
    enum dfs_xfer_status st2 =
        dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, sizeof dev, dev, &got2);
    dfs_run__suite_step_done(c, st2, got2);
    if (st == DFS_XFER_TIMEOUT)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "no answer within 1 s: a request the device does not support must "
                           "STALL, and a host that sends one waits for its timeout");
    else if (st != DFS_XFER_OK && st != DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the vendor request ended with %s",
                           dfs_xfer_status_name(st));
    else if (st2 != DFS_XFER_OK || got2 != DFS_DEVICE_DESC_LEN)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "after it the device did not answer GET_DESCRIPTOR(DEVICE): %s",
                           dfs_xfer_status_name(st2));
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%s",
                           st == DFS_XFER_STALL ? "STALL" : "answered (the device defines it)");
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* ---- the suite -------------------------------------------------------------------------------- */

static const struct dfs_check_info info[] = {DESC_CHECKS(DFS_RUN__CHECK_INFO)};
static const struct dfs_run__check checks[] = {DESC_CHECKS(DFS_RUN__CHECK_RUN)};

static void run(struct dfs_run__suite_ctx *c)
{
    struct desc_state d;
    memset(&d, 0, sizeof d);
    d.lang = 0x0409;
    d.dfu_iface = -1;
    c->state = &d;
    dfs_run__suite_walk(c);
    c->state = NULL;
}

const struct dfs_run__suite dfs_run__suite_descriptors = {
    "descriptors", info, checks, D__COUNT, NULL, run,
};
