/* The transaction table: every row the model kept, in arrival order, with a
 * row saying how many were left out wherever rows are missing. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../diag.h"
#include "report.h"

void rp_write_table(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    fputs("<section id=\"transactions\" aria-labelledby=\"h-txn\"><h2 id=\"h-txn\">Transactions</h2>\n",
          o);
    fprintf(o, "<details class=\"txns\"><summary>%" PRIu64 " DFU transactions and %" PRIu64
               " other control transfers",
            m->n_dfu, m->n_usb);
    if (!rp_rows_complete(m))
        fprintf(o, " (%zu shown: the first, the last, and those around anything notable)",
                p->n_rows);
    fputs("</summary>\n<table><thead><tr><th scope=\"col\">Frames</th><th scope=\"col\">Time</th>"
          "<th scope=\"col\">Device</th><th scope=\"col\">State before</th>"
          "<th scope=\"col\">Request</th><th scope=\"col\">Reply</th>"
          "<th scope=\"col\">State after</th></tr></thead><tbody>\n",
          o);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (i && r->seq != p->rows[i - 1]->seq + 1) {
            const struct rp_row *a = p->rows[i - 1];
            fprintf(o, "<tr class=\"gap\" id=\"gap%" PRIu64 "\"><td colspan=\"7\">%" PRIu64
                       " rows not shown (frames %" PRIu64 "\xE2\x80\x93%" PRIu64 ")</td></tr>\n",
                    a->seq, r->seq - a->seq - 1,
                    (a->t.reply_frame > a->t.frame ? a->t.reply_frame : a->t.frame) + 1,
                    r->t.frame ? r->t.frame - 1 : 0);
        } else if (!i && r->seq > 1) {
            fprintf(o, "<tr class=\"gap\"><td colspan=\"7\">%" PRIu64 " rows not shown</td></tr>\n",
                    r->seq - 1);
        }
        const struct dfs_dfu_txn *t = &r->t;
        const char *cls = r->kind == RP_ROW_USB ? "usb" : "dfu";
        const char *mark = t->outcome != DFS_DFU_ACK ? " bad"
                           : (r->kind == RP_ROW_DFU && (rp_row_is_early_poll(t) ||
                                                        (t->has_status && t->bStatus) ||
                                                        t->state_after == DFS_STATE_ERROR))
                               ? " warn"
                               : "";
        fprintf(o, "<tr class=\"%s%s\" id=\"f%" PRIu64 "\"><td class=\"mono\">%" PRIu64, cls, mark,
                t->frame, t->frame);
        if (t->reply_frame && t->reply_frame != t->frame)
            fprintf(o, "\xE2\x80\x93%" PRIu64, t->reply_frame);
        char ts[32];
        snprintf(ts, sizeof ts, "%.6f", rp_time(m, t->ts));
        fprintf(o, "</td><td class=\"mono\">%s</td><td>%u.%u</td>", ts, t->bus, t->devnum);
        if (r->kind == RP_ROW_USB) {
            fputs("<td></td><td>", o);
            html_text(o, r->req);
            fputs("</td><td>", o);
            html_text(o, r->rep);
            fputs("</td><td></td></tr>\n", o);
            continue;
        }
        char req[160], rep[200];
        dfs_dfu_txn_request_str(t, req, sizeof req);
        dfs_dfu_txn_reply_str(t, rep, sizeof rep);
        if (rp_row_is_early_poll(t))
            strncat(rep, " \xE2\x80\x94 too early", sizeof rep - strlen(rep) - 1);
        fprintf(o, "<td class=\"st\">%s</td><td>",
                t->state_before == DFS_STATE_UNKNOWN ? "?" : rp_state_short(t->state_before));
        html_text(o, req);
        fputs("</td><td>", o);
        html_text(o, rep);
        fprintf(o, "</td><td class=\"st\">%s</td></tr>\n",
                t->state_after == DFS_STATE_UNKNOWN ? "?" : rp_state_short(t->state_after));
    }
    if (p->n_rows && p->rows[p->n_rows - 1]->seq < m->seq)
        fprintf(o, "<tr class=\"gap\"><td colspan=\"7\">%" PRIu64 " rows not shown</td></tr>\n",
                m->seq - p->rows[p->n_rows - 1]->seq);
    fputs("</tbody></table></details>\n</section>\n", o);
}
