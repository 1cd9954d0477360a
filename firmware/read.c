/* Reading a firmware file: the DFU suffix, the format, raw binaries; the
 * accessors and the bookkeeping of segments. */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "texts.h"

const char *dfs_fw_format_name(enum dfs_fw_format fmt)
{
    switch (fmt) {
    case DFS_FW_AUTO: return "auto";
    case DFS_FW_BINARY: return "binary";
    case DFS_FW_DFUSE: return "dfuse";
    case DFS_FW_IHEX: return "ihex";
    case DFS_FW_SREC: return "srec";
    }
    return "?";
}

void dfs_fw_options_init(struct dfs_fw_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->format = DFS_FW_AUTO;
    o->stray_gap = 16u << 20;
    o->max_binary = 256u << 20;
}

/* The DFU suffix (DFU 1.1 appendix B; offsets as dfu-util's dfu_file.c
 * reads them): bytes 8..10 of the last 16 are "UFD". */
static void read_suffix(dfs_fw_file *f)
{
    size_t n = f->len;
    struct dfs_fw_suffix *sx = &f->suffix;
    f->payload_end = n;
    if (n < DFS_FW_SUFFIX_LEN) {
        if (f->opt.expect_suffix)
            dfs_fw__emit(f, DFS_F_FILE_SUFFIX_MISSING, NULL, 0, TX_SUFFIX_TOO_SHORT, n);
        return;
    }
    const uint8_t *s = f->buf + n - DFS_FW_SUFFIX_LEN;
    if (s[8] != 'U' || s[9] != 'F' || s[10] != 'D') {
        if (f->opt.expect_suffix) {
            struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, n - 8};
            dfs_fw__emit(f, DFS_F_FILE_SUFFIX_MISSING, &at, 1, TX_SUFFIX_MISSING, n - 8, n - 6,
                         s[8], s[9], s[10]);
        }
        return;
    }
    sx->present = true;
    sx->bcdDevice = dfs_fw__le16(s);
    sx->idProduct = dfs_fw__le16(s + 2);
    sx->idVendor = dfs_fw__le16(s + 4);
    sx->bcdDFU = dfs_fw__le16(s + 6);
    sx->bLength = s[11];
    sx->dwCRC = dfs_fw__le32(s + 12);
    sx->crc = dfs_fw_crc(DFS_FW_CRC_INIT, f->buf, n - 4);
    sx->crc_ok = sx->crc == sx->dwCRC;
    sx->length_ok = sx->bLength >= DFS_FW_SUFFIX_LEN && sx->bLength <= n;
    sx->offset = sx->length_ok ? n - sx->bLength : n - DFS_FW_SUFFIX_LEN;
    f->payload_end = sx->offset;
    if (!sx->crc_ok) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, n - 4};
        dfs_fw__emit(f, DFS_F_FILE_SUFFIX_CRC, &at, 1, TX_SUFFIX_CRC, sx->dwCRC, n - 4, n - 4,
                     sx->crc, (size_t)DFS_FW_SUFFIX_LEN);
    }
    if (!sx->length_ok) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, n - 5};
        if (sx->bLength < DFS_FW_SUFFIX_LEN)
            dfs_fw__emit(f, DFS_F_FILE_SUFFIX_LENGTH, &at, 1, TX_SUFFIX_LENGTH_SHORT, n - 5,
                         sx->bLength, sx->bLength);
        else
            dfs_fw__emit(f, DFS_F_FILE_SUFFIX_LENGTH, &at, 1, TX_SUFFIX_LENGTH_LONG, n - 5,
                         sx->bLength, n, sx->bLength);
    }
}

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* Does the content start with a line of a text format? The first line
 * must be the marker followed by hex digits only, up to the end of the
 * line or of the content. */
static bool first_line_is(const uint8_t *p, size_t n, char marker)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i] != (uint8_t)marker)
        return false;
    i++;
    size_t digits = 0;
    if (marker == 'S') {
        if (i >= n || p[i] < '0' || p[i] > '9')
            return false;
        i++;
    }
    while (i < n && is_hex(p[i])) {
        i++;
        digits++;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return digits >= 2 && (i == n || p[i] == '\n');
}

static enum dfs_fw_format detect(const dfs_fw_file *f)
{
    const uint8_t *p = f->buf;
    size_t n = f->payload_end;
    if (n >= 5 && memcmp(p, "DfuSe", 5) == 0)
        return DFS_FW_DFUSE;
    if (first_line_is(p, n, ':'))
        return DFS_FW_IHEX;
    if (first_line_is(p, n, 'S'))
        return DFS_FW_SREC;
    return DFS_FW_BINARY;
}

static void read_binary(dfs_fw_file *f)
{
    f->has_addresses = f->opt.has_base;
    if (!f->payload_end) {
        dfs_fw__emit(f, DFS_F_FILE_EMPTY, NULL, 0, TX_EMPTY_BINARY, f->len);
        return;
    }
    struct dfs_fw_segment s = {
        .address = f->opt.has_base ? f->opt.base : 0,
        .length = f->payload_end,
        .data = f->buf,
        .offset = 0,
        .target = -1,
        .element = -1,
    };
    dfs_fw__add_segment(f, &s);
}

