/* Reading Intel HEX and Motorola S-record files.
 *
 * Intel HEX ("Hexadecimal Object File Format Specification", Intel, rev. A,
 * 1988): ":LLAAAATT<data>CC", LL data bytes, AAAA offset, TT type (00 data,
 * 01 end of file, 02 extended segment address: base = value * 16 and the
 * offset wraps within 64 KiB, 03 start segment address, 04 extended linear
 * address: base = value << 16, 05 start linear address), CC the two's
 * complement of the sum of the other bytes.
 *
 * S-records (srec(5), Motorola): "S" type count address data checksum;
 * count = bytes after it; address of 2 (S0 S1 S5 S9), 3 (S2 S6 S8) or
 * 4 (S3 S7) bytes, big-endian; S1-S3 data, S5/S6 the number of data records
 * so far, S7-S9 the end with the execution address (optional, as S5/S6 are);
 * checksum the ones' complement of the sum of count, address and data
 * bytes.
 *
 * Lines end in LF or CR LF; blank lines and spaces around a record are
 * allowed. Record errors of one kind are gathered into one finding naming
 * the first lines. Data is kept in segments owned by the file: contiguous
 * records extend the segment before them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "texts.h"

struct line {
    const uint8_t *p;   /* the record, spaces around it removed */
    size_t n;
    unsigned no;        /* 1-based */
};

static bool next_line(const dfs_fw_file *f, size_t *pos, unsigned *no, struct line *l)
{
    size_t end = f->payload_end;
    if (*pos >= end)
        return false;
    const uint8_t *b = f->buf;
    size_t s = *pos;
    const uint8_t *nl = memchr(b + s, '\n', end - s);
    size_t e = nl ? (size_t)(nl - b) : end;
    *pos = nl ? e + 1 : end;
    if (*no < UINT32_MAX)
        (*no)++;
    while (s < e && (b[s] == ' ' || b[s] == '\t'))
        s++;
    while (e > s && (b[e - 1] == '\r' || b[e - 1] == ' ' || b[e - 1] == '\t'))
        e--;
    l->p = b + s;
    l->n = e - s;
    l->no = *no;
    return true;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A problem of one kind, for all lines. */
struct agg {
    uint64_t count;
    struct dfs_fw__ev ev;
    char first[400];
};

static void agg_add(struct agg *a, unsigned line, const char *fmt, ...) DFS_FW__PRINTF(3, 4);
static void agg_add(struct agg *a, unsigned line, const char *fmt, ...)
{
    if (a->count++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->first, sizeof a->first, fmt, ap);
        va_end(ap);
    }
    dfs_fw__ev_add(&a->ev, DFS_FW_AT_LINE, line);
}

static void agg_emit(dfs_fw_file *f, const struct agg *a, enum dfs_finding_code code)
{
    if (!a->count)
        return;
    char more[200] = "";
    if (a->count > 1) {
        dfs_fw__catf(more, sizeof more, " (%llu lines have this problem: ",
                     (unsigned long long)a->count);
        for (unsigned i = 0; i < a->ev.n; i++)
            dfs_fw__catf(more, sizeof more, "%s%llu", i ? ", " : "",
                         (unsigned long long)a->ev.at[i].value);
        dfs_fw__catf(more, sizeof more, "%s)", a->count > a->ev.n ? ", ..." : "");
    }
    dfs_fw__emit(f, code, a->ev.at, a->ev.n, TX_RECORD_AGG, a->first, more);
}

struct text {
    dfs_fw_file *f;
    struct agg invalid, checksum, overflow;
    uint64_t data_records;
    unsigned end_line;       /* the end record's line, 0 before it */
    unsigned after_end;      /* first non-blank line after it */
};

/* Decode the hex digits after the first `skip` characters of l into out.
 * Returns the byte count, or -1 after reporting the problem. */
