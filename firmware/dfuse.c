/* Reading a DfuSe file (ST UM0391, DfuSe file format 1.1a):
 *
 *   prefix   "DfuSe" bVersion(1) DFUImageSize(4) bTargets(1)            11 bytes
 *   target   "Target" bAlternateSetting(1) bTargetNamed(4) szTargetName(255)
 *            dwTargetSize(4) dwNbElements(4)                           274 bytes
 *   element  dwElementAddress(4) dwElementSize(4) data(dwElementSize)
 *   suffix   the DFU suffix, bcdDFU 0x011A                              16 bytes
 *
 * All little-endian. Targets and elements are read one after the other as
 * dfu-util's dfuse_do_dfuse_dnload() does; the stored sizes are then
 * checked against what was read. Every length is checked against the bytes
 * left before it is used; a reader that cannot go on stops with a finding
 * naming the byte. */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "texts.h"

static bool add_target(dfs_fw_file *f, const struct dfs_fw_target *t)
{
    if (f->n_targets == f->cap_targets) {
        size_t ncap = f->cap_targets ? f->cap_targets * 2 : 4;
        struct dfs_fw_target *n = realloc(f->targets, ncap * sizeof *n);
        if (!n) {
            f->nomem = true;
            return false;
        }
        f->targets = n;
        f->cap_targets = ncap;
    }
    f->targets[f->n_targets++] = *t;
    return true;
}

/* DFUImageSize: UM0391 calls it the length of the whole DFU file;
 * dfuse-pack writes exactly that (suffix included), some writers leave the
 * suffix out. Both are accepted. */
static void check_image_size(dfs_fw_file *f)
{
    uint32_t sz = f->prefix.image_size;
    if ((uint64_t)sz == f->len || (uint64_t)sz == f->payload_end)
        return;
    struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 6};
    dfs_fw__emit(f, DFS_F_FILE_DFUSE_SIZE, &at, 1, TX_DFUSE_IMAGE_SIZE, sz, f->len,
                 f->payload_end);
}

/* The elements of target t, whose header is at hdr; *pos is after the
 * header. Returns false when the file cannot be read further. */
static bool read_elements(dfs_fw_file *f, size_t t, size_t hdr, size_t *pos)
{
    const uint8_t *b = f->buf;
    size_t end = f->payload_end;
    struct dfs_fw_target *tg = &f->targets[t];
    uint32_t n = tg->n_elements;
    uint64_t sum = 0;
    for (uint32_t e = 0; e < n; e++) {
        size_t left = end - *pos;
        if (left < DFS_FW_DFUSE_ELEMENT_LEN) {
            /* the count that asks for it, and where the file ends */
            struct dfs_fw_evidence at[2] = {{DFS_FW_AT_BYTE, hdr + 270},
                                            {DFS_FW_AT_BYTE, end - 1}};
            dfs_fw__emit(f, DFS_F_FILE_TRUNCATED, at, 2, TX_DFUSE_ELEMENT_SHORT, e, t, *pos,
                         left, tg->alt, hdr + 270, n);
            return false;
        }
        uint32_t addr = dfs_fw__le32(b + *pos);
        uint32_t size = dfs_fw__le32(b + *pos + 4);
        left -= DFS_FW_DFUSE_ELEMENT_LEN;
        if (size > left) {
            struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, *pos + 4};
            dfs_fw__emit(f, DFS_F_FILE_DFUSE_SIZE, &at, 1, TX_DFUSE_ELEMENT_SIZE, e, t, *pos,
                         addr, size, left, *pos + DFS_FW_DFUSE_ELEMENT_LEN);
            return false;
        }
        struct dfs_fw_segment s = {
            .address = addr,
            .length = size,
            .data = b + *pos + DFS_FW_DFUSE_ELEMENT_LEN,
            .offset = *pos + DFS_FW_DFUSE_ELEMENT_LEN,
            .target = (int)t,
            .element = (int)e,
            .header_offset = *pos,
        };
        if (!dfs_fw__add_segment(f, &s))
            return false;
        f->targets[t].n_segments++;
        sum += DFS_FW_DFUSE_ELEMENT_LEN + (uint64_t)size;
        *pos += DFS_FW_DFUSE_ELEMENT_LEN + (size_t)size;
    }
    if (sum != tg->size) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, hdr + 266};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_SIZE, &at, 1, TX_DFUSE_TARGET_SIZE, t, hdr + 266,
                     tg->size, n, (unsigned long long)sum);
    }
    return true;
}

