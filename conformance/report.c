/* Run reports: what was sent, what came back, the verdicts; written as
 * text, JSON (docs/scripts.md) or JUnit XML. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/quirks.h"
#include "internal.h"

struct dfs_report {
    char kind[16]; /* "script" or "suites" */
    char name[256];
    unsigned allow;
    enum dfs_run_outcome outcome;
    char message[1200];
    struct dfs_step_info *steps;
    size_t n_steps, cap_steps;
    struct dfs_exchange *ex;
    size_t n_ex, cap_ex;
    struct dfs_check_result *checks;
    size_t n_checks, cap_checks;
    bool have_device;
    struct dfs_usb_ident dev;
    uint64_t duration_us;
    bool nomem;
};

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, c * elem);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

dfs_report *dfs_run__report_new(const char *kind, const char *name, unsigned allow)
{
    dfs_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    dfs_run__fmt(r->kind, sizeof r->kind, "%s", kind ? kind : "");
    dfs_run__fmt(r->name, sizeof r->name, "%s", name ? name : "");
    r->allow = allow;
    return r;
}

size_t dfs_run__report_add_step(dfs_report *r, const char *origin, const char *text, long check,
                                uint64_t t_us)
{
    if (!grow((void **)&r->steps, &r->cap_steps, r->n_steps, sizeof *r->steps)) {
        r->nomem = true;
        return SIZE_MAX;
    }
    struct dfs_step_info *s = &r->steps[r->n_steps];
    memset(s, 0, sizeof *s);
    dfs_run__fmt(s->origin, sizeof s->origin, "%s", origin ? origin : "");
    dfs_run__fmt(s->text, sizeof s->text, "%s", text ? text : "");
    s->check = check;
    s->t_us = t_us;
    s->first_exchange = r->n_ex;
    return r->n_steps++;
}

struct dfs_step_info *dfs_run__report_step_mut(dfs_report *r, size_t i)
{
    return i < r->n_steps ? &r->steps[i] : NULL;
}

size_t dfs_run__report_add_exchange(dfs_report *r, const struct dfs_exchange *x)
{
    if (!grow((void **)&r->ex, &r->cap_ex, r->n_ex, sizeof *r->ex)) {
        r->nomem = true;
        return SIZE_MAX;
    }
    struct dfs_exchange *e = &r->ex[r->n_ex];
    *e = *x;
    e->out = e->in = NULL;
    if (x->out_len) {
        uint8_t *p = malloc(x->out_len);
        if (!p) {
            r->nomem = true;
            e->out_len = 0;
        } else {
            memcpy(p, x->out, x->out_len);
            e->out = p;
        }
    }
    if (x->in_len) {
        uint8_t *p = malloc(x->in_len);
        if (!p) {
            r->nomem = true;
            e->in_len = 0;
        } else {
            memcpy(p, x->in, x->in_len);
            e->in = p;
        }
    }
    if (r->n_steps)
        r->steps[r->n_steps - 1].n_exchanges = r->n_ex + 1 - r->steps[r->n_steps - 1].first_exchange;
    return r->n_ex++;
}

long dfs_run__report_add_check(dfs_report *r, const char *suite, const char *id, const char *clause,
                               const char *title)
{
    if (!grow((void **)&r->checks, &r->cap_checks, r->n_checks, sizeof *r->checks)) {
        r->nomem = true;
        return -1;
    }
    struct dfs_check_result *c = &r->checks[r->n_checks];
    memset(c, 0, sizeof *c);
    dfs_run__fmt(c->suite, sizeof c->suite, "%s", suite ? suite : "");
    dfs_run__fmt(c->id, sizeof c->id, "%s", id ? id : "");
    dfs_run__fmt(c->clause, sizeof c->clause, "%s", clause ? clause : "");
    dfs_run__fmt(c->title, sizeof c->title, "%s", title ? title : "");
    c->verdict = DFS_VERDICT_NONE;
    return (long)r->n_checks++;
}

