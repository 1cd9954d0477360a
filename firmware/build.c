/* Writing DFU suffix and DfuSe files (DFU 1.1 appendix B, ST UM0391), and
 * what a session wrote as such a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* bcdDFU of a plain DFU suffix: the DFU specification release the file
 * follows, 0x0100 (DFU 1.1 appendix B; dfu-suffix writes the same) */
#define SUFFIX_BCD_DFU 0x0100

static void put_suffix(uint8_t *file, size_t len_before, const struct dfs_fw_ids *ids,
                       uint16_t bcdDFU)
{
    uint8_t *s = file + len_before;
    dfs_fw__put16(s, ids ? ids->bcdDevice : DFS_FW_WILDCARD);
    dfs_fw__put16(s + 2, ids ? ids->pid : DFS_FW_WILDCARD);
    dfs_fw__put16(s + 4, ids ? ids->vid : DFS_FW_WILDCARD);
    dfs_fw__put16(s + 6, bcdDFU);
    s[8] = 'U';
    s[9] = 'F';
    s[10] = 'D';
    s[11] = DFS_FW_SUFFIX_LEN;
    dfs_fw__put32(s + 12, dfs_fw_crc(DFS_FW_CRC_INIT, file, len_before + 12));
}

dfs_result dfs_fw_build_dfu(const uint8_t *image, size_t len, const struct dfs_fw_ids *ids,
                            uint16_t bcdDFU, uint8_t **out, size_t *out_len)
{
    if ((!image && len) || !out || !out_len || len > SIZE_MAX - DFS_FW_SUFFIX_LEN)
        return DFS_E_INVAL;
    uint8_t *b = malloc(len + DFS_FW_SUFFIX_LEN);
    if (!b)
        return DFS_E_NOMEM;
    if (len)
        memcpy(b, image, len);
    put_suffix(b, len, ids, bcdDFU);
    *out = b;
    *out_len = len + DFS_FW_SUFFIX_LEN;
    return DFS_OK;
}

dfs_result dfs_fw_build_dfuse(const struct dfs_fw_element_in *el, size_t n,
                              const struct dfs_fw_ids *ids, uint8_t **out, size_t *out_len)
{
    if (!el || !n || !out || !out_len)
        return DFS_E_INVAL;
    /* the alternate settings in the order they first appear */
    uint8_t order[256];
    bool seen[256] = {false};
    unsigned n_alts = 0;
    uint64_t total = DFS_FW_DFUSE_PREFIX_LEN + DFS_FW_SUFFIX_LEN;
    for (size_t i = 0; i < n; i++) {
        if (!el[i].length || (!el[i].data && el[i].length) ||
            (uint64_t)el[i].address + el[i].length > DFS_FW__4G)
            return DFS_E_INVAL;
        if (!seen[el[i].alt]) {
            seen[el[i].alt] = true;
            order[n_alts++] = el[i].alt;
            total += DFS_FW_DFUSE_TARGET_LEN;
        }
        total += DFS_FW_DFUSE_ELEMENT_LEN + (uint64_t)el[i].length;
        if (total > UINT32_MAX)
            return DFS_E_LIMIT;
    }
    if (n_alts > 255)
        return DFS_E_LIMIT; /* bTargets is one byte */
    uint8_t *b = calloc(1, (size_t)total);
    if (!b)
        return DFS_E_NOMEM;
    memcpy(b, "DfuSe", 5);
    b[5] = 1;
    dfs_fw__put32(b + 6, (uint32_t)total);
    b[10] = (uint8_t)n_alts;
    size_t pos = DFS_FW_DFUSE_PREFIX_LEN;
    for (unsigned t = 0; t < n_alts; t++) {
        uint8_t alt = order[t];
        uint8_t *h = b + pos;
        const char *name = NULL;
        uint64_t size = 0;
        uint32_t count = 0;
        for (size_t i = 0; i < n; i++)
            if (el[i].alt == alt) {
                if (!count)
                    name = el[i].target_name;
                size += DFS_FW_DFUSE_ELEMENT_LEN + (uint64_t)el[i].length;
                count++;
            }
        memcpy(h, "Target", 6);
        h[6] = alt;
        if (name && *name) {
            dfs_fw__put32(h + 7, 1);
            size_t k = strlen(name);
            memcpy(h + 11, name, k > 254 ? 254 : k); /* keeps a NUL at the end */
        }
        dfs_fw__put32(h + 266, (uint32_t)size);
        dfs_fw__put32(h + 270, count);
        pos += DFS_FW_DFUSE_TARGET_LEN;
        for (size_t i = 0; i < n; i++) {
            if (el[i].alt != alt)
                continue;
            dfs_fw__put32(b + pos, el[i].address);
            dfs_fw__put32(b + pos + 4, el[i].length);
            memcpy(b + pos + DFS_FW_DFUSE_ELEMENT_LEN, el[i].data, el[i].length);
            pos += DFS_FW_DFUSE_ELEMENT_LEN + el[i].length;
        }
    }
    put_suffix(b, pos, ids, DFS_DFU_VERSION_DFUSE);
    *out = b;
    *out_len = (size_t)total;
    return DFS_OK;
}

static const char *target_name(const dfs_fw_session *s, uint8_t alt)
{
    if (!s->has_device)
        return NULL;
    for (unsigned i = 0; i < s->device.n_alts && i < DFS_FW_MAX_ALTS; i++)
        if (s->device.alts[i].alt == alt && s->device.alts[i].has_layout)
            return s->device.alts[i].layout.name;
    return NULL;
}

