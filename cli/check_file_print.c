/* dfuscope check-file: the report, as text in the style of diagnose, or as
 * one JSON object (docs/json.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check_file.h"

#define SEGMENTS_LISTED 20

static const char *format_words(enum dfs_fw_format fmt, const struct dfs_fw_suffix *sx)
{
    switch (fmt) {
    case DFS_FW_DFUSE: return "a DfuSe file";
    case DFS_FW_IHEX: return "an Intel HEX file";
    case DFS_FW_SREC: return "an S-record file";
    default: return sx->present ? "a binary with a DFU suffix" : "a raw binary";
    }
}

/* Findings most severe first, in the order they were made within a severity. */
static const struct dfs_fw_finding **sorted_findings(const dfs_fw_file *f, size_t *n)
{
    *n = dfs_fw_finding_count(f);
    const struct dfs_fw_finding **v = calloc(*n ? *n : 1, sizeof *v);
    if (!v) {
        *n = 0;
        return NULL;
    }
    size_t k = 0;
    for (int sev = DFS_SEV_ERROR; sev >= DFS_SEV_NOTE; sev--)
        for (size_t i = 0; i < *n; i++)
            if ((int)dfs_fw_finding(f, i)->severity == sev)
                v[k++] = dfs_fw_finding(f, i);
    return v;
}

/* "byte 293, line 12, frame 57" */
static void evidence_str(const struct dfs_fw_finding *fd, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t pos = 0;
    for (int kind = DFS_FW_AT_BYTE; kind <= DFS_FW_AT_FRAME; kind++) {
        unsigned n = 0;
        for (unsigned i = 0; i < fd->n_at; i++)
            n += fd->at[i].kind == (enum dfs_fw_where)kind;
        if (!n)
            continue;
        pos += (size_t)snprintf(buf + pos, pos < size ? size - pos : 0, "%s%s%s", pos ? "; " : "",
                                dfs_fw_where_name((enum dfs_fw_where)kind), n > 1 ? "s" : "");
        bool first = true;
        for (unsigned i = 0; i < fd->n_at && pos < size; i++)
            if (fd->at[i].kind == (enum dfs_fw_where)kind) {
                pos += (size_t)snprintf(buf + pos, size - pos, "%s %" PRIu64, first ? "" : ",",
                                        fd->at[i].value);
                first = false;
            }
    }
}

static void verdict_str(const struct dfs_fw_finding *top, char *buf, size_t size)
{
    if (!top) {
        snprintf(buf, size, "no findings");
        return;
    }
    if (top->n_at)
        snprintf(buf, size, "%s: %s (%s at %s %" PRIu64 ")", dfs_severity_name(top->severity),
                 top->title, top->id, dfs_fw_where_name(top->at[0].kind), top->at[0].value);
    else
        snprintf(buf, size, "%s: %s (%s)", dfs_severity_name(top->severity), top->title, top->id);
}

static void against_str(const struct check_against *ag, char *buf, size_t size)
{
    buf[0] = '\0';
    if (ag->kind == AGAINST_NONE) {
        snprintf(buf, size, "checked against itself (give --layout, --device or --capture to "
                            "check it against a device)");
        return;
    }
    const struct dfs_fw_device *d = &ag->device;
    if (ag->kind == AGAINST_CAPTURE && !ag->has_device) {
        snprintf(buf, size, "checked against the capture %s (the device that wrote is not known)",
                 ag->arg);
        return;
    }
    size_t pos = (size_t)snprintf(buf, size, "checked against %s%s%s: %s", d->what,
                                  ag->kind == AGAINST_CAPTURE ? " " : "",
                                  ag->kind == AGAINST_CAPTURE ? ag->arg : "",
                                  d->dfuse == 1   ? "DfuSe"
                                  : d->dfuse == 0 ? "DFU 1.1"
                                                  : "kind not known");
    if (pos < size && d->runtime)
        pos += (size_t)snprintf(buf + pos, size - pos, ", run-time mode");
    if (pos < size)
        pos += (size_t)snprintf(buf + pos, size - pos, ", %u alternate setting%s%s",
                                d->n_alts, d->n_alts == 1 ? "" : "s",
                                ag->kind == AGAINST_LAYOUT ? " given" : "");
}

/* ---- text -------------------------------------------------------------------------------------- */