struct dfs_check_result *dfs_run__report_check_mut(dfs_report *r, long i)
{
    return i >= 0 && (size_t)i < r->n_checks ? &r->checks[i] : NULL;
}

void dfs_run__report_set_outcome(dfs_report *r, enum dfs_run_outcome o, const char *fmt, ...)
{
    r->outcome = o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

void dfs_run__report_set_device(dfs_report *r, const struct dfs_usb_ident *id)
{
    r->have_device = true;
    r->dev = *id;
}

void dfs_run__report_set_duration(dfs_report *r, uint64_t us) { r->duration_us = us; }
bool dfs_run__report_nomem(const dfs_report *r) { return r->nomem; }

static int severity(enum dfs_verdict v)
{
    switch (v) {
    case DFS_VERDICT_ERROR: return 5;
    case DFS_VERDICT_FAIL: return 4;
    case DFS_VERDICT_NOT_CHECKED: return 3;
    case DFS_VERDICT_QUIRK: return 3;
    case DFS_VERDICT_WARN: return 3;
    case DFS_VERDICT_PASS: return 2;
    case DFS_VERDICT_SKIP: return 1;
    case DFS_VERDICT_NONE:
    case DFS_VERDICT__COUNT: break;
    }
    return 0;
}

enum dfs_verdict dfs_run__verdict_worst(enum dfs_verdict a, enum dfs_verdict b)
{
    return severity(a) >= severity(b) ? a : b;
}

/* ---- public accessors ----------------------------------------------------------------- */

enum dfs_run_outcome dfs_report_outcome(const dfs_report *r)
{
    return r ? r->outcome : DFS_RUN_NOT_MADE;
}
const char *dfs_report_message(const dfs_report *r) { return r ? r->message : ""; }
size_t dfs_report_step_count(const dfs_report *r) { return r ? r->n_steps : 0; }
const struct dfs_step_info *dfs_report_step(const dfs_report *r, size_t i)
{
    return r && i < r->n_steps ? &r->steps[i] : NULL;
}
size_t dfs_report_exchange_count(const dfs_report *r) { return r ? r->n_ex : 0; }
const struct dfs_exchange *dfs_report_exchange(const dfs_report *r, size_t i)
{
    return r && i < r->n_ex ? &r->ex[i] : NULL;
}
size_t dfs_report_check_count(const dfs_report *r) { return r ? r->n_checks : 0; }
const struct dfs_check_result *dfs_report_check(const dfs_report *r, size_t i)
{
    return r && i < r->n_checks ? &r->checks[i] : NULL;
}
bool dfs_report_device(const dfs_report *r, struct dfs_usb_ident *id)
{
    if (!r || !r->have_device)
        return false;
    if (id)
        *id = r->dev;
    return true;
}

void dfs_report_counts(const dfs_report *r, unsigned counts[DFS_VERDICT__COUNT])
{
    memset(counts, 0, DFS_VERDICT__COUNT * sizeof counts[0]);
    if (!r)
        return;
    for (size_t i = 0; i < r->n_checks; i++)
        if ((unsigned)r->checks[i].verdict < DFS_VERDICT__COUNT)
            counts[r->checks[i].verdict]++;
}

int dfs_report_exit_code(const dfs_report *r)
{
    if (!r || r->outcome != DFS_RUN_COMPLETE)
        return 2;
    for (size_t i = 0; i < r->n_checks; i++)
        if (r->checks[i].verdict == DFS_VERDICT_FAIL || r->checks[i].verdict == DFS_VERDICT_ERROR)
            return 1;
    return 0;
}

void dfs_report_free(dfs_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_ex; i++) {
        free((void *)r->ex[i].out);
        free((void *)r->ex[i].in);
    }
    free(r->ex);
    free(r->steps);
    free(r->checks);
    free(r);
}

