/* The findings of a capture file, with libdfuscope (docs/library.md):
 *   cc findings.c $(pkg-config --cflags --libs dfuscope) -o findings
 *   ./findings capture.pcapng     prints "severity id frame" per finding */
#include <dfuscope/capture.h>
#include <stdio.h>

static int on_finding(void *user, const struct dfs_finding *f)
{
    (void)user;
    printf("%s %s %llu\n", dfs_severity_name(f->severity), f->id, (unsigned long long)f->frame);
    return 0;
}

int main(int argc, char **argv)
{
    char err[512] = "usage: findings CAPTURE";
    dfs_capreader *r;
    dfs_decoder *d;
    struct dfs_sink sink = {.on_finding = on_finding};
    if (argc != 2 || dfs_capreader_open(argv[1], NULL, &r, err, sizeof err) != DFS_OK ||
        dfs_decoder_new(NULL, &sink, &d) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    struct dfs_record rec;
    while (dfs_capreader_next(r, &rec) == DFS_CAP_RECORD)
        dfs_decoder_feed(d, &rec); /* a damaged record becomes a finding */
    struct dfs_capture_end end; /* the capture may go on after its last record */
    dfs_capreader_capture_end(r, &end);
    if (end.has_end)
        dfs_decoder_capture_end(d, end.end);
    dfs_decoder_finish(d);
    dfs_decoder_free(d);
    dfs_capreader_close(r);
    return 0;
}
