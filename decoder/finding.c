/* Finding emission, for every stage: the frames that prove a finding, the
 * finding itself handed to the sink, the rate limit of the capture.*
 * findings, and a callback's stop request. The words of each finding are in
 * finding_text.c, which calls this file. */
#include <stdio.h>
#include <string.h>

#include "dfuscope/quirks.h"
#include "state.h"

void dfs__frames_add(struct dfs__frames *f, uint64_t frame)
{
    if (!frame)
        return;
    for (unsigned i = 0; i < f->n; i++)
        if (f->v[i] == frame)
            return;
    if (f->n == DFS_FINDING_MAX_FRAMES)
        return;
    unsigned i = f->n++;
    while (i > 0 && f->v[i - 1] > frame) { /* keep ascending */
        f->v[i] = f->v[i - 1];
        i--;
    }
    f->v[i] = frame;
}

struct dfs__frames dfs__frame_pair(uint64_t a, uint64_t b)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, a);
    dfs__frames_add(&fr, b);
    return fr;
}

int dfs__stop(dfs_decoder *d, int rc)
{
    if (rc && d->error == DFS_OK) {
        d->error = DFS_E_ABORTED;
        snprintf(d->errmsg, sizeof d->errmsg, "stopped by a callback at frame %llu",
                 (unsigned long long)d->cur_frame);
    }
    return rc;
}

/* Append " TEXT" to a finding's text when it fits whole. */
static void append(char *buf, size_t size, const char *text)
{
    size_t n = strlen(buf), m = strlen(text);
    if (n + 1 + m < size) {
        buf[n] = ' ';
        memcpy(buf + n + 1, text, m + 1);
    }
}

/* A finding on a device of a family the quirk table knows, and a quirk of
 * that family that explains it (in the context the rule saw): say so, with
 * what hosts do about it. */
static void quirk_note(dfs_decoder *d, struct dfs_finding *f, uint32_t context)
{
    uint16_t vid, pid;
    int32_t bcd;
    if (!f->device || !d->ports.device_ids || !d->ports.device_ids(d, f->device, &vid, &pid, &bcd))
        return;
    const struct dfs_quirk_family *fam[8];
    size_t n = dfs_quirk_match(vid, pid, bcd, fam, sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < n && i < sizeof fam / sizeof fam[0]; i++) {
        const struct dfs_quirk_info *q =
            dfs_quirk_info(dfs__quirk_for_finding(fam[i], f->code, context));
        if (!q)
            continue;
        char text[DFS_FINDING_TEXT_SIZE];
        snprintf(text, sizeof text, "quirk %s ", q->label);
        if (strstr(f->explanation, text))
            return; /* its own words name the quirk, and its remedy is the workaround */
        if (fam[i]->recognised) /* a VID:PID other devices use too */
            snprintf(text, sizeof text, "Among the devices with VID:PID %04x:%04x, the %s "
                     "shows this as known quirk %s: %s (`dfuscope quirks %04x:%04x`).", vid,
                     pid, fam[i]->name, q->label, q->title, vid, pid);
        else
            snprintf(text, sizeof text, "Known quirk %s of the %s: %s (`dfuscope quirks "
                     "%04x:%04x`).", q->label, fam[i]->name, q->title, vid, pid);
        append(f->explanation, sizeof f->explanation, text);
        snprintf(text, sizeof text, "What hosts do about %s: %s.", q->label, q->workaround);
        append(f->remedy, sizeof f->remedy, text);
        return;
    }
}

static int emit(dfs_decoder *d, enum dfs_finding_code code, uint32_t context, uint32_t device,
                uint64_t frame, const struct dfs__frames *frames, const char *remedy,
                const char *fmt, va_list ap) __attribute__((format(printf, 8, 0)));
static int emit(dfs_decoder *d, enum dfs_finding_code code, uint32_t context, uint32_t device,
                uint64_t frame, const struct dfs__frames *frames, const char *remedy,
                const char *fmt, va_list ap)
{
    const struct dfs_finding_info *info = dfs_finding_info(code);
    if (!info)
        return 0;
    d->stats.findings[info->severity]++;
    if (!d->sink.on_finding)
        return 0;
    struct dfs_finding f;
    f.code = code;
    f.id = info->id;
    f.severity = info->severity;
    f.group = info->group;
    f.title = info->title;
    f.device = device;
    f.frame = frame;
    f.n_frames = 0;
    if (frames)
        for (unsigned i = 0; i < frames->n; i++)
            f.frames[f.n_frames++] = frames->v[i];
    if (!f.n_frames && frame)
        f.frames[f.n_frames++] = frame;
    vsnprintf(f.explanation, sizeof f.explanation, fmt, ap);
    snprintf(f.remedy, sizeof f.remedy, "%s", remedy ? remedy : "");
    quirk_note(d, &f, context);
    return dfs__stop(d, d->sink.on_finding(d->sink.user, &f));
}

int dfs__emit_finding(dfs_decoder *d, enum dfs_finding_code code, uint32_t device,
                      uint64_t frame, const struct dfs__frames *frames, const char *remedy,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = emit(d, code, 0, device, frame, frames, remedy, fmt, ap);
    va_end(ap);
    return rc;
}

int dfs__emit_finding_in(dfs_decoder *d, enum dfs_finding_code code, uint32_t context,
                         uint32_t device, uint64_t frame, const struct dfs__frames *frames,
                         const char *remedy, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = emit(d, code, context, device, frame, frames, remedy, fmt, ap);
    va_end(ap);
    return rc;
}

bool dfs__limited(dfs_decoder *d, enum dfs_finding_code code, uint64_t frame)
{
    struct dfs__limited *l = &d->limited[code];
    if (!l->count)
        l->first_frame = frame;
    l->last_frame = frame;
    return ++l->count <= DFS__RATE_LIMIT;
}
