/* The outcome of a session from the evidence (outcome.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "dfuscope/quirks.h"
#include "outcome.h"

/* the quirk of a bootloader that stays in DFU mode after a download until
 * it is reset (the ESP32-S2/S3 ROM) */
#define STAYS_QUIRK 26

void outcome_on_dfu(struct outcome *o, const struct dfs_dfu_txn *t)
{
    o->any_dfu = true;
    o->last_dev = t->device;
    o->last_frame = t->frame;
    o->last_failed = t->outcome != DFS_DFU_ACK;
    o->last_request = t->request;
    if (o->leave && t->frame > o->leave_frame && t->request != DFS_DFU_GETSTATUS)
        o->after_leave = true;
    if (o->leave && t->frame > o->leave_frame && !o->after_leave && !o->leave_refused &&
        t->request == DFS_DFU_GETSTATUS && t->outcome == DFS_DFU_ACK && t->has_state &&
        t->bState == DFS_STATE_ERROR) {
        o->leave_refused = true;
        o->refused_frame = t->frame;
        o->refused_status = t->has_status ? t->bStatus : 0xff;
    }
    if (t->request != DFS_DFU_DNLOAD)
        return;
    if (t->flip && t->wLength == 0 && !t->leave)
        return; /* the end of a FLIP program start, not a leave */
    if (t->wLength == 0) {
        if (t->outcome == DFS_DFU_ACK) {
            o->leave = true;
            o->leave_frame = t->frame;
            o->after_leave = false;
            o->leave_refused = false;
        }
        return;
    }
    if (t->cmd >= 0) /* a DfuSe command, not data */
        return;
    if (t->flip && t->flip_cmd != DFS_FLIP_PROGRAM_FLASH) /* a FLIP command */
        return;
    o->blocks++;
    if (t->outcome == DFS_DFU_ACK)
        o->blocks_acked++;
}