static long decode(struct text *t, const struct line *l, size_t skip, uint8_t *out, size_t max)
{
    size_t digits = l->n - skip;
    for (size_t i = skip; i < l->n; i++)
        if (hexval(l->p[i]) < 0) {
            uint8_t c = l->p[i];
            agg_add(&t->invalid, l->no, TX_LINE_NOT_HEX, l->no, i + 1,
                    c >= 0x20 && c < 0x7f ? (char)c : '?', c);
            return -1;
        }
    if (digits % 2) {
        agg_add(&t->invalid, l->no, TX_LINE_ODD_DIGITS, l->no, digits);
        return -1;
    }
    if (digits / 2 > max) {
        agg_add(&t->invalid, l->no, TX_LINE_TOO_LONG, l->no, digits, max);
        return -1;
    }
    for (size_t i = 0; i < digits / 2; i++)
        out[i] = (uint8_t)(hexval(l->p[skip + 2 * i]) << 4 | hexval(l->p[skip + 2 * i + 1]));
    return (long)(digits / 2);
}

static bool add_rec(dfs_fw_file *f, uint64_t addr, uint32_t n, unsigned line)
{
    if (f->n_recs == f->cap_recs) {
        size_t ncap = f->cap_recs ? f->cap_recs * 2 : 64;
        struct dfs_fw__rec *r = realloc(f->recs, ncap * sizeof *r);
        if (!r) {
            f->nomem = true;
            return false;
        }
        f->recs = r;
        f->cap_recs = ncap;
    }
    f->recs[f->n_recs++] = (struct dfs_fw__rec){addr, n, line};
    return true;
}

/* n data bytes at a 64-bit address from line: clipped at 4 GiB, appended
 * to the last segment when they continue it. */
static void add_data(struct text *t, uint64_t addr, const uint8_t *p, size_t n, unsigned line)
{
    dfs_fw_file *f = t->f;
    if (!n)
        return;
    if (addr >= DFS_FW__4G || n > DFS_FW__4G - addr) {
        uint64_t keep = addr >= DFS_FW__4G ? 0 : DFS_FW__4G - addr;
        agg_add(&t->overflow, line, TX_TEXT_BEYOND_4G, line,
                (unsigned long long)(addr + keep), (unsigned long long)(n - keep));
        n = (size_t)keep;
        if (!n)
            return;
    }
    if (!add_rec(f, addr, (uint32_t)n, line))
        return;
    if (f->n_seg) {
        struct dfs_fw_segment *s = &f->seg[f->n_seg - 1];
        size_t i = f->n_seg - 1;
        if ((uint64_t)s->address + s->length == addr) {
            uint64_t need = s->length + n;
            if (need > f->own_cap[i]) {
                uint64_t cap = f->own_cap[i] * 2;
                if (cap < need)
                    cap = need;
                if (cap > SIZE_MAX) {
                    f->nomem = true;
                    return;
                }
                uint8_t *nb = realloc(f->own[i], (size_t)cap);
                if (!nb) {
                    f->nomem = true;
                    return;
                }
                f->own[i] = nb;
                f->own_cap[i] = (size_t)cap;
                s->data = nb;
            }
            memcpy(f->own[i] + s->length, p, n);
            s->length = need;
            s->last_line = line;
            return;
        }
    }
    uint8_t *buf = malloc(n < 256 ? 256 : n);
    if (!buf) {
        f->nomem = true;
        return;
    }
    memcpy(buf, p, n);
    struct dfs_fw_segment s = {
        .address = (uint32_t)addr,
        .length = n,
        .data = buf,
        .line = line,
        .last_line = line,
        .target = -1,
        .element = -1,
    };
    if (!dfs_fw__add_segment(f, &s)) {
        free(buf);
        return;
    }
    f->own[f->n_seg - 1] = buf;
    f->own_cap[f->n_seg - 1] = n < 256 ? 256 : n;
}

/* After the end record: the rest is not read, as other tools stop there;
 * only noted once. */