const char *dfs_verdict_name(enum dfs_verdict v)
{
    switch (v) {
    case DFS_VERDICT_PASS: return "pass";
    case DFS_VERDICT_WARN: return "warn";
    case DFS_VERDICT_SKIP: return "skip";
    case DFS_VERDICT_FAIL: return "FAIL";
    case DFS_VERDICT_ERROR: return "ERROR";
    case DFS_VERDICT_QUIRK: return "known-quirk";
    case DFS_VERDICT_NOT_CHECKED: return "not-checked";
    case DFS_VERDICT_NONE:
    case DFS_VERDICT__COUNT: break;
    }
    return "-";
}

const char *dfs_xfer_status_name(enum dfs_xfer_status st)
{
    switch (st) {
    case DFS_XFER_OK: return "ok";
    case DFS_XFER_STALL: return "STALL";
    case DFS_XFER_TIMEOUT: return "timeout";
    case DFS_XFER_NO_DEVICE: return "no device";
    case DFS_XFER_IO: return "bus error";
    case DFS_XFER_OVERFLOW: return "overflow";
    case DFS_XFER_REFUSED: return "refused";
    }
    return "?";
}

static const char *outcome_name(enum dfs_run_outcome o)
{
    switch (o) {
    case DFS_RUN_COMPLETE: return "complete";
    case DFS_RUN_NOT_MADE: return "not-made";
    case DFS_RUN_DEVICE_LOST: return "device-lost";
    case DFS_RUN_INTERRUPTED: return "interrupted";
    case DFS_RUN_ABORTED: return "aborted";
    }
    return "?";
}

static const char *speed_name(enum dfs_usb_speed s)
{
    switch (s) {
    case DFS_SPEED_LOW: return "low";
    case DFS_SPEED_FULL: return "full";
    case DFS_SPEED_HIGH: return "high";
    case DFS_SPEED_SUPER: return "super";
    case DFS_SPEED_UNKNOWN: break;
    }
    return "unknown";
}

/* ---- text ------------------------------------------------------------------------------ */

/* Valid UTF-8 sequence length at p (1..4), or 0 when p does not start one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
        len = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* How a format writes one byte that is ASCII (bad false) or not part of
 * valid UTF-8 (bad true): the text to write, or NULL for the byte itself.
 * tmp is room for an escape made up on the spot. */
typedef const char *escape_fn(unsigned char c, bool bad, char tmp[8]);

/* s in a format: valid UTF-8 sequences of two or more bytes as they are,
 * every other byte as esc says. What needs no escape is written a run at a
 * time, not byte by byte. */
static void put_escaped(FILE *f, const char *s, escape_fn *esc)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), run = 0; /* p[run, i) is written as it is */
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(p + i, n - i);
        if (l > 1) {
            i += l;
            continue;
        }
        char tmp[8];
        const char *e = esc(p[i], l == 0, tmp);
        if (e) {
            fwrite(p + run, 1, i - run, f);
            fputs(e, f);
            run = i + 1;
        }
        i++;
    }
    fwrite(p + run, 1, n - run, f);
}

/* Text for a terminal: control characters and bad UTF-8 as \xNN. */
static const char *text_escape(unsigned char c, bool bad, char tmp[8])
{
    if (!bad && c >= 0x20 && c != 0x7f)
        return NULL;
    snprintf(tmp, 8, "\\x%02x", c);
    return tmp;
}

static void put_text(FILE *f, const char *s) { put_escaped(f, s, text_escape); }

static void setup_str(const struct dfs_setup *su, char *buf, size_t size)
{
    dfs_run__fmt(buf, size, "%02x %02x %04x %04x %u", su->bmRequestType, su->bRequest, su->wValue,
                 su->wIndex, su->wLength);
}

static void exchange_text(FILE *f, const struct dfs_exchange *x)
{
    char su[40], data[100];
    setup_str(&x->setup, su, sizeof su);
    fprintf(f, "        %8.3f  %s", (double)x->t_us / 1000.0, su);
    if (x->out_len) {
        dfs_run__hex_str(x->out, x->out_len, data, 70);
        fprintf(f, " out %s", data);
    }
    fprintf(f, " -> %s", dfs_xfer_status_name(x->status));
    if (x->in_len) {
        dfs_run__hex_str(x->in, x->in_len, data, 70);
        fprintf(f, " %u: %s", (unsigned)x->in_len, data);
    }
    fputc('\n', f);
}

