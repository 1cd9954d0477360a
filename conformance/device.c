/* The device of a run: opening it through the transport, what its cached
 * descriptors say (the DFU interface, its alternate settings, DfuSe or
 * not), the names and layouts read from it, claiming the interface,
 * selecting the alternate setting, and opening it again after it
 * re-enumerated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/descriptors.h"
#include "dfuscope/quirks.h"
#include "session.h"

/* ---- opening and identifying the device ------------------------------------------------------- */

/* The DFU interfaces a configuration set of DFS_RUN__CFG_MAX bytes can hold */
#define MAX_DFU_ALTS (DFS_RUN__CFG_MAX / DFS_INTERFACE_DESC_LEN + 1)

/* What the descriptors the host holds say: the DFU interface (the first,
 * or the one the options name) with its alternate settings (up to
 * DFS_RUN__MAX_ALTS) and functional descriptor, DfuSe or not. */
static void parse_cached(struct dfs_run__sess *s)
{
    struct dfs_desc_problem pb;
    bool complete;
    dfs_desc_parse_device(s->devdesc, sizeof s->devdesc, &s->dev, &complete, &pb);
    if (s->cfg_len > sizeof s->cfg)
        s->cfg_len = sizeof s->cfg;
    struct dfs_dfu_interface dfu[MAX_DFU_ALTS];
    /* through the quirk table: a FLIP bootloader's DFU is on a class 0/0/0
     * interface (R25) */
    size_t n = dfs_quirk_find_dfu(s->dev.idVendor, s->dev.idProduct, s->dev.bcdDevice, s->cfg,
                                  s->cfg_len, dfu, MAX_DFU_ALTS, &s->dfu_quirk);
    if (n > MAX_DFU_ALTS)
        n = MAX_DFU_ALTS;
    int found_iface = -1;
    s->n_alts = 0;
    s->has_func = false;
    for (size_t k = 0; k < n; k++) {
        const struct dfs_desc_interface *i = &dfu[k].iface;
        if (s->o->interface >= 0 && i->bInterfaceNumber != s->o->interface)
            continue;
        if (found_iface < 0) {
            found_iface = i->bInterfaceNumber;
            /* the functional descriptor of its first alternate setting:
             * the first one that follows any of them */
            s->has_func = dfu[k].has_functional;
            if (s->has_func)
                s->func = dfu[k].functional;
        }
        if (i->bInterfaceNumber != found_iface || s->n_alts >= DFS_RUN__MAX_ALTS)
            continue;
        struct dfs_run__alt *a = &s->alts[s->n_alts++];
        memset(a, 0, sizeof *a);
        a->alt = i->bAlternateSetting;
        a->iInterface = i->iInterface;
        a->protocol = i->bInterfaceProtocol;
        s->protocol = i->bInterfaceProtocol;
    }
    s->have_dfu = found_iface >= 0;
    if (s->have_dfu && s->dfu_quirk == 25) {
        /* a FLIP bootloader (R25) has no run-time mode: its class 0/0/0
         * interface is the DFU-mode one, and it is not DfuSe */
        s->protocol = DFS_DFU_PROTO_DFU;
    }
    s->iface = found_iface >= 0 ? (uint8_t)found_iface : 0;
    dfs_device_facts_init(&s->facts);
    if (s->dfu_quirk == 25) {
        s->facts.dfuse = 0;
        s->facts.flip = true; /* DNLOADs are command blocks: safety.c reads them */
    }
    if (s->has_func) {
        s->facts.transfer_size = s->func.wTransferSize;
        if (s->func.has_version)
            s->facts.dfuse = s->func.bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? 1 : 0;
    }
}

/* Decide DfuSe from the layout strings when the functional descriptor did not. */
static void facts_from_layouts(struct dfs_run__sess *s)
{
    s->facts.n_layouts = 0;
    bool any_at = false, all_ok = true;
    for (unsigned i = 0; i < s->n_alts; i++) {
        struct dfs_run__alt *a = &s->alts[i];
        if (!a->name_read || a->name[0] != '@')
            continue;
        any_at = true;
        all_ok &= a->layout_ok;
        if (a->layout_ok && s->facts.n_layouts < DFS_FACTS_MAX_LAYOUTS)
            s->facts.layouts[s->facts.n_layouts++] = a->layout;
    }
    if (s->facts.dfuse < 0 && any_at && all_ok)
        s->facts.dfuse = 1;
}