void outcome_on_mem(struct outcome *o, const struct dfs_mem_op *op)
{
    switch (op->kind) {
    case DFS_MEM_OP_ERASE:
        if (op->ok)
            o->erases++;
        else
            o->erases_failed++;
        break;
    case DFS_MEM_OP_MASS_ERASE:
        if (op->ok)
            o->mass_erases++;
        else
            o->erases_failed++;
        break;
    case DFS_MEM_OP_WRITE:
        if (!op->ok) {
            o->writes_failed++;
            o->blocks_failed++;
            break;
        }
        o->writes_ok++;
        if (!o->write_any || op->address != o->write_end)
            o->write_regions++;
        o->write_any = true;
        o->write_bytes += op->length;
        o->write_end = op->address + op->length;
        break;
    case DFS_MEM_OP_READ:
        if (!o->read_any || op->address != o->read_end)
            o->read_regions++;
        o->read_any = true;
        o->read_bytes += op->length;
        o->read_end = op->address + op->length;
        break;
    }
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* What came on the bus after the session: the first identified instance on
 * the bus of `dev` that appeared after the last DFU transaction, while `dev`
 * said nothing more (a device that jumps to its application re-enumerates
 * without a disconnect the capture always shows). */
static bool came_back(dfs_decoder *dec, const struct dfs_device_info *dev, uint64_t after,
                      struct dfs_device_info *back)
{
    size_t n = dfs_decoder_device_count(dec);
    for (size_t i = 0; i < n; i++) {
        if (dfs_decoder_device_info(dec, i, back) != DFS_OK)
            continue;
        if (back->id != dev->id && back->bus == dev->bus && back->has_device_desc &&
            back->first_frame > after && dev->last_frame <= back->first_frame)
            return true;
    }
    return false;
}

static bool find_instance(dfs_decoder *dec, uint32_t id, struct dfs_device_info *out)
{
    size_t n = dfs_decoder_device_count(dec);
    for (size_t i = 0; i < n; i++)
        if (dfs_decoder_device_info(dec, i, out) == DFS_OK && out->id == id)
            return true;
    return false;
}

/* A family the device belongs to that is known to stay in its bootloader
 * after a download, or NULL. */
static const struct dfs_quirk_family *stays_family(const struct dfs_device_info *dev)
{
    const struct dfs_quirk_family *fam[8];
    size_t n = dfs_quirk_match(dev->desc.idVendor, dev->desc.idProduct, dev->desc.bcdDevice,
                               fam, sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < n && i < sizeof fam / sizeof fam[0]; i++)
        if (dfs_quirk_family_has(fam[i], STAYS_QUIRK))
            return fam[i];
    return NULL;
}

static void where(const struct outcome *o, dfs_decoder *dec, struct outcome_result *r)
{
    struct dfs_device_info dev, back;
    struct dfs_dfu_info dfu;
    if (!o->any_dfu || !find_instance(dec, o->last_dev, &dev)) {
        r->end = OUTCOME_NO_DFU;
        return;
    }
    if (!came_back(dec, &dev, o->last_frame, &back)) {
        bool runtime = dfs_decoder_dfu_info(dec, dev.id, &dfu) == DFS_OK && dfu.present &&
                       dfu.runtime;
        r->gone_frame = dev.gone_frame;
        r->end = dev.gone                        ? OUTCOME_GONE
                 : o->leave && !o->after_leave ? OUTCOME_UNSEEN
                 : o->last_failed              ? OUTCOME_SILENT
                 : runtime                       ? OUTCOME_STAYED
                                                 : OUTCOME_STAYED_DFU;
        r->stays = (r->end == OUTCOME_STAYED_DFU || r->end == OUTCOME_UNSEEN) && o->blocks &&
                           dev.has_device_desc
                       ? stays_family(&dev)
                       : NULL;
        r->vid = dev.desc.idVendor;
        r->pid = dev.desc.idProduct;
        return;
    }
    /* the disconnect may be noticed only once the new device has its
     * address, after its first records: then it is not when it left */
    r->gone_unseen = !dev.gone || dev.gone_frame > back.first_frame;
    r->gone_frame = r->gone_unseen ? back.first_frame : dev.gone_frame;
    r->last_frame = dev.last_frame;
    r->back_frame = back.first_frame;
    r->back_vid = back.desc.idVendor;
    r->back_pid = back.desc.idProduct;
    bool has_dfu = dfs_decoder_dfu_info(dec, back.id, &dfu) == DFS_OK && dfu.present;
    r->back_runtime = has_dfu && dfu.runtime;
    /* in DFU mode: an interface with bInterfaceProtocol 2 (DFU 1.1 4.2.3) */
    bool dfu_mode = has_dfu && !dfu.runtime && dfu.n_alts && dfu.alts[0].protocol == 2;
    bool same_id = dev.has_device_desc && dev.desc.idVendor == back.desc.idVendor &&
                   dev.desc.idProduct == back.desc.idProduct;
    r->back_other_id = !same_id;
    if (dfu_mode)
        r->end = OUTCOME_BACK_DFU;
    else if (r->back_runtime || has_dfu || !same_id)
        r->end = OUTCOME_BACK_APP;
    else
        r->end = OUTCOME_BACK_OTHER;
}

static size_t put(char *buf, size_t size, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t size, size_t n, const char *fmt, ...)
{
    if (n >= size)
        return n;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
    return k < 0 ? n : n + (size_t)k;
}

static size_t memory_words(const struct outcome *o, char *b, size_t size)
{
    size_t n = 0;
    if (o->erases)
        n = put(b, size, n, "erased %" PRIu64 " %s", o->erases,
                plural(o->erases, "page", "pages"));
    if (o->erases && o->mass_erases)
        n = put(b, size, n, " and ");
    if (o->mass_erases == 1)
        n = put(b, size, n, "%sthe whole memory (a mass erase)", o->erases ? "" : "erased ");
    else if (o->mass_erases)
        n = put(b, size, n, "%sthe whole memory (%" PRIu64 " mass erases)",
                o->erases ? "" : "erased ", o->mass_erases);
    if (!o->erases && !o->mass_erases)
        n = put(b, size, n, "erased nothing");
    if (o->erases_failed)
        n = put(b, size, n, " (%" PRIu64 " %s refused)", o->erases_failed,
                plural(o->erases_failed, "erase", "erases"));
    if (o->write_bytes)
        n = put(b, size, n, ", wrote %" PRIu64 " %s in %" PRIu64 " %s", o->write_bytes,
                plural(o->write_bytes, "byte", "bytes"), o->write_regions,
                plural(o->write_regions, "region", "regions"));
    else
        n = put(b, size, n, ", wrote nothing the device confirmed");
    if (o->blocks && o->blocks_acked == o->blocks && o->writes_ok >= o->blocks)
        n = put(b, size, n, " (%" PRIu64 " %s, every one acknowledged and confirmed)",
                o->blocks, plural(o->blocks, "block", "blocks"));
    else if (o->blocks)
        n = put(b, size, n, " (%" PRIu64 " %s sent: %" PRIu64 " acknowledged, %" PRIu64
                " confirmed done by GETSTATUS)", o->blocks, plural(o->blocks, "block", "blocks"),
                o->blocks_acked, o->writes_ok);
    if (o->read_bytes)
        n = put(b, size, n, ", read %" PRIu64 " %s back in %" PRIu64 " %s", o->read_bytes,
                plural(o->read_bytes, "byte", "bytes"), o->read_regions,
                plural(o->read_regions, "region", "regions"));
    else
        n = put(b, size, n, ", read nothing back");
    return n;
}

/* "the device left the bus (frame N)", or when it came back before the
 * capture showed it leave, what is known of when it left */
static size_t left_words(const struct outcome_result *r, char *b, size_t size, size_t n)
{
    if (r->gone_unseen)
        return put(b, size, n, "the device went off the bus after frame %" PRIu64 " (the "
                   "capture shows no disconnect before it enumerated again)", r->last_frame);
    return put(b, size, n, "the device left the bus (frame %" PRIu64 ")", r->gone_frame);
}

/* the device refused the download at its end; else ", as the ... does":
 * a family known to stay in its bootloader */
static void stays_words(const struct outcome *o, const struct outcome_result *r, char *b,
                        size_t size, size_t n)
{
    if (o->leave_refused) {
        const char *status = o->refused_status == 0xff ? NULL
                                                       : dfs_dfu_status_name(o->refused_status);
        put(b, size, n, "; the GETSTATUS after it (frame %" PRIu64 ") says dfuERROR%s%s: the "
            "device refused the download at its end, so the new firmware is not in place",
            o->refused_frame, status ? " with " : "", status ? status : "");
    } else if (r->stays)
        put(b, size, n, "; the %s stays in DFU mode after every download (known quirk R%u, "
            "`dfuscope quirks %04x:%04x`): it runs the new firmware only once reset (RESET "
            "button)", r->stays->name, STAYS_QUIRK, r->vid, r->pid);
}

void outcome_finish(const struct outcome *o, dfs_decoder *dec, struct outcome_result *r)
{
    memset(r, 0, sizeof *r);
    where(o, dec, r);
    char *b = r->text;
    size_t size = sizeof r->text;
    if (r->end == OUTCOME_NO_DFU) {
        snprintf(b, size, "no DFU session in the capture");
        return;
    }
    size_t n = memory_words(o, b, size);
    char leave[64] = "";
    if (o->leave)
        snprintf(leave, sizeof leave, "after the leave request at frame %" PRIu64 " ",
                 o->leave_frame);
    switch (r->end) {
    case OUTCOME_STAYED_DFU:
        n = put(b, size, n, "; the device is still in DFU mode at the end of the capture");
        stays_words(o, r, b, size, n);
        break;
    case OUTCOME_STAYED:
        put(b, size, n, "; the device is still on the bus at the end of the capture");
        break;
    case OUTCOME_SILENT:
        put(b, size, n, "; its last request (%s at frame %" PRIu64 ") failed, and nothing more "
            "was seen from the device", dfs_dfu_request_name(o->last_request), o->last_frame);
        break;
    case OUTCOME_UNSEEN:
        n = put(b, size, n, "; after the leave request at frame %" PRIu64 " the capture shows "
                "neither the device leaving nor anything coming back", o->leave_frame);
        stays_words(o, r, b, size, n);
        break;
    case OUTCOME_BACK_APP:
        n = put(b, size, n, "; %s", leave);
        n = left_words(r, b, size, n);
        put(b, size, n, " and came back as %04x:%04x at frame %" PRIu64 ", running its "
            "application (%s)", r->back_vid, r->back_pid, r->back_frame,
            r->back_runtime   ? "it has a DFU run-time interface"
            : r->back_other_id ? "another VID:PID, without a DFU-mode interface"
                               : "no DFU-mode interface");
        break;
    case OUTCOME_BACK_DFU:
        n = put(b, size, n, "; %s", leave);
        n = left_words(r, b, size, n);
        put(b, size, n, " and came back in DFU mode as %04x:%04x at frame %" PRIu64,
            r->back_vid, r->back_pid, r->back_frame);
        break;
    case OUTCOME_BACK_OTHER:
        n = put(b, size, n, "; %s", leave);
        n = left_words(r, b, size, n);
        put(b, size, n, " and %04x:%04x appeared at frame %" PRIu64 " (no DFU interface seen: "
            "not known whether it is the application)", r->back_vid, r->back_pid,
            r->back_frame);
        break;
    case OUTCOME_GONE:
        put(b, size, n, "; %sthe device left the bus (frame %" PRIu64 ") and did not come "
            "back in the capture", leave, r->gone_frame);
        break;
    case OUTCOME_NO_DFU: break;
    }
}

void outcome_json(FILE *f, const struct outcome *o, const struct outcome_result *r)
{
    static const char *const ends[] = {"no-dfu",        "still-in-dfu-mode", "still-on-bus",
                                       "not-seen",      "silent",  "back-application",  "back-dfu-mode",
                                       "back-unknown",  "gone"};
    fprintf(f, "{\"end\":\"%s\",\"erased\":%" PRIu64 ",\"mass_erased\":%" PRIu64
               ",\"erases_failed\":%" PRIu64 ",\"written_bytes\":%" PRIu64
               ",\"written_regions\":%" PRIu64 ",\"blocks\":%" PRIu64
               ",\"blocks_acknowledged\":%" PRIu64 ",\"blocks_confirmed\":%" PRIu64
               ",\"blocks_failed\":%" PRIu64
               ",\"read_bytes\":%" PRIu64 ",\"read_regions\":%" PRIu64 ",\"leave_frame\":",
            ends[r->end], o->erases, o->mass_erases, o->erases_failed, o->write_bytes,
            o->write_regions, o->blocks, o->blocks_acked, o->writes_ok, o->blocks_failed,
            o->read_bytes,
            o->read_regions);
    if (o->leave)
        fprintf(f, "%" PRIu64, o->leave_frame);
    else
        fputs("null", f);
    fputs(",\"back\":", f);
    if (r->end == OUTCOME_BACK_APP || r->end == OUTCOME_BACK_DFU || r->end == OUTCOME_BACK_OTHER)
        fprintf(f, "{\"vid\":%u,\"pid\":%u,\"frame\":%" PRIu64 ",\"runtime\":%s}", r->back_vid,
                r->back_pid, r->back_frame, r->back_runtime ? "true" : "false");
    else
        fputs("null", f);
    fputs(",\"text\":", f);
    json_str(f, r->text);
    fputs("}", f);
}