/* The DfuSe prefix and bcdDFU 0x011A go together (dfu-util main.c and
 * dfuse.c: a file is parsed as DfuSe when the suffix says 0x011A, and a
 * DfuSe download without -s needs it). */
static void check_dfuse_version(dfs_fw_file *f)
{
    const struct dfs_fw_suffix *sx = &f->suffix;
    bool prefix = f->format == DFS_FW_DFUSE;
    bool valid = sx->present && sx->crc_ok;
    struct dfs_fw_evidence at[2] = {{DFS_FW_AT_BYTE, 0}, {DFS_FW_AT_BYTE, f->len >= 10 ? f->len - 10 : 0}};
    if (prefix && !sx->present)
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_VERSION, at, 1, TX_DFUSE_NO_SUFFIX);
    else if (prefix && !valid)
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_VERSION, at, 2, TX_DFUSE_BAD_SUFFIX, sx->bcdDFU);
    else if (prefix && sx->bcdDFU != DFS_DFU_VERSION_DFUSE)
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_VERSION, at, 2, TX_DFUSE_SUFFIX_VERSION,
                     (size_t)at[1].value, sx->bcdDFU);
    else if (!prefix && valid && sx->bcdDFU == DFS_DFU_VERSION_DFUSE) {
        char start[40];
        size_t k = f->payload_end < 5 ? f->payload_end : 5;
        start[0] = '\0';
        for (size_t i = 0; i < k; i++)
            dfs_fw__catf(start, sizeof start, "%s%02x", i ? " " : "", f->buf[i]);
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_VERSION, at + 1, 1, TX_DFUSE_VERSION_NO_PREFIX,
                     (size_t)at[1].value, k ? start : "nothing");
    }
}

dfs_result dfs_fw_read(const uint8_t *buf, size_t len, const struct dfs_fw_options *o,
                       dfs_fw_file **out)
{
    if ((!buf && len) || !out)
        return DFS_E_INVAL;
    struct dfs_fw_options def;
    if (!o) {
        dfs_fw_options_init(&def);
        o = &def;
    }
    if (o->size < sizeof *o || o->format > DFS_FW_SREC)
        return DFS_E_INVAL;
    dfs_fw_file *f = calloc(1, sizeof *f);
    if (!f)
        return DFS_E_NOMEM;
    f->buf = buf ? buf : (const uint8_t *)"";
    f->len = len;
    f->opt = *o;
    if (!f->opt.stray_gap)
        f->opt.stray_gap = 16u << 20;
    if (!f->opt.max_binary)
        f->opt.max_binary = 256u << 20;
    f->has_addresses = true;
    read_suffix(f);
    f->format = o->format == DFS_FW_AUTO ? detect(f) : o->format;
    switch (f->format) {
    case DFS_FW_DFUSE: dfs_fw__read_dfuse(f); break;
    case DFS_FW_IHEX: dfs_fw__read_ihex(f); break;
    case DFS_FW_SREC: dfs_fw__read_srec(f); break;
    default: read_binary(f); break;
    }
    check_dfuse_version(f);
    if (!f->nomem)
        dfs_fw__check_file(f);
    if (f->nomem) {
        dfs_fw_free(f);
        return DFS_E_NOMEM;
    }
    *out = f;
    return DFS_OK;
}

void dfs_fw_free(dfs_fw_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_seg; i++)
        free(f->own[i]);
    free(f->own);
    free(f->own_cap);
    free(f->seg);
    free(f->targets);
    free(f->recs);
    free(f->f);
    free(f);
}

enum dfs_fw_format dfs_fw_format(const dfs_fw_file *f) { return f ? f->format : DFS_FW_AUTO; }
size_t dfs_fw_length(const dfs_fw_file *f) { return f ? f->len : 0; }
const struct dfs_fw_suffix *dfs_fw_suffix(const dfs_fw_file *f) { return f ? &f->suffix : NULL; }
const struct dfs_fw_dfuse_prefix *dfs_fw_dfuse_prefix(const dfs_fw_file *f)
{
    return f ? &f->prefix : NULL;
}
size_t dfs_fw_target_count(const dfs_fw_file *f) { return f ? f->n_targets : 0; }
const struct dfs_fw_target *dfs_fw_target(const dfs_fw_file *f, size_t i)
{
    return f && i < f->n_targets ? &f->targets[i] : NULL;
}
size_t dfs_fw_segment_count(const dfs_fw_file *f) { return f ? f->n_seg : 0; }
const struct dfs_fw_segment *dfs_fw_segment(const dfs_fw_file *f, size_t i)
{
    return f && i < f->n_seg ? &f->seg[i] : NULL;
}
bool dfs_fw_has_addresses(const dfs_fw_file *f) { return f && f->has_addresses; }
