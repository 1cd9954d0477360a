/* The report page: the head, the header with the verdict and the devices,
 * then each section in turn (the section writers of report.h), the footer.
 * Every byte that comes from the capture goes through html_text(). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

/* ---- header ---------------------------------------------------------------------------------- */

/* the first sentence of an explanation (up to ". " before a capital or digit) */
static size_t first_sentence(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 20; i + 2 < n; i++)
        if (s[i] == '.' && s[i + 1] == ' ' &&
            ((s[i + 2] >= 'A' && s[i + 2] <= 'Z') || (s[i + 2] >= '0' && s[i + 2] <= '9')))
            return i + 1;
    return n;
}

static const struct dfs_finding *verdict_finding(const struct rp_model *m)
{
    return m->n_f ? &m->f[0] : NULL;
}

static void write_verdict(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    const struct dfs_finding *v = verdict_finding(m);
    if (!v || v->severity == DFS_SEV_NOTE) {
        uint64_t bytes_w = 0, bytes_r = 0;
        for (size_t i = 0; i < m->n_ext; i++) {
            if (m->ext[i].status != RP_EXT_OK)
                continue;
            if (m->ext[i].kind == RP_EXT_WRITE)
                bytes_w += m->ext[i].bytes;
            else if (m->ext[i].kind == RP_EXT_READ)
                bytes_r += m->ext[i].bytes;
        }
        char w[32], r[32];
        rp_bytes(w, sizeof w, bytes_w);
        rp_bytes(r, sizeof r, bytes_r);
        fprintf(o, "<section class=\"verdict sev-ok\" id=\"verdict\" aria-label=\"Verdict\"><h1>"
                   "<span class=\"badge ok\">%s</span> ",
                m->n_dfu ? "OK" : "NO DFU");
        if (m->n_dfu)
            html_fmt(o, "No problem found: %" PRIu64 " DFU transactions, %s written, %s read", m->n_dfu,
                     w, r);
        else
            html_fmt(o, "No DFU transactions in this capture");
        fputs("</h1>", o);
        if (v) {
            fputs("<p>", o);
            html_fmt(o, "%" PRIu64 " note%s below.", m->sev[0], m->sev[0] == 1 ? "" : "s");
            fputs("</p>", o);
        }
        fputs("</section>\n", o);
        return;
    }
    const char *sev = dfs_severity_name(v->severity);
    char dev[64];
    rp_device_label(p->dec, v->device, dev, sizeof dev);
    fprintf(o, "<section class=\"verdict sev-%s\" id=\"verdict\" aria-label=\"Verdict\"><h1>"
               "<span class=\"badge\">%s</span> ",
            sev, v->severity == DFS_SEV_ERROR ? "ERROR" : "WARNING");
    html_text(o, v->title);
    if (v->device)
        html_fmt(o, " \xE2\x80\x94 device %s, frame %" PRIu64, dev, v->frame);
    else
        html_fmt(o, " \xE2\x80\x94 frame %" PRIu64, v->frame);
    fputs("</h1><p>", o);
    html_textn(o, v->explanation, first_sentence(v->explanation));
    fputs(" <a href=\"#finding-1\">Details</a></p></section>\n", o);
}

