/* The script language (docs/scripts.md): one step per line, parsed from a
 * buffer into a flat list of steps; includes are resolved through the
 * caller's loader. Every error names file:line:column and what was expected
 * there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_parse.h"

size_t dfs_script_error_str(const struct dfs_script_error *e, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!e)
        return 0;
    if (e->line && e->column)
        dfs_run__fmt(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->msg);
    else if (e->line)
        dfs_run__fmt(buf, size, "%s:%u: %s", e->file, e->line, e->msg);
    else
        dfs_run__fmt(buf, size, "%s: %s", e->file, e->msg);
    return strlen(buf);
}

static dfs_result add_file(struct dfs_run__parser *ps, const char *name, uint32_t *index)
{
    dfs_script *s = ps->s;
    for (size_t i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i], name) == 0) {
            *index = (uint32_t)i;
            return DFS_OK;
        }
    if (s->n_files >= 4096)
        return DFS_E_LIMIT;
    char **n = realloc(s->files, (s->n_files + 1) * sizeof *n);
    if (!n)
        return DFS_E_NOMEM;
    s->files = n;
    size_t l = strlen(name);
    char *c = malloc(l + 1);
    if (!c)
        return DFS_E_NOMEM;
    memcpy(c, name, l + 1);
    s->files[s->n_files] = c;
    *index = (uint32_t)s->n_files++;
    return DFS_OK;
}

static dfs_result parse_text(struct dfs_run__parser *ps, const char *buf, size_t len,
                             const char *name);

/* include FILE: its steps take the place of the line. */
static dfs_result parse_include(struct dfs_run__parser *ps)
{
    if (ps->n_tok != 2)
        return dfs_run__failat(ps, ps->n_tok < 2 ? (unsigned)ps->line_len + 1 : ps->tok[2].col,
                               ps->n_tok < 2 ? "expected a file name after 'include'"
                                             : "expected the end of the line after the file name");
    const struct dfs_run__token *f = &ps->tok[1];
    char path[DFS_RUN__TOKEN_TEXT_MAX + 1];
    size_t plen = f->len > DFS_RUN__TOKEN_TEXT_MAX ? DFS_RUN__TOKEN_TEXT_MAX : f->len;
    memcpy(path, f->p, plen);
    path[plen] = '\0';
    /* (nesting needs loaded files: without a loader the depth is 0) */
    if (ps->depth >= DFS_SCRIPT_MAX_INCLUDE_DEPTH)
        return dfs_run__failat(ps, f->col, "includes nested more than %d deep",
                               DFS_SCRIPT_MAX_INCLUDE_DEPTH);
    char *buf = NULL;
    size_t blen = 0;
    char resolved[512];
    dfs_result r = dfs_run__load_file(ps, f->col, "include", path, &buf, &blen, resolved,
                                      sizeof resolved);
    if (r != DFS_OK)
        return r;
    if (!resolved[0])
        dfs_run__fmt(resolved, sizeof resolved, "%s", path);
    for (unsigned d = 0; d <= ps->depth; d++) {
        if (ps->chain[d] && strcmp(ps->chain[d], resolved) == 0) {
            free(buf);
            return dfs_run__failat(ps, f->col, "'%s' includes itself (through %s)", resolved,
                                   ps->chain[0]);
        }
    }
    /* parse the included text with its own position */
    struct dfs_run__parser sub = *ps;
    sub.depth = ps->depth + 1;
    sub.n_tok = 0;
    r = parse_text(&sub, buf, blen, resolved);
    free(buf);
    return r;
}

static dfs_result parse_line(struct dfs_run__parser *ps)
{
    if (dfs_run__tok_is(&ps->tok[0], "include"))
        return parse_include(ps);
    return dfs_run__parse_step(ps);
}

static dfs_result parse_text(struct dfs_run__parser *ps, const char *buf, size_t len,
                             const char *name)
{
    uint32_t fi;
    dfs_result r = add_file(ps, name, &fi);
    if (r)
        return r;
    ps->file = ps->s->files[fi];
    ps->file_index = fi;
    ps->chain[ps->depth] = ps->file;
    ps->line = 0;
    size_t pos = 0;
    /* UTF-8 byte order mark */
    if (len >= 3 && (uint8_t)buf[0] == 0xef && (uint8_t)buf[1] == 0xbb && (uint8_t)buf[2] == 0xbf)
        pos = 3;
    while (pos < len) {
        ps->line++;
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t ll = end - pos;
        if (ll && buf[pos + ll - 1] == '\r')
            ll--;
        ps->line_text = buf + pos;
        ps->line_len = ll;
        const char *nul = memchr(buf + pos, '\0', ll);
        if (nul)
            return dfs_run__failat(ps, (unsigned)(nul - (buf + pos)) + 1,
                                   "NUL byte in the script; expected text");
        if (ll > DFS_SCRIPT_MAX_LINE)
            return dfs_run__failat(ps, 1, "line longer than %d bytes", DFS_SCRIPT_MAX_LINE);
        r = dfs_run__tokenize(ps);
        if (r == DFS_OK && ps->n_tok)
            r = parse_line(ps);
        dfs_run__free_tokens(ps);
        if (r)
            return r;
        /* an include changes these; restore */
        ps->file = ps->s->files[fi];
        ps->file_index = fi;
        pos = nl ? end + 1 : len;
    }
    return DFS_OK;
}

dfs_result dfs_script_parse(const char *buf, size_t len, const char *name,
                            const struct dfs_script_loader *loader, dfs_script **out,
                            struct dfs_script_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if ((!buf && len) || !out)
        return DFS_E_INVAL;
    if (!name)
        name = "<script>";
    dfs_script *s = calloc(1, sizeof *s);
    if (!s)
        return DFS_E_NOMEM;
    /* offset 0 of the arena is reserved (0 means "none" for strings) */
    uint8_t z = 0;
    if (dfs_run__buf_add(&s->arena, &z, 1) == SIZE_MAX) {
        free(s);
        return DFS_E_NOMEM;
    }
    struct dfs_run__parser ps;
    memset(&ps, 0, sizeof ps);
    ps.s = s;
    ps.loader = loader;
    ps.err = err;
    dfs_result r = parse_text(&ps, buf ? buf : "", len, name);
    if (r == DFS_OK && s->arena.failed)
        r = DFS_E_NOMEM;
    if (r != DFS_OK) {
        if (err && r == DFS_E_NOMEM && !err->msg[0]) {
            dfs_run__fmt(err->file, sizeof err->file, "%s", name);
            dfs_run__fmt(err->msg, sizeof err->msg, "out of memory");
        } else if (err && r == DFS_E_LIMIT && !err->msg[0]) {
            dfs_run__fmt(err->file, sizeof err->file, "%s", name);
            dfs_run__fmt(err->msg, sizeof err->msg, "too many included files");
        }
        dfs_script_free(s);
        return r;
    }
    *out = s;
    return DFS_OK;
}

void dfs_script_free(dfs_script *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    free(s->steps);
    dfs_run__buf_free(&s->arena);
    free(s);
}

size_t dfs_script_step_count(const dfs_script *s) { return s ? s->n_steps : 0; }

const char *dfs_run__step_file(const struct dfs_script *s, const struct dfs_run__step *st)
{
    return st->file < s->n_files ? s->files[st->file] : "?";
}
