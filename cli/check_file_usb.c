/* check-file --device: what a live device says about itself, read through
 * the conformance runner's libusb transport (include/dfuscope/runner.h).
 * Read-only: the descriptors the kernel holds, and GET_DESCRIPTOR(STRING)
 * for the names of the DFU interface's alternate settings; no interface is
 * claimed, nothing is sent to the DFU interface. */
#include <stdio.h>
#include <string.h>

#include "check_file.h"
#include "dfuscope/runner.h"

#define STRING_TIMEOUT_MS 1000

/* GET_DESCRIPTOR(STRING idx) in language langid: the raw descriptor into
 * buf (255 bytes), its length, or 0 when the device does not give it. */
static uint32_t get_string_desc(const struct dfs_transport *tp, uint8_t idx, uint16_t langid,
                                uint8_t buf[255])
{
    struct dfs_setup su = {DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE,
                           DFS_REQ_GET_DESCRIPTOR, (uint16_t)(DFS_DT_STRING << 8 | idx), langid,
                           255};
    struct dfs_xfer_reply r;
    tp->ops->control(tp->ctx, &su, buf, STRING_TIMEOUT_MS, &r);
    return r.status == DFS_XFER_OK && r.length >= 2 ? r.length : 0;
}

static bool get_string(const struct dfs_transport *tp, uint8_t idx, uint16_t langid, char *out,
                       size_t size)
{
    uint8_t buf[255];
    uint32_t n = get_string_desc(tp, idx, langid, buf);
    return n && dfs_desc_string_utf8(buf, n, out, size, NULL) == DFS_OK;
}

static void learn(const struct dfs_transport *tp, const uint8_t *cfg, size_t cfg_len,
                  struct dfs_fw_device *d)
{
    struct dfs_dfu_interface it[DFS_FW_MAX_ALTS];
    size_t n = dfs_desc_find_dfu(cfg, cfg_len, it, DFS_FW_MAX_ALTS);
    /* every alternate setting, unless there are more than are kept */
    d->alts_known = n <= DFS_FW_MAX_ALTS;
    if (n > DFS_FW_MAX_ALTS)
        n = DFS_FW_MAX_ALTS;
    if (!n)
        return;
    uint8_t buf[255];
    uint16_t langid = 0;
    uint32_t len = get_string_desc(tp, 0, 0, buf);
    if (len && dfs_desc_langids(buf, len, &langid, 1) != 1)
        langid = 0;
    d->runtime = true;
    for (size_t i = 0; i < n; i++) {
        if (it[i].iface.bInterfaceNumber != it[0].iface.bInterfaceNumber)
            continue; /* the first DFU interface only */
        if (it[i].iface.bInterfaceProtocol != DFS_DFU_PROTO_RUNTIME)
            d->runtime = false;
        if (it[i].has_functional) {
            d->transfer_size = it[i].functional.wTransferSize;
            if (it[i].functional.has_version)
                d->dfuse = it[i].functional.bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? 1 : 0;
        }
        struct dfs_fw_alt *a = &d->alts[d->n_alts++];
        a->alt = it[i].iface.bAlternateSetting;
        if (it[i].iface.iInterface &&
            get_string(tp, it[i].iface.iInterface, langid, a->name, sizeof a->name)) {
            a->has_name = true;
            a->has_layout = a->name[0] == '@' &&
                            dfs_layout_parse(a->name, strlen(a->name), &a->layout, NULL, 0) ==
                                DFS_OK;
        }
    }
    /* a DfuSe device without the version in its descriptor still names its
     * memories */
    for (unsigned i = 0; d->dfuse < 0 && i < d->n_alts; i++)
        if (d->alts[i].has_layout)
            d->dfuse = 1;
}

int check_file_read_device(const char *arg, struct dfs_fw_device *d)
{
    struct dfs_device_sel sel;
    memset(&sel, 0, sizeof sel);
    if (!dfs_device_sel_parse_id(&sel, arg)) {
        cli_err("check-file", "--device '%s': expected VID:PID in hex, e.g. 0483:df11", arg);
        return EXIT_USAGE;
    }
    struct dfs_clock clock;
    dfs_system_clock(&clock);
    struct dfs_transport tp;
    char msg[800];
    if (dfs_usb_transport_new(&clock, &tp, msg, sizeof msg) != DFS_OK) {
        cli_err("check-file", "%s", msg);
        return EXIT_USAGE;
    }
    struct dfs_usb_ident id;
    if (tp.ops->open(tp.ctx, &sel, &id, msg, sizeof msg) != DFS_OK) {
        cli_err("check-file", "%s", msg);
        dfs_usb_transport_free(&tp);
        return EXIT_USAGE;
    }
    uint8_t dev[18];
    static uint8_t cfg[65536];
    size_t cfg_len = 0;
    if (tp.ops->cached_descriptors(tp.ctx, dev, cfg, sizeof cfg, &cfg_len) != DFS_OK) {
        cli_err("check-file", "%04x:%04x: cannot read its descriptors", id.vid, id.pid);
        tp.ops->close(tp.ctx);
        dfs_usb_transport_free(&tp);
        return EXIT_USAGE;
    }
    d->has_id = true;
    d->vid = id.vid;
    d->pid = id.pid;
    d->bcdDevice = (uint16_t)(dev[12] | dev[13] << 8);
    snprintf(d->what, sizeof d->what, "device %04x:%04x at %s", id.vid, id.pid, id.path);
    learn(&tp, cfg, cfg_len, d);
    tp.ops->close(tp.ctx);
    dfs_usb_transport_free(&tp);
    if (!d->n_alts) {
        cli_err("check-file", "%s has no DFU interface", d->what);
        return EXIT_USAGE;
    }
    return 0;
}