static void write_devices(struct rp_page *p)
{
    FILE *o = p->out;
    dfs_decoder *dec = p->dec;
    size_t n = dfs_decoder_device_count(dec);
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu)
        return;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK)
            continue;
        if (p->m->filter && p->m->filter->active &&
            !dev_filter_match(p->m->filter, info.bus, info.devnum, info.id))
            continue;
        if (dfs_decoder_dfu_info(dec, info.id, dfu) != DFS_OK || !dfu->present)
            continue;
        if (!any)
            fputs("<section class=\"devices\" aria-label=\"DFU devices\">\n", o);
        any = true;
        fprintf(o, "<div class=\"device\" id=\"device-%u\"><h3>", info.id);
        html_fmt(o, "Device %u.%u", info.bus, info.devnum);
        if (info.has_device_desc && info.device_desc_complete)
            html_fmt(o, " \xC2\xB7 %04x:%04x", info.desc.idVendor, info.desc.idProduct);
        fputs("</h3><dl>", o);
        char s[256];
        if (info.has_device_desc) {
            rp_dev_string(dec, &info, info.desc.iManufacturer, s, sizeof s);
            if (*s) {
                fputs("<dt>Manufacturer</dt><dd>", o);
                html_text(o, s);
                fputs("</dd>", o);
            }
            rp_dev_string(dec, &info, info.desc.iProduct, s, sizeof s);
            if (*s) {
                fputs("<dt>Product</dt><dd class=\"product\">", o);
                html_text(o, s);
                fputs("</dd>", o);
            }
        }
        fputs("<dt>DFU</dt><dd>", o);
        if (dfu->has_functional && dfu->functional.has_version)
            html_fmt(o, "%s, bcdDFUVersion %x.%02x%s", dfu->dfuse ? "ST DfuSe" : "DFU 1.1",
                     dfu->functional.bcdDFUVersion >> 8, dfu->functional.bcdDFUVersion & 0xff,
                     dfu->runtime ? " (run-time interface)" : "");
        else
            html_fmt(o, "%s%s",
                     dfu->flip    ? "Atmel FLIP (command blocks in DNLOAD)"
                     : dfu->dfuse ? "ST DfuSe"
                                  : "DFU 1.1",
                     dfu->runtime ? " (run-time interface)" : "");
        fputs("</dd><dt>Transfer size</dt><dd>", o);
        if (dfu->transfer_size)
            html_fmt(o, "%u bytes%s", dfu->transfer_size,
                     dfu->transfer_size_inferred ? " (inferred from the blocks)" : "");
        else
            fputs("unknown", o);
        fputs("</dd>", o);
        if (dfu->n_alts) {
            fputs("<dt>Alternate settings</dt><dd>", o);
            html_fmt(o, "%u", dfu->n_alts);
            fputs("</dd>", o);
        }
        fputs("<dt>In the capture</dt><dd>", o);
        html_fmt(o, "frames %" PRIu64 "\xE2\x80\x93%" PRIu64, info.first_frame, info.last_frame);
        if (info.previous) {
            char prev[64];
            rp_device_label(dec, info.previous, prev, sizeof prev);
            html_fmt(o, "; re-enumerated, continues %s", prev);
        }
        if (info.gone)
            html_fmt(o, "; left the bus at frame %" PRIu64, info.gone_frame);
        fputs("</dd></dl></div>\n", o);
    }
    if (any)
        fputs("</section>\n", o);
    free(dfu);
}

/* ---- the page ---------------------------------------------------------------------------------- */

static const char SCRIPT[] =
    "<script>(function(){function openTo(id){var e=document.getElementById(id);"
    "while(e){if(e.tagName==='DETAILS')e.open=true;e=e.parentElement;}}"
    "document.addEventListener('click',function(ev){var a=ev.target.closest('a');"
    "if(!a)return;var h=a.getAttribute('href');if(h&&h.charAt(0)==='#')openTo(h.slice(1));});"
    "window.addEventListener('hashchange',function(){openTo(location.hash.slice(1));});"
    "if(location.hash)openTo(location.hash.slice(1));})();</script>\n";

