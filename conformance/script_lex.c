/* The words of a script line and what they hold: tokens (quoted strings
 * unescaped), numbers, times, hex data and data files, names of DFU states
 * and statuses. Every error names file:line:column (dfs_run__failat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_parse.h"

dfs_result dfs_run__failat(struct dfs_run__parser *ps, unsigned col, const char *fmt, ...)
{
    struct dfs_script_error *e = ps->err;
    if (e) {
        dfs_run__fmt(e->file, sizeof e->file, "%s", ps->file);
        e->line = ps->line;
        e->column = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return DFS_E_FORMAT;
}

/* Read PATH, named at column COL, through the script's loader, counting it
 * against DFS_SCRIPT_MAX_LOADS; ACT says in the messages what the file is
 * for ("include", "read data file"). RESOLVED gets the loader's name for it. */
dfs_result dfs_run__load_file(struct dfs_run__parser *ps, unsigned col, const char *act,
                              const char *path, char **buf, size_t *blen, char *resolved,
                              size_t resolved_size)
{
    if (!ps->loader || !ps->loader->load)
        return dfs_run__failat(
            ps, col, "cannot %s '%s' here: this script is parsed without file access", act, path);
    if (ps->s->n_loads++ >= DFS_SCRIPT_MAX_LOADS)
        return dfs_run__failat(ps, col,
                               "cannot %s '%s': more than %d files read for this script "
                               "(includes of includes multiply)",
                               act, path, DFS_SCRIPT_MAX_LOADS);
    char lerr[400] = "";
    resolved[0] = '\0';
    dfs_result r = ps->loader->load(ps->loader->user, ps->file, path, buf, blen, resolved,
                                    resolved_size, lerr, sizeof lerr);
    if (r != DFS_OK)
        return dfs_run__failat(ps, col, "cannot %s '%s': %s", act, path,
                               lerr[0] ? lerr : dfs_result_str(r));
    return DFS_OK;
}

