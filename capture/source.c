/* Record sources (dfuscope/live.h): capture files, finished or still being
 * written, and pipes, through dfuscope's own reader; libc only. Live usbmon
 * capture is in live.c, which a program links only when it captures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "source_internal.h"

#define PCAP_MIN_HEADER 24 /* pcap file header; a pcapng SHB is longer */

void dfs_live__sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

dfs_source *dfs_live__source_alloc(const char *name)
{
    dfs_source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = strdup(name);
    if (!s->name) {
        free(s);
        return NULL;
    }
    s->fd = -1;
    s->linktype = -1;
    return s;
}

/* ---- files ------------------------------------------------------------------ */

/* Does the directory a file would be created in exist (a file to follow may
 * not exist yet; its directory must)? */
static bool dir_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return true; /* the current directory */
    size_t n = (size_t)(slash - path);
    char dir[4096];
    if (n >= sizeof dir)
        return false;
    memcpy(dir, path, n);
    dir[n ? n : 1] = '\0';
    if (!n)
        dir[0] = '/';
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

dfs_result dfs_source_open_file(const char *path, bool follow, dfs_capreader_warn_fn warn,
                                void *warn_user, dfs_source **out, char *err, size_t err_size)
{
    if (!path || !out || !err)
        return DFS_E_INVAL;
    bool is_stdin = strcmp(path, "-") == 0;
    dfs_source *s = dfs_live__source_alloc(is_stdin ? "<stdin>" : path);
    if (!s || !(s->path = strdup(path))) {
        dfs_source_close(s);
        snprintf(err, err_size, "%s: out of memory", path);
        return DFS_E_NOMEM;
    }
    s->follow = follow;
    s->warn = warn;
    s->warn_user = warn_user;
    if (is_stdin) {
        s->fp = stdin;
    } else {
        s->fp = fopen(path, "rb");
        if (!s->fp && !(follow && errno == ENOENT && dir_exists(path))) {
            snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
            dfs_source_close(s);
            return DFS_E_IO;
        }
        s->own = true;
    }
    struct stat st;
    s->regular = s->fp ? fstat(fileno(s->fp), &st) == 0 && S_ISREG(st.st_mode) : true;
    /* A pipe is always read record by record, so that each one is handed on
     * (and a signal noticed) without waiting for a buffer to fill. */
    if (!s->regular)
        s->follow = true;
    *out = s;
    return DFS_OK;
}

/* Open the reader once there is something to read. */
static enum dfs_capnext file_start(dfs_source *s, int timeout_ms)
{
    if (!s->fp) { /* follow: waiting for the file to appear */
        s->fp = fopen(s->path, "rb");
        if (!s->fp) {
            if (errno != ENOENT) {
                snprintf(s->err, sizeof s->err, "%s: cannot open: %s", s->path,
                         strerror(errno));
                return DFS_CAP_ERROR;
            }
            dfs_live__sleep_ms(timeout_ms < DFS_SOURCE_POLL_MS ? timeout_ms : DFS_SOURCE_POLL_MS);
            return DFS_CAP_AGAIN;
        }
    }
    if (s->follow && s->regular) {
        struct stat st;
        if (fstat(fileno(s->fp), &st) == 0 && st.st_size < PCAP_MIN_HEADER) {
            dfs_live__sleep_ms(timeout_ms < DFS_SOURCE_POLL_MS ? timeout_ms : DFS_SOURCE_POLL_MS);
            return DFS_CAP_AGAIN; /* the writer has not written its header yet */
        }
    }
    struct dfs_capreader_options copt = {.follow = s->follow,
                                         .warn = s->warn,
                                         .warn_user = s->warn_user};
    errno = 0;
    dfs_result r = dfs_capreader_open_stream(s->fp, s->name, &copt, &s->r, s->err, sizeof s->err);
    if (r != DFS_OK) {
        if (errno == EINTR)
            return DFS_CAP_AGAIN; /* a signal while waiting for the header */
        return DFS_CAP_ERROR;
    }
    s->linktype = dfs_capreader_linktype(s->r);
    return DFS_CAP_RECORD;
}

static enum dfs_capnext file_next(dfs_source *s, struct dfs_record *rec, int timeout_ms)
{
    if (!s->r) {
        enum dfs_capnext n = file_start(s, timeout_ms);
        if (n != DFS_CAP_RECORD)
            return n;
    }
    errno = 0;
    enum dfs_capnext n = dfs_capreader_next(s->r, rec);
    if (n == DFS_CAP_AGAIN) {
        if (s->regular) {
            dfs_live__sleep_ms(timeout_ms < DFS_SOURCE_POLL_MS ? timeout_ms : DFS_SOURCE_POLL_MS);
            return DFS_CAP_AGAIN;
        }
        /* A pipe is read with blocking reads: coming back empty-handed means
         * a signal arrived, or the writer closed it. */
        if (errno == EINTR)
            return DFS_CAP_AGAIN;
        dfs_capreader_set_follow(s->r, false);
        n = dfs_capreader_next(s->r, rec);
    }
    if (n == DFS_CAP_ERROR)
        snprintf(s->err, sizeof s->err, "%s", dfs_capreader_error(s->r));
    if (s->r && dfs_capreader_linktype(s->r) >= 0)
        s->linktype = dfs_capreader_linktype(s->r);
    return n;
}

/* ---- common ----------------------------------------------------------------- */

enum dfs_capnext dfs_source_next(dfs_source *s, struct dfs_record *rec, int timeout_ms)
{
    if (!s || !rec)
        return DFS_CAP_ERROR;
    enum dfs_capnext n = s->live ? s->ops->next(s, rec, timeout_ms) : file_next(s, rec, timeout_ms);
    if (n == DFS_CAP_RECORD)
        s->records++;
    return n;
}

const char *dfs_source_error(const dfs_source *s) { return s ? s->err : "no source"; }
const char *dfs_source_name(const dfs_source *s) { return s ? s->name : ""; }
int dfs_source_linktype(const dfs_source *s) { return s ? s->linktype : -1; }
bool dfs_source_is_live(const dfs_source *s) { return s && s->live; }

void dfs_source_stats(dfs_source *s, struct dfs_source_stats *st)
{
    if (!s || !st)
        return;
    memset(st, 0, sizeof *st);
    st->records = s->records;
    if (s->live) {
        s->ops->stats(s, st);
    } else if (s->r) {
        st->damaged = dfs_capreader_damaged(s->r);
        st->skipped_bytes = dfs_capreader_skipped_bytes(s->r);
        dfs_capreader_capture_end(s->r, &st->file_end);
    }
}

void dfs_source_close(dfs_source *s)
{
    if (!s)
        return;
    if (s->live && s->ops)
        s->ops->close(s);
    dfs_capreader_close(s->r);
    if (s->own && s->fp)
        fclose(s->fp);
    free(s->path);
    free(s->name);
    free(s);
}