void rp_write_page(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
    const struct dfs_stats *st = dfs_decoder_stats(p->dec);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"color-scheme\" content=\"light dark\">\n"
          "<meta name=\"generator\" content=\"dfuscope ",
          o);
    html_text(o, DFS_VERSION_STRING);
    fputs("\">\n<title>dfuscope report: ", o);
    const char *base = strrchr(p->path, '/');
    html_text(o, base ? base + 1 : p->path);
    fputs("</title>\n<style>", o);
    rp_write_style(o);
    fputs("</style>\n</head>\n<body>\n", o);
    rp_write_defs(o);
    fputs("<header class=\"top\">\n<p class=\"tool\">dfuscope report \xC2\xB7 <span class=\"file\">", o);
    html_text(o, p->path);
    char dur[32];
    rp_secs(dur, sizeof dur, m->end_t);
    fputs("</span> \xC2\xB7 ", o);
    if (m->records) {
        html_fmt(o, "%" PRIu64 " records over %s", m->records, dur);
        time_t t0 = (time_t)m->start.sec;
        struct tm tm;
        char when[40];
        if (gmtime_r(&t0, &tm) && strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm))
            html_fmt(o, ", from %s", when);
    } else {
        fputs("no records", o);
    }
    fputs("</p>\n", o);
    /* a tool's log shows no DFU transfer the outcome could come from */
    if (!p->log) {
        struct outcome_result oc;
        outcome_finish(&p->m->oc, p->dec, &oc);
        fputs("<section class=\"outcome\" id=\"outcome\" aria-label=\"Outcome\"><p><strong>"
              "Outcome:</strong> ", o);
        html_text(o, oc.text);
        struct host_result hr;
        host_finish(&p->m->host, &hr);
        fputs(".</p><p><strong>Host:</strong> ", o);
        html_text(o, hr.text);
        fputs(".</p></section>\n", o);
    }
    write_verdict(p);
    fprintf(o, "<p class=\"counts\">%" PRIu64 " error%s, %" PRIu64 " warning%s, %" PRIu64
               " note%s \xC2\xB7 %" PRIu64 " DFU transactions \xC2\xB7 %" PRIu64
               " control transfers \xC2\xB7 %u device%s",
            m->sev[2], m->sev[2] == 1 ? "" : "s", m->sev[1], m->sev[1] == 1 ? "" : "s", m->sev[0],
            m->sev[0] == 1 ? "" : "s", m->n_dfu, m->n_dfu + m->n_usb, st->devices,
            st->devices == 1 ? "" : "s");
    if (st->devices_forgotten)
        fprintf(o, " (%u earlier instance%s that re-enumerated forgotten, the latest %d kept)",
                st->devices_forgotten, st->devices_forgotten == 1 ? "" : "s",
                DFS_DECODER_KEEP_RETIRED);
    if (st->records_skipped + p->res->linktype_skipped || st->records_damaged + p->res->reader_damaged)
        fprintf(o, " \xC2\xB7 %" PRIu64 " records skipped, %" PRIu64 " damaged",
                st->records_skipped + p->res->linktype_skipped,
                st->records_damaged + p->res->reader_damaged);
    fputs("</p>\n", o);
    if (p->res->read_error) {
        fputs("<p class=\"verdict sev-warning\">The capture could not be read to the end: ", o);
        html_text(o, p->res->error);
        fputs("</p>\n", o);
    }
    write_devices(p);
    fputs("</header>\n<nav class=\"toc\" aria-label=\"Sections\"><ul>"
          "<li><a href=\"#timeline\">Timeline</a></li><li><a href=\"#memory\">Memory map</a></li>"
          "<li><a href=\"#findings\">Findings</a></li><li><a href=\"#descriptors\">Descriptors</a></li>"
          "<li><a href=\"#transactions\">Transactions</a></li></ul></nav>\n<main>\n",
          o);
    rp_write_timeline(p);
    rp_write_memmap(p);
    rp_write_findings(p);
    rp_write_descriptors(p);
    rp_write_table(p);
    rp_write_docs(p);
    fputs("</main>\n<footer><p>Written by dfuscope ", o);
    html_text(o, DFS_VERSION_STRING);
    fputs(" from the capture alone: every value on this page is what the capture shows. "
          "Frame numbers are Wireshark's.",
          o);
    if (m->oom)
        fputs(" Memory ran short while collecting: some details may be missing.", o);
    if (m->kept_missed || m->ext_missed || m->devev_missed)
        fprintf(o, " To keep the page bounded, %" PRIu64 " notable rows, %" PRIu64
                   " memory operations and %" PRIu64 " device events were left out.",
                m->kept_missed, m->ext_missed, m->devev_missed);
    fputs("</p></footer>\n", o);
    fputs(SCRIPT, o);
    fputs("</body>\n</html>\n", o);
}
