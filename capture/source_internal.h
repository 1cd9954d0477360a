/* The record source behind dfs_source (dfuscope/live.h), shared by its two
 * files: source.c (capture files, pipes and growing files; libc only) and
 * live.c (live usbmon through libpcap, the only file that includes
 * <pcap.h>). A live source carries its operations with it, so that programs
 * that read only files (dfuscope itself) never link libpcap: live capture
 * runs in the helper program dfuscope-capture (cli/capture.h). */
#ifndef DFS_CAPTURE_SOURCE_INTERNAL_H
#define DFS_CAPTURE_SOURCE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dfuscope/live.h"

#define DFS_SOURCE_POLL_MS 100 /* a growing file, or a live handle without fd, is looked at this often */

/* What a live source does differently (live.c). */
struct dfs_source_live_ops {
    enum dfs_capnext (*next)(dfs_source *s, struct dfs_record *rec, int timeout_ms);
    void (*stats)(dfs_source *s, struct dfs_source_stats *st);
    void (*close)(dfs_source *s);
};

struct dfs_source {
    bool live;
    char *name;
    char err[600];
    uint64_t records;
    /* file */
    char *path;
    FILE *fp;
    bool own;
    bool follow;
    bool regular;
    bool waiting_noted;
    dfs_capreader *r;
    dfs_capreader_warn_fn warn;
    void *warn_user;
    /* live */
    const struct dfs_source_live_ops *ops;
    void *handle; /* the live capture handle (pcap_t) */
    int fd;
    int linktype;
};

/* A zeroed source named name, with no descriptor and no link type yet;
 * NULL when out of memory. */
dfs_source *dfs_live__source_alloc(const char *name);

/* Sleep ms milliseconds (nothing for ms <= 0). */
void dfs_live__sleep_ms(int ms);

#endif