static void check_line(FILE *f, const struct dfs_check_result *c)
{
    fprintf(f, "%-5s ", dfs_verdict_name(c->verdict));
    put_text(f, c->id);
    if (c->clause[0]) {
        fputs(" [", f);
        put_text(f, c->clause);
        fputc(']', f);
    }
    fputs(" ", f);
    put_text(f, c->title);
    if (c->msg[0]) {
        fputs(": ", f);
        put_text(f, c->msg);
    }
    fputc('\n', f);
}

dfs_result dfs_report_write_step(const dfs_report *r, size_t i, FILE *f, bool exchanges)
{
    if (!r || !f || i >= r->n_steps)
        return DFS_E_INVAL;
    const struct dfs_step_info *s = &r->steps[i];
    fprintf(f, "  %-5s ", s->verdict == DFS_VERDICT_NONE ? "" : dfs_verdict_name(s->verdict));
    put_text(f, s->origin);
    fputs("  ", f);
    put_text(f, s->text);
    if (s->reply[0]) {
        fputs(" -> ", f);
        put_text(f, s->reply);
    }
    if (s->msg[0]) {
        fputs(": ", f);
        put_text(f, s->msg);
    }
    fputc('\n', f);
    if (exchanges)
        for (size_t k = 0; k < s->n_exchanges; k++)
            exchange_text(f, &r->ex[s->first_exchange + k]);
    return ferror(f) ? DFS_E_IO : DFS_OK;
}

/* After the summary: the flags that would let the checks not checked be
 * made, each once. */
static void not_checked_line(FILE *f, const dfs_report *r)
{
    unsigned flags = 0;
    for (size_t i = 0; i < r->n_checks; i++)
        if (r->checks[i].verdict == DFS_VERDICT_NOT_CHECKED)
            flags |= r->checks[i].needs;
    if (!flags)
        return;
    fputs("not checked without", f);
    const char *sep = " ";
    for (unsigned bit = 1; bit && bit <= flags; bit <<= 1)
        if ((flags & bit) && dfs_allow_option(bit)) {
            fprintf(f, "%s%s", sep, dfs_allow_option(bit));
            sep = ", ";
        }
    fputs(": the checks marked not-checked above need them\n", f);
}

dfs_result dfs_report_write_text(const dfs_report *r, FILE *f, unsigned what)
{
    if (!r || !f)
        return DFS_E_INVAL;
    if ((what & (DFS_TEXT_STEPS | DFS_TEXT_CHECKS)) && r->have_device) {
        fprintf(f, "device %04x:%04x on bus %u device %u", r->dev.vid, r->dev.pid, r->dev.bus,
                r->dev.devnum);
        if (r->dev.path[0]) {
            fputs(", path ", f);
            put_text(f, r->dev.path);
        }
        if (r->dev.serial[0]) {
            fputs(", serial ", f);
            put_text(f, r->dev.serial);
        }
        fprintf(f, ", %s speed\n", speed_name(r->dev.speed));
    }
    if (what & DFS_TEXT_STEPS)
        for (size_t i = 0; i < r->n_steps; i++)
            dfs_report_write_step(r, i, f, (what & DFS_TEXT_EXCHANGES) != 0);
    if (what & DFS_TEXT_CHECKS) {
        if (r->n_checks)
            fputs("checks:\n", f);
        for (size_t i = 0; i < r->n_checks; i++)
            check_line(f, &r->checks[i]);
    }
    if (what & DFS_TEXT_SUMMARY) {
        unsigned n[DFS_VERDICT__COUNT];
        dfs_report_counts(r, n);
        fprintf(f, "summary: %zu check%s: %u passed%s, %u failed, ", r->n_checks,
                r->n_checks == 1 ? "" : "s", n[DFS_VERDICT_PASS] + n[DFS_VERDICT_WARN],
                n[DFS_VERDICT_WARN] ? " (with warnings)" : "", n[DFS_VERDICT_FAIL]);
        if (n[DFS_VERDICT_QUIRK])
            fprintf(f, "%u known quirk%s, ", n[DFS_VERDICT_QUIRK],
                    n[DFS_VERDICT_QUIRK] == 1 ? "" : "s");
        if (n[DFS_VERDICT_NOT_CHECKED])
            fprintf(f, "%u not checked, ", n[DFS_VERDICT_NOT_CHECKED]);
        fprintf(f, "%u skipped, %u error%s; %zu request%s in %.2f s\n", n[DFS_VERDICT_SKIP],
                n[DFS_VERDICT_ERROR], n[DFS_VERDICT_ERROR] == 1 ? "" : "s", r->n_ex,
                r->n_ex == 1 ? "" : "s", (double)r->duration_us / 1e6);
        not_checked_line(f, r);
        if (r->outcome != DFS_RUN_COMPLETE) {
            fprintf(f, "run %s: ", outcome_name(r->outcome));
            put_text(f, r->message);
            fputc('\n', f);
        }
    }
    return ferror(f) ? DFS_E_IO : DFS_OK;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static const char *json_escape(unsigned char c, bool bad, char tmp[8])
{
    if (bad)
        return "\\ufffd";
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    default:
        if (c >= 0x20 && c != 0x7f)
            return NULL;
        snprintf(tmp, 8, "\\u%04x", c);
        return tmp;
    }
}

