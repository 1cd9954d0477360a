/* A status line for long work, on standard error:
 *
 *   dfuscope diagnose: 42%, 1.23M records/s, 17 findings - big.pcap
 *   dfuscope run: step 12, dfu11.poll-timeout: getstatus (3 s)
 *
 * It is shown only when standard error is a terminal, redrawn in place (a
 * carriage return, the text, spaces over what was longer) at most every
 * PROGRESS_INTERVAL_MS, cut to the terminal's width, and erased when the
 * work ends, before anything else is written to the terminal, and on
 * SIGINT/SIGTERM when nobody else handles them. One line per process;
 * every function may be called when it is not shown (they do nothing). */
#ifndef DFS_CLI_PROGRESS_H
#define DFS_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Capture files larger than this get a progress line (diagnose, decode,
 * report, extract); smaller ones are read before it would matter. */
#define PROGRESS_MIN_FILE_BYTES (64ull << 20)
/* Least time between two updates of the line. */
#define PROGRESS_INTERVAL_MS 250

/* Start showing progress. False, and nothing is ever shown, when standard
 * error is not a terminal. */
bool progress_start(void);
/* True when the line is on and PROGRESS_INTERVAL_MS have gone by since it
 * was last drawn (or it has never been drawn). Reads the clock. */
bool progress_due(void);
/* Replace the line with text (printable ASCII; other bytes are shown as
 * '?'), now. */
void progress_show(const char *text);
/* Erase the line before other output to the terminal, and keep it erased
 * until progress_release(): the two enclose that output. The next update
 * draws the line again. */
void progress_hold(void);
void progress_release(void);
/* progress_hold() and progress_release() at once: erase the line before
 * writing a message (when nothing draws it in between, as in the capture
 * commands, which draw only from their own loop). */
void progress_hide(void);
/* Erase the line and show nothing more (the ticker, if any, stops). */
void progress_stop(void);

/* Work that waits (run): text is what it is doing now. A thread redraws the
 * line with the time spent on it ("(3 s)") once a second, so that a step
 * that blocks still shows what it waits for. progress_set draws at once
 * when due, else the thread draws it when it is. */
bool progress_start_ticker(void);
void progress_set(const char *text);

#endif
