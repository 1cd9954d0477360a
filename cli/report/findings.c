/* The findings section, one article per finding with its frames and the
 * link to its doc page, and at the end of the page the doc pages
 * themselves (the Markdown of docs/findings/, embedded at build time). */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"
#include "report_docs.h"

static void doc_link(struct rp_page *p, const char *id)
{
    FILE *o = p->out;
    if (p->docs_base) {
        fputs("<a class=\"doclink\" href=\"", o);
        html_text(o, p->docs_base);
        html_text(o, id);
        fputs(".md\">", o);
    } else if (rp_doc_find(id)) {
        fputs("<a class=\"doclink\" href=\"#doc-", o);
        html_id(o, id);
        fputs("\">", o);
    } else {
        fputs("<span class=\"doclink\">", o);
    }
    fputs("docs&#47;findings&#47;", o);
    html_text(o, id);
    fputs(".md", o);
    fputs(p->docs_base || rp_doc_find(id) ? "</a>" : "</span>", o);
}

void rp_write_findings(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    struct host_result hr;
    host_finish(&m->host, &hr);
    fputs("<section id=\"findings\" aria-labelledby=\"h-findings\"><h2 id=\"h-findings\">Findings</h2>\n",
          o);
    if (!m->n_f) {
        fputs("<p>The diagnosis found nothing to report.</p></section>\n", o);
        return;
    }
    unsigned listed[DFS_F__COUNT] = {0}, of_id[DFS_F__COUNT] = {0};
    for (size_t i = 0; i < m->n_f; i++)
        if ((unsigned)m->f[i].code < DFS_F__COUNT)
            of_id[m->f[i].code]++;
    for (size_t i = 0; i < m->n_f; i++) {
        const struct dfs_finding *f = &m->f[i];
        const char *sev = dfs_severity_name(f->severity);
        fprintf(o, "<article class=\"finding sev-%s\" id=\"finding-%zu\" data-id=\"", sev, i + 1);
        html_text(o, f->id);
        fprintf(o, "\" data-frame=\"%" PRIu64 "\"><h3><span class=\"badge\">%s</span> ", f->frame,
                f->severity == DFS_SEV_ERROR     ? "ERROR"
                : f->severity == DFS_SEV_WARNING ? "WARNING"
                                                 : "NOTE");
        html_text(o, f->title);
        fputs(" <code class=\"id\">", o);
        html_text(o, f->id);
        fputs("</code></h3>\n<p class=\"explanation\">", o);
        html_text(o, f->explanation);
        fputs("</p>\n", o);
        if (f->remedy[0]) {
            fputs("<p class=\"remedy\"><strong>What to do:</strong> ", o);
            html_text(o, f->remedy);
            fputs("</p>\n", o);
        }
        const char *note =
            p->log ? NULL : host_note(&hr, f->id, f->severity, f->frames, f->n_frames, f->remedy);
        if (note) {
            fputs("<p class=\"remedy\"><strong>This host:</strong> ", o);
            html_text(o, note);
            fputs("</p>\n", o);
        }
        if (p->log) {
            /* a log has lines, no frames to link to */
            fprintf(o, "<p class=\"frames\">Log line%s:", f->n_frames == 1 ? "" : "s");
            for (unsigned k = 0; k < f->n_frames; k++)
                fprintf(o, "%s %" PRIu64, k ? "," : "", f->frames[k]);
        } else {
            fputs("<p class=\"frames\">Frames: ", o);
            if (!f->n_frames)
                rp_frame_link(p, f->frame);
            for (unsigned k = 0; k < f->n_frames; k++)
                rp_frame_link(p, f->frames[k]);
        }
        fputs(" \xC2\xB7 About this finding: ", o);
        doc_link(p, f->id);
        fputs("</p></article>\n", o);
        /* after the last one listed of its id: how many more there were */
        const struct finding_repeats *mo =
            (unsigned)f->code < DFS_F__COUNT ? &m->f_more[f->code] : NULL;
        if (mo && mo->more && ++listed[f->code] == of_id[f->code]) {
            fprintf(o, "<p class=\"note more-like\" data-id=\"");
            html_text(o, f->id);
            fprintf(o, "\">&hellip; and %" PRIu64 " more like this (", mo->more);
            html_text(o, f->id);
            fputs("), frames ", o);
            rp_frame_link(p, mo->first_frame);
            fputs(" to ", o);
            rp_frame_link(p, mo->last_frame);
            fputs("</p>\n", o);
        }
    }
    if (m->f_missed)
        fprintf(o, "<p class=\"note\">%" PRIu64 " more findings of the same kinds are not listed "
                   "one by one (the first %d of each kind are).</p>\n",
                m->f_missed, FINDINGS_PER_ID);
    fputs("</section>\n", o);
}

static void write_doc(struct rp_page *p, const char *id, const char *title, const char *md, bool *any)
{
    FILE *o = p->out;
    if (!*any)
        fprintf(o, "<section id=\"docs\" aria-labelledby=\"h-docs\"><h2 id=\"h-docs\">%s</h2>\n",
                p->all_docs ? "The findings dfuscope knows" : "About these findings");
    *any = true;
    fputs("<details class=\"doc\" id=\"doc-", o);
    html_id(o, id);
    fputs("\"><summary>", o);
    html_text(o, id);
    fputs(" \xE2\x80\x94 ", o);
    html_text(o, title);
    fputs("</summary>", o);
    rp_markdown(o, md);
    fputs("</details>\n", o);
}

void rp_write_docs(struct rp_page *p)
{
    const struct rp_model *m = p->m;
    bool any = false;
    if (p->all_docs) {
        for (int c = 0; c < DFS_F__COUNT; c++) {
            const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
            const char *md = fi ? rp_doc_find(fi->id) : NULL;
            if (md)
                write_doc(p, fi->id, fi->title, md, &any);
        }
    } else {
        for (size_t i = 0; i < m->n_f; i++) {
            const char *md = rp_doc_find(m->f[i].id);
            bool seen = false;
            for (size_t k = 0; k < i; k++)
                seen |= m->f[k].code == m->f[i].code;
            if (md && !seen)
                write_doc(p, m->f[i].id, m->f[i].title, md, &any);
        }
    }
    if (any)
        fputs("</section>\n", p->out);
}