static bool read_target(dfs_fw_file *f, size_t t, size_t *pos)
{
    const uint8_t *b = f->buf;
    size_t end = f->payload_end;
    size_t left = end - *pos;
    if (left < DFS_FW_DFUSE_TARGET_LEN) {
        /* the count that asks for it, and where the file ends */
        struct dfs_fw_evidence at[2] = {{DFS_FW_AT_BYTE, 10}, {DFS_FW_AT_BYTE, end - 1}};
        dfs_fw__emit(f, DFS_F_FILE_TRUNCATED, at, 2, TX_DFUSE_TARGET_SHORT, t, *pos, left,
                     (size_t)DFS_FW_DFUSE_TARGET_LEN, f->prefix.n_targets,
                     f->prefix.n_targets == 1 ? "" : "s");
        return false;
    }
    const uint8_t *h = b + *pos;
    if (memcmp(h, "Target", 6) != 0) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, *pos};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_HEADER, &at, 1, TX_DFUSE_TARGET_SIGNATURE, t, *pos,
                     h[0], h[1], h[2], h[3], h[4], h[5]);
        return false;
    }
    struct dfs_fw_target tg = {
        .offset = *pos,
        .alt = h[6],
        .named = dfs_fw__le32(h + 7) != 0,
        .size = dfs_fw__le32(h + 266),
        .n_elements = dfs_fw__le32(h + 270),
        .first_segment = f->n_seg,
    };
    size_t k = 0;
    while (k < 255 && h[11 + k])
        k++;
    memcpy(tg.name, h + 11, k);
    tg.name[k] = '\0';
    if (!add_target(f, &tg))
        return false;
    size_t hdr = *pos;
    *pos += DFS_FW_DFUSE_TARGET_LEN;
    return read_elements(f, t, hdr, pos);
}

void dfs_fw__read_dfuse(dfs_fw_file *f)
{
    const uint8_t *b = f->buf;
    size_t end = f->payload_end;
    struct dfs_fw_dfuse_prefix *px = &f->prefix;
    if (end < DFS_FW_DFUSE_PREFIX_LEN) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 0};
        dfs_fw__emit(f, DFS_F_FILE_TRUNCATED, &at, 1, TX_DFUSE_PREFIX_SHORT, end);
        return;
    }
    px->present = true;
    px->version = b[5];
    px->image_size = dfs_fw__le32(b + 6);
    px->n_targets = b[10];
    if (px->version != 1) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 5};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_HEADER, &at, 1, TX_DFUSE_VERSION_BYTE, px->version,
                     px->version);
        return;
    }
    if (px->n_targets == 0) {
        check_image_size(f);
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, 10};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_NO_TARGETS, &at, 1, TX_DFUSE_NO_TARGETS,
                     end - DFS_FW_DFUSE_PREFIX_LEN);
        return;
    }
    size_t pos = DFS_FW_DFUSE_PREFIX_LEN;
    bool whole = true;
    for (size_t t = 0; t < px->n_targets && whole; t++)
        whole = read_target(f, t, &pos);
    check_image_size(f);
    if (whole && pos < end) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, pos};
        dfs_fw__emit(f, DFS_F_FILE_DFUSE_SIZE, &at, 1, TX_DFUSE_LEFTOVER, end - pos, pos,
                     px->n_targets, end - pos);
    }
}