static dfs_result build_image(const dfs_fw_session *s, uint8_t fill, uint64_t max_image,
                              const struct dfs_fw_ids *ids, uint8_t **out, size_t *out_len,
                              char *why, size_t why_size)
{
    const struct dfs_fw__map *m = &s->map;
    uint64_t lo = m->e[0].start, hi = m->e[m->n - 1].end;
    if (hi - lo > max_image || hi - lo > SIZE_MAX - DFS_FW_SUFFIX_LEN) {
        snprintf(why, why_size,
                 "an image from 0x%08llx to 0x%08llx would be %llu bytes, more than the limit of "
                 "%llu; a DfuSe file keeps the gaps out",
                 (unsigned long long)lo, (unsigned long long)(hi - 1),
                 (unsigned long long)(hi - lo), (unsigned long long)max_image);
        return DFS_E_LIMIT;
    }
    uint8_t *img = malloc((size_t)(hi - lo) ? (size_t)(hi - lo) : 1);
    if (!img)
        return DFS_E_NOMEM;
    memset(img, fill, (size_t)(hi - lo));
    for (size_t i = 0; i < m->n; i++)
        memcpy(img + (m->e[i].start - lo), m->e[i].data, (size_t)(m->e[i].end - m->e[i].start));
    dfs_result r = dfs_fw_build_dfu(img, (size_t)(hi - lo), ids, SUFFIX_BCD_DFU, out,
                                    out_len);
    free(img);
    return r;
}

static dfs_result build_dfuse(const dfs_fw_session *s, const struct dfs_fw_ids *ids,
                              uint8_t **out, size_t *out_len)
{
    const struct dfs_fw__map *m = &s->map;
    /* one element per run of contiguous bytes of one alternate setting */
    struct dfs_fw_element_in *el = calloc(m->n, sizeof *el);
    uint8_t **bufs = calloc(m->n, sizeof *bufs);
    size_t n = 0;
    dfs_result r = DFS_OK;
    if (!el || !bufs)
        r = DFS_E_NOMEM;
    for (size_t i = 0; i < m->n && r == DFS_OK;) {
        size_t j = i + 1;
        while (j < m->n && m->e[j].start == m->e[j - 1].end && m->e[j].alt == m->e[i].alt &&
               m->e[j].end - m->e[i].start <= UINT32_MAX)
            j++;
        uint64_t len = m->e[j - 1].end - m->e[i].start;
        uint8_t *b = malloc((size_t)len);
        if (!b) {
            r = DFS_E_NOMEM;
            break;
        }
        for (size_t k = i; k < j; k++)
            memcpy(b + (m->e[k].start - m->e[i].start), m->e[k].data,
                   (size_t)(m->e[k].end - m->e[k].start));
        bufs[n] = b;
        el[n] = (struct dfs_fw_element_in){m->e[i].alt, (uint32_t)m->e[i].start, b,
                                           (uint32_t)len, target_name(s, m->e[i].alt)};
        n++;
        i = j;
    }
    if (r == DFS_OK)
        r = dfs_fw_build_dfuse(el, n, ids, out, out_len);
    for (size_t i = 0; bufs && i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(el);
    return r;
}

dfs_result dfs_fw_session_build(const dfs_fw_session *s, enum dfs_fw_out kind, uint8_t fill,
                                uint64_t max_image, uint8_t **out, size_t *out_len, char *why,
                                size_t why_size)
{
    char dummy[1];
    if (!why || !why_size) {
        why = dummy;
        why_size = sizeof dummy;
    }
    why[0] = '\0';
    if (!s || !out || !out_len || (kind != DFS_FW_OUT_DFU && kind != DFS_FW_OUT_DFUSE))
        return DFS_E_INVAL;
    if (!s->map.n) {
        snprintf(why, why_size, "no memory %s", s->o.reads ? "read" : "written");
        return DFS_E_NOTFOUND;
    }
    if (s->full) {
        snprintf(why, why_size, "the session %s more than the limit of %llu bytes",
                 s->o.reads ? "read" : "wrote", (unsigned long long)s->o.max_bytes);
        return DFS_E_LIMIT;
    }
    if (s->mixed) {
        snprintf(why, why_size,
                 "the session holds DFU 1.1 images of several devices or alternate settings, or "
                 "DFU 1.1 and DfuSe data together; choose one with --device and --alt");
        return DFS_E_INVAL;
    }
    if (kind == DFS_FW_OUT_DFUSE && !s->any_dfuse) {
        snprintf(why, why_size,
                 "a DFU 1.1 session writes an image without memory addresses, which a DfuSe "
                 "file needs; use --format dfu");
        return DFS_E_INVAL;
    }
    struct dfs_fw_ids ids = {DFS_FW_WILDCARD, DFS_FW_WILDCARD, DFS_FW_WILDCARD};
    if (s->has_device && s->device.has_id)
        ids = (struct dfs_fw_ids){s->device.vid, s->device.pid, s->device.bcdDevice};
    if (max_image == 0)
        max_image = s->o.max_bytes;
    dfs_result r = kind == DFS_FW_OUT_DFU
                       ? build_image(s, fill, max_image, &ids, out, out_len, why, why_size)
                       : build_dfuse(s, &ids, out, out_len);
    if (r == DFS_E_LIMIT && !why[0])
        snprintf(why, why_size, "the file would be larger than 4 GiB or hold more than 255 "
                                "targets");
    if (r == DFS_E_NOMEM)
        snprintf(why, why_size, "out of memory");
    return r;
}
