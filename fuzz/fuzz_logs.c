/* Fuzz target: the tool-log reader (include/dfuscope/logs.h) and the
 * decoder fed with the records it makes.
 *
 * Input: a text log. The first byte chooses how it is fed: whole, or in
 * pieces of 1 to 64 bytes (lines split across calls).
 *
 * Properties checked: feeding and finishing succeed; the counts add up (no
 * more lines understood or cut than read); every record has the frame of its
 * position and lines that exist; every finding has a known id, 1 to
 * DFS_FINDING_MAX_FRAMES lines or none, ascending and within the log,
 * terminated texts; the result is the same however the input was split; the
 * decoder takes every record.
 */
#include "fuzz.h"

#include "dfuscope/logs.h"

static dfs_log *read_log(const uint8_t *data, size_t size, size_t piece)
{
    dfs_log *l = NULL;
    FUZZ_CHECK(dfs_log_new(&l) == DFS_OK);
    for (size_t off = 0; off < size;) {
        size_t n = piece && size - off > piece ? piece : size - off;
        uint8_t *copy = fuzz_dup(data + off, n);
        FUZZ_CHECK(dfs_log_feed(l, copy ? copy : (const uint8_t *)"", copy ? n : 0) == DFS_OK);
        free(copy);
        off += n;
    }
    FUZZ_CHECK(dfs_log_finish(l) == DFS_OK);
    return l;
}

static int ignore(void *user, const struct dfs_finding *f)
{
    (void)user;
    (void)f;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    size_t piece = data[0] & 0x3f;
    data++;
    size--;
    dfs_log *whole = read_log(data, size, 0);
    dfs_log *split = read_log(data, size, piece ? piece : 1);
    const struct dfs_log_stats *a = dfs_log_stats(whole), *b = dfs_log_stats(split);
    FUZZ_CHECK(a->recognised <= a->lines && a->long_lines <= a->lines);
    FUZZ_CHECK(a->binary_lines <= a->lines);
    FUZZ_CHECK(a->lines == b->lines && a->recognised == b->recognised &&
               a->records == b->records);
    FUZZ_CHECK(dfs_log_finding_count(whole) == dfs_log_finding_count(split));
    FUZZ_CHECK(strlen(dfs_log_tools(whole)) < 256);
    for (size_t i = 0; i < dfs_log_finding_count(whole); i++) {
        const struct dfs_log_finding *f = dfs_log_finding(whole, i);
        const struct dfs_log_finding *g = dfs_log_finding(split, i);
        FUZZ_CHECK(dfs_finding_info(f->f.code) != NULL);
        FUZZ_CHECK(f->n_lines <= DFS_FINDING_MAX_FRAMES);
        for (unsigned k = 0; k < f->n_lines; k++) {
            FUZZ_CHECK(f->lines[k] >= 1 && f->lines[k] <= a->lines);
            FUZZ_CHECK(!k || f->lines[k] > f->lines[k - 1]);
        }
        FUZZ_CHECK(fuzz_terminated(f->f.explanation, sizeof f->f.explanation));
        FUZZ_CHECK(fuzz_terminated(f->f.remedy, sizeof f->f.remedy));
        FUZZ_CHECK(f->f.code == g->f.code && !strcmp(f->f.explanation, g->f.explanation));
    }
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink = {.on_finding = ignore};
    dfs_decoder *d = NULL;
    FUZZ_CHECK(dfs_decoder_new(&opt, &sink, &d) == DFS_OK);
    struct dfs_record rec;
    size_t i = 0;
    for (; dfs_log_record(whole, i, &rec); i++) {
        FUZZ_CHECK(rec.frame == i + 1);
        uint64_t lines[4];
        size_t n = dfs_log_frame_lines(whole, rec.frame, lines, 4);
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK(lines[k] >= 1 && lines[k] <= a->lines);
        FUZZ_CHECK(dfs_decoder_feed(d, &rec) == DFS_OK);
    }
    FUZZ_CHECK(i == a->records);
    FUZZ_CHECK(dfs_decoder_finish(d) == DFS_OK);
    dfs_decoder_free(d);
    dfs_log_free(whole);
    dfs_log_free(split);
    return 0;
}