static void text_file(FILE *o, const dfs_fw_file *f, const struct color *c)
{
    const struct dfs_fw_suffix *sx = dfs_fw_suffix(f);
    const struct dfs_fw_dfuse_prefix *px = dfs_fw_dfuse_prefix(f);
    fprintf(o, "%sFile%s\n  %s of %zu bytes", c_bold(c), c_off(c),
            format_words(dfs_fw_format(f), sx), dfs_fw_length(f));
    if (px->present)
        fprintf(o, ": DfuSe v%u, DFUImageSize %u, %u target%s", px->version, px->image_size,
                px->n_targets, px->n_targets == 1 ? "" : "s");
    fputc('\n', o);
    if (sx->present)
        fprintf(o, "  suffix: %04x:%04x bcdDevice 0x%04x, bcdDFU 0x%04x, bLength %u, dwCRC 0x%08x "
                   "(%s)\n",
                sx->idVendor, sx->idProduct, sx->bcdDevice, sx->bcdDFU, sx->bLength, sx->dwCRC,
                sx->crc_ok ? "matches" : "does not match");
    else
        fprintf(o, "  no DFU suffix\n");
    size_t shown = 0, n = dfs_fw_segment_count(f);
    for (size_t t = 0; t < dfs_fw_target_count(f); t++) {
        const struct dfs_fw_target *tg = dfs_fw_target(f, t);
        char name[300];
        text_safe(name, sizeof name, tg->name);
        fprintf(o, "  target %zu at byte %zu: alternate setting %u, %s%s%s, %u element%s, "
                   "dwTargetSize %u\n",
                t, tg->offset, tg->alt, tg->named ? "named \"" : "unnamed",
                tg->named ? name : "", tg->named ? "\"" : "", tg->n_elements,
                tg->n_elements == 1 ? "" : "s", tg->size);
        for (size_t k = 0; k < tg->n_segments && shown < SEGMENTS_LISTED; k++, shown++) {
            const struct dfs_fw_segment *s = dfs_fw_segment(f, tg->first_segment + k);
            fprintf(o, "    element %d: 0x%08x-0x%08" PRIx64 " (%" PRIu64 " bytes), data at byte "
                       "%zu\n",
                    s->element, s->address, (uint64_t)s->address + s->length - (s->length != 0),
                    s->length, s->offset);
        }
    }
    for (size_t i = 0; dfs_fw_format(f) != DFS_FW_DFUSE && i < n && shown < SEGMENTS_LISTED;
         i++, shown++) {
        const struct dfs_fw_segment *s = dfs_fw_segment(f, i);
        fprintf(o, "  0x%08x-0x%08" PRIx64 " (%" PRIu64 " bytes)", s->address,
                (uint64_t)s->address + s->length - (s->length != 0), s->length);
        if (s->line)
            fprintf(o, ", lines %u-%u\n", s->line, s->last_line);
        else
            fprintf(o, ", bytes %zu-%" PRIu64 "%s\n", s->offset,
                    s->offset + s->length - (s->length != 0),
                    dfs_fw_has_addresses(f) ? "" : " (a binary has no address: 0 here)");
    }
    if (n > shown)
        fprintf(o, "  ... and %zu more part%s\n", n - shown, n - shown == 1 ? "" : "s");
    fprintf(o, "  %" PRIu64 " bytes of data\n\n", dfs_fw_data_bytes(f));
}

static void text_device(FILE *o, const struct check_against *ag, const struct color *c)
{
    if (!ag->has_device)
        return;
    const struct dfs_fw_device *d = &ag->device;
    fprintf(o, "%s%s%s\n", c_bold(c), ag->kind == AGAINST_LAYOUT ? "Layout" : "Device", c_off(c));
    if (d->has_id)
        fprintf(o, "  %04x:%04x bcdDevice 0x%04x", d->vid, d->pid, d->bcdDevice);
    else
        fprintf(o, "  VID:PID not known");
    if (d->transfer_size)
        fprintf(o, ", wTransferSize %u", d->transfer_size);
    fputc('\n', o);
    for (unsigned i = 0; i < d->n_alts && i < DFS_FW_MAX_ALTS; i++) {
        const struct dfs_fw_alt *a = &d->alts[i];
        char name[300];
        text_safe(name, sizeof name, a->name);
        fprintf(o, "  alt %u: %s%s%s%s\n", a->alt, a->has_name ? "\"" : "",
                a->has_name ? name : "(name not known)", a->has_name ? "\"" : "",
                a->has_name && !a->has_layout ? " (not a layout: not checked)" : "");
    }
    fputc('\n', o);
}

