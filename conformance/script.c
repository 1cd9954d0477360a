/* The script language (docs/scripts.md): one step per line, parsed from a
 * buffer into a flat list of steps; includes are resolved through the
 * caller's loader. Every error names file:line:column and what was expected
 * there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- small helpers shared by the runner's files ---------------------------------------- */

size_t dfs_run__buf_add(struct dfs_run__buf *b, const void *p, size_t n)
{
    if (b->failed)
        return SIZE_MAX;
    if (n > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return SIZE_MAX;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return SIZE_MAX;
        }
        b->p = q;
        b->cap = cap;
    }
    size_t off = b->len;
    if (n)
        memcpy(b->p + off, p, n);
    b->len += n;
    return off;
}

void dfs_run__buf_free(struct dfs_run__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void dfs_run__fmt(char *buf, size_t size, const char *fmt, ...)
{
    if (!size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

size_t dfs_run__catf(char *buf, size_t size, const char *fmt, ...)
{
    if (!size)
        return 0;
    size_t len = strnlen(buf, size);
    if (len >= size - 1)
        return size - 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return len;
    return len + (size_t)n >= size ? size - 1 : len + (size_t)n;
}

void dfs_run__hex_str(const uint8_t *p, size_t n, char *buf, size_t size)
{
    static const char hx[] = "0123456789abcdef";
    if (!size)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 3 > size - 1) {
            if (size > 4) {
                o = size - 4 < o ? size - 4 : o;
                memcpy(buf + o, "...", 3);
                o += 3;
            }
            break;
        }
        buf[o++] = hx[p[i] >> 4];
        buf[o++] = hx[p[i] & 15];
    }
    buf[o] = '\0';
}

void dfs_run__pattern_str(const uint8_t *pat, const uint8_t *mask, uint32_t n, bool prefix,
                          char *buf, size_t size)
{
    static const char hx[] = "0123456789abcdef";
    if (!size)
        return;
    size_t o = 0;
    bool partial = false;
    for (uint32_t i = 0; i < n; i++)
        if (mask && mask[i] != 0xff && mask[i] != 0)
            partial = true;
    for (uint32_t i = 0; i < n; i++) {
        if (o + 4 > size - 1) {
            prefix = true;
            break;
        }
        if (mask && mask[i] == 0 && !partial) {
            buf[o++] = '?';
            buf[o++] = '?';
        } else {
            buf[o++] = hx[pat[i] >> 4];
            buf[o++] = hx[pat[i] & 15];
        }
    }
    if (partial && mask) {
        if (o + 2 < size - 1)
            buf[o++] = '&';
        for (uint32_t i = 0; i < n && o + 4 < size - 1; i++) {
            buf[o++] = hx[mask[i] >> 4];
            buf[o++] = hx[mask[i] & 15];
        }
    }
    if (prefix && o + 1 < size)
        buf[o++] = '*';
    buf[o] = '\0';
}

bool dfs_run__data_match(const uint8_t *pat, const uint8_t *mask, uint32_t pat_len, bool prefix,
                         const uint8_t *got, uint32_t got_len)
{
    if (got_len < pat_len || (!prefix && got_len != pat_len))
        return false;
    for (uint32_t i = 0; i < pat_len; i++) {
        uint8_t m = mask ? mask[i] : 0xff;
        if ((got[i] & m) != (pat[i] & m))
            return false;
    }
    return true;
}

const char *dfs_run__cmp_str(enum dfs_run__cmp op)
{
    switch (op) {
    case DFS_RUN__LT: return "<";
    case DFS_RUN__LE: return "<=";
    case DFS_RUN__GT: return ">";
    case DFS_RUN__GE: return ">=";
    case DFS_RUN__EQ: break;
    }
    return "=";
}

bool dfs_run__cmp_ok(enum dfs_run__cmp op, uint32_t got, uint32_t want)
{
    switch (op) {
    case DFS_RUN__LT: return got < want;
    case DFS_RUN__LE: return got <= want;
    case DFS_RUN__GT: return got > want;
    case DFS_RUN__GE: return got >= want;
    case DFS_RUN__EQ: break;
    }
    return got == want;
}

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

/* ---- tokens ------------------------------------------------------------------------------- */

#define MAX_TOKENS 64
#define TOKEN_TEXT_MAX 4096 /* quoted strings and words, except hex data */

struct token {
    const char *p; /* unquoted words point into the line */
    size_t len;
    unsigned col;
    bool quoted;
    char *owned; /* unescaped text of a quoted token */
};

struct parser {
    dfs_script *s;
    const struct dfs_script_loader *loader;
    struct dfs_script_error *err;
    unsigned depth;
    const char *chain[DFS_SCRIPT_MAX_INCLUDE_DEPTH + 1]; /* include chain, for cycles */
    /* current line */
    const char *file;
    uint32_t file_index;
    unsigned line;
    const char *line_text;
    size_t line_len;
    struct token tok[MAX_TOKENS];
    size_t n_tok;
};

static dfs_result failat(struct parser *ps, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dfs_result failat(struct parser *ps, unsigned col, const char *fmt, ...)
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
static dfs_result load_file(struct parser *ps, unsigned col, const char *act, const char *path,
                            char **buf, size_t *blen, char *resolved, size_t resolved_size)
{
    if (!ps->loader || !ps->loader->load)
        return failat(ps, col, "cannot %s '%s' here: this script is parsed without file access",
                      act, path);
    if (ps->s->n_loads++ >= DFS_SCRIPT_MAX_LOADS)
        return failat(ps, col, "cannot %s '%s': more than %d files read for this script "
                      "(includes of includes multiply)", act, path, DFS_SCRIPT_MAX_LOADS);
    char lerr[400] = "";
    resolved[0] = '\0';
    dfs_result r = ps->loader->load(ps->loader->user, ps->file, path, buf, blen, resolved,
                                    resolved_size, lerr, sizeof lerr);
    if (r != DFS_OK)
        return failat(ps, col, "cannot %s '%s': %s", act, path,
                      lerr[0] ? lerr : dfs_result_str(r));
    return DFS_OK;
}

/* A token for messages: shortened and with control characters escaped. */
static const char *tokstr(const struct token *t, char *buf, size_t size)
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

static void free_tokens(struct parser *ps)
{
    for (size_t i = 0; i < ps->n_tok; i++)
        free(ps->tok[i].owned);
    ps->n_tok = 0;
}

static dfs_result tokenize(struct parser *ps)
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
            return failat(ps, col, "control character 0x%02x in the line; expected printable text",
                          (unsigned char)c);
        if (ps->n_tok >= MAX_TOKENS)
            return failat(ps, col, "more than %d words on one line", MAX_TOKENS);
        struct token *t = &ps->tok[ps->n_tok];
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
                    return failat(ps, (unsigned)i + 1, "control character 0x%02x in a quoted "
                                  "string", (unsigned char)d);
                }
                o[k++] = d;
                i++;
            }
            o[k] = '\0';
            if (!closed) {
                free(o);
                return failat(ps, col, "quoted string not closed; expected '\"' before the end "
                              "of the line");
            }
            if (k > TOKEN_TEXT_MAX) {
                free(o);
                return failat(ps, col, "quoted string longer than %d bytes", TOKEN_TEXT_MAX);
            }
            t->owned = o;
            t->p = o;
            t->len = k;
            ps->n_tok++;
            if (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#')
                return failat(ps, (unsigned)i + 1, "expected a space after the quoted string");
            continue;
        }
        size_t start = i;
        while (i < n && l[i] != ' ' && l[i] != '\t' && l[i] != '#') {
            if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
                return failat(ps, (unsigned)i + 1,
                              "control character 0x%02x in the line; expected printable text",
                              (unsigned char)l[i]);
            if (l[i] == '"') {
                if (i > start && l[i - 1] == '=')
                    break; /* key="quoted value" */
                return failat(ps, (unsigned)i + 1,
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

static bool tok_is(const struct token *t, const char *w)
{
    return !t->quoted && strlen(w) == t->len && strncmp(t->p, w, t->len) == 0;
}

/* "key=value" words: true and the value when the token starts with key= */
static bool tok_key(const struct token *t, const char *key, const char **val, size_t *vlen)
{
    size_t k = strlen(key);
    if (t->quoted || t->len <= k || strncmp(t->p, key, k) != 0 || t->p[k] != '=')
        return false;
    *val = t->p + k + 1;
    *vlen = t->len - k - 1;
    return true;
}

/* ---- numbers ------------------------------------------------------------------------------- */

static bool parse_u64(const char *p, size_t n, uint64_t *out)
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

static dfs_result num(struct parser *ps, const struct token *t, const char *p, size_t n,
                      uint64_t max, const char *what, uint32_t *out)
{
    uint64_t v;
    char b[80];
    if (t->quoted || !parse_u64(p, n, &v))
        return failat(ps, t->col, "expected %s, found '%s' (numbers are decimal or 0x hex)",
                      what, tokstr(t, b, sizeof b));
    if (v > max)
        return failat(ps, t->col, "%s %llu is out of range (at most %llu)", what,
                      (unsigned long long)v, (unsigned long long)max);
    *out = (uint32_t)v;
    return DFS_OK;
}

static dfs_result tnum(struct parser *ps, const struct token *t, uint64_t max, const char *what,
                       uint32_t *out)
{
    return num(ps, t, t->p, t->len, max, what, out);
}

/* 100, 100ms, 2s */
static dfs_result duration(struct parser *ps, const struct token *t, const char *p, size_t n,
                           uint32_t *ms)
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
    if (t->quoted || !parse_u64(p, n, &v) || v > 86400000 / mult)
        return failat(ps, t->col,
                      "expected a time like 500ms or 2s (at most one day), found '%s'",
                      tokstr(t, b, sizeof b));
    *ms = (uint32_t)(v * mult);
    return DFS_OK;
}

static int hexval(char c)
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
static dfs_result hexdata(struct parser *ps, const struct token *t, const char *p, size_t n,
                          bool wild, size_t *off, size_t *mask_off, uint32_t *len)
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
            return failat(ps, (unsigned)(base_col + i),
                          "odd number of hex digits; expected two digits per byte");
        int hi = hexval(p[i]), lo = hexval(p[i + 1]);
        uint8_t m = 0xff;
        if (wild && p[i] == '?' && p[i + 1] == '?') {
            hi = lo = 0;
            m = 0;
        } else if (hi < 0 || lo < 0) {
            char b[8];
            int bad = hi < 0 ? 0 : 1;
            snprintf(b, sizeof b, "%c", p[i + (size_t)bad]);
            return failat(ps, (unsigned)(base_col + i + (size_t)bad),
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
                return failat(ps, t->col, "data longer than %u bytes", DFS_SCRIPT_MAX_DATA);
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
static dfs_result data_arg(struct parser *ps, const struct token *t, bool bare_file, size_t *off,
                           uint32_t *len)
{
    const char *v = t->p;
    size_t n = t->len;
    if (!t->quoted && n >= 4 && strncmp(v, "hex:", 4) == 0)
        return hexdata(ps, t, v + 4, n - 4, false, off, NULL, len);
    const char *path = NULL;
    if (!t->quoted && n >= 5 && strncmp(v, "file:", 5) == 0)
        path = v + 5;
    else if (bare_file)
        path = v;
    else
        return failat(ps, t->col, "expected data as hex:0011aa... or file:PATH");
    char pathbuf[TOKEN_TEXT_MAX + 1];
    size_t plen = (size_t)(t->len - (size_t)(path - v));
    if (plen == 0 || plen > TOKEN_TEXT_MAX)
        return failat(ps, t->col, "expected a file name");
    memcpy(pathbuf, path, plen);
    pathbuf[plen] = '\0';
    char *buf = NULL;
    size_t blen = 0;
    char resolved[512];
    dfs_result r = load_file(ps, t->col, "read data file", pathbuf, &buf, &blen, resolved,
                             sizeof resolved);
    if (r != DFS_OK)
        return r;
    if (blen > DFS_SCRIPT_MAX_DATA) {
        free(buf);
        return failat(ps, t->col, "data file '%s' is larger than %u bytes", pathbuf,
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

static size_t arena_str(struct parser *ps, const char *p, size_t n)
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

static int lookup_state(const char *p, size_t n)
{
    for (unsigned v = 0; v <= DFS_STATE_ERROR; v++) {
        const char *name = dfs_dfu_state_name((uint8_t)v);
        if (name && strlen(name) == n && strncmp(name, p, n) == 0)
            return (int)v;
    }
    return -1;
}

static int lookup_status(const char *p, size_t n)
{
    for (unsigned v = 0; v <= DFS_STATUS_ERR_STALLEDPKT; v++) {
        const char *name = dfs_dfu_status_name((uint8_t)v);
        if (name && strlen(name) == n && strncmp(name, p, n) == 0)
            return (int)v;
    }
    return -1;
}

/* ---- expectations ---------------------------------------------------------------------------- */

static bool cmp_key(const struct token *t, const char *key, enum dfs_run__cmp *op, const char **val,
                    size_t *vlen)
{
    size_t k = strlen(key);
    if (t->quoted || t->len <= k + 1 || strncmp(t->p, key, k) != 0)
        return false;
    const char *p = t->p + k;
    size_t rest = t->len - k;
    if (rest >= 2 && p[0] == '<' && p[1] == '=') {
        *op = DFS_RUN__LE;
        p += 2;
    } else if (rest >= 2 && p[0] == '>' && p[1] == '=') {
        *op = DFS_RUN__GE;
        p += 2;
    } else if (p[0] == '<') {
        *op = DFS_RUN__LT;
        p += 1;
    } else if (p[0] == '>') {
        *op = DFS_RUN__GT;
        p += 1;
    } else if (p[0] == '=') {
        *op = DFS_RUN__EQ;
        p += 1;
    } else {
        return false;
    }
    *val = p;
    *vlen = t->len - (size_t)(p - t->p);
    return true;
}

static const char expect_terms[] =
    "ok, stall, timeout, fail, any, disconnect [within TIME], reenumerate VID:PID [within TIME], "
    "status=, state=, length=, poll=, data=";

static dfs_result parse_expect(struct parser *ps, size_t i, struct dfs_run__expect *ex)
{
    char b[80];
    ex->given = true;
    if (i >= ps->n_tok)
        return failat(ps, (unsigned)ps->line_len + 1, "expected something after 'expect' (%s)",
                      expect_terms);
    for (; i < ps->n_tok; i++) {
        const struct token *t = &ps->tok[i];
        const char *v;
        size_t vn;
        enum dfs_run__cmp op;
        enum dfs_run__outcome_exp o = DFS_RUN__EX_DEFAULT;
        if (tok_is(t, "ok"))
            o = DFS_RUN__EX_OK;
        else if (tok_is(t, "stall"))
            o = DFS_RUN__EX_STALL;
        else if (tok_is(t, "timeout"))
            o = DFS_RUN__EX_TIMEOUT;
        else if (tok_is(t, "fail"))
            o = DFS_RUN__EX_FAIL;
        else if (tok_is(t, "any"))
            o = DFS_RUN__EX_ANY;
        if (o != DFS_RUN__EX_DEFAULT) {
            if (ex->outcome != DFS_RUN__EX_DEFAULT)
                return failat(ps, t->col, "only one of ok, stall, timeout, fail, any per step");
            ex->outcome = o;
            continue;
        }
        if (tok_is(t, "disconnect") || tok_is(t, "reenumerate")) {
            bool re = tok_is(t, "reenumerate");
            ex->disconnect = true;
            uint32_t *ms = &ex->disconnect_ms;
            if (re) {
                if (ex->reenum)
                    return failat(ps, t->col, "reenumerate given twice");
                ex->reenum = true;
                ms = &ex->reenum_ms;
                if (i + 1 >= ps->n_tok)
                    return failat(ps, (unsigned)ps->line_len + 1,
                                  "expected VID:PID after 'reenumerate' (like 0483:df11)");
                struct dfs_device_sel sel;
                const struct token *id = &ps->tok[++i];
                char idb[40];
                if (id->quoted || id->len >= sizeof idb)
                    return failat(ps, id->col, "expected VID:PID after 'reenumerate' (like "
                                  "0483:df11), found '%s'", tokstr(id, b, sizeof b));
                memcpy(idb, id->p, id->len);
                idb[id->len] = '\0';
                if (!dfs_device_sel_parse_id(&sel, idb))
                    return failat(ps, id->col, "expected VID:PID after 'reenumerate' (like "
                                  "0483:df11), found '%s'", tokstr(id, b, sizeof b));
                ex->vid = sel.vid;
                ex->pid = sel.pid;
            }
            if (i + 1 < ps->n_tok && tok_is(&ps->tok[i + 1], "within")) {
                if (i + 2 >= ps->n_tok)
                    return failat(ps, (unsigned)ps->line_len + 1,
                                  "expected a time after 'within' (like 5s)");
                const struct token *d = &ps->tok[i + 2];
                dfs_result r = duration(ps, d, d->p, d->len, ms);
                if (r)
                    return r;
                i += 2;
            }
            continue;
        }
        if (tok_key(t, "status", &v, &vn)) {
            int s = lookup_status(v, vn);
            if (s < 0) {
                uint32_t x = 0; /* (set on success; gcc -O3 cannot tell) */
                dfs_result r = num(ps, t, v, vn, 255, "status (errADDRESS, OK, ... or a number)",
                                   &x);
                if (r)
                    return r;
                s = (int)x;
            }
            ex->has_status = true;
            ex->status = (uint8_t)s;
            continue;
        }
        if (tok_key(t, "state", &v, &vn)) {
            int s = lookup_state(v, vn);
            if (s < 0) {
                uint32_t x = 0;
                dfs_result r = num(ps, t, v, vn, 255, "state (dfuIDLE, dfuDNBUSY, ... or a number)",
                                   &x);
                if (r)
                    return r;
                s = (int)x;
            }
            ex->has_state = true;
            ex->state = (uint8_t)s;
            continue;
        }
        if (cmp_key(t, "length", &op, &v, &vn)) {
            dfs_result r = num(ps, t, v, vn, UINT32_MAX, "a length", &ex->length);
            if (r)
                return r;
            ex->has_length = true;
            ex->length_op = op;
            continue;
        }
        if (cmp_key(t, "poll", &op, &v, &vn)) {
            dfs_result r = num(ps, t, v, vn, 0xffffff, "a bwPollTimeout in ms", &ex->poll);
            if (r)
                return r;
            ex->has_poll = true;
            ex->poll_op = op;
            continue;
        }
        if (tok_key(t, "data", &v, &vn)) {
            bool prefix = vn && v[vn - 1] == '*';
            if (prefix)
                vn--;
            const char *amp = memchr(v, '&', vn);
            size_t dn = amp ? (size_t)(amp - v) : vn;
            size_t off, moff;
            uint32_t len;
            dfs_result r = hexdata(ps, t, v, dn, true, &off, &moff, &len);
            if (r)
                return r;
            if (amp) {
                size_t m2off;
                uint32_t mlen;
                r = hexdata(ps, t, amp + 1, vn - dn - 1, false, &m2off, NULL, &mlen);
                if (r)
                    return r;
                if (mlen != len)
                    return failat(ps, t->col + (unsigned)(amp - t->p) + 1,
                                  "the mask after '&' has %u bytes, the data %u; expected the "
                                  "same length", mlen, len);
                /* combine: wildcards stay 0 */
                uint8_t *mp = ps->s->arena.p;
                for (uint32_t k = 0; k < len; k++)
                    mp[moff + k] &= mp[m2off + k];
            }
            ex->has_data = true;
            ex->data_off = off;
            ex->mask_off = moff;
            ex->data_len = len;
            ex->data_prefix = prefix;
            continue;
        }
        return failat(ps, t->col, "unknown expectation '%s'; expected one of: %s",
                      tokstr(t, b, sizeof b), expect_terms);
    }
    if (ex->outcome == DFS_RUN__EX_DEFAULT && !ex->disconnect)
        ex->outcome = DFS_RUN__EX_OK;
    if (ex->outcome == DFS_RUN__EX_DEFAULT)
        ex->outcome = DFS_RUN__EX_ANY; /* disconnect: the reply does not matter */
    if ((ex->outcome == DFS_RUN__EX_STALL || ex->outcome == DFS_RUN__EX_TIMEOUT) &&
        (ex->has_status || ex->has_state || ex->has_data || ex->has_poll))
        return failat(ps, ps->tok[i - 1].col,
                      "a step expected to fail has no reply to check status, state, poll or "
                      "data against");
    return DFS_OK;
}

/* ---- steps ------------------------------------------------------------------------------------- */

static struct dfs_run__step *new_step(struct parser *ps, enum dfs_run__step_kind kind)
{
    dfs_script *s = ps->s;
    if (s->n_steps >= DFS_SCRIPT_MAX_STEPS)
        return NULL;
    if (s->n_steps == s->cap_steps) {
        size_t cap = s->cap_steps ? s->cap_steps * 2 : 32;
        struct dfs_run__step *n = realloc(s->steps, cap * sizeof *n);
        if (!n)
            return NULL;
        s->steps = n;
        s->cap_steps = cap;
    }
    struct dfs_run__step *st = &s->steps[s->n_steps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->file = ps->file_index;
    st->line = ps->line;
    st->column = ps->tok[0].col;
    /* the text as written, from the first word, without the comment */
    size_t a = ps->tok[0].col - 1, e = ps->line_len;
    {
        bool inq = false;
        for (size_t k = a; k < ps->line_len; k++) {
            char c = ps->line_text[k];
            if (c == '"' && (k == 0 || ps->line_text[k - 1] != '\\'))
                inq = !inq;
            if (c == '#' && !inq) {
                e = k;
                break;
            }
        }
        while (e > a && (ps->line_text[e - 1] == ' ' || ps->line_text[e - 1] == '\t'))
            e--;
    }
    size_t n = e - a;
    if (n >= sizeof st->text) {
        memcpy(st->text, ps->line_text + a, sizeof st->text - 4);
        memcpy(st->text + sizeof st->text - 4, "...", 4);
    } else {
        memcpy(st->text, ps->line_text + a, n);
        st->text[n] = '\0';
    }
    for (char *c = st->text; *c; c++)
        if (*c == '\t')
            *c = ' ';
    return st;
}

struct verb {
    const char *name;
    enum dfs_run__step_kind kind;
    unsigned min_args, max_args; /* positional words after the verb */
    const char *usage;
};

static const struct verb verbs[] = {
    {"get-descriptor", DFS_RUN__SK_GET_DESCRIPTOR, 1, 2,
     "get-descriptor TYPE [INDEX] [lang=ID] [length=N]"},
    {"set-configuration", DFS_RUN__SK_SET_CONFIGURATION, 1, 1, "set-configuration VALUE"},
    {"set-interface", DFS_RUN__SK_SET_INTERFACE, 1, 1, "set-interface ALT [interface=N]"},
    {"get-status", DFS_RUN__SK_GET_STATUS, 0, 0, "get-status [interface=N | endpoint=ADDR]"},
    {"clear-feature", DFS_RUN__SK_CLEAR_FEATURE, 1, 1,
     "clear-feature endpoint-halt|remote-wakeup|N [interface=N | endpoint=ADDR]"},
    {"control", DFS_RUN__SK_CONTROL, 5, 5,
     "control bmRequestType bRequest wValue wIndex (LENGTH | hex:DATA)"},
    {"detach", DFS_RUN__SK_DETACH, 0, 1, "detach [TIMEOUT_MS]"},
    {"dnload", DFS_RUN__SK_DNLOAD, 1, 2, "dnload BLOCK [hex:DATA | file:PATH]"},
    {"upload", DFS_RUN__SK_UPLOAD, 2, 2, "upload BLOCK LENGTH"},
    {"getstatus", DFS_RUN__SK_GETSTATUS, 0, 0, "getstatus"},
    {"clrstatus", DFS_RUN__SK_CLRSTATUS, 0, 0, "clrstatus"},
    {"getstate", DFS_RUN__SK_GETSTATE, 0, 0, "getstate"},
    {"abort", DFS_RUN__SK_ABORT, 0, 0, "abort"},
    {"poll", DFS_RUN__SK_POLL, 0, 0, "poll [max=N]"},
    {"set-address", DFS_RUN__SK_SET_ADDRESS, 1, 1, "set-address ADDR"},
    {"erase", DFS_RUN__SK_ERASE, 1, 1, "erase ADDR"},
    {"mass-erase", DFS_RUN__SK_MASS_ERASE, 0, 0, "mass-erase"},
    {"read-unprotect", DFS_RUN__SK_READ_UNPROTECT, 0, 0, "read-unprotect"},
    {"leave", DFS_RUN__SK_LEAVE, 0, 0, "leave"},
    {"read", DFS_RUN__SK_READ, 3, 3, "read LENGTH at ADDR"},
    {"write", DFS_RUN__SK_WRITE, 3, 3, "write FILE|hex:DATA at ADDR"},
    {"wait", DFS_RUN__SK_WAIT, 1, 1, "wait TIME | wait poll"},
    {"check", DFS_RUN__SK_CHECK, 1, 1, "check ID [clause=\"...\"] [title=\"...\"]"},
};

static const struct verb *find_verb(const struct token *t)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (tok_is(t, verbs[i].name))
            return &verbs[i];
    /* a few aliases */
    if (tok_is(t, "set-alt"))
        return &verbs[2];
    if (tok_is(t, "download"))
        return &verbs[7];
    return NULL;
}

static dfs_result parse_text(struct parser *ps, const char *buf, size_t len, const char *name);

static bool is_dfu_request(enum dfs_run__step_kind k)
{
    switch (k) {
    DFS_RUN__SK_DFU_REQUEST_CASES:
    case DFS_RUN__SK_POLL:
    case DFS_RUN__SK_SET_ADDRESS:
    case DFS_RUN__SK_ERASE:
    case DFS_RUN__SK_MASS_ERASE:
    case DFS_RUN__SK_READ_UNPROTECT:
    case DFS_RUN__SK_LEAVE:
    case DFS_RUN__SK_READ:
    case DFS_RUN__SK_WRITE: return true;
    default:
        return false;
    }
}

static dfs_result recipient(struct parser *ps, const struct token *t, struct dfs_run__step *st,
                            bool *done)
{
    const char *v;
    size_t vn;
    uint32_t x = 0;
    *done = false;
    if (tok_key(t, "interface", &v, &vn)) {
        dfs_result r = num(ps, t, v, vn, 255, "an interface number", &x);
        if (r)
            return r;
        st->setup.bmRequestType = (uint8_t)((st->setup.bmRequestType & ~DFS_REQTYPE_RECIP_MASK) |
                                            DFS_REQTYPE_RECIP_INTERFACE);
        st->setup.wIndex = (uint16_t)x;
        st->iface_given = true;
        *done = true;
    } else if (tok_key(t, "endpoint", &v, &vn)) {
        dfs_result r = num(ps, t, v, vn, 255, "an endpoint address (like 0x81)", &x);
        if (r)
            return r;
        st->setup.bmRequestType = (uint8_t)((st->setup.bmRequestType & ~DFS_REQTYPE_RECIP_MASK) |
                                            DFS_REQTYPE_RECIP_ENDPOINT);
        st->setup.wIndex = (uint16_t)x;
        *done = true;
    }
    return DFS_OK;
}

static dfs_result parse_line(struct parser *ps)
{
    char b[80];
    const struct token *t0 = &ps->tok[0];
    if (tok_is(t0, "include")) {
        if (ps->n_tok != 2)
            return failat(ps, ps->n_tok < 2 ? (unsigned)ps->line_len + 1 : ps->tok[2].col,
                          ps->n_tok < 2 ? "expected a file name after 'include'"
                                        : "expected the end of the line after the file name");
        const struct token *f = &ps->tok[1];
        char path[TOKEN_TEXT_MAX + 1];
        size_t plen = f->len > TOKEN_TEXT_MAX ? TOKEN_TEXT_MAX : f->len;
        memcpy(path, f->p, plen);
        path[plen] = '\0';
        /* (nesting needs loaded files: without a loader the depth is 0) */
        if (ps->depth >= DFS_SCRIPT_MAX_INCLUDE_DEPTH)
            return failat(ps, f->col, "includes nested more than %d deep",
                          DFS_SCRIPT_MAX_INCLUDE_DEPTH);
        char *buf = NULL;
        size_t blen = 0;
        char resolved[512];
        dfs_result r = load_file(ps, f->col, "include", path, &buf, &blen, resolved,
                                 sizeof resolved);
        if (r != DFS_OK)
            return r;
        if (!resolved[0])
            dfs_run__fmt(resolved, sizeof resolved, "%s", path);
        for (unsigned d = 0; d <= ps->depth; d++) {
            if (ps->chain[d] && strcmp(ps->chain[d], resolved) == 0) {
                free(buf);
                return failat(ps, f->col, "'%s' includes itself (through %s)", resolved,
                              ps->chain[0]);
            }
        }
        /* parse the included text with its own position */
        struct parser sub = *ps;
        sub.depth = ps->depth + 1;
        sub.n_tok = 0;
        r = parse_text(&sub, buf, blen, resolved);
        free(buf);
        return r;
    }
    const struct verb *vb = find_verb(t0);
    if (!vb)
        return failat(ps, t0->col,
                      "unknown step '%s'; expected a request (get-descriptor, set-configuration, "
                      "set-interface, get-status, clear-feature, control, detach, dnload, upload, "
                      "getstatus, clrstatus, getstate, abort, poll, set-address, erase, "
                      "mass-erase, read-unprotect, leave, read, write), wait, check or include",
                      tokstr(t0, b, sizeof b));
    /* split: positional words, key=value options, then `expect ...` */
    size_t expect_at = ps->n_tok;
    for (size_t i = 1; i < ps->n_tok; i++)
        if (tok_is(&ps->tok[i], "expect")) {
            expect_at = i;
            break;
        }
    struct dfs_run__step *st = new_step(ps, vb->kind);
    if (!st)
        return ps->s->n_steps >= DFS_SCRIPT_MAX_STEPS
                   ? failat(ps, t0->col, "more than %d steps", DFS_SCRIPT_MAX_STEPS)
                   : DFS_E_NOMEM;
    const struct token *pos[8];
    unsigned npos = 0;
    bool lang_given = false;
    dfs_result r;
    for (size_t i = 1; i < expect_at; i++) {
        const struct token *t = &ps->tok[i];
        const char *v;
        size_t vn;
        if (tok_key(t, "timeout", &v, &vn)) {
            if (!is_dfu_request(vb->kind) && vb->kind >= DFS_RUN__SK_WAIT)
                return failat(ps, t->col, "'%s' sends no request; timeout= does not apply",
                              vb->name);
            r = duration(ps, t, v, vn, &st->timeout_ms);
            if (r)
                return r;
            if (!st->timeout_ms)
                return failat(ps, t->col, "timeout=0 would wait forever; expected a time > 0");
            continue;
        }
        if (tok_is(t, "nowait")) {
            if (!is_dfu_request(vb->kind))
                return failat(ps, t->col, "nowait applies to DFU requests only");
            st->nowait = true;
            continue;
        }
        if (npos < vb->max_args && !memchr(t->p, '=', t->len)) {
            pos[npos++] = t;
            continue;
        }
        /* step-specific options */
        bool done = false;
        if (vb->kind == DFS_RUN__SK_GET_DESCRIPTOR) {
            if (tok_key(t, "lang", &v, &vn)) {
                uint32_t x = 0;
                r = num(ps, t, v, vn, 0xffff, "a LANGID (like 0x0409)", &x);
                if (r)
                    return r;
                st->setup.wIndex = (uint16_t)x;
                lang_given = true;
                continue;
            }
            if (tok_key(t, "length", &v, &vn)) {
                uint32_t x = 0;
                r = num(ps, t, v, vn, 0xffff, "a length", &x);
                if (r)
                    return r;
                st->setup.wLength = (uint16_t)x;
                st->length = 1; /* given */
                continue;
            }
        }
        if (vb->kind == DFS_RUN__SK_SET_INTERFACE) {
            if (tok_key(t, "interface", &v, &vn)) {
                uint32_t x = 0;
                r = num(ps, t, v, vn, 255, "an interface number", &x);
                if (r)
                    return r;
                st->setup.wIndex = (uint16_t)x;
                st->iface_given = true;
                continue;
            }
        }
        if (vb->kind == DFS_RUN__SK_GET_STATUS || vb->kind == DFS_RUN__SK_CLEAR_FEATURE) {
            r = recipient(ps, t, st, &done);
            if (r)
                return r;
            if (done)
                continue;
        }
        if (vb->kind == DFS_RUN__SK_POLL && tok_key(t, "max", &v, &vn)) {
            r = num(ps, t, v, vn, 100000, "a number of GETSTATUS requests", &st->addr);
            if (r)
                return r;
            if (!st->addr)
                return failat(ps, t->col, "max=0: expected at least 1");
            continue;
        }
        if (vb->kind == DFS_RUN__SK_CHECK &&
            (tok_key(t, "clause", &v, &vn) || tok_key(t, "title", &v, &vn))) {
            bool clause = t->p[0] == 'c';
            const struct token *val = t;
            size_t o;
            if (vn == 0 && i + 1 < expect_at && ps->tok[i + 1].quoted) {
                /* clause= "text" written with a space */
                val = &ps->tok[++i];
                o = arena_str(ps, val->p, val->len);
            } else {
                o = arena_str(ps, v, vn);
            }
            if (o == SIZE_MAX)
                return DFS_E_NOMEM;
            if (clause)
                st->clause_off = o + 1; /* +1: 0 means none */
            else
                st->title_off = o + 1;
            continue;
        }
        if (npos >= vb->max_args && !memchr(t->p, '=', t->len))
            return failat(ps, t->col, "unexpected '%s'; usage: %s", tokstr(t, b, sizeof b),
                          vb->usage);
        return failat(ps, t->col, "unknown option '%s' for %s; usage: %s",
                      tokstr(t, b, sizeof b), vb->name, vb->usage);
    }
    if (npos < vb->min_args)
        return failat(ps, expect_at < ps->n_tok ? ps->tok[expect_at].col
                                                : (unsigned)ps->line_len + 1,
                      "%s needs %u argument%s; usage: %s", vb->name, vb->min_args,
                      vb->min_args == 1 ? "" : "s", vb->usage);
    uint32_t x, y;
    struct dfs_setup *su = &st->setup;
    switch (vb->kind) {
    case DFS_RUN__SK_GET_DESCRIPTOR: {
        static const struct {
            const char *name;
            uint8_t type;
            uint16_t len;
        } types[] = {
            {"device", DFS_DT_DEVICE, 18},
            {"config", DFS_DT_CONFIGURATION, 9},
            {"configuration", DFS_DT_CONFIGURATION, 9},
            {"string", DFS_DT_STRING, 255},
            {"qualifier", DFS_DT_DEVICE_QUALIFIER, 10},
            {"device-qualifier", DFS_DT_DEVICE_QUALIFIER, 10},
            {"other-speed", DFS_DT_OTHER_SPEED_CONFIGURATION, 9},
            {"bos", DFS_DT_BOS, 5},
            {"debug", DFS_DT_DEBUG, 4},
        };
        int type = -1;
        uint16_t deflen = 255;
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
            if (tok_is(pos[0], types[k].name)) {
                type = types[k].type;
                deflen = types[k].len;
            }
        if (type < 0) {
            if (pos[0]->quoted || !parse_u64(pos[0]->p, pos[0]->len, &(uint64_t){0}))
                return failat(ps, pos[0]->col,
                              "expected a descriptor type (device, config, string, qualifier, "
                              "other-speed, bos, debug or a number), found '%s'",
                              tokstr(pos[0], b, sizeof b));
            r = tnum(ps, pos[0], 255, "a descriptor type", &x);
            if (r)
                return r;
            type = (int)x;
        }
        x = 0;
        if (npos > 1) {
            r = tnum(ps, pos[1], 255, "a descriptor index", &x);
            if (r)
                return r;
        }
        su->bmRequestType = DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE;
        su->bRequest = DFS_REQ_GET_DESCRIPTOR;
        su->wValue = (uint16_t)((unsigned)type << 8 | x);
        if (type == DFS_DT_STRING && x != 0 && !lang_given)
            su->wIndex = 0x0409; /* the usual LANGID unless lang= says */
        if (!st->length)
            su->wLength = deflen;
        st->length = 0;
        break;
    }
    case DFS_RUN__SK_SET_CONFIGURATION:
        r = tnum(ps, pos[0], 255, "a configuration value", &x);
        if (r)
            return r;
        su->bmRequestType = DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE;
        su->bRequest = DFS_REQ_SET_CONFIGURATION;
        su->wValue = (uint16_t)x;
        break;
    case DFS_RUN__SK_SET_INTERFACE:
        r = tnum(ps, pos[0], 255, "an alternate setting", &x);
        if (r)
            return r;
        su->bmRequestType = DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_INTERFACE;
        su->bRequest = DFS_REQ_SET_INTERFACE;
        su->wValue = (uint16_t)x;
        st->setup_iface = !st->iface_given;
        break;
    case DFS_RUN__SK_GET_STATUS:
        su->bmRequestType |= DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD;
        su->bRequest = DFS_REQ_GET_STATUS;
        su->wLength = 2;
        break;
    case DFS_RUN__SK_CLEAR_FEATURE:
        if (tok_is(pos[0], "endpoint-halt"))
            x = DFS_FEATURE_ENDPOINT_HALT;
        else if (tok_is(pos[0], "remote-wakeup"))
            x = DFS_FEATURE_DEVICE_REMOTE_WAKEUP;
        else {
            r = tnum(ps, pos[0], 0xffff, "a feature (endpoint-halt, remote-wakeup or a number)",
                     &x);
            if (r)
                return r;
        }
        su->bmRequestType |= DFS_REQTYPE_STANDARD;
        su->bRequest = DFS_REQ_CLEAR_FEATURE;
        su->wValue = (uint16_t)x;
        break;
    case DFS_RUN__SK_CONTROL: {
        uint32_t v[4];
        static const char *what[] = {"bmRequestType", "bRequest", "wValue", "wIndex"};
        static const uint32_t max[] = {255, 255, 0xffff, 0xffff};
        for (int k = 0; k < 4; k++) {
            r = tnum(ps, pos[k], max[k], what[k], &v[k]);
            if (r)
                return r;
        }
        su->bmRequestType = (uint8_t)v[0];
        su->bRequest = (uint8_t)v[1];
        su->wValue = (uint16_t)v[2];
        su->wIndex = (uint16_t)v[3];
        if (su->bmRequestType & DFS_REQTYPE_DIR_IN) {
            r = tnum(ps, pos[4], 0xffff, "the IN length (wLength)", &x);
            if (r)
                return r;
            su->wLength = (uint16_t)x;
        } else {
            if (!pos[4]->quoted && parse_u64(pos[4]->p, pos[4]->len, &(uint64_t){0}))
                return failat(ps, pos[4]->col,
                              "an OUT request (bmRequestType bit 7 clear) takes data as "
                              "hex:..., not a length");
            r = data_arg(ps, pos[4], false, &st->data_off, &st->data_len);
            if (r)
                return r;
            if (st->data_len > 0xffff)
                return failat(ps, pos[4]->col, "%u bytes of data; a control transfer carries "
                              "at most 65535", st->data_len);
            su->wLength = (uint16_t)st->data_len;
        }
        break;
    }
    case DFS_RUN__SK_DETACH:
        x = 1000;
        if (npos) {
            r = tnum(ps, pos[0], 0xffff, "the detach timeout in ms", &x);
            if (r)
                return r;
        }
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_DETACH;
        su->wValue = (uint16_t)x;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_DNLOAD:
        r = tnum(ps, pos[0], 0xffff, "a block number", &x);
        if (r)
            return r;
        if (npos > 1) {
            r = data_arg(ps, pos[1], false, &st->data_off, &st->data_len);
            if (r)
                return r;
            if (st->data_len > 0xffff)
                return failat(ps, pos[1]->col, "%u bytes of data; one DNLOAD carries at most "
                              "65535 (use write for more)", st->data_len);
        }
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_DNLOAD;
        su->wValue = (uint16_t)x;
        su->wLength = (uint16_t)st->data_len;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_UPLOAD:
        r = tnum(ps, pos[0], 0xffff, "a block number", &x);
        if (r)
            return r;
        r = tnum(ps, pos[1], 0xffff, "the length to read (wLength)", &y);
        if (r)
            return r;
        su->bmRequestType = DFS_DFU_REQTYPE_IN;
        su->bRequest = DFS_DFU_UPLOAD;
        su->wValue = (uint16_t)x;
        su->wLength = (uint16_t)y;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_GETSTATUS:
    case DFS_RUN__SK_POLL:
        su->bmRequestType = DFS_DFU_REQTYPE_IN;
        su->bRequest = DFS_DFU_GETSTATUS;
        su->wLength = DFS_GETSTATUS_LEN;
        st->setup_iface = true;
        if (vb->kind == DFS_RUN__SK_POLL && !st->addr)
            st->addr = 1000;
        break;
    case DFS_RUN__SK_CLRSTATUS:
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_CLRSTATUS;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_GETSTATE:
        su->bmRequestType = DFS_DFU_REQTYPE_IN;
        su->bRequest = DFS_DFU_GETSTATE;
        su->wLength = 1;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_ABORT:
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_ABORT;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_SET_ADDRESS:
    case DFS_RUN__SK_ERASE:
        r = tnum(ps, pos[0], UINT32_MAX, "an address (like 0x08000000)", &st->addr);
        if (r)
            return r;
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_MASS_ERASE:
    case DFS_RUN__SK_READ_UNPROTECT:
    case DFS_RUN__SK_LEAVE: st->setup_iface = true; break;
    case DFS_RUN__SK_READ:
    case DFS_RUN__SK_WRITE:
        if (!tok_is(pos[1], "at"))
            return failat(ps, pos[1]->col, "expected 'at' before the address; usage: %s",
                          vb->usage);
        r = tnum(ps, pos[2], UINT32_MAX, "an address (like 0x08000000)", &st->addr);
        if (r)
            return r;
        if (vb->kind == DFS_RUN__SK_READ) {
            r = tnum(ps, pos[0], DFS_SCRIPT_MAX_DATA, "a length to read", &st->length);
            if (r)
                return r;
            if (!st->length)
                return failat(ps, pos[0]->col, "read 0 bytes: expected a length > 0");
        } else {
            r = data_arg(ps, pos[0], true, &st->data_off, &st->data_len);
            if (r)
                return r;
            if (!st->data_len)
                return failat(ps, pos[0]->col, "nothing to write: the data is empty");
        }
        if ((uint64_t)st->addr + (vb->kind == DFS_RUN__SK_READ ? st->length : st->data_len) >
            0x100000000ull)
            return failat(ps, pos[2]->col, "the range runs past the end of the 4 GiB address "
                          "space");
        st->setup_iface = true;
        break;
    case DFS_RUN__SK_WAIT:
        if (tok_is(pos[0], "poll")) {
            st->kind = DFS_RUN__SK_WAIT_POLL;
        } else {
            r = duration(ps, pos[0], pos[0]->p, pos[0]->len, &st->addr);
            if (r)
                return r;
        }
        break;
    case DFS_RUN__SK_CHECK: {
        const struct token *id = pos[0];
        if (id->quoted || id->len == 0 || id->len > 200)
            return failat(ps, id->col, "expected a check id (letters, digits, '.', '-', '_')");
        for (size_t k = 0; k < id->len; k++) {
            char c = id->p[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == ':'))
                return failat(ps, id->col + (unsigned)k,
                              "expected a check id (letters, digits, '.', '-', '_'), found '%c'",
                              c);
        }
        size_t o = arena_str(ps, id->p, id->len);
        if (o == SIZE_MAX)
            return DFS_E_NOMEM;
        st->check_id_off = o;
        break;
    }
    case DFS_RUN__SK_WAIT_POLL: break;
    }
    if (expect_at < ps->n_tok) {
        if (vb->kind == DFS_RUN__SK_WAIT || vb->kind == DFS_RUN__SK_CHECK)
            return failat(ps, ps->tok[expect_at].col, "'%s' sends no request; it takes no "
                          "expectation", vb->name);
        r = parse_expect(ps, expect_at + 1, &st->ex);
        if (r)
            return r;
        if (st->ex.has_data && st->kind != DFS_RUN__SK_GET_DESCRIPTOR &&
            st->kind != DFS_RUN__SK_GET_STATUS && st->kind != DFS_RUN__SK_UPLOAD &&
            st->kind != DFS_RUN__SK_GETSTATUS && st->kind != DFS_RUN__SK_POLL &&
            st->kind != DFS_RUN__SK_GETSTATE && st->kind != DFS_RUN__SK_READ &&
            !(st->kind == DFS_RUN__SK_CONTROL && (st->setup.bmRequestType & DFS_REQTYPE_DIR_IN)))
            return failat(ps, ps->tok[expect_at].col,
                          "'%s' reads no data; data= does not apply", vb->name);
        if ((st->ex.has_status || st->ex.has_poll) && st->kind != DFS_RUN__SK_GETSTATUS &&
            st->kind != DFS_RUN__SK_POLL && st->kind != DFS_RUN__SK_SET_ADDRESS &&
            st->kind != DFS_RUN__SK_ERASE && st->kind != DFS_RUN__SK_MASS_ERASE &&
            st->kind != DFS_RUN__SK_READ_UNPROTECT && st->kind != DFS_RUN__SK_WRITE &&
            st->kind != DFS_RUN__SK_LEAVE && st->kind != DFS_RUN__SK_DNLOAD)
            return failat(ps, ps->tok[expect_at].col,
                          "status= and poll= check a GETSTATUS reply; '%s' has none", vb->name);
    }
    return DFS_OK;
}

static dfs_result add_file(struct parser *ps, const char *name, uint32_t *index)
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

static dfs_result parse_text(struct parser *ps, const char *buf, size_t len, const char *name)
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
            return failat(ps, (unsigned)(nul - (buf + pos)) + 1,
                          "NUL byte in the script; expected text");
        if (ll > DFS_SCRIPT_MAX_LINE)
            return failat(ps, 1, "line longer than %d bytes", DFS_SCRIPT_MAX_LINE);
        r = tokenize(ps);
        if (r == DFS_OK && ps->n_tok)
            r = parse_line(ps);
        free_tokens(ps);
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
    struct parser ps;
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

bool dfs_device_sel_parse_id(struct dfs_device_sel *sel, const char *arg)
{
    unsigned a = 0, b = 0;
    size_t i = 0, n = 0;
    for (; arg[i] && arg[i] != ':'; i++, n++) {
        int h = hexval(arg[i]);
        if (h < 0 || n >= 4)
            return false;
        a = a << 4 | (unsigned)h;
    }
    if (n == 0 || arg[i] != ':')
        return false;
    i++;
    n = 0;
    for (; arg[i]; i++, n++) {
        int h = hexval(arg[i]);
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