bool dfs_run__open_device(struct dfs_run__sess *s)
{
    char msg[1024];
    msg[0] = '\0';
    dfs_result r = s->t->ops->open(s->t->ctx, &s->o->device, &s->id, msg, sizeof msg);
    if (r != DFS_OK) {
        dfs_run__report_set_outcome(s->rep, DFS_RUN_NOT_MADE, "%s",
                                    msg[0] ? msg : "cannot open the device");
        return false;
    }
    s->open = true;
    dfs_run__report_set_device(s->rep, &s->id);
    s->sel.by_id = true;
    s->sel.vid = s->id.vid;
    s->sel.pid = s->id.pid;
    dfs_run__fmt(s->sel.serial, sizeof s->sel.serial, "%s", s->o->device.serial);
    if (s->t->ops->cached_descriptors(s->t->ctx, s->devdesc, s->cfg, sizeof s->cfg,
                                      &s->cfg_len) != DFS_OK) {
        dfs_run__report_set_outcome(s->rep, DFS_RUN_NOT_MADE,
                                    "cannot read the descriptors of %04x:%04x from the host",
                                    s->id.vid, s->id.pid);
        return false;
    }
    parse_cached(s);
    return true;
}

static void read_string(struct dfs_run__sess *s, uint8_t index, char *out, size_t size, bool *ok)
{
    uint8_t buf[255];
    uint32_t got = 0;
    *ok = false;
    out[0] = '\0';
    if (dfs_run__get_descriptor(s, DFS_DT_STRING, index, s->langid, sizeof buf, buf, &got) !=
        DFS_XFER_OK)
        return;
    struct dfs_desc_problem pb;
    if (dfs_desc_string_utf8(buf, got, out, size, &pb) == DFS_OK)
        *ok = true;
}

/* Read what the host does not hold: the LANGIDs and the alternate
 * settings' names (DfuSe layouts). Also puts the device and configuration
 * descriptors into the capture, so that it can be decoded on its own. */
void dfs_run__identify(struct dfs_run__sess *s)
{
    dfs_run__step_begin(s, "setup", "read the device's descriptors and alternate-setting names");
    uint8_t buf[DFS_RUN__CFG_MAX];
    uint32_t got = 0;
    dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, DFS_DEVICE_DESC_LEN, buf, &got);
    if (dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, DFS_CONFIG_DESC_LEN, buf, &got) ==
            DFS_XFER_OK &&
        got >= 4) {
        struct dfs_desc_config cfg;
        dfs_run__config_fields(buf, got, &cfg);
        uint16_t total = cfg.wTotalLength;
        if (total > DFS_CONFIG_DESC_LEN)
            dfs_run__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0,
                                    total < sizeof buf ? total : (uint16_t)sizeof buf, buf, &got);
    }
    s->langid = 0x0409;
    uint8_t bLength, type;
    if (dfs_run__get_descriptor(s, DFS_DT_STRING, 0, 0, 255, buf, &got) == DFS_XFER_OK) {
        dfs_run__desc_header(buf, got, &bLength, &type);
        if (got >= 4 && type == DFS_DT_STRING)
            dfs_run__first_langid(buf, got, &s->langid);
    }
    unsigned names = 0;
    for (unsigned i = 0; i < s->n_alts; i++) {
        struct dfs_run__alt *a = &s->alts[i];
        if (!a->iInterface)
            continue;
        /* alternate settings often share a string: read each index once */
        const struct dfs_run__alt *same = NULL;
        for (unsigned k = 0; k < i; k++)
            if (s->alts[k].iInterface == a->iInterface && s->alts[k].name_read)
                same = &s->alts[k];
        if (same) {
            memcpy(a->name, same->name, sizeof a->name);
            a->name_read = true;
        } else {
            read_string(s, a->iInterface, a->name, sizeof a->name, &a->name_read);
        }
        if (!a->name_read)
            continue;
        names++;
        if (a->name[0] == '@') {
            char why[160];
            a->layout_ok = dfs_layout_parse(a->name, strlen(a->name), &a->layout, why,
                                            sizeof why) == DFS_OK;
            if (!a->layout_ok)
                dfs_run__fmt(a->layout_err, sizeof a->layout_err, "%s", why);
        }
    }
    facts_from_layouts(s);
    dfs_run__step_reply(s, "%s; %u alternate setting%s, %u name%s read%s",
                        s->have_dfu ? (s->facts.dfuse == 1   ? "DfuSe"
                                       : s->facts.dfuse == 0 ? "DFU 1.1"
                                                             : "DFU")
                                    : "no DFU interface",
                        s->n_alts, s->n_alts == 1 ? "" : "s", names, names == 1 ? "" : "s",
                        s->has_func ? "" : ", no DFU functional descriptor");
    dfs_run__step_end(s, DFS_VERDICT_NONE, NULL);
}

static bool claim_msg(struct dfs_run__sess *s, char *msg, size_t size)
{
    if (!s->have_dfu || s->claimed)
        return true;
    msg[0] = '\0';
    if (s->t->ops->claim(s->t->ctx, s->iface, msg, size) != DFS_OK) {
        if (!msg[0])
            dfs_run__fmt(msg, size, "cannot claim the DFU interface %u", s->iface);
        return false;
    }
    s->claimed = true;
    return true;
}

