/* The Markdown of the finding doc pages as HTML, for the report: headings,
 * paragraphs, unordered and ordered lists (nested by indentation), fenced
 * code blocks, tables, and inline code, bold, italics and links (shown as
 * their text: the report links to nothing outside itself). Everything is
 * escaped; what is not understood stays text. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static size_t find_close(const char *s, size_t n, size_t from, const char *delim)
{
    size_t dl = strlen(delim);
    for (size_t i = from; i + dl <= n; i++)
        if (memcmp(s + i, delim, dl) == 0)
            return i;
    return SIZE_MAX;
}

static void inline_md(FILE *o, const char *s, size_t n)
{
    size_t i = 0, text = 0;
    while (i < n) {
        char c = s[i];
        size_t end;
        if (c == '`' && (end = find_close(s, n, i + 1, "`")) != SIZE_MAX) {
            html_textn(o, s + text, i - text);
            fputs("<code>", o);
            html_textn(o, s + i + 1, end - i - 1);
            fputs("</code>", o);
            i = text = end + 1;
        } else if (c == '*' && i + 1 < n && s[i + 1] == '*' &&
                   (end = find_close(s, n, i + 2, "**")) != SIZE_MAX && end > i + 2) {
            html_textn(o, s + text, i - text);
            fputs("<strong>", o);
            inline_md(o, s + i + 2, end - i - 2);
            fputs("</strong>", o);
            i = text = end + 2;
        } else if ((c == '*' || c == '_') && i + 1 < n && !isspace((unsigned char)s[i + 1]) &&
                   (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
                   (end = find_close(s, n, i + 1, c == '*' ? "*" : "_")) != SIZE_MAX &&
                   end > i + 1 && !isspace((unsigned char)s[end - 1]) &&
                   (end + 1 >= n || !isalnum((unsigned char)s[end + 1]))) {
            html_textn(o, s + text, i - text);
            fputs("<em>", o);
            inline_md(o, s + i + 1, end - i - 1);
            fputs("</em>", o);
            i = text = end + 1;
        } else if (c == '[' && (end = find_close(s, n, i + 1, "](")) != SIZE_MAX &&
                   find_close(s, n, end + 2, ")") != SIZE_MAX &&
                   memchr(s + i + 1, '\n', end - i - 1) == NULL) {
            size_t close = find_close(s, n, end + 2, ")");
            html_textn(o, s + text, i - text);
            inline_md(o, s + i + 1, end - i - 1);
            i = text = close + 1;
        } else {
            i++;
        }
    }
    html_textn(o, s + text, n - text);
}

struct line {
    const char *s;
    size_t len;
    size_t indent;
};

static bool blank(const struct line *l)
{
    return l->indent == l->len;
}

/* "- x", "* x" -> 'u'; "12. x" -> 'o'; else 0. *body is where the text starts. */
static char item_kind(const struct line *l, size_t *body)
{
    const char *s = l->s + l->indent;
    size_t n = l->len - l->indent;
    if (n >= 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ') {
        *body = l->indent + 2;
        return 'u';
    }
    size_t d = 0;
    while (d < n && d < 4 && isdigit((unsigned char)s[d]))
        d++;
    if (d && d + 1 < n && s[d] == '.' && s[d + 1] == ' ') {
        *body = l->indent + d + 2;
        return 'o';
    }
    return 0;
}

static bool fence(const struct line *l)
{
    return l->len - l->indent >= 3 && memcmp(l->s + l->indent, "```", 3) == 0;
}

struct lists {
    char kind[8];
    size_t indent[8];
    int n;
};

static void close_lists(FILE *o, struct lists *ls, size_t above)
{
    while (ls->n > 0 && (ls->indent[ls->n - 1] > above || above == SIZE_MAX)) {
        ls->n--;
        fprintf(o, "</li></%s>", ls->kind[ls->n] == 'o' ? "ol" : "ul");
    }
}

static void table_row(FILE *o, const struct line *l, bool head)
{
    const char *s = l->s + l->indent;
    size_t n = l->len - l->indent;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
        n--;
    if (n && s[0] == '|') {
        s++;
        n--;
    }
    if (n && s[n - 1] == '|')
        n--;
    fputs("<tr>", o);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !(s[i] == '|' && (i == 0 || s[i - 1] != '\\')))
            continue;
        size_t a = start, b = i;
        while (a < b && s[a] == ' ')
            a++;
        while (b > a && s[b - 1] == ' ')
            b--;
        fputs(head ? "<th>" : "<td>", o);
        inline_md(o, s + a, b - a);
        fputs(head ? "</th>" : "</td>", o);
        start = i + 1;
    }
    fputs("</tr>", o);
}

/* Text of the current paragraph or list item, rendered when it ends, so that
 * emphasis and code may span lines. */
struct pending {
    char buf[8192];
    size_t n;
};

static void flush(FILE *o, struct pending *t)
{
    if (t->n)
        inline_md(o, t->buf, t->n);
    t->n = 0;
}

