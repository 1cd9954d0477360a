/* What a captured session wrote (or read), from the decoder's memory
 * operations, and the device that did it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "session.h"

void dfs_fw_session_options_init(struct dfs_fw_session_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->alt = -1;
    o->max_bytes = 256u << 20;
}

dfs_result dfs_fw_session_new(const struct dfs_fw_session_options *o, dfs_fw_session **out)
{
    if (!out)
        return DFS_E_INVAL;
    struct dfs_fw_session_options def;
    if (!o) {
        dfs_fw_session_options_init(&def);
        o = &def;
    }
    if (o->size < sizeof *o || o->alt > 255)
        return DFS_E_INVAL;
    dfs_fw_session *s = calloc(1, sizeof *s);
    if (!s)
        return DFS_E_NOMEM;
    s->o = *o;
    if (!s->o.max_bytes)
        s->o.max_bytes = 256u << 20;
    *out = s;
    return DFS_OK;
}

void dfs_fw_session_free(dfs_fw_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_chunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    dfs_fw__map_free(&s->map);
    free(s);
}

static bool keep_chunk(dfs_fw_session *s, uint8_t *p)
{
    if (s->n_chunks == s->cap_chunks) {
        size_t ncap = s->cap_chunks ? s->cap_chunks * 2 : 64;
        uint8_t **n = realloc(s->chunks, ncap * sizeof *n);
        if (!n)
            return false;
        s->chunks = n;
        s->cap_chunks = ncap;
    }
    s->chunks[s->n_chunks++] = p;
    return true;
}

int dfs_fw_session_on_mem(void *session, const struct dfs_mem_op *op)
{
    dfs_fw_session *s = session;
    if (!s || !op || op->kind != (s->o.reads ? DFS_MEM_OP_READ : DFS_MEM_OP_WRITE))
        return 0;
    if (s->o.alt >= 0 && op->alt != s->o.alt)
        return 0;
    if (!op->ok) {
        if (!s->failed_ops++) {
            s->first_failed = *op;
            s->first_failed.data = NULL;
            s->first_failed.data_len = 0;
        }
        return 0;
    }
    if (op->dfuse) {
        s->any_dfuse = true;
    } else {
        if (s->any_plain && (s->plain_lane != op->lane || s->plain_alt != op->alt))
            s->mixed = true;
        s->any_plain = true;
        s->plain_lane = op->lane;
        s->plain_alt = op->alt;
    }
    if (s->any_dfuse && s->any_plain)
        s->mixed = true;
    if (op->data_len < op->length)
        s->missing_bytes += op->length - op->data_len;
    if (!s->ops++)
        s->first_frame = op->frame;
    s->last_frame = op->frame;
    s->last_ok = *op;
    s->last_ok.data = NULL;
    s->has_last_ok = true;
    if (!op->data_len || s->full || !op->data)
        return 0;
    if (s->map.bytes + op->data_len > s->o.max_bytes || s->copied / 2 > s->o.max_bytes) {
        s->full = true;
        return 0;
    }
    uint8_t *copy = malloc(op->data_len);
    if (!copy || !keep_chunk(s, copy)) {
        free(copy);
        s->nomem = true;
        return 1;
    }
    memcpy(copy, op->data, op->data_len);
    s->copied += op->data_len;
    struct dfs_fw__ext x = {op->address, (uint64_t)op->address + op->data_len, copy, op->frame,
                            op->alt, (uint32_t)(s->ops - 1)};
    if (!dfs_fw__map_put(&s->map, &x)) {
        s->nomem = true;
        return 1;
    }
    return 0;
}

int dfs_fw_session_on_device(void *session, const struct dfs_device_event *ev)
{
    dfs_fw_session *s = session;
    if (!s || !ev || ev->change != DFS_DEV_GONE)
        return 0;
    for (unsigned i = 0; i < s->n_gone; i++)
        if (s->gone[i].lane == ev->lane) {
            s->gone[i].frame = ev->frame;
            return 0;
        }
    if (s->n_gone < DFS_FW__GONE_MAX) {
        s->gone[s->n_gone].lane = ev->lane;
        s->gone[s->n_gone].frame = ev->frame;
        s->n_gone++;
    }
    return 0;
}

int dfs_fw_session_on_finding(void *session, const struct dfs_finding *f)
{
    dfs_fw_session *s = session;
    if (!s || !f || f->severity != DFS_SEV_ERROR)
        return 0;
    if (!s->errors++) {
        snprintf(s->first_error_id, sizeof s->first_error_id, "%s", f->id ? f->id : "?");
        snprintf(s->first_error_title, sizeof s->first_error_title, "%s",
                 f->title ? f->title : "");
        s->first_error_frame = f->frame;
    }
    return 0;
}

void dfs_fw_session_sink(dfs_fw_session *s, struct dfs_sink *sink)
{
    sink->user = s;
    sink->on_mem = dfs_fw_session_on_mem;
    sink->on_device = dfs_fw_session_on_device;
    sink->on_finding = dfs_fw_session_on_finding;
}

static void learn_alts(struct dfs_fw_device *d, const struct dfs_dfu_info *dfu)
{
    d->dfuse = dfu->dfuse ? 1 : 0;
    d->runtime = dfu->runtime;
    d->transfer_size = dfu->transfer_size;
    /* every alternate setting, unless the decoder kept only the first ones */
    d->alts_known = dfu->from_descriptor && dfu->n_alts < DFS_DFU_MAX_ALTS;
    for (unsigned i = 0; i < dfu->n_alts && i < DFS_DFU_MAX_ALTS && d->n_alts < DFS_FW_MAX_ALTS;
         i++) {
        const struct dfs_dfu_alt_info *a = &dfu->alts[i];
        struct dfs_fw_alt *o = &d->alts[d->n_alts++];
        o->alt = a->alt;
        o->has_name = a->has_name;
        snprintf(o->name, sizeof o->name, "%s", a->has_name ? a->name : "");
        o->has_layout = a->layout_parsed;
        if (a->layout_parsed)
            o->layout = a->layout;
    }
}

