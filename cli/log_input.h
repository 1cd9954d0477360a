/* Text logs as input of diagnose and report: telling a log from a capture,
 * reading it through the log library (dfuscope/logs.h), and handing its
 * records to run_capture as a record source. */
#ifndef DFS_CLI_LOG_INPUT_H
#define DFS_CLI_LOG_INPUT_H

#include "cli.h"
#include "dfuscope/logs.h"

struct log_input {
    dfs_log *log;  /* NULL: the input is a capture */
    size_t next;   /* the next record to hand out */
    FILE *tmp;     /* a capture read from a pipe, copied (rare: see log_input.c) */
};

/* Look at the input: a text log is read whole into li->log; a capture is
 * left for run_capture (ro->stream set when it had to be copied). Returns 0,
 * or EXIT_USAGE with the message printed (unreadable, or text of no tool
 * dfuscope reads). */
int log_input_open(struct log_input *li, struct run_opts *ro);
void log_input_free(struct log_input *li);
/* The input of diagnose and report from their command line (ro->cmd): the
 * FILE argument into ro->path (missing: usage on standard error), the device
 * filter into ro->filter, then log_input_open. Returns 0, or EXIT_USAGE with
 * the message printed and li and filter freed. */
int log_input_start(struct log_input *li, struct run_opts *ro, struct dev_filter *filter,
                    int argc, char **argv, void (*usage)(FILE *));

#endif