static void add(FILE *o, struct pending *t, const char *s, size_t n)
{
    if (t->n && t->n < sizeof t->buf)
        t->buf[t->n++] = ' ';
    if (t->n + n > sizeof t->buf)
        flush(o, t); /* very long: render in pieces */
    if (n > sizeof t->buf) {
        inline_md(o, s, n);
        return;
    }
    memcpy(t->buf + t->n, s, n);
    t->n += n;
}

void rp_markdown(FILE *o, const char *md)
{
    struct lists ls = {.n = 0};
    struct pending *t = calloc(1, sizeof *t);
    if (!t)
        return;
    bool para = false;
#define END_PARA()                                                                             \
    do {                                                                                       \
        flush(o, t);                                                                           \
        if (para)                                                                              \
            fputs("</p>", o);                                                                  \
        para = false;                                                                          \
    } while (0)
    const char *p = md;
    while (*p) {
        struct line l = {.s = p};
        const char *nl = strchr(p, '\n');
        l.len = nl ? (size_t)(nl - p) : strlen(p);
        p = nl ? nl + 1 : p + l.len;
        while (l.indent < l.len && (l.s[l.indent] == ' ' || l.s[l.indent] == '\t' || l.s[l.indent] == '\r'))
            l.indent++;
        while (l.len > l.indent && l.s[l.len - 1] == '\r')
            l.len--;
        if (blank(&l)) {
            END_PARA();
            continue;
        }
        size_t body;
        char kind = item_kind(&l, &body);
        /* a line that is neither an item nor indented ends the lists */
        if (ls.n && !kind && l.indent == 0) {
            END_PARA();
            close_lists(o, &ls, SIZE_MAX);
        }
        if (fence(&l)) {
            END_PARA();
            size_t ind = l.indent;
            fputs("<pre><code>", o);
            while (*p) {
                struct line c = {.s = p};
                const char *cn = strchr(p, '\n');
                c.len = cn ? (size_t)(cn - p) : strlen(p);
                p = cn ? cn + 1 : p + c.len;
                while (c.indent < c.len && c.s[c.indent] == ' ')
                    c.indent++;
                if (fence(&c))
                    break;
                size_t cut = c.indent < ind ? c.indent : ind;
                html_textn(o, c.s + cut, c.len - cut);
                fputc('\n', o);
            }
            fputs("</code></pre>", o);
            continue;
        }
        if (l.s[l.indent] == '#' && !ls.n) {
            END_PARA();
            size_t h = l.indent;
            while (h < l.len && l.s[h] == '#')
                h++;
            int level = (int)(h - l.indent) + 2;
            if (level > 6)
                level = 6;
            while (h < l.len && l.s[h] == ' ')
                h++;
            fprintf(o, "<h%d>", level);
            inline_md(o, l.s + h, l.len - h);
            fprintf(o, "</h%d>", level);
            continue;
        }
        if (l.s[l.indent] == '|' && !ls.n) {
            END_PARA();
            fputs("<table>", o);
            bool head = true;
            for (;;) {
                bool sep = true;
                for (size_t k = l.indent; k < l.len; k++)
                    sep &= strchr("|-: \r", l.s[k]) != NULL;
                if (!sep)
                    table_row(o, &l, head);
                if (!sep && head)
                    head = false;
                if (!*p || *p != '|')
                    break;
                l.s = p;
                nl = strchr(p, '\n');
                l.len = nl ? (size_t)(nl - p) : strlen(p);
                l.indent = 0;
                p = nl ? nl + 1 : p + l.len;
            }
            fputs("</table>", o);
            continue;
        }
        if (kind) {
            END_PARA();
            close_lists(o, &ls, l.indent);
            if (ls.n && ls.indent[ls.n - 1] == l.indent && ls.kind[ls.n - 1] != kind) {
                /* another kind of list at the same depth */
                ls.n--;
                fprintf(o, "</li></%s>", ls.kind[ls.n] == 'o' ? "ol" : "ul");
            }
            if (ls.n && ls.indent[ls.n - 1] == l.indent && ls.kind[ls.n - 1] == kind) {
                fputs("</li><li>", o);
            } else if (ls.n < 8) {
                ls.kind[ls.n] = kind;
                ls.indent[ls.n] = l.indent;
                ls.n++;
                fputs(kind == 'o' ? "<ol><li>" : "<ul><li>", o);
            } else {
                fputs("<br>", o);
            }
            add(o, t, l.s + body, l.len - body);
            continue;
        }
        if (ls.n) {
            /* more text of the current item; after a blank line, a new paragraph in it */
            if (!t->n)
                fputs("<br>", o);
            add(o, t, l.s + l.indent, l.len - l.indent);
            continue;
        }
        if (!para)
            fputs("<p>", o);
        para = true;
        add(o, t, l.s + l.indent, l.len - l.indent);
    }
    END_PARA();
    close_lists(o, &ls, SIZE_MAX);
#undef END_PARA
    free(t);
}
