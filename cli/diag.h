/* The diagnosis printer: collects findings and DFU transactions from a
 * decoder and prints the diagnosis (text or JSON). Used by `diagnose`, and
 * by `capture --diagnose` and `follow`, which print live as well. */
#ifndef DFS_CLI_DIAG_H
#define DFS_CLI_DIAG_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "dfuscope/logs.h"

struct diag;


/* live: print each DFU transaction and finding as it arrives (text only). */
struct diag *diag_new(FILE *out, bool json, const char *color_mode, bool live);
/* Fill *sink with callbacks that collect (and print live); other callbacks
 * of *sink are left as they are. */
void diag_sink(struct diag *d, struct dfs_sink *sink);
/* Print the whole diagnosis of the finished decoder. Returns the exit code:
 * 0 no error-severity finding, 1 at least one. */
int diag_finish(struct diag *d, dfs_decoder *dec, const char *path, const struct run_result *res);
void diag_free(struct diag *d);
/* Keep only findings and transactions of devices matching the filter (the
 * filter must outlive the diag). */
void diag_set_filter(struct diag *d, const struct dev_filter *filter);

/* The input is a text log (dfuscope/logs.h): decoder findings cite the
 * log's lines behind their frames, and the output says lines. */
void diag_set_log(struct diag *d, const dfs_log *log);
/* Add the log's own findings (after the decoder has run). */
void diag_add_log_findings(struct diag *d);

/* JSON object for one transaction (no newline). */
void dfu_txn_json(FILE *f, const struct dfs_dfu_txn *t);

#endif
