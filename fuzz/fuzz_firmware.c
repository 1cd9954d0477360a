/* Fuzz target: the firmware file readers and checks (dfs_fw_read,
 * dfs_fw_check_device, dfs_fw_check_session, dfs_fw_build_dfuse,
 * include/dfuscope/firmware.h).
 *
 * Input: 2 option bytes, then the file, in a heap buffer of exactly its
 * size.
 *   byte 0: bits 0-2 format (0 auto, 1 binary, 2 dfuse, 3 ihex, 4 srec, else
 *           auto), bit 3 expect a suffix, bit 4 a base address for a raw
 *           binary (0x08000000), bit 5 small limits (stray gap 64 bytes,
 *           largest binary 4 KiB);
 *   byte 1: the device (low 2 bits): none, the dfuse-device model's four
 *           layouts, a DFU 1.1 device, one layout given; bit 2 picks
 *           alternate setting 1 for raw images.
 *
 * Properties checked: dfs_fw_read returns DFS_OK; every finding is a
 * file.* finding with a terminated, non-empty explanation, at most
 * DFS_FW_MAX_EVIDENCE pieces of evidence, byte offsets inside the file and
 * lines from 1; segments of binary and DfuSe files lie inside the input,
 * and targets' segments inside the list; a second read gives the same
 * findings; the device check returns DFS_OK; a session that writes the
 * file's own segments compares with no byte missing, different or extra;
 * the file's segments written as a DfuSe file read back without a
 * structural finding and with the same elements; no leak.
 */
#include "fuzz.h"

#include "dfuscope/firmware.h"

static bool structural(const char *id)
{
    static const char *const ids[] = {"file.truncated",      "file.suffix-crc",
                                      "file.suffix-length",  "file.suffix-missing",
                                      "file.dfuse-version",  "file.dfuse-header",
                                      "file.dfuse-size",     "file.dfuse-no-targets",
                                      "file.record-invalid", "file.record-checksum"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (strcmp(id, ids[i]) == 0)
            return true;
    return false;
}

static void check_findings(const dfs_fw_file *f, size_t len)
{
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++) {
        const struct dfs_fw_finding *fd = dfs_fw_finding(f, i);
        FUZZ_CHECK(strncmp(fd->id, "file.", 5) == 0);
        FUZZ_CHECK(dfs_finding_lookup(fd->id) == dfs_finding_info(fd->code));
        FUZZ_CHECK(fuzz_terminated(fd->explanation, sizeof fd->explanation));
        FUZZ_CHECK(fuzz_terminated(fd->remedy, sizeof fd->remedy));
        FUZZ_CHECK(fd->explanation[0] != '\0');
        FUZZ_CHECK(fd->n_at <= DFS_FW_MAX_EVIDENCE);
        for (unsigned k = 0; k < fd->n_at; k++) {
            if (fd->at[k].kind == DFS_FW_AT_BYTE)
                FUZZ_CHECK(fd->at[k].value < (len ? len : 1));
            else if (fd->at[k].kind == DFS_FW_AT_LINE)
                FUZZ_CHECK(fd->at[k].value >= 1);
        }
    }
}

static void check_layout_of_file(const dfs_fw_file *f, const uint8_t *buf, size_t len)
{
    enum dfs_fw_format fmt = dfs_fw_format(f);
    size_t n = dfs_fw_segment_count(f);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_fw_segment *s = dfs_fw_segment(f, i);
        if (fmt == DFS_FW_BINARY || fmt == DFS_FW_DFUSE) {
            FUZZ_CHECK(s->offset <= len && s->length <= len - s->offset);
            FUZZ_CHECK(s->data == buf + s->offset);
        } else {
            FUZZ_CHECK((uint64_t)s->address + s->length <= 0x100000000ull);
            FUZZ_CHECK(s->line >= 1 && s->last_line >= s->line);
        }
    }
    for (size_t t = 0; t < dfs_fw_target_count(f); t++) {
        const struct dfs_fw_target *tg = dfs_fw_target(f, t);
        FUZZ_CHECK(tg->first_segment <= n && tg->n_segments <= n - tg->first_segment);
        FUZZ_CHECK(fuzz_terminated(tg->name, sizeof tg->name));
    }
}