static void text_session(FILE *o, const struct check_against *ag, const struct color *c)
{
    if (!ag->has_session)
        return;
    const struct dfs_fw_session_info *s = &ag->session;
    const struct dfs_fw_compare *m = &ag->compare;
    fprintf(o, "%sSession%s\n", c_bold(c), c_off(c));
    if (s->ops)
        fprintf(o, "  %" PRIu64 " confirmed write%s in frames %" PRIu64 "-%" PRIu64 ", %" PRIu64
                   " bytes %s 0x%08x-0x%08" PRIx64 "%s\n",
                s->ops, s->ops == 1 ? "" : "s", s->first_frame, s->last_frame, s->bytes,
                s->dfuse ? "at" : "at offsets", s->low, s->high_end - (s->high_end != 0),
                s->full ? " (limit reached: the rest was left out)" : "");
    else
        fprintf(o, "  no confirmed write\n");
    if (s->failed_ops)
        fprintf(o, "  %" PRIu64 " write%s failed\n", s->failed_ops, s->failed_ops == 1 ? "" : "s");
    fprintf(o, "  compared%s: %" PRIu64 " bytes the same, %" PRIu64 " missing, %" PRIu64
               " different, %" PRIu64 " extra\n\n",
            m->offsets ? " as image offsets" : "", m->same, m->missing, m->different, m->extra);
}

void check_file_print_text(FILE *o, const char *path, const dfs_fw_file *f,
                           const struct check_against *ag, const char *color)
{
    struct color col;
    const struct color *c = &col;
    color_init(&col, o, color);
    size_t n;
    const struct dfs_fw_finding **v = sorted_findings(f, &n);
    uint64_t sev[3], more = 0;
    dfs_fw_severity_counts(f, sev);
    for (int k = 0; k < DFS_F__COUNT; k++)
        more += dfs_fw_finding_more(f, (enum dfs_finding_code)k);
    char verdict[300], against[600], safe[DFS_FINDING_TEXT_SIZE + 64];
    verdict_str(n ? v[0] : NULL, verdict, sizeof verdict);
    against_str(ag, against, sizeof against);
    text_safe(safe, sizeof safe, path);
    fprintf(o, "%s%s%s: %s\n", c_bold(c), safe, c_off(c), verdict);
    fprintf(o, "  %" PRIu64 " error%s, %" PRIu64 " warning%s, %" PRIu64 " note%s in %s of %zu "
               "bytes\n",
            sev[2], sev[2] == 1 ? "" : "s", sev[1], sev[1] == 1 ? "" : "s", sev[0],
            sev[0] == 1 ? "" : "s", format_words(dfs_fw_format(f), dfs_fw_suffix(f)),
            dfs_fw_length(f));
    text_safe(safe, sizeof safe, against);
    fprintf(o, "  %s\n", safe);
    if (more)
        fprintf(o, "  %" PRIu64 " repeated finding%s counted but not listed (the first %d of each "
                   "kind are)\n",
                more, more == 1 ? "" : "s", DFS_FW_PER_ID);
    fputc('\n', o);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_fw_finding *fd = v[i];
        const char *sc = fd->severity == DFS_SEV_ERROR     ? c_red(c)
                         : fd->severity == DFS_SEV_WARNING ? c_yellow(c)
                                                           : c_cyan(c);
        char ev[400];
        evidence_str(fd, ev, sizeof ev);
        fprintf(o, "%s%-7s%s %s%s%s  %s\n", sc, dfs_severity_name(fd->severity), c_off(c),
                c_bold(c), fd->id, c_off(c), fd->title);
        if (ev[0])
            fprintf(o, "        %s%s%s\n", c_dim(c), ev, c_off(c));
        text_safe(safe, sizeof safe, fd->explanation);
        fprintf(o, "        %s\n", safe);
        if (fd->remedy[0]) {
            text_safe(safe, sizeof safe, fd->remedy);
            fprintf(o, "        %sWhat to do:%s %s\n", c_bold(c), c_off(c), safe);
        }
        fprintf(o, "        %sdocs/findings/%s.md%s\n\n", c_dim(c), fd->id, c_off(c));
    }
    free(v);
    text_file(o, f, c);
    text_device(o, ag, c);
    text_session(o, ag, c);
}

