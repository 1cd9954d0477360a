/* Fuzz target: the conformance script parser (dfs_script_parse,
 * include/dfuscope/runner.h; the language is docs/scripts.md) and what is
 * computed from a parsed script: the flags it needs (dfs_script_needs)
 * and the dry-run plan (dfs_script_print_plan).
 *
 * Input: script text. Lines `#@ NAME` cut it into in-memory files: the
 * text before the first one is the script, main.dfu; each section after
 * such a line is the file NAME, which the script (and the other files)
 * can `include` or name as data (`file:NAME`). The loader serves only
 * these, never the file system; any other name, and the name `fail`, is
 * a load error. Each file is handed over in a heap buffer of exactly its
 * size. The parser never sees a NUL-terminated string.
 *
 * Properties checked: the result is DFS_OK, DFS_E_FORMAT or DFS_E_LIMIT;
 * the error is terminated, names a file of the input (or main.dfu), and
 * for DFS_E_FORMAT a line of that file and a message; the number of files
 * loaded stays under the parser's limit (no include blow-up); parsing the
 * same input again gives the same result and steps; a parsed script has
 * at most DFS_SCRIPT_MAX_STEPS steps, its plan prints, and the flags it
 * needs are none when everything is allowed, with a terminated reason
 * naming the step otherwise.
 */
#include "fuzz.h"

#include "dfuscope/dfuse.h"
#include "dfuscope/runner.h"
#include "../conformance/internal.h"

#define MAX_FILES 8

struct mem_file {
    char name[64];
    const uint8_t *p;
    size_t len;
    unsigned lines;
};

struct mem_fs {
    struct mem_file f[MAX_FILES];
    unsigned n;
    unsigned long loads;
};

static unsigned count_lines(const uint8_t *p, size_t n)
{
    unsigned l = 1;
    for (size_t i = 0; i < n; i++)
        l += p[i] == '\n';
    return l;
}

/* Split the input at lines "#@ NAME". f[0] is main.dfu. */
static void split(const uint8_t *d, size_t n, struct mem_fs *fs)
{
    memset(fs, 0, sizeof *fs);
    size_t start = 0, pos = 0;
    struct mem_file *cur = &fs->f[fs->n++];
    strcpy(cur->name, "main.dfu");
    while (pos < n) {
        const uint8_t *nl = memchr(d + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - d) : n;
        size_t next = nl ? end + 1 : n;
        if (end - pos >= 4 && d[pos] == '#' && d[pos + 1] == '@' && d[pos + 2] == ' ' &&
            fs->n < MAX_FILES) {
            cur->p = d + start;
            cur->len = pos - start;
            cur = &fs->f[fs->n++];
            size_t nl_len = end - pos - 3;
            if (nl_len >= sizeof cur->name)
                nl_len = sizeof cur->name - 1;
            memcpy(cur->name, d + pos + 3, nl_len);
            cur->name[nl_len] = '\0';
            if (nl_len && cur->name[nl_len - 1] == '\r')
                cur->name[nl_len - 1] = '\0';
            start = next;
        }
        pos = next;
    }
    cur->p = d + start;
    cur->len = n - start;
    for (unsigned i = 0; i < fs->n; i++)
        fs->f[i].lines = count_lines(fs->f[i].p, fs->f[i].len);
}

static dfs_result mem_load(void *user, const char *from, const char *path, char **buf,
                           size_t *len, char *resolved, size_t resolved_size, char *err,
                           size_t err_size)
{
    struct mem_fs *fs = user;
    FUZZ_CHECK(from && path && buf && len && resolved && err);
    fs->loads++;
    for (unsigned i = 1; i < fs->n; i++) {
        if (strcmp(fs->f[i].name, path) != 0 || strcmp(path, "fail") == 0)
            continue;
        /* malloc of the exact size (at least 1: the parser frees it) */
        char *c = malloc(fs->f[i].len ? fs->f[i].len : 1);
        if (!c)
            abort();
        if (fs->f[i].len)
            memcpy(c, fs->f[i].p, fs->f[i].len);
        *buf = c;
        *len = fs->f[i].len;
        snprintf(resolved, resolved_size, "%s", fs->f[i].name);
        return DFS_OK;
    }
    snprintf(err, err_size, "no such file in the test's file set");
    return DFS_E_NOTFOUND;
}

static const struct mem_file *file_named(const struct mem_fs *fs, const char *name)
{
    for (unsigned i = 0; i < fs->n; i++)
        if (strcmp(fs->f[i].name, name) == 0)
            return &fs->f[i];
    return NULL;
}

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    if (!f)
        abort();
    return f;
}