bool dfs_run__claim(struct dfs_run__sess *s)
{
    char msg[1024];
    if (claim_msg(s, msg, sizeof msg))
        return true;
    dfs_run__report_set_outcome(s->rep, DFS_RUN_NOT_MADE, "%s", msg);
    return false;
}

bool dfs_run__select_alt(struct dfs_run__sess *s)
{
    if (s->o->alt < 0)
        return true;
    if (!dfs_run__alt_info(s, (uint8_t)s->o->alt)) {
        char list[100] = "";
        for (unsigned i = 0; i < s->n_alts; i++)
            dfs_run__catf(list, sizeof list, "%s%u", i ? ", " : "", s->alts[i].alt);
        dfs_run__report_set_outcome(s->rep, DFS_RUN_NOT_MADE,
                                    "--alt %d: the DFU interface %u has no such alternate setting "
                                    "(it has %s)",
                                    s->o->alt, s->iface, list[0] ? list : "none");
        return false;
    }
    dfs_run__step_begin(s, "setup", "set-interface %d", s->o->alt);
    enum dfs_xfer_status st = dfs_run__set_alt(s, (uint8_t)s->o->alt);
    dfs_run__step_reply(s, "%s", dfs_xfer_status_name(st));
    dfs_run__step_end(s, st == DFS_XFER_OK ? DFS_VERDICT_NONE : DFS_VERDICT_ERROR, NULL);
    if (st != DFS_XFER_OK) {
        dfs_run__report_set_outcome(
            s->rep, st == DFS_XFER_NO_DEVICE ? DFS_RUN_DEVICE_LOST : DFS_RUN_NOT_MADE,
            "SET_INTERFACE to alternate setting %d failed: %s", s->o->alt,
            dfs_xfer_status_name(st));
        return false;
    }
    return true;
}

/* After a re-enumeration: the device is new, and so is its state. */
bool dfs_run__reopen(struct dfs_run__sess *s, uint16_t vid, uint16_t pid, uint32_t within_ms,
                   char *msg, size_t msg_size)
{
    struct dfs_device_sel sel = s->sel;
    sel.by_id = true;
    sel.vid = vid;
    sel.pid = pid;
    sel.path[0] = '\0';
    uint64_t t = dfs_run__now(s);
    dfs_run__note(s, "waiting up to %u ms for %04x:%04x to come back", (unsigned)within_ms, vid,
                  pid);
    struct dfs_usb_ident id;
    char m[600];
    m[0] = '\0';
    if (s->t->ops->reopen(s->t->ctx, &sel, within_ms, &id, m, sizeof m) != DFS_OK) {
        dfs_run__fmt(msg, msg_size, "%s", m[0] ? m : "the device did not come back");
        return false;
    }
    uint64_t after = dfs_run__now(s) - t;
    s->id = id;
    s->open = true;
    s->gone = false;
    s->claimed = false;
    s->state_known = false;
    s->busy = false;
    s->alt_known = false;
    s->ptr.known = false;
    s->ob_pending = false;
    dfs_run__report_set_device(s->rep, &id);
    if (s->t->ops->cached_descriptors(s->t->ctx, s->devdesc, s->cfg, sizeof s->cfg,
                                      &s->cfg_len) == DFS_OK) {
        struct dfs_run__alt keep[DFS_RUN__MAX_ALTS];
        unsigned n_keep = s->n_alts;
        memcpy(keep, s->alts, sizeof keep);
        struct dfs_device_facts facts = s->facts;
        parse_cached(s);
        /* names are not read again; keep them when the same alts came back */
        if (s->n_alts == n_keep) {
            memcpy(s->alts, keep, sizeof keep);
            s->facts.n_layouts = facts.n_layouts;
            memcpy(s->facts.layouts, facts.layouts, sizeof facts.layouts);
            if (s->facts.dfuse < 0)
                s->facts.dfuse = facts.dfuse;
        }
    }
    /* a device descriptor read makes the capture show who came back */
    uint8_t d[DFS_DEVICE_DESC_LEN];
    dfs_run__get_descriptor(s, DFS_DT_DEVICE, 0, 0, sizeof d, d, NULL);
    if (!claim_msg(s, msg, msg_size))
        return false;
    if (s->o->alt >= 0)
        dfs_run__set_alt(s, (uint8_t)s->o->alt);
    dfs_run__fmt(msg, msg_size, "back as %04x:%04x, bus %u device %u, after %.0f ms", id.vid,
                 id.pid, id.bus, id.devnum, (double)after / 1000.0);
    return true;
}