/* ---- JSON ------------------------------------------------------------------------------------------ */

static void json_file(FILE *o, const dfs_fw_file *f)
{
    const struct dfs_fw_suffix *sx = dfs_fw_suffix(f);
    const struct dfs_fw_dfuse_prefix *px = dfs_fw_dfuse_prefix(f);
    fprintf(o, ",\"format\":\"%s\",\"size\":%zu,\"data_bytes\":%" PRIu64 ",\"suffix\":",
            dfs_fw_format_name(dfs_fw_format(f)), dfs_fw_length(f), dfs_fw_data_bytes(f));
    if (sx->present)
        fprintf(o, "{\"offset\":%zu,\"vid\":%u,\"pid\":%u,\"bcdDevice\":%u,\"bcdDFU\":%u,"
                   "\"bLength\":%u,\"dwCRC\":%u,\"crc\":%u,\"crc_ok\":%s,\"length_ok\":%s}",
                sx->offset, sx->idVendor, sx->idProduct, sx->bcdDevice, sx->bcdDFU, sx->bLength,
                sx->dwCRC, sx->crc, sx->crc_ok ? "true" : "false",
                sx->length_ok ? "true" : "false");
    else
        fputs("null", o);
    fputs(",\"dfuse\":", o);
    if (px->present) {
        fprintf(o, "{\"version\":%u,\"image_size\":%u,\"targets_declared\":%u,\"targets\":[",
                px->version, px->image_size, px->n_targets);
        for (size_t t = 0; t < dfs_fw_target_count(f); t++) {
            const struct dfs_fw_target *tg = dfs_fw_target(f, t);
            fprintf(o, "%s{\"offset\":%zu,\"alt\":%u,\"named\":%s,\"name\":", t ? "," : "",
                    tg->offset, tg->alt, tg->named ? "true" : "false");
            json_str(o, tg->name);
            fprintf(o, ",\"size\":%u,\"elements_declared\":%u,\"first_segment\":%zu,"
                       "\"segments\":%zu}",
                    tg->size, tg->n_elements, tg->first_segment, tg->n_segments);
        }
        fputs("]}", o);
    } else {
        fputs("null", o);
    }
    fprintf(o, ",\"has_addresses\":%s,\"segments\":[", dfs_fw_has_addresses(f) ? "true" : "false");
    for (size_t i = 0; i < dfs_fw_segment_count(f); i++) {
        const struct dfs_fw_segment *s = dfs_fw_segment(f, i);
        fprintf(o, "%s{\"address\":%u,\"length\":%" PRIu64 ",", i ? "," : "", s->address,
                s->length);
        if (s->line)
            fprintf(o, "\"offset\":null,\"line\":%u,\"last_line\":%u", s->line, s->last_line);
        else
            fprintf(o, "\"offset\":%zu,\"line\":null,\"last_line\":null", s->offset);
        if (s->target >= 0)
            fprintf(o, ",\"target\":%d,\"element\":%d}", s->target, s->element);
        else
            fputs(",\"target\":null,\"element\":null}", o);
    }
    fputc(']', o);
}