static void layout_alt(struct dfs_fw_device *d, uint8_t alt, const char *s)
{
    struct dfs_fw_alt *a = &d->alts[d->n_alts++];
    a->alt = alt;
    a->has_name = true;
    snprintf(a->name, sizeof a->name, "%s", s);
    a->has_layout = dfs_layout_parse(s, strlen(s), &a->layout, NULL, 0) == DFS_OK;
    FUZZ_CHECK(a->has_layout);
}

static struct dfs_fw_device *device_of(uint8_t sel)
{
    struct dfs_fw_device *d = malloc(sizeof *d);
    if (!d)
        abort();
    dfs_fw_device_init(d);
    d->has_id = true;
    d->vid = 0x0483;
    d->pid = 0xdf11;
    d->alt = sel & 4 ? 1 : -1;
    switch (sel & 3) {
    case 1:
        d->dfuse = 1;
        d->alts_known = true;
        layout_alt(d, 0, "@Internal Flash  /0x08000000/128*002Kg");
        layout_alt(d, 1, "@Option Bytes  /0x1FFF7800/01*128 e");
        layout_alt(d, 2, "@OTP Memory /0x1FFF7000/01*1024 e");
        layout_alt(d, 3, "@Device Feature/0xFFFF0000/01*004 e");
        break;
    case 2:
        d->dfuse = 0;
        d->alts_known = true;
        d->n_alts = 2;
        d->alts[1].alt = 1;
        break;
    default:
        d->dfuse = 1;
        layout_alt(d, 0, "@Flash /0x08000000/4*1Ka,12*1Kg/0x20000000/1*016 e");
        layout_alt(d, 1, "@Option Bytes /0x1FFFC000/01*016 e");
        break;
    }
    return d;
}

static int seg_alt(const dfs_fw_file *f, const struct dfs_fw_segment *s)
{
    return s->target >= 0 ? dfs_fw_target(f, (size_t)s->target)->alt : 0;
}

/* Does the segment make an element a DfuSe file can hold? */
static bool element_ok(const struct dfs_fw_segment *s)
{
    return s->length && s->length <= UINT32_MAX && (uint64_t)s->address + s->length <= 0x100000000ull;
}

/* A session of the file's own segments compares as identical. */
static void own_session(dfs_fw_file *f)
{
    bool dfuse = dfs_fw_has_addresses(f);
    dfs_fw_session *s = NULL;
    FUZZ_CHECK(dfs_fw_session_new(NULL, &s) == DFS_OK);
    uint64_t frame = 1;
    for (size_t i = 0; i < dfs_fw_segment_count(f); i++) {
        const struct dfs_fw_segment *g = dfs_fw_segment(f, i);
        if (!g->length)
            continue;
        if (!element_ok(g)) {
            dfs_fw_session_free(s);
            return; /* data beyond 4 GiB: not comparable byte for byte */
        }
        struct dfs_mem_op op = {0};
        op.kind = DFS_MEM_OP_WRITE;
        op.dfuse = dfuse;
        op.address = g->address;
        op.data = g->data;
        op.length = op.data_len = (uint32_t)g->length;
        op.ok = true;
        op.alt = (uint8_t)seg_alt(f, g);
        op.frame = frame++;
        op.lane = op.device = 1;
        FUZZ_CHECK(dfs_fw_session_on_mem(s, &op) == 0);
    }
    struct dfs_fw_compare m;
    FUZZ_CHECK(dfs_fw_check_session(f, s, &m) == DFS_OK);
    FUZZ_CHECK(m.missing == 0 && m.different == 0 && m.extra == 0);
    struct dfs_fw_session_info info;
    dfs_fw_session_get_info(s, &info);
    FUZZ_CHECK(m.same == info.bytes);
    dfs_fw_session_free(s);
}

