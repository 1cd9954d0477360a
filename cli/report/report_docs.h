/* The finding doc pages (docs/findings/<id>.md), embedded at build time so
 * that a report carries them along. */
#ifndef DFS_CLI_REPORT_DOCS_H
#define DFS_CLI_REPORT_DOCS_H

/* The Markdown of the page of finding `id`, or NULL when the build had none. */
const char *rp_doc_find(const char *id);

#endif