/* A token for messages: shortened and with control characters escaped. */
const char *dfs_run__tokstr(const struct dfs_run__token *t, char *buf, size_t size)
{
    size_t o = 0;
    const char *p = t->owned ? t->owned : t->p;
    size_t n = t->owned ? strlen(t->owned) : t->len;
    for (size_t i = 0; i < n && o + 5 < size; i++) {
        unsigned char c = (unsigned char)p[i];
        if (o + 8 >= size && i + 1 < n) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}

void dfs_run__free_tokens(struct dfs_run__parser *ps)
{
    for (size_t i = 0; i < ps->n_tok; i++)
        free(ps->tok[i].owned);
    ps->n_tok = 0;
}

dfs_result dfs_run__tokenize(struct dfs_run__parser *ps)
{
    const char *l = ps->line_text;
    size_t n = ps->line_len, i = 0;
    ps->n_tok = 0;
    while (i < n) {
        char c = l[i];
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        if (c == '#')
            break;
        unsigned col = (unsigned)i + 1;
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return dfs_run__failat(ps, col,
                                   "control character 0x%02x in the line; expected printable text",
                                   (unsigned char)c);
        if (ps->n_tok >= DFS_RUN__MAX_TOKENS)
            return dfs_run__failat(ps, col, "more than %d words on one line", DFS_RUN__MAX_TOKENS);
        struct dfs_run__token *t = &ps->tok[ps->n_tok];
        memset(t, 0, sizeof *t);
        t->col = col;
        if (c == '"') {
            t->quoted = true;
            char *o = malloc(n - i + 1);
            if (!o)
                return DFS_E_NOMEM;
            size_t k = 0;
            i++;
            bool closed = false;
            while (i < n) {
                char d = l[i];
                if (d == '"') {
                    closed = true;
                    i++;
                    break;
                }
                if (d == '\\' && i + 1 < n && (l[i + 1] == '"' || l[i + 1] == '\\')) {
                    o[k++] = l[i + 1];
                    i += 2;
                    continue;
                }
                if ((unsigned char)d < 0x20 || d == 0x7f) {
                    free(o);
                    return dfs_run__failat(ps, (unsigned)i + 1,
                                           "control character 0x%02x in a quoted "
                                           "string",
                                           (unsigned char)d);
                }
                o[k++] = d;
                i++;
            }
            o[k] = '\0';
            if (!closed) {
                free(o);
                return dfs_run__failat(ps, col,
                                       "quoted string not closed; expected '\"' before the end "
                                       "of the line");
            }
            if (k > DFS_RUN__TOKEN_TEXT_MAX) {
                free(o);
                return dfs_run__failat(ps, col, "quoted string longer than %d bytes",
                                       DFS_RUN__TOKEN_TEXT_MAX);
            }
            t->owned = o;
            t->p = o;
            t->len = k;
            ps->n_tok++;
            if (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#')
                return dfs_run__failat(ps, (unsigned)i + 1,
                                       "expected a space after the quoted string");
            continue;
        }
        size_t start = i;
        while (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#') {
            if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
                return dfs_run__failat(
                    ps, (unsigned)i + 1,
                    "control character 0x%02x in the line; expected printable text",
                    (unsigned char)l[i]);
            if (l[i] == '"') {
                if (i > start && l[i - 1] == '=')
                    break; /* key="quoted value" */
                return dfs_run__failat(ps, (unsigned)i + 1,
                                       "a quote inside a word; put a space before a quoted string");
            }
            i++;
        }
        t->p = l + start;
        t->len = i - start;
        ps->n_tok++;
    }
    return DFS_OK;
}

bool dfs_run__tok_is(const struct dfs_run__token *t, const char *w)
{
    return !t->quoted && strlen(w) == t->len && strncmp(t->p, w, t->len) == 0;
}

/* "key=value" words: true and the value when the token starts with key= */
bool dfs_run__tok_key(const struct dfs_run__token *t, const char *key, const char **val,
                      size_t *vlen)
{
    size_t k = strlen(key);
    if (t->quoted || t->len <= k || strncmp(t->p, key, k) != 0 || t->p[k] != '=')
        return false;
    *val = t->p + k + 1;
    *vlen = t->len - k - 1;
    return true;
}

/* ---- numbers ------------------------------------------------------------------------------- */

bool dfs_run__parse_u64(const char *p, size_t n, uint64_t *out)
{
    if (!n)
        return false;
    uint64_t v = 0;
    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        if (n - 2 > 16)
            return false;
        for (size_t i = 2; i < n; i++) {
            char c = p[i];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = (unsigned)(c - 'A' + 10);
            else
                return false;
            v = (v << 4) | d;
        }
        *out = v;
        return true;
    }
    if (n > 19)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

dfs_result dfs_run__num(struct dfs_run__parser *ps, const struct dfs_run__token *t, const char *p,
                        size_t n, uint64_t max, const char *what, uint32_t *out)
{
    uint64_t v;
    char b[80];
    if (t->quoted || !dfs_run__parse_u64(p, n, &v))
        return dfs_run__failat(ps, t->col,
                               "expected %s, found '%s' (numbers are decimal or 0x hex)", what,
                               dfs_run__tokstr(t, b, sizeof b));
    if (v > max)
        return dfs_run__failat(ps, t->col, "%s %llu is out of range (at most %llu)", what,
                               (unsigned long long)v, (unsigned long long)max);
    *out = (uint32_t)v;
    return DFS_OK;
}

dfs_result dfs_run__tnum(struct dfs_run__parser *ps, const struct dfs_run__token *t, uint64_t max,
                         const char *what, uint32_t *out)
{
    return dfs_run__num(ps, t, t->p, t->len, max, what, out);
}

/* 100, 100ms, 2s */
dfs_result dfs_run__duration(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                             const char *p, size_t n, uint32_t *ms)
{
    uint64_t mult = 1;
    if (n > 2 && p[n - 2] == 'm' && p[n - 1] == 's')
        n -= 2;
    else if (n > 1 && p[n - 1] == 's') {
        n -= 1;
        mult = 1000;
    }
    uint64_t v;
    char b[80];
    if (t->quoted || !dfs_run__parse_u64(p, n, &v) || v > 86400000 / mult)
        return dfs_run__failat(ps, t->col,
                               "expected a time like 500ms or 2s (at most one day), found '%s'",
                               dfs_run__tokstr(t, b, sizeof b));
    *ms = (uint32_t)(v * mult);
    return DFS_OK;
}

int dfs_run__hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Hex bytes (pairs, optional '_' between) into the arena. */
dfs_result dfs_run__hexdata(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                            const char *p, size_t n, bool wild, size_t *off, size_t *mask_off,
                            uint32_t *len)
{
    uint8_t chunk[256] = {0}, mchunk[256] = {0};
    size_t k = 0;
    uint32_t total = 0;
    *off = SIZE_MAX;
    size_t moff = SIZE_MAX;
    bool first = true;
    struct dfs_run__buf *a = &ps->s->arena;
    size_t base_col = t->col + (size_t)(p - t->p);
    /* patterns go data and mask in two passes: count first */
    size_t i = 0;
    /* data pass */
    while (i < n) {
        if (p[i] == '_') {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return dfs_run__failat(ps, (unsigned)(base_col + i),
                                   "odd number of hex digits; expected two digits per byte");
        int hi = dfs_run__hexval(p[i]), lo = dfs_run__hexval(p[i + 1]);
        uint8_t m = 0xff;
        if (wild && p[i] == '?' && p[i + 1] == '?') {
            hi = lo = 0;
            m = 0;
        } else if (hi < 0 || lo < 0) {
            char b[8];
            int bad = hi < 0 ? 0 : 1;
            snprintf(b, sizeof b, "%c", p[i + (size_t)bad]);
            return dfs_run__failat(ps, (unsigned)(base_col + i + (size_t)bad),
                                   "expected a hex digit%s, found '%s'", wild ? " or ??" : "",
                                   (unsigned char)p[i + (size_t)bad] < 0x20 ? "?" : b);
        }
        chunk[k] = (uint8_t)(hi << 4 | lo);
        mchunk[k] = m;
        k++;
        i += 2;
        if (k == sizeof chunk) {
            size_t o = dfs_run__buf_add(a, chunk, k);
            if (o == SIZE_MAX)
                return DFS_E_NOMEM;
            if (first) {
                *off = o;
                first = false;
            }
            total += (uint32_t)k;
            if (total > DFS_SCRIPT_MAX_DATA)
                return dfs_run__failat(ps, t->col, "data longer than %u bytes",
                                       DFS_SCRIPT_MAX_DATA);
            /* masks are kept in a second run after the data */
            k = 0;
        }
    }
    if (k || first) {
        size_t o = dfs_run__buf_add(a, chunk, k);
        if (o == SIZE_MAX)
            return DFS_E_NOMEM;
        if (first)
            *off = o;
        total += (uint32_t)k;
    }
    if (mask_off) {
        /* second pass for the mask: same walk, only wildcards matter */
        size_t j = 0;
        k = 0;
        bool mfirst = true;
        while (j < n) {
            if (p[j] == '_') {
                j++;
                continue;
            }
            mchunk[k++] = (p[j] == '?' && p[j + 1] == '?') ? 0 : 0xff;
            j += 2;
            if (k == sizeof mchunk) {
                size_t o = dfs_run__buf_add(a, mchunk, k);
                if (o == SIZE_MAX)
                    return DFS_E_NOMEM;
                if (mfirst) {
                    moff = o;
                    mfirst = false;
                }
                k = 0;
            }
        }
        if (k || mfirst) {
            size_t o = dfs_run__buf_add(a, mchunk, k);
            if (o == SIZE_MAX)
                return DFS_E_NOMEM;
            if (mfirst)
                moff = o;
        }
        *mask_off = moff;
    }
    *len = total;
    return DFS_OK;
}

/* DATA: hex:..., or file:PATH (or, when bare_file, any other word is a path). */
dfs_result dfs_run__data_arg(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                             bool bare_file, size_t *off, uint32_t *len)
{
    const char *v = t->p;
    size_t n = t->len;
    if (!t->quoted && n >= 4 && strncmp(v, "hex:", 4) == 0)
        return dfs_run__hexdata(ps, t, v + 4, n - 4, false, off, NULL, len);
    const char *path = NULL;
    if (!t->quoted && n >= 5 && strncmp(v, "file:", 5) == 0)
        path = v + 5;
    else if (bare_file)
        path = v;
    else
        return dfs_run__failat(ps, t->col, "expected data as hex:0011aa... or file:PATH");
    char pathbuf[DFS_RUN__TOKEN_TEXT_MAX + 1];
    size_t plen = (size_t)(t->len - (size_t)(path - v));
    if (plen == 0 || plen > DFS_RUN__TOKEN_TEXT_MAX)
        return dfs_run__failat(ps, t->col, "expected a file name");
    memcpy(pathbuf, path, plen);
    pathbuf[plen] = '\0';
    char *buf = NULL;
    size_t blen = 0;
    char resolved[512];
    dfs_result r = dfs_run__load_file(ps, t->col, "read data file", pathbuf, &buf, &blen, resolved,
                                      sizeof resolved);
    if (r != DFS_OK)
        return r;
    if (blen > DFS_SCRIPT_MAX_DATA) {
        free(buf);
        return dfs_run__failat(ps, t->col, "data file '%s' is larger than %u bytes", pathbuf,
                               DFS_SCRIPT_MAX_DATA);
    }
    size_t o = dfs_run__buf_add(&ps->s->arena, buf, blen);
    free(buf);
    if (o == SIZE_MAX)
        return DFS_E_NOMEM;
    *off = o;
    *len = (uint32_t)blen;
    return DFS_OK;
}

size_t dfs_run__arena_str(struct dfs_run__parser *ps, const char *p, size_t n)
{
    size_t o = dfs_run__buf_add(&ps->s->arena, p, n);
    if (o == SIZE_MAX)
        return o;
    char z = 0;
    if (dfs_run__buf_add(&ps->s->arena, &z, 1) == SIZE_MAX)
        return SIZE_MAX;
    return o;
}

/* ---- names ---------------------------------------------------------------------------------- */

int dfs_run__lookup_state(const char *p, size_t n)
{
    for (unsigned v = 0; v <= DFS_STATE_ERROR; v++) {
        const char *name = dfs_dfu_state_name((uint8_t)v);
        if (name && strlen(name) == n && strncmp(name, p, n) == 0)
            return (int)v;
    }
    return -1;
}

int dfs_run__lookup_status(const char *p, size_t n)
{
    for (unsigned v = 0; v <= DFS_STATUS_ERR_STALLEDPKT; v++) {
        const char *name = dfs_dfu_status_name((uint8_t)v);
        if (name && strlen(name) == n && strncmp(name, p, n) == 0)
            return (int)v;
    }
    return -1;
}

bool dfs_device_sel_parse_id(struct dfs_device_sel *sel, const char *arg)
{
    unsigned a = 0, b = 0;
    size_t i = 0, n = 0;
    for (; arg[i] && arg[i] != ':'; i++, n++) {
        int h = dfs_run__hexval(arg[i]);
        if (h < 0 || n >= 4)
            return false;
        a = a << 4 | (unsigned)h;
    }
    if (n == 0 || arg[i] != ':')
        return false;
    i++;
    n = 0;
    for (; arg[i]; i++, n++) {
        int h = dfs_run__hexval(arg[i]);
        if (h < 0 || n >= 4)
            return false;
        b = b << 4 | (unsigned)h;
    }
    if (n == 0)
        return false;
    sel->by_id = true;
    sel->vid = (uint16_t)a;
    sel->pid = (uint16_t)b;
    return true;
}
