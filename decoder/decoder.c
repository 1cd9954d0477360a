/* The decoder's lifecycle (create, reset, free) and its queries: counters,
 * the sticky error, the capture's end time, the devices seen and their
 * strings. Feeding and finishing are the dispatcher's (dispatch.c). */
#include <string.h>

#include "dfu_layer.h"
#include "dfuscope/decoder.h"
#include "link.h"

/* ---- lifecycle ------------------------------------------------------------ */

void dfs_options_init(struct dfs_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->max_urbs = 4096;
    opt->max_devices = 256;
    opt->max_payload = 16u << 20;
}

dfs_result dfs_decoder_new(const struct dfs_options *opt, const struct dfs_sink *sink,
                           dfs_decoder **out)
{
    if (!out)
        return DFS_E_INVAL;
    struct dfs_options o;
    dfs_options_init(&o);
    if (opt) {
        if (opt->size < offsetof(struct dfs_options, alloc) || opt->size > sizeof o)
            return DFS_E_INVAL;
        memcpy(&o, opt, opt->size);
        o.size = sizeof o;
    }
    if (!o.max_urbs)
        o.max_urbs = 4096;
    if (!o.max_devices)
        o.max_devices = 256;
    if (o.max_urbs > (1u << 24) || o.max_devices > 65536)
        return DFS_E_INVAL;
    if (o.alloc && (!o.alloc->malloc || !o.alloc->realloc || !o.alloc->free))
        return DFS_E_INVAL;
    dfs_decoder *d = dfs__zalloc_with(o.alloc, sizeof *d);
    if (!d)
        return DFS_E_NOMEM;
    d->opt = o;
    dfs__dispatch_init(d);
    if (sink)
        d->sink = *sink;
    dfs_result r = dfs__links_init(d);
    if (r == DFS_OK)
        r = dfs__urb_table_init(d, &d->urbs, o.max_urbs);
    if (r == DFS_OK) {
        d->devs = dfs__calloc(d, o.max_devices, sizeof *d->devs);
        if (!d->devs)
            r = DFS_E_NOMEM;
    }
    if (r != DFS_OK) {
        dfs_decoder_free(d);
        return r;
    }
    *out = d;
    return DFS_OK;
}

void dfs_decoder_free(dfs_decoder *d)
{
    if (!d)
        return;
    dfs__dfu_free(d);
    dfs__devices_free(d);
    dfs__free(d, d->devs);
    dfs__urb_table_free(d, &d->urbs);
    dfs__links_free(d);
    dfs__free_with(d->opt.alloc, d);
}

void dfs_decoder_reset(dfs_decoder *d)
{
    if (!d)
        return;
    dfs__dfu_free(d);
    dfs__devices_free(d);
    dfs__urb_table_clear(d, &d->urbs);
    dfs__links_reset(d);
    d->payload_used = 0;
    memset(&d->stats, 0, sizeof d->stats);
    memset(d->limited, 0, sizeof d->limited);
    memset(&d->unmatched_frames, 0, sizeof d->unmatched_frames);
    d->unmatched_at_start = d->unmatched_later = 0;
    d->next_dev_id = 0;
    d->last_bus = 0;
    d->retired_pending = false;
    d->error = DFS_OK;
    d->errmsg[0] = '\0';
    d->finished = false;
    d->cur_frame = 0;
    d->cur_ts = (struct dfs_time){0, 0};
    d->linktype = 0;
    d->has_end = false;
}

const struct dfs_stats *dfs_decoder_stats(const dfs_decoder *d)
{
    return d ? &d->stats : NULL;
}

dfs_result dfs_decoder_error(const dfs_decoder *d, const char **msg)
{
    if (!d)
        return DFS_E_INVAL;
    if (msg)
        *msg = d->errmsg;
    return d->error;
}

dfs_result dfs_decoder_capture_end(dfs_decoder *d, struct dfs_time end)
{
    if (!d || end.nsec >= 1000000000u)
        return DFS_E_INVAL;
    if (d->finished)
        return DFS_E_STATE;
    d->has_end = true;
    d->end_ts = end;
    return DFS_OK;
}

dfs_result dfs_decoder_end_time(const dfs_decoder *d, struct dfs_time *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    if (!d->has_end || (d->stats.records && dfs__time_diff_us(d->end_ts, d->cur_ts) < 0))
        return DFS_E_NOTFOUND;
    *out = d->end_ts;
    return DFS_OK;
}

/* ---- device queries --------------------------------------------------------- */

size_t dfs_decoder_device_count(const dfs_decoder *d)
{
    return d ? d->n_devs : 0;
}

dfs_result dfs_decoder_device_info(const dfs_decoder *d, size_t index,
                                   struct dfs_device_info *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    if (index >= d->n_devs)
        return DFS_E_NOTFOUND;
    const struct dfs__device *dev = d->devs[index];
    memset(out, 0, sizeof *out);
    out->id = dev->id;
    out->lane = dev->lane;
    out->previous = dev->previous;
    out->bus = dev->bus;
    out->devnum = dev->devnum;
    out->first_frame = dev->first_frame;
    out->last_frame = dev->last_frame;
    out->first_ts = dev->first_ts;
    out->last_ts = dev->last_ts;
    out->gone = dev->gone;
    out->gone_frame = dev->gone_frame;
    if (dev->devdesc_len >= 8 &&
        dfs_desc_parse_device(dev->devdesc, dev->devdesc_len, &out->desc,
                              &out->device_desc_complete, NULL) == DFS_OK)
        out->has_device_desc = true;
    out->config = dev->cfg[0].data;
    out->config_len = dev->cfg[0].len;
    out->config_partial = dev->cfg[0].partial;
    out->bos = dev->bos;
    out->bos_len = dev->bos_len;
    out->qualifier = dev->qual_len ? dev->qual : NULL;
    out->qualifier_len = dev->qual_len;
    out->qualifier_stalled = dev->qual_stalled;
    out->configuration = dev->configuration;
    out->langid = dev->langid;
    return DFS_OK;
}

dfs_result dfs_decoder_device_config(const dfs_decoder *d, uint32_t device, uint8_t index,
                                     const uint8_t **raw, size_t *len, bool *partial)
{
    if (!d || !raw || !len || !partial)
        return DFS_E_INVAL;
    const struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev || index >= DFS__MAX_CONFIGS || !dev->cfg[index].data)
        return DFS_E_NOTFOUND;
    *raw = dev->cfg[index].data;
    *len = dev->cfg[index].len;
    *partial = dev->cfg[index].partial;
    return DFS_OK;
}

dfs_result dfs_decoder_device_string(const dfs_decoder *d, uint32_t device, uint8_t index,
                                     uint16_t langid, const uint8_t **raw, size_t *len)
{
    if (!d || !raw || !len)
        return DFS_E_INVAL;
    const struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev)
        return DFS_E_NOTFOUND;
    size_t n = 0;
    const uint8_t *p = dfs__device_string(dev, index, langid, &n);
    if (!p)
        return DFS_E_NOTFOUND;
    *raw = p;
    *len = n;
    return DFS_OK;
}