static void json_s(FILE *f, const char *s)
{
    fputc('"', f);
    put_escaped(f, s, json_escape);
    fputc('"', f);
}

/* key is what comes before the value: a separator, the name and a colon */
static void json_kv(FILE *f, const char *key, const char *v)
{
    fputs(key, f);
    json_s(f, v);
}

/* the verdict and message fields of a step or a check */
static void json_verdict(FILE *f, enum dfs_verdict v, const char *msg)
{
    fprintf(f, ",\"verdict\":\"%s\",\"message\":",
            v == DFS_VERDICT_NONE ? "none" : dfs_verdict_name(v));
    json_s(f, msg);
}

/* A check's known quirk and the flags it needs, when it has them. */
static void json_check_extra(FILE *f, const struct dfs_check_result *c)
{
    fputs(",\"quirk\":", f);
    const struct dfs_quirk_info *q = dfs_quirk_info(c->quirk);
    if (c->verdict == DFS_VERDICT_QUIRK && q) {
        json_kv(f, "{\"id\":", q->label);
        json_kv(f, ",\"title\":", q->title);
        json_kv(f, ",\"family\":", c->quirk_family);
        json_kv(f, ",\"workaround\":", q->workaround);
        const char *source = "";
        for (size_t i = 0; i < dfs_quirk_family_count(); i++)
            if (strcmp(dfs_quirk_family(i)->name, c->quirk_family) == 0)
                source = dfs_quirk_family(i)->source;
        json_kv(f, ",\"source\":", source);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(",\"needs\":[", f);
    bool first = true;
    for (unsigned bit = 1; bit && bit <= c->needs; bit <<= 1)
        if ((c->needs & bit) && dfs_allow_option(bit)) {
            fputs(first ? "" : ",", f);
            json_s(f, dfs_allow_option(bit));
            first = false;
        }
    fputc(']', f);
}

static void json_hexs(FILE *f, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char buf[512]; /* written 256 bytes at a time */
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k < sizeof buf; i++) {
            buf[k++] = hx[p[i] >> 4];
            buf[k++] = hx[p[i] & 15];
        }
        fwrite(buf, 1, k, f);
    }
    fputc('"', f);
}