static bool past_end(struct text *t, const struct line *l)
{
    if (!t->end_line)
        return false;
    if (!t->after_end && l->n) {
        t->after_end = l->no;
        agg_add(&t->invalid, l->no, TX_LINE_AFTER_END, l->no, t->end_line);
    }
    return true;
}

static void finish(struct text *t, unsigned last_line, const char *end_record)
{
    dfs_fw_file *f = t->f;
    agg_emit(f, &t->invalid, DFS_F_FILE_RECORD_INVALID);
    agg_emit(f, &t->checksum, DFS_F_FILE_RECORD_CHECKSUM);
    agg_emit(f, &t->overflow, DFS_F_FILE_ADDRESS_OVERFLOW);
    /* Intel HEX requires its end-of-file record; an S-record file may end
     * without S7-S9 (they carry an execution address, which srec_cat, for
     * one, writes only when it has one) */
    if (!t->end_line && end_record) {
        struct dfs_fw_evidence at = {DFS_FW_AT_LINE, last_line};
        dfs_fw__emit(f, DFS_F_FILE_NO_END_RECORD, &at, last_line ? 1 : 0, TX_NO_END_RECORD,
                     last_line, end_record);
    }
    if (!t->data_records && !t->invalid.count)
        dfs_fw__emit(f, DFS_F_FILE_EMPTY, NULL, 0, TX_EMPTY_TEXT,
                     f->format == DFS_FW_IHEX ? "Intel HEX" : "S-record", last_line);
}

/* ---- Intel HEX -------------------------------------------------------------------- */

struct ihex_base {
    bool segment;     /* type 02: offsets wrap within 64 KiB */
    uint64_t base;
};

static void ihex_data(struct text *t, const struct ihex_base *b, uint16_t offset,
                      const uint8_t *p, size_t n, unsigned line)
{
    t->data_records++;
    if (!b->segment) {
        add_data(t, b->base + offset, p, n, line);
        return;
    }
    /* segment addressing: (base + (offset + i) mod 64 KiB) */
    size_t first = n;
    if ((size_t)offset + n > 0x10000)
        first = 0x10000 - offset;
    add_data(t, b->base + offset, p, first, line);
    if (first < n)
        add_data(t, b->base, p + first, n - first, line);
}

static void ihex_line(struct text *t, struct ihex_base *b, const struct line *l)
{
    uint8_t r[5 + 255];
    if (l->p[0] != ':') {
        uint8_t c = l->p[0];
        agg_add(&t->invalid, l->no, TX_IHEX_NO_COLON, l->no,
                c >= 0x20 && c < 0x7f ? (char)c : '?', c);
        return;
    }
    long n = decode(t, l, 1, r, sizeof r);
    if (n < 0)
        return;
    if (n < 5 || (size_t)n != (size_t)r[0] + 5) {
        agg_add(&t->invalid, l->no, TX_IHEX_COUNT, l->no, r[0], r[0] + 5, n);
        return;
    }
    uint8_t sum = 0;
    for (long i = 0; i < n; i++)
        sum = (uint8_t)(sum + r[i]);
    if (sum) {
        uint8_t want = (uint8_t)(r[n - 1] - sum);
        agg_add(&t->checksum, l->no, TX_IHEX_CHECKSUM, l->no, r[n - 1], want);
    }
    uint8_t len = r[0], type = r[3];
    uint16_t offset = (uint16_t)(r[1] << 8 | r[2]);
    static const int want_len[6] = {-1, 0, 2, 4, 2, 4};
    if (type > 5) {
        agg_add(&t->invalid, l->no, TX_IHEX_TYPE, l->no, type);
        return;
    }
    if (want_len[type] >= 0 && len != want_len[type]) {
        agg_add(&t->invalid, l->no, TX_IHEX_TYPE_LENGTH, l->no, type, len, want_len[type]);
        return;
    }
    switch (type) {
    case 0: ihex_data(t, b, offset, r + 4, len, l->no); break;
    case 1: t->end_line = l->no; break;
    case 2:
        b->segment = true;
        b->base = (uint64_t)(r[4] << 8 | r[5]) << 4;
        break;
    case 4:
        b->segment = false;
        b->base = (uint64_t)(r[4] << 8 | r[5]) << 16;
        break;
    default: break; /* 03, 05: start addresses */
    }
}