dfs_result dfs_fw_session_finish(dfs_fw_session *s, const dfs_decoder *dec)
{
    if (!s || !dec)
        return DFS_E_INVAL;
    if (!s->has_last_ok && !s->failed_ops)
        return DFS_OK;
    uint32_t id = s->has_last_ok ? s->last_ok.device : s->first_failed.device;
    size_t n = dfs_decoder_device_count(dec);
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK || info.id != id)
            continue;
        struct dfs_fw_device *d = &s->device;
        dfs_fw_device_init(d);
        s->has_device = true;
        if (info.has_device_desc && info.device_desc_complete) {
            d->has_id = true;
            d->vid = info.desc.idVendor;
            d->pid = info.desc.idProduct;
            d->bcdDevice = info.desc.bcdDevice;
            snprintf(d->what, sizeof d->what, "device %u.%u (%04x:%04x) of the capture",
                     info.bus, info.devnum, d->vid, d->pid);
        } else {
            snprintf(d->what, sizeof d->what, "device %u.%u of the capture", info.bus,
                     info.devnum);
        }
        struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
        if (!dfu)
            return DFS_E_NOMEM;
        if (dfs_decoder_dfu_info(dec, id, dfu) == DFS_OK && dfu->present)
            learn_alts(d, dfu);
        free(dfu);
        break;
    }
    return DFS_OK;
}

void dfs_fw_session_get_info(const dfs_fw_session *s, struct dfs_fw_session_info *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    out->dfuse = s->any_dfuse;
    out->mixed = s->mixed;
    out->full = s->full;
    out->bytes = s->map.bytes;
    out->ops = s->ops;
    out->failed_ops = s->failed_ops;
    out->first_frame = s->first_frame;
    out->last_frame = s->last_frame;
    if (s->map.n) {
        out->low = (uint32_t)s->map.e[0].start;
        out->high_end = s->map.e[s->map.n - 1].end;
        out->high = out->high_end > UINT32_MAX ? UINT32_MAX : (uint32_t)out->high_end;
    }
}

dfs_result dfs_fw_session_device(const dfs_fw_session *s, struct dfs_fw_device *out)
{
    if (!s || !out)
        return DFS_E_INVAL;
    if (!s->has_device)
        return DFS_E_NOTFOUND;
    *out = s->device;
    return DFS_OK;
}