static const char *request_name(const struct dfs_setup *su, char *buf, size_t size)
{
    unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
    if (type == DFS_REQTYPE_STANDARD && dfs_std_request_name(su->bRequest)) {
        if (su->bRequest == DFS_REQ_GET_DESCRIPTOR) {
            const char *t = dfs_desc_type_name((uint8_t)(su->wValue >> 8));
            if (t)
                dfs_run__fmt(buf, size, "GET_DESCRIPTOR %s %u", t, su->wValue & 0xff);
            else
                dfs_run__fmt(buf, size, "GET_DESCRIPTOR type 0x%02x %u", su->wValue >> 8,
                             su->wValue & 0xff);
            return buf;
        }
        dfs_run__fmt(buf, size, "%s", dfs_std_request_name(su->bRequest));
        return buf;
    }
    if (type == DFS_REQTYPE_CLASS && dfs_dfu_request_name(su->bRequest) &&
        (su->bmRequestType == DFS_DFU_REQTYPE_IN || su->bmRequestType == DFS_DFU_REQTYPE_OUT)) {
        dfs_run__fmt(buf, size, "DFU %s", dfs_dfu_request_name(su->bRequest));
        return buf;
    }
    dfs_run__fmt(buf, size, "%s request 0x%02x",
                 type == DFS_REQTYPE_CLASS      ? "class"
                 : type == DFS_REQTYPE_VENDOR   ? "vendor"
                 : type == DFS_REQTYPE_STANDARD ? "standard"
                                                : "reserved-type",
                 su->bRequest);
    return buf;
}

dfs_result dfs_report_write_json(const dfs_report *r, FILE *f)
{
    if (!r || !f)
        return DFS_E_INVAL;
    unsigned n[DFS_VERDICT__COUNT];
    char buf[200];
    dfs_report_counts(r, n);
    json_kv(f, "{\"dfuscope\":\"0.1.0\",\"kind\":", r->kind);
    json_kv(f, ",\"name\":", r->name);
    fputs(",\"allow\":[", f);
    bool first = true;
    for (unsigned bit = 1; bit <= DFS_ALLOW_VENDOR_REQUEST; bit <<= 1)
        if (r->allow & bit) {
            fputs(first ? "" : ",", f);
            json_s(f, dfs_allow_option(bit));
            first = false;
        }
    fputs("],\"device\":", f);
    if (r->have_device) {
        fprintf(f, "{\"vid\":\"%04x\",\"pid\":\"%04x\",\"bus\":%u,\"devnum\":%u,\"path\":",
                r->dev.vid, r->dev.pid, r->dev.bus, r->dev.devnum);
        json_s(f, r->dev.path);
        json_kv(f, ",\"serial\":", r->dev.serial);
        fprintf(f, ",\"speed\":\"%s\"}", speed_name(r->dev.speed));
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"outcome\":\"%s\",\"message\":", outcome_name(r->outcome));
    json_s(f, r->message);
    fprintf(f, ",\"exit_code\":%d", dfs_report_exit_code(r));
    fprintf(f, ",\"summary\":{\"checks\":%zu,\"passed\":%u,\"warnings\":%u,\"failed\":%u,"
               "\"skipped\":%u,\"errors\":%u,\"known_quirks\":%u,\"not_checked\":%u,"
               "\"steps\":%zu,\"requests\":%zu,\"duration_us\":%" PRIu64 "}",
            r->n_checks, n[DFS_VERDICT_PASS], n[DFS_VERDICT_WARN], n[DFS_VERDICT_FAIL],
            n[DFS_VERDICT_SKIP], n[DFS_VERDICT_ERROR], n[DFS_VERDICT_QUIRK],
            n[DFS_VERDICT_NOT_CHECKED], r->n_steps, r->n_ex, r->duration_us);
    fputs(",\"steps\":[", f);
    for (size_t i = 0; i < r->n_steps; i++) {
        const struct dfs_step_info *s = &r->steps[i];
        fputs(i ? ",\n{" : "\n{", f);
        json_kv(f, "\"origin\":", s->origin);
        json_kv(f, ",\"text\":", s->text);
        json_kv(f, ",\"expect\":", s->expect);
        json_kv(f, ",\"reply\":", s->reply);
        json_verdict(f, s->verdict, s->msg);
        if (s->check >= 0) {
            json_kv(f, ",\"check\":", r->checks[s->check].id);
        } else {
            fputs(",\"check\":null", f);
        }
        fprintf(f, ",\"t_us\":%" PRIu64 ",\"requests\":[", s->t_us);
        for (size_t k = 0; k < s->n_exchanges; k++) {
            const struct dfs_exchange *x = &r->ex[s->first_exchange + k];
            fprintf(f, "%s{\"bmRequestType\":%u,\"bRequest\":%u,\"wValue\":%u,\"wIndex\":%u,"
                       "\"wLength\":%u,\"request\":",
                    k ? "," : "", x->setup.bmRequestType, x->setup.bRequest, x->setup.wValue,
                    x->setup.wIndex, x->setup.wLength);
            json_s(f, request_name(&x->setup, buf, sizeof buf));
            fputs(",\"data_out\":", f);
            json_hexs(f, x->out, x->out_len);
            fprintf(f, ",\"result\":\"%s\",\"data_in\":", dfs_xfer_status_name(x->status));
            json_hexs(f, x->in, x->in_len);
            fprintf(f, ",\"bus\":%u,\"devnum\":%u,\"t_us\":%" PRIu64 ",\"duration_us\":%" PRIu64
                       "}",
                    x->bus, x->devnum, x->t_us, x->dur_us);
        }
        fputs("]}", f);
    }
    fputs("],\n\"checks\":[", f);
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct dfs_check_result *c = &r->checks[i];
        fputs(i ? ",\n{" : "\n{", f);
        json_kv(f, "\"suite\":", c->suite);
        json_kv(f, ",\"id\":", c->id);
        json_kv(f, ",\"clause\":", c->clause);
        json_kv(f, ",\"title\":", c->title);
        json_verdict(f, c->verdict, c->msg);
        json_check_extra(f, c);
        fputc('}', f);
    }
    fputs("]}\n", f);
    return ferror(f) ? DFS_E_IO : DFS_OK;
}