void dfs_fw__read_ihex(dfs_fw_file *f)
{
    struct text t = {.f = f};
    struct ihex_base b = {false, 0};
    struct line l;
    size_t pos = 0;
    unsigned no = 0, last = 0;
    while (next_line(f, &pos, &no, &l) && !f->nomem) {
        if (past_end(&t, &l))
            continue;
        if (!l.n)
            continue;
        last = l.no;
        ihex_line(&t, &b, &l);
    }
    finish(&t, last ? last : no, ":00000001FF");
}

/* ---- S-records ------------------------------------------------------------------------ */

struct srec_state {
    uint64_t count_records;  /* S1-S3 seen */
};

static void srec_line(struct text *t, struct srec_state *st, const struct line *l)
{
    /* address bytes of S0..S9; S4 is reserved */
    static const int alen[10] = {2, 2, 3, 4, -1, 2, 3, 4, 3, 2};
    uint8_t r[256];
    if (l->n < 2 || l->p[0] != 'S' || l->p[1] < '0' || l->p[1] > '9') {
        agg_add(&t->invalid, l->no, TX_SREC_START, l->no);
        return;
    }
    int type = l->p[1] - '0';
    if (alen[type] < 0) {
        agg_add(&t->invalid, l->no, TX_SREC_S4, l->no);
        return;
    }
    long n = decode(t, l, 2, r, sizeof r);
    if (n < 0)
        return;
    if (n < 1 || (size_t)n != (size_t)r[0] + 1) {
        agg_add(&t->invalid, l->no, TX_SREC_COUNT, l->no, n ? r[0] : 0, n ? r[0] + 1 : 1, n);
        return;
    }
    if (r[0] < alen[type] + 1) {
        agg_add(&t->invalid, l->no, TX_SREC_SHORT, l->no, type, r[0], alen[type] + 1);
        return;
    }
    uint8_t sum = 0;
    for (long i = 0; i < n - 1; i++)
        sum = (uint8_t)(sum + r[i]);
    uint8_t want = (uint8_t)~sum;
    if (want != r[n - 1])
        agg_add(&t->checksum, l->no, TX_SREC_CHECKSUM, l->no, r[n - 1], want);
    uint64_t addr = 0;
    for (int i = 0; i < alen[type]; i++)
        addr = addr << 8 | r[1 + i];
    const uint8_t *data = r + 1 + alen[type];
    size_t dlen = (size_t)(r[0] - alen[type] - 1);
    switch (type) {
    case 1:
    case 2:
    case 3:
        st->count_records++;
        t->data_records++;
        add_data(t, addr, data, dlen, l->no);
        break;
    case 5:
    case 6:
        if (addr != st->count_records)
            agg_add(&t->invalid, l->no, TX_SREC_RECORD_COUNT, l->no, type,
                    (unsigned long long)addr, (unsigned long long)st->count_records);
        break;
    case 7:
    case 8:
    case 9: t->end_line = l->no; break;
    default: break; /* S0: header */
    }
}

void dfs_fw__read_srec(dfs_fw_file *f)
{
    struct text t = {.f = f};
    struct srec_state st = {0};
    struct line l;
    size_t pos = 0;
    unsigned no = 0, last = 0;
    while (next_line(f, &pos, &no, &l) && !f->nomem) {
        if (past_end(&t, &l))
            continue;
        if (!l.n)
            continue;
        last = l.no;
        srec_line(&t, &st, &l);
    }
    finish(&t, last ? last : no, NULL);
}