static void json_against(FILE *o, const struct check_against *ag)
{
    static const char *const kinds[] = {"none", "layout", "device", "capture"};
    fprintf(o, ",\"against\":{\"kind\":\"%s\",\"argument\":", kinds[ag->kind]);
    json_str(o, ag->arg);
    fputs(",\"device\":", o);
    if (ag->has_device) {
        const struct dfs_fw_device *d = &ag->device;
        fputs("{\"what\":", o);
        json_str(o, d->what);
        if (d->has_id)
            fprintf(o, ",\"vid\":%u,\"pid\":%u,\"bcdDevice\":%u", d->vid, d->pid, d->bcdDevice);
        else
            fputs(",\"vid\":null,\"pid\":null,\"bcdDevice\":null", o);
        fprintf(o, ",\"dfuse\":%s,\"runtime\":%s,\"transfer_size\":",
                d->dfuse == 1 ? "true" : d->dfuse == 0 ? "false" : "null",
                d->runtime ? "true" : "false");
        if (d->transfer_size)
            fprintf(o, "%u", d->transfer_size);
        else
            fputs("null", o);
        fputs(",\"alts\":[", o);
        for (unsigned i = 0; i < d->n_alts && i < DFS_FW_MAX_ALTS; i++) {
            fprintf(o, "%s{\"alt\":%u,\"name\":", i ? "," : "", d->alts[i].alt);
            json_str(o, d->alts[i].has_name ? d->alts[i].name : NULL);
            fprintf(o, ",\"layout\":%s}", d->alts[i].has_layout ? "true" : "false");
        }
        fputs("]}", o);
    } else {
        fputs("null", o);
    }
    fputs(",\"session\":", o);
    if (ag->has_session) {
        const struct dfs_fw_session_info *s = &ag->session;
        const struct dfs_fw_compare *m = &ag->compare;
        fprintf(o, "{\"dfuse\":%s,\"writes\":%" PRIu64 ",\"failed_writes\":%" PRIu64
                   ",\"bytes\":%" PRIu64 ",\"first_frame\":%" PRIu64 ",\"last_frame\":%" PRIu64
                   ",\"limit_reached\":%s,\"offsets\":%s,\"base_assumed\":",
                s->dfuse ? "true" : "false", s->ops, s->failed_ops, s->bytes, s->first_frame,
                s->last_frame, s->full ? "true" : "false", m->offsets ? "true" : "false");
        if (m->base_assumed)
            fprintf(o, "%u", m->base);
        else
            fputs("null", o);
        fprintf(o, ",\"same\":%" PRIu64 ",\"missing\":%" PRIu64 ",\"different\":%" PRIu64
                   ",\"extra\":%" PRIu64 ",\"missing_ranges\":%u,\"different_ranges\":%u,"
                   "\"extra_ranges\":%u}",
                m->same, m->missing, m->different, m->extra, m->missing_ranges,
                m->different_ranges, m->extra_ranges);
    } else {
        fputs("null", o);
    }
    fputc('}', o);
}

void check_file_print_json(FILE *o, const char *path, const dfs_fw_file *f,
                           const struct check_against *ag)
{
    size_t n;
    const struct dfs_fw_finding **v = sorted_findings(f, &n);
    uint64_t sev[3];
    dfs_fw_severity_counts(f, sev);
    fputs("{\"file\":", o);
    json_str(o, path);
    json_file(o, f);
    json_against(o, ag);
    fputs(",\"findings\":[", o);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_fw_finding *fd = v[i];
        fprintf(o, "%s{\"id\":", i ? "," : "");
        json_str(o, fd->id);
        fprintf(o, ",\"severity\":\"%s\",\"group\":\"%s\",\"title\":",
                dfs_severity_name(fd->severity), dfs_group_name(fd->group));
        json_str(o, fd->title);
        fputs(",\"evidence\":[", o);
        for (unsigned k = 0; k < fd->n_at; k++)
            fprintf(o, "%s{\"%s\":%" PRIu64 "}", k ? "," : "", dfs_fw_where_name(fd->at[k].kind),
                    fd->at[k].value);
        fputs("],\"explanation\":", o);
        json_str(o, fd->explanation);
        fputs(",\"remedy\":", o);
        json_str(o, fd->remedy);
        fprintf(o, ",\"doc\":\"docs/findings/%s.md\"}", fd->id);
    }
    fputs("],\"findings_more\":[", o);
    bool first = true;
    for (int k = 0; k < DFS_F__COUNT; k++) {
        uint64_t more = dfs_fw_finding_more(f, (enum dfs_finding_code)k);
        if (!more)
            continue;
        fprintf(o, "%s{\"id\":", first ? "" : ",");
        json_str(o, dfs_finding_info((enum dfs_finding_code)k)->id);
        fprintf(o, ",\"more\":%" PRIu64 "}", more);
        first = false;
    }
    char verdict[300];
    verdict_str(n ? v[0] : NULL, verdict, sizeof verdict);
    fprintf(o, "],\"summary\":{\"errors\":%" PRIu64 ",\"warnings\":%" PRIu64 ",\"notes\":%" PRIu64
               ",\"verdict\":",
            sev[2], sev[1], sev[0]);
    json_str(o, verdict);
    fputs("}}\n", o);
    free(v);
}