/* ---- JUnit XML --------------------------------------------------------------------------------- */

static const char *xml_escape(unsigned char c, bool bad, char tmp[8])
{
    (void)tmp;
    if (bad)
        return "\xef\xbf\xbd"; /* U+FFFD */
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&apos;";
    default:
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return "?"; /* not allowed in XML 1.0 */
        return NULL;
    }
}

static void xml_s(FILE *f, const char *s) { put_escaped(f, s, xml_escape); }

dfs_result dfs_report_write_junit(const dfs_report *r, FILE *f, const char *suite_name)
{
    if (!r || !f)
        return DFS_E_INVAL;
    unsigned n[DFS_VERDICT__COUNT];
    dfs_report_counts(r, n);
    bool run_error = r->outcome != DFS_RUN_COMPLETE;
    /* a run that was not made still gets a test case that says why */
    bool extra = run_error && r->n_checks == 0;
    size_t tests = r->n_checks + (extra ? 1 : 0);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fputs("<testsuites name=\"", f);
    xml_s(f, suite_name ? suite_name : "dfuscope");
    fprintf(f, "\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n",
            tests, n[DFS_VERDICT_FAIL], n[DFS_VERDICT_ERROR] + (extra ? 1 : 0),
            n[DFS_VERDICT_SKIP] + n[DFS_VERDICT_NOT_CHECKED], (double)r->duration_us / 1e6);
    /* one <testsuite> per suite name, in order of first appearance */
    size_t done_upto = 0;
    char seen[16][64];
    size_t n_seen = 0;
    for (size_t i = 0; i < r->n_checks || (extra && done_upto == 0); i++) {
        const char *sname = extra ? r->name : r->checks[i].suite;
        bool was = false;
        for (size_t k = 0; k < n_seen; k++)
            was |= strcmp(seen[k], sname) == 0;
        if (was)
            continue;
        if (n_seen < 16)
            dfs_run__fmt(seen[n_seen++], sizeof seen[0], "%s", sname);
        done_upto = 1;
        unsigned t = 0, fl = 0, er = 0, sk = 0;
        for (size_t k = 0; k < r->n_checks; k++) {
            if (strcmp(r->checks[k].suite, sname) != 0)
                continue;
            t++;
            fl += r->checks[k].verdict == DFS_VERDICT_FAIL;
            er += r->checks[k].verdict == DFS_VERDICT_ERROR;
            sk += r->checks[k].verdict == DFS_VERDICT_SKIP ||
                  r->checks[k].verdict == DFS_VERDICT_NOT_CHECKED;
        }
        if (extra) {
            t = 1;
            er = 1;
        }
        fputs("  <testsuite name=\"", f);
        xml_s(f, sname[0] ? sname : "dfuscope");
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\">\n", t, fl, er,
                sk);
        if (r->have_device) {
            fprintf(f, "    <properties>\n      <property name=\"device\" value=\"%04x:%04x bus "
                       "%u device %u",
                    r->dev.vid, r->dev.pid, r->dev.bus, r->dev.devnum);
            if (r->dev.path[0]) {
                fputs(" path ", f);
                xml_s(f, r->dev.path);
            }
            fputs("\"/>\n    </properties>\n", f);
        }
        if (extra) {
            fputs("    <testcase classname=\"dfuscope\" name=\"run\">\n      <error message=\"",
                  f);
            xml_s(f, r->message);
            fputs("\" type=\"", f);
            xml_s(f, outcome_name(r->outcome));
            fputs("\"/>\n    </testcase>\n", f);
        }
        for (size_t k = 0; k < r->n_checks; k++) {
            const struct dfs_check_result *c = &r->checks[k];
            if (strcmp(c->suite, sname) != 0)
                continue;
            fputs("    <testcase classname=\"", f);
            xml_s(f, "dfuscope.");
            const char *base = strrchr(sname, '/');
            xml_s(f, base ? base + 1 : sname[0] ? sname : "run");
            fputs("\" name=\"", f);
            xml_s(f, c->id);
            fputs("\">\n", f);
            const char *tag = c->verdict == DFS_VERDICT_FAIL    ? "failure"
                              : c->verdict == DFS_VERDICT_ERROR ? "error"
                              : c->verdict == DFS_VERDICT_SKIP ||
                                      c->verdict == DFS_VERDICT_NOT_CHECKED
                                  ? "skipped"
                                  : NULL;
            if (tag) {
                fprintf(f, "      <%s message=\"", tag);
                xml_s(f, c->msg[0] ? c->msg : c->title);
                fputs("\"", f);
                if (c->verdict != DFS_VERDICT_SKIP && c->verdict != DFS_VERDICT_NOT_CHECKED)
                    fprintf(f, " type=\"%s\"", dfs_verdict_name(c->verdict));
                fputs(">", f);
                xml_s(f, c->title);
                if (c->clause[0]) {
                    fputs(" (", f);
                    xml_s(f, c->clause);
                    fputs(")", f);
                }
                fprintf(f, "</%s>\n", tag);
            }
            fputs("      <system-out>", f);
            xml_s(f, c->title);
            if (c->clause[0]) {
                fputs(" [", f);
                xml_s(f, c->clause);
                fputs("]", f);
            }
            if (c->msg[0]) {
                fputs(": ", f);
                xml_s(f, c->msg);
            }
            fputc('\n', f);
            /* the steps of the check */
            for (size_t s = 0; s < r->n_steps; s++) {
                const struct dfs_step_info *st = &r->steps[s];
                if (st->check != (long)k)
                    continue;
                fprintf(f, "%s ", dfs_verdict_name(st->verdict));
                xml_s(f, st->origin);
                fputs(" ", f);
                xml_s(f, st->text);
                if (st->reply[0]) {
                    fputs(" -&gt; ", f);
                    xml_s(f, st->reply);
                }
                if (st->msg[0]) {
                    fputs(": ", f);
                    xml_s(f, st->msg);
                }
                fputc('\n', f);
            }
            fputs("</system-out>\n    </testcase>\n", f);
        }
        fputs("  </testsuite>\n", f);
        if (extra)
            break;
    }
    fputs("</testsuites>\n", f);
    return ferror(f) ? DFS_E_IO : DFS_OK;
}