static void check_script(const dfs_script *s, const dfs_script *again)
{
    size_t n = dfs_script_step_count(s);
    FUZZ_CHECK(n <= DFS_SCRIPT_MAX_STEPS);
    FUZZ_CHECK(dfs_script_step_count(again) == n);
    FUZZ_CHECK(s->arena.len == again->arena.len);
    FUZZ_CHECK(s->arena.len == 0 || memcmp(s->arena.p, again->arena.p, s->arena.len) == 0);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_run__step *a = &s->steps[i], *b = &again->steps[i];
        FUZZ_CHECK(a->kind == b->kind && a->line == b->line && a->column == b->column);
        FUZZ_CHECK(a->file < s->n_files);
        FUZZ_CHECK(fuzz_terminated(a->text, sizeof a->text));
        FUZZ_CHECK(a->data_len == 0 || a->data_off + a->data_len <= s->arena.len);
        FUZZ_CHECK(!a->ex.has_data || a->ex.data_off + a->ex.data_len <= s->arena.len);
        FUZZ_CHECK(!a->ex.has_data || a->ex.mask_off + a->ex.data_len <= s->arena.len);
    }

    /* the flags it needs, for an unknown device, a DfuSe STM32G0C1 and a
     * plain DFU 1.1 device */
    struct dfs_device_facts facts[3];
    for (int k = 0; k < 3; k++)
        dfs_device_facts_init(&facts[k]);
    facts[1].dfuse = 1;
    facts[1].transfer_size = 1024;
    static const char g0[] = "@Internal Flash /0x08000000/256*02Kg";
    if (dfs_layout_parse(g0, sizeof g0 - 1, &facts[1].layouts[0], NULL, 0) == DFS_OK)
        facts[1].n_layouts = 1;
    facts[2].dfuse = 0;
    facts[2].transfer_size = 2048;
    for (int k = 0; k < 3; k++) {
        char why[300];
        memset(why, 'x', sizeof why);
        unsigned all = DFS_ALLOW_WRITE | DFS_ALLOW_ERASE | DFS_ALLOW_OPTION_BYTES |
                       DFS_ALLOW_UNPROTECT | DFS_ALLOW_OTP | DFS_ALLOW_TIMING_ABUSE;
        FUZZ_CHECK(dfs_script_needs(s, &facts[k], all, why, sizeof why) == 0);
        memset(why, 'x', sizeof why);
        unsigned miss = dfs_script_needs(s, &facts[k], 0, why, sizeof why);
        FUZZ_CHECK(fuzz_terminated(why, sizeof why));
        FUZZ_CHECK((miss & ~all) == 0);
        if (miss)
            FUZZ_CHECK(why[0] != '\0');
        /* what is missing with the flags given is what is needed minus those */
        unsigned miss2 = dfs_script_needs(s, &facts[k], DFS_ALLOW_WRITE, why, sizeof why);
        FUZZ_CHECK((miss2 & DFS_ALLOW_WRITE) == 0);
        FUZZ_CHECK(dfs_script_print_plan(s, &facts[k], devnull()) == DFS_OK);
    }
    FUZZ_CHECK(dfs_script_print_plan(s, NULL, devnull()) == DFS_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem_fs fs;
    split(data, size, &fs);
    const struct mem_file *root = &fs.f[0];
    char *text = (char *)fuzz_dup(root->p, root->len);
    struct dfs_script_loader loader = {mem_load, &fs};
    dfs_script *s = NULL;
    struct dfs_script_error e;
    memset(&e, 'x', sizeof e);
    dfs_result r = dfs_script_parse(text, root->len, "main.dfu", &loader, &s, &e);
    FUZZ_CHECK(r == DFS_OK || r == DFS_E_FORMAT || r == DFS_E_LIMIT);
    FUZZ_CHECK(fuzz_terminated(e.file, sizeof e.file) && fuzz_terminated(e.msg, sizeof e.msg));
    /* every file parsed at most once per include line and data reference
     * of the text it is named in: the parser bounds the total */
    FUZZ_CHECK(fs.loads <= DFS_SCRIPT_MAX_LOADS);
    unsigned long loads = fs.loads;

    /* the same again: the same answer */
    dfs_script *again = NULL;
    struct dfs_script_error e2;
    fs.loads = 0;
    dfs_result r2 = dfs_script_parse(text, root->len, "main.dfu", &loader, &again, &e2);
    FUZZ_CHECK(r2 == r && fs.loads == loads);

    if (r != DFS_OK) {
        FUZZ_CHECK(s == NULL && again == NULL);
        FUZZ_CHECK(e.msg[0] != '\0' && e.file[0] != '\0');
        FUZZ_CHECK(strcmp(e.msg, e2.msg) == 0 && e.line == e2.line && e.column == e2.column);
        if (r == DFS_E_FORMAT) {
            const struct mem_file *f = file_named(&fs, e.file);
            FUZZ_CHECK(f != NULL);
            FUZZ_CHECK(e.line >= 1 && e.line <= f->lines);
        }
        char line[1024];
        dfs_script_error_str(&e, line, sizeof line);
        FUZZ_CHECK(fuzz_terminated(line, sizeof line));
        free(text);
        return 0;
    }
    FUZZ_CHECK(s != NULL && again != NULL);
    check_script(s, again);
    dfs_script_free(s);
    dfs_script_free(again);
    free(text);
    return 0;
}