/* The segments as a DfuSe file read back as the same elements. */
static void rebuild(const dfs_fw_file *f)
{
    size_t n = dfs_fw_segment_count(f), k = 0;
    if (!n || n > 300)
        return;
    struct dfs_fw_element_in *el = calloc(n, sizeof *el);
    if (!el)
        abort();
    for (size_t i = 0; i < n; i++) {
        const struct dfs_fw_segment *s = dfs_fw_segment(f, i);
        if (!element_ok(s))
            continue;
        el[k++] = (struct dfs_fw_element_in){(uint8_t)seg_alt(f, s), s->address, s->data,
                                             (uint32_t)s->length, "fuzz"};
    }
    uint8_t *out = NULL;
    size_t len = 0;
    dfs_result r = k ? dfs_fw_build_dfuse(el, k, NULL, &out, &len) : DFS_E_INVAL;
    if (r == DFS_OK) {
        uint8_t *copy = fuzz_dup(out, len);
        dfs_fw_file *g = NULL;
        FUZZ_CHECK(dfs_fw_read(copy, len, NULL, &g) == DFS_OK);
        FUZZ_CHECK(dfs_fw_format(g) == DFS_FW_DFUSE);
        for (size_t i = 0; i < dfs_fw_finding_count(g); i++)
            FUZZ_CHECK(!structural(dfs_fw_finding(g, i)->id));
        FUZZ_CHECK(dfs_fw_segment_count(g) == k);
        /* each element read back is one that was given, for its setting */
        for (size_t i = 0; i < k; i++) {
            const struct dfs_fw_segment *s = dfs_fw_segment(g, i);
            bool found = false;
            for (size_t j = 0; j < k && !found; j++)
                found = el[j].address == s->address && el[j].length == s->length &&
                        el[j].alt == seg_alt(g, s) && memcmp(el[j].data, s->data, el[j].length) == 0;
            FUZZ_CHECK(found);
        }
        dfs_fw_free(g);
        free(copy);
        free(out);
    } else {
        FUZZ_CHECK(r == DFS_E_INVAL || r == DFS_E_LIMIT);
    }
    free(el);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t o0 = data[0], o1 = data[1];
    size_t len = size - 2;
    uint8_t *buf = fuzz_dup(data + 2, len);
    struct dfs_fw_options o;
    dfs_fw_options_init(&o);
    o.format = (o0 & 7) <= 4 ? (enum dfs_fw_format)(o0 & 7) : DFS_FW_AUTO;
    o.expect_suffix = o0 & 8;
    o.has_base = o0 & 16;
    o.base = 0x08000000;
    if (o0 & 32) {
        o.stray_gap = 64;
        o.max_binary = 4096;
    }
    dfs_fw_file *f = NULL;
    FUZZ_CHECK(dfs_fw_read(buf, len, &o, &f) == DFS_OK);
    check_findings(f, len);
    check_layout_of_file(f, buf, len);
    /* the same again */
    dfs_fw_file *g = NULL;
    FUZZ_CHECK(dfs_fw_read(buf, len, &o, &g) == DFS_OK);
    FUZZ_CHECK(dfs_fw_finding_count(g) == dfs_fw_finding_count(f));
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        FUZZ_CHECK(strcmp(dfs_fw_finding(f, i)->explanation, dfs_fw_finding(g, i)->explanation) ==
                   0);
    dfs_fw_free(g);
    rebuild(f);
    struct dfs_fw_device *d = device_of(o1);
    FUZZ_CHECK(dfs_fw_check_device(f, d) == DFS_OK);
    check_findings(f, len);
    free(d);
    own_session(f);
    check_findings(f, len);
    dfs_fw_free(f);
    free(buf);
    return 0;
}
