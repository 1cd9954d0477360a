/* Words and numbers shared by the sections of the report: DFU state names
 * and their classes, addresses, sizes, durations and device labels. A leaf:
 * it calls only the decoder. */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"

const char *rp_state_short(uint8_t state)
{
    switch (state) {
    case DFS_STATE_APP_IDLE: return "APP-IDLE";
    case DFS_STATE_APP_DETACH: return "APP-DETACH";
    case DFS_STATE_DFU_IDLE: return "IDLE";
    case DFS_STATE_DNLOAD_SYNC: return "DN-SYNC";
    case DFS_STATE_DNBUSY: return "BUSY";
    case DFS_STATE_DNLOAD_IDLE: return "DN-IDLE";
    case DFS_STATE_MANIFEST_SYNC: return "MAN-SYNC";
    case DFS_STATE_MANIFEST: return "MANIFEST";
    case DFS_STATE_MANIFEST_WAIT_RESET: return "WAIT-RESET";
    case DFS_STATE_UPLOAD_IDLE: return "UP-IDLE";
    case DFS_STATE_ERROR: return "ERROR";
    default: return "?";
    }
}

const char *rp_state_class(uint8_t state)
{
    switch (state) {
    case DFS_STATE_APP_IDLE:
    case DFS_STATE_APP_DETACH: return "st-app";
    case DFS_STATE_DFU_IDLE: return "st-idle";
    case DFS_STATE_DNLOAD_SYNC: return "st-sync";
    case DFS_STATE_DNBUSY: return "st-busy";
    case DFS_STATE_DNLOAD_IDLE: return "st-dnidle";
    case DFS_STATE_MANIFEST_SYNC:
    case DFS_STATE_MANIFEST:
    case DFS_STATE_MANIFEST_WAIT_RESET: return "st-manifest";
    case DFS_STATE_UPLOAD_IDLE: return "st-upidle";
    case DFS_STATE_ERROR: return "st-error";
    default: return "st-unknown";
    }
}

void rp_addr(char *buf, size_t size, uint64_t a)
{
    if (a > 0xffffffffull)
        snprintf(buf, size, "0x%09" PRIx64, a);
    else
        snprintf(buf, size, "0x%08" PRIx64, a);
}

void rp_bytes(char *buf, size_t size, uint64_t n)
{
    if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
        snprintf(buf, size, "%" PRIu64 " MiB", n / (1024 * 1024));
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, size, "%" PRIu64 " KiB", n / 1024);
    else if (n >= 10240)
        snprintf(buf, size, "%.1f KiB", (double)n / 1024.0);
    else
        snprintf(buf, size, "%" PRIu64 " B", n);
}

void rp_secs(char *buf, size_t size, double s)
{
    double a = s < 0 ? -s : s;
    if (a >= 100)
        snprintf(buf, size, "%.0f s", s);
    else if (a >= 10)
        snprintf(buf, size, "%.1f s", s);
    else if (a >= 1)
        snprintf(buf, size, "%.2f s", s);
    else if (a >= 0.001)
        snprintf(buf, size, "%.1f ms", s * 1000);
    else
        snprintf(buf, size, "%.0f \xC2\xB5s", s * 1e6);
}

static bool info_of(dfs_decoder *dec, uint32_t id, struct dfs_device_info *out)
{
    size_t n = dfs_decoder_device_count(dec);
    for (size_t i = 0; i < n; i++)
        if (dfs_decoder_device_info(dec, i, out) == DFS_OK && out->id == id)
            return true;
    return false;
}

void rp_device_label(dfs_decoder *dec, uint32_t device, char *buf, size_t size)
{
    struct dfs_device_info info;
    if (!device || !info_of(dec, device, &info)) {
        snprintf(buf, size, "device #%u", device);
        return;
    }
    if (info.has_device_desc && info.device_desc_complete)
        snprintf(buf, size, "%u.%u (%04x:%04x)", info.bus, info.devnum, info.desc.idVendor,
                 info.desc.idProduct);
    else
        snprintf(buf, size, "%u.%u", info.bus, info.devnum);
}

/* String descriptor idx of a device as UTF-8 ("" when not in the capture). */
void rp_dev_string(dfs_decoder *dec, const struct dfs_device_info *info, uint8_t idx, char *out,
                   size_t size)
{
    out[0] = '\0';
    const uint8_t *raw;
    size_t len;
    if (!idx || dfs_decoder_device_string(dec, info->id, idx, info->langid, &raw, &len) != DFS_OK)
        return;
    if (dfs_desc_string_utf8(raw, len, out, size, NULL) != DFS_OK)
        out[0] = '\0';
}
