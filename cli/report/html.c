/* HTML output for the report: escaping of everything that comes from a
 * capture (device strings, layout names, explanations, file names).
 *
 * One escaper serves text content and double- or single-quoted attribute
 * values. Besides the five markup characters it writes ':' and '/' as
 * character references, so that no text taken from a capture can form
 * something that looks like a URL ("http:", "//") in the page source; C0
 * controls and DEL are shown as \xNN, and bytes that are not valid UTF-8 as
 * U+FFFD. The browser shows the same characters either way.
 *
 * Also the links to a frame's row in the transaction table, which every
 * section writes. A leaf: it calls nothing else of the report. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "report.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    /* C1 controls are as unwelcome in HTML as C0 ones */
    if (cp >= 0x80 && cp <= 0x9F)
        return 0;
    return len;
}

void html_textn(FILE *f, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        switch (c) {
        case '&': fputs("&amp;", f); i++; continue;
        case '<': fputs("&lt;", f); i++; continue;
        case '>': fputs("&gt;", f); i++; continue;
        case '"': fputs("&quot;", f); i++; continue;
        case '\'': fputs("&#39;", f); i++; continue;
        case ':': fputs("&#58;", f); i++; continue;
        case '/': fputs("&#47;", f); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            if (c == '\n' || c == '\t')
                fputc(c, f);
            else
                fprintf(f, "\\x%02x", c);
            i++;
            continue;
        }
        size_t len = utf8_len(s + i, n - i);
        if (!len) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD */
            i++;
            continue;
        }
        fwrite(s + i, 1, len, f);
        i += len;
    }
}

void html_text(FILE *f, const char *s)
{
    if (s)
        html_textn(f, s, strlen(s));
}

void html_fmt(FILE *f, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    html_textn(f, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Identifier-safe form of s for id attributes: [a-z0-9-] only. */
void html_id(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
            fputc(c, f);
        else if (c >= 'A' && c <= 'Z')
            fputc(c - 'A' + 'a', f);
        else
            fputc('-', f);
    }
}

/* ---- frame links ------------------------------------------------------------------------ */

bool rp_frame_anchor(const struct rp_page *p, uint64_t frame, char *buf, size_t size)
{
    if (!frame)
        return false;
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->t.frame == frame || r->t.reply_frame == frame) {
            snprintf(buf, size, "f%" PRIu64, r->t.frame);
            return true;
        }
    }
    /* in a stretch of the table that is not shown */
    for (size_t i = 0; i + 1 < p->n_rows; i++) {
        const struct rp_row *a = p->rows[i], *b = p->rows[i + 1];
        if (b->seq == a->seq + 1)
            continue;
        uint64_t lo = a->t.reply_frame > a->t.frame ? a->t.reply_frame : a->t.frame;
        if (frame > lo && frame < b->t.frame) {
            snprintf(buf, size, "gap%" PRIu64, a->seq);
            return true;
        }
    }
    return false;
}

void rp_frame_link(const struct rp_page *p, uint64_t frame)
{
    char a[40];
    if (rp_frame_anchor(p, frame, a, sizeof a))
        fprintf(p->out, "<a class=\"frame\" href=\"#%s\">%" PRIu64 "</a>", a, frame);
    else
        fprintf(p->out, "<span class=\"frame\">%" PRIu64 "</span>", frame);
}
