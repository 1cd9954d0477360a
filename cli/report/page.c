/* The report page: header with the verdict and the devices, the findings,
 * the figures (timeline.c, memmap.c), the descriptors and the transaction
 * table. Every byte that comes from the capture goes through html_text(). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../diag.h"
#include "report.h"
#include "report_docs.h"

/* ---- small shared helpers ------------------------------------------------------------- */

const char *rp_state_short(uint8_t state)
{
    switch (state) {
    case DFS_STATE_APP_IDLE: return "APP-IDLE";
    case DFS_STATE_APP_DETACH: return "APP-DETACH";
    case DFS_STATE_DFU_IDLE: return "IDLE";
    case DFS_STATE_DNLOAD_SYNC: return "DN-SYNC";
    case DFS_STATE_DNBUSY: return "BUSY";
    case DFS_STATE_DNLOAD_IDLE: return "DN-IDLE";
    case DFS_STATE_MANIFEST_SYNC: return "MAN-SYNC";
    case DFS_STATE_MANIFEST: return "MANIFEST";
    case DFS_STATE_MANIFEST_WAIT_RESET: return "WAIT-RESET";
    case DFS_STATE_UPLOAD_IDLE: return "UP-IDLE";
    case DFS_STATE_ERROR: return "ERROR";
    default: return "?";
    }
}

const char *rp_state_class(uint8_t state)
{
    switch (state) {
    case DFS_STATE_APP_IDLE:
    case DFS_STATE_APP_DETACH: return "st-app";
    case DFS_STATE_DFU_IDLE: return "st-idle";
    case DFS_STATE_DNLOAD_SYNC: return "st-sync";
    case DFS_STATE_DNBUSY: return "st-busy";
    case DFS_STATE_DNLOAD_IDLE: return "st-dnidle";
    case DFS_STATE_MANIFEST_SYNC:
    case DFS_STATE_MANIFEST:
    case DFS_STATE_MANIFEST_WAIT_RESET: return "st-manifest";
    case DFS_STATE_UPLOAD_IDLE: return "st-upidle";
    case DFS_STATE_ERROR: return "st-error";
    default: return "st-unknown";
    }
}

void rp_addr(char *buf, size_t size, uint64_t a)
{
    if (a > 0xffffffffull)
        snprintf(buf, size, "0x%09" PRIx64, a);
    else
        snprintf(buf, size, "0x%08" PRIx64, a);
}

void rp_bytes(char *buf, size_t size, uint64_t n)
{
    if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
        snprintf(buf, size, "%" PRIu64 " MiB", n / (1024 * 1024));
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, size, "%" PRIu64 " KiB", n / 1024);
    else if (n >= 10240)
        snprintf(buf, size, "%.1f KiB", (double)n / 1024.0);
    else
        snprintf(buf, size, "%" PRIu64 " B", n);
}

void rp_secs(char *buf, size_t size, double s)
{
    double a = s < 0 ? -s : s;
    if (a >= 100)
        snprintf(buf, size, "%.0f s", s);
    else if (a >= 10)
        snprintf(buf, size, "%.1f s", s);
    else if (a >= 1)
        snprintf(buf, size, "%.2f s", s);
    else if (a >= 0.001)
        snprintf(buf, size, "%.1f ms", s * 1000);
    else
        snprintf(buf, size, "%.0f \xC2\xB5s", s * 1e6);
}

static bool info_of(dfs_decoder *dec, uint32_t id, struct dfs_device_info *out)
{
    size_t n = dfs_decoder_device_count(dec);
    for (size_t i = 0; i < n; i++)
        if (dfs_decoder_device_info(dec, i, out) == DFS_OK && out->id == id)
            return true;
    return false;
}

void rp_device_label(dfs_decoder *dec, uint32_t device, char *buf, size_t size)
{
    struct dfs_device_info info;
    if (!device || !info_of(dec, device, &info)) {
        snprintf(buf, size, "device #%u", device);
        return;
    }
    if (info.has_device_desc && info.device_desc_complete)
        snprintf(buf, size, "%u.%u (%04x:%04x)", info.bus, info.devnum, info.desc.idVendor,
                 info.desc.idProduct);
    else
        snprintf(buf, size, "%u.%u", info.bus, info.devnum);
}

/* String descriptor idx of a device as UTF-8 ("" when not in the capture). */
static void dev_string(dfs_decoder *dec, const struct dfs_device_info *info, uint8_t idx,
                       char *out, size_t size)
{
    out[0] = '\0';
    const uint8_t *raw;
    size_t len;
    if (!idx || dfs_decoder_device_string(dec, info->id, idx, info->langid, &raw, &len) != DFS_OK)
        return;
    if (dfs_desc_string_utf8(raw, len, out, size, NULL) != DFS_OK)
        out[0] = '\0';
}

/* ---- frame links ------------------------------------------------------------------------ */

bool rp_frame_anchor(const struct rp_page *p, uint64_t frame, char *buf, size_t size)
{
    if (!frame)
        return false;
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct rp_row *r = p->rows[i];
        if (r->t.frame == frame || r->t.reply_frame == frame) {
            snprintf(buf, size, "f%" PRIu64, r->t.frame);
            return true;
        }
    }
    /* in a stretch of the table that is not shown */
    for (size_t i = 0; i + 1 < p->n_rows; i++) {
        const struct rp_row *a = p->rows[i], *b = p->rows[i + 1];
        if (b->seq == a->seq + 1)
            continue;
        uint64_t lo = a->t.reply_frame > a->t.frame ? a->t.reply_frame : a->t.frame;
        if (frame > lo && frame < b->t.frame) {
            snprintf(buf, size, "gap%" PRIu64, a->seq);
            return true;
        }
    }
    return false;
}

static void frame_link(const struct rp_page *p, uint64_t frame)
{
    char a[40];
    if (rp_frame_anchor(p, frame, a, sizeof a))
        fprintf(p->out, "<a class=\"frame\" href=\"#%s\">%" PRIu64 "</a>", a, frame);
    else
        fprintf(p->out, "<span class=\"frame\">%" PRIu64 "</span>", frame);
}

/* ---- the style ---------------------------------------------------------------------------- */

static const char CSS[] =
    ":root{--bg:#ffffff;--fg:#1d2329;--muted:#5b6670;--line:#c9d1d9;--panel:#f5f7f9;"
    "--err:#b3261e;--err-bg:#fde8e6;--warn:#8a5a00;--warn-bg:#fff3d6;--note:#245d8f;"
    "--note-bg:#e6f0fa;--ok:#1e6b34;--ok-bg:#e3f4e7;--link:#0b57d0;"
    "--s-idle:#b9d7f4;--s-sync:#dcc8f2;--s-busy:#f5cf7a;--s-dnidle:#b2e2bb;--s-manifest:#a9dede;"
    "--s-upidle:#d2e8c4;--s-error:#f29b9b;--s-app:#dadada;--s-unknown:#eceff1;"
    "--m-region:#dbe7f3;--m-erase:#8e99a4;--m-write:#2f7d4a;--m-read:#3f6fb5;--m-out:#c62828;"
    "--tick-dn:#2f7d4a;--tick-up:#3f6fb5;--tick-gs:#6b7785;--tick-other:#8a4fb5}"
    "@media (prefers-color-scheme:dark){:root{--bg:#15191d;--fg:#e3e8ed;--muted:#9aa6b1;"
    "--line:#39424b;--panel:#1e242a;--err:#ff8a80;--err-bg:#3a1f1d;--warn:#ffd27a;"
    "--warn-bg:#3a301a;--note:#8cc4ff;--note-bg:#1b2b3b;--ok:#8fd19e;--ok-bg:#1b3322;"
    "--link:#8ab4f8;--s-idle:#2c4f73;--s-sync:#4e3d6b;--s-busy:#7a5a13;--s-dnidle:#2d6138;"
    "--s-manifest:#255e5e;--s-upidle:#3d5a2c;--s-error:#7c2626;--s-app:#4a4a4a;"
    "--s-unknown:#2a3036;--m-region:#25384b;--m-erase:#7d8790;--m-write:#58b377;"
    "--m-read:#6e9be0;--m-out:#ff6b6b;--tick-dn:#58b377;--tick-up:#6e9be0;--tick-gs:#9aa6b1;"
    "--tick-other:#c39be0}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}"
    "main,header.top,nav.toc,footer{max-width:1200px;margin:0 auto;padding:0 20px}"
    "a{color:var(--link)}code,.mono,td.mono{font-family:ui-monospace,'DejaVu Sans Mono',"
    "Menlo,Consolas,monospace;font-size:0.92em}"
    "h1{font-size:1.45em;margin:0.3em 0}h2{font-size:1.25em;margin:1.6em 0 0.5em;"
    "border-bottom:1px solid var(--line);padding-bottom:0.2em}h3{font-size:1.05em;margin:1em 0 0.3em}"
    ".tool{color:var(--muted);margin:16px 0 0;font-size:0.9em}"
    ".verdict{border-left:6px solid var(--ok);background:var(--ok-bg);padding:12px 16px;"
    "border-radius:4px;margin:10px 0}"
    ".verdict.sev-error{border-color:var(--err);background:var(--err-bg)}"
    ".verdict.sev-warning{border-color:var(--warn);background:var(--warn-bg)}"
    ".verdict.sev-note{border-color:var(--note);background:var(--note-bg)}"
    ".verdict h1{font-size:1.35em}.verdict p{margin:0.3em 0}"
    ".badge{display:inline-block;font-size:0.72em;font-weight:700;letter-spacing:0.04em;"
    "padding:1px 7px;border-radius:3px;vertical-align:middle;border:1px solid currentColor}"
    ".sev-error .badge,.badge.sev-error{color:var(--err)}"
    ".sev-warning .badge,.badge.sev-warning{color:var(--warn)}"
    ".sev-note .badge,.badge.sev-note{color:var(--note)}.badge.ok{color:var(--ok)}"
    ".counts{color:var(--muted)}"
    ".devices{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}"
    ".device{background:var(--panel);border:1px solid var(--line);border-radius:6px;"
    "padding:8px 12px;min-width:260px;flex:1 1 300px}"
    ".device h3{margin:0 0 4px}.device dl{display:grid;grid-template-columns:max-content 1fr;"
    "gap:0 10px;margin:0}.device dt{color:var(--muted)}.device dd{margin:0}"
    "nav.toc ul{list-style:none;padding:0;margin:10px 0;display:flex;flex-wrap:wrap;gap:14px}"
    ".finding{border:1px solid var(--line);border-left:6px solid var(--note);border-radius:4px;"
    "padding:8px 14px;margin:10px 0;background:var(--bg)}"
    ".finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}"
    ".finding h3{margin:0.2em 0}.finding .id{color:var(--muted);font-weight:400}"
    ".finding p{margin:0.35em 0}.finding .remedy{background:var(--panel);padding:6px 10px;"
    "border-radius:4px}.frames a,.frames span{margin-right:4px}"
    "figure{margin:12px 0;overflow-x:auto}figcaption{color:var(--muted);font-size:0.9em}"
    "svg.chart{display:block;background:var(--bg);font-family:inherit}"
    "svg text{fill:var(--fg);font-size:11px}svg .muted{fill:var(--muted)}"
    "svg .axis line,svg .axis path,svg line.axis{stroke:var(--muted);stroke-width:1}"
    "svg .lane-bg{fill:var(--panel)}svg .grid{stroke:var(--line);stroke-width:1}"
    ".st-idle{fill:var(--s-idle)}.st-sync{fill:var(--s-sync)}.st-busy{fill:var(--s-busy)}"
    ".st-dnidle{fill:var(--s-dnidle)}.st-manifest{fill:var(--s-manifest)}"
    ".st-upidle{fill:var(--s-upidle)}.st-error{fill:var(--s-error)}.st-app{fill:var(--s-app)}"
    ".st-unknown{fill:var(--s-unknown)}"
    "svg .hatch{fill:url(#pat-hatch)}svg .cross{fill:url(#pat-cross)}svg .dots{fill:url(#pat-dots)}"
    "svg .pat-line{stroke:var(--fg);stroke-width:1;opacity:0.35}"
    "svg .pat-out{stroke:var(--m-out);stroke-width:2}"
    "svg .tick-dn{stroke:var(--tick-dn)}svg .tick-up{stroke:var(--tick-up)}"
    "svg .tick-gs{stroke:var(--tick-gs)}svg .tick-other{stroke:var(--tick-other)}"
    "svg .tick{stroke-width:1.5}svg .bar-dn{fill:var(--tick-dn)}svg .bar-up{fill:var(--tick-up)}"
    "svg .bar-gs{fill:var(--tick-gs)}svg .bar-other{fill:var(--tick-other)}"
    "svg .poll{fill:none;stroke:var(--muted);stroke-width:1}"
    "svg .poll-win{fill:var(--muted);opacity:0.18}"
    "svg .early .poll-win{fill:var(--warn);opacity:0.45}svg .early line{stroke:var(--warn)}"
    "svg .ev-stall path,svg .ev-error path{stroke:var(--err);stroke-width:2.5;fill:none}"
    "svg .ev-stall text,svg .ev-error text,svg .ev-lost text{fill:var(--err);font-weight:700}"
    "svg .ev-early text{fill:var(--warn);font-weight:700}"
    "svg .ev-lost line{stroke:var(--err);stroke-width:2.5}svg .ev-lost path{fill:var(--err)}"
    "svg .ev-gone line,svg .ev-leave line{stroke:var(--muted);stroke-width:2;stroke-dasharray:4 3}"
    "svg .ev-leave path{fill:var(--muted)}svg .ev-leave text{fill:var(--muted);font-weight:700}"
    "svg .ev-back line{stroke:var(--ok);stroke-width:2}svg .ev-back text{fill:var(--ok);font-weight:700}"
    "svg .ev-finding circle{stroke:var(--bg);stroke-width:1}"
    "svg .sev-error circle{fill:var(--err)}svg .sev-warning circle{fill:var(--warn)}"
    "svg .sev-note circle{fill:var(--note)}"
    "svg .absent{stroke:var(--muted);stroke-width:1.5;stroke-dasharray:2 4}"
    "svg .break{fill:var(--bg);stroke:var(--muted);stroke-dasharray:3 3}"
    "svg .step rect{stroke:var(--line)}svg .step.bad rect{stroke:var(--err);stroke-width:2.5}"
    "svg .step.warn rect{stroke:var(--warn);stroke-width:2.5}svg .arrow{stroke:var(--muted);"
    "fill:none;stroke-width:1.5}svg .step .sub{font-size:10px;fill:var(--fg)}"
    "svg .terminal rect{fill:var(--err-bg);stroke:var(--err);stroke-width:2.5}"
    "svg .terminal text{fill:var(--err);font-weight:700}"
    "svg .region{fill:var(--m-region);stroke:var(--muted);stroke-width:1}"
    "svg .region-ob{fill:none;stroke:var(--muted);stroke-width:1.5;stroke-dasharray:5 3}"
    "svg .x-erase{fill:var(--m-erase)}svg .x-write{fill:var(--m-write)}svg .x-read{fill:var(--m-read)}"
    "svg .x-failed{stroke:var(--err);stroke-width:2}svg .x-unconfirmed{fill-opacity:0.55;"
    "stroke:var(--err);stroke-width:2;stroke-dasharray:3 2}"
    "svg .outside rect.mark{fill:url(#pat-out);stroke:var(--m-out);stroke-width:2}"
    "svg .outside text{fill:var(--m-out);font-weight:700}svg .mlabel{font-size:11px}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:0.85em;color:var(--muted);"
    "margin:6px 0;padding:0;list-style:none}.legend li{display:flex;align-items:center;gap:5px}"
    ".legend svg{flex:none}"
    "table{border-collapse:collapse;width:100%;font-size:0.88em}"
    "th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:var(--panel);position:sticky;top:0}"
    "tr.usb td{color:var(--muted)}tr.bad td{background:var(--err-bg)}"
    "tr.warn td{background:var(--warn-bg)}tr.gap td{text-align:center;color:var(--muted);"
    "font-style:italic;background:var(--panel)}"
    "tr:target td,.finding:target{outline:2px solid var(--link)}"
    "td.st{white-space:nowrap}"
    "details>summary{cursor:pointer;font-weight:600;margin:6px 0}"
    ".tree ul{list-style:none;margin:0;padding-left:18px;border-left:1px dotted var(--line)}"
    ".tree li{margin:2px 0}.tree .k{color:var(--muted)}.tree .v{font-family:ui-monospace,"
    "'DejaVu Sans Mono',Menlo,monospace;font-size:0.92em}"
    ".tree .prob{color:var(--err)}.inline-finding{margin:4px 0 4px 0;padding:4px 8px;"
    "border-left:4px solid var(--warn);background:var(--warn-bg);border-radius:3px}"
    ".inline-finding.sev-error{border-color:var(--err);background:var(--err-bg)}"
    ".inline-finding.sev-note{border-color:var(--note);background:var(--note-bg)}"
    ".doc{border:1px solid var(--line);border-radius:4px;padding:4px 14px;margin:8px 0}"
    ".doc pre{background:var(--panel);padding:8px;overflow-x:auto}"
    ".note{color:var(--muted);font-size:0.9em}"
    "footer{color:var(--muted);font-size:0.85em;margin-top:30px;padding-bottom:30px}"
    ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}"
    "@media print{body{background:#fff;color:#000;font-size:11pt}nav.toc{display:none}"
    "main,header.top,footer{max-width:none}.finding,figure,.device{break-inside:avoid}"
    "figure{overflow:visible}svg.chart{max-width:100%;height:auto}"
    "a{color:inherit;text-decoration:none}th{position:static}"
    "details.txns:not([open]){display:none}}";

static void write_defs(FILE *o)
{
    /* patterns shared by every figure: hatching for busy, cross-hatching for
     * dfuERROR, dots for unknown, red stripes for accesses outside the layout */
    fputs("<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\" focusable=\"false\" "
          "style=\"position:absolute\"><defs>"
          "<pattern id=\"pat-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><line class=\"pat-line\" x1=\"0\" y1=\"0\" x2=\"0\" "
          "y2=\"6\"/></pattern>"
          "<pattern id=\"pat-cross\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><line class=\"pat-line\" x1=\"0\" y1=\"0\" x2=\"0\" "
          "y2=\"6\"/><line class=\"pat-line\" x1=\"0\" y1=\"0\" x2=\"6\" y2=\"0\"/></pattern>"
          "<pattern id=\"pat-dots\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">"
          "<circle cx=\"2.5\" cy=\"2.5\" r=\"0.9\" class=\"pat-dot\" style=\"fill:currentColor;"
          "opacity:0.5\"/></pattern>"
          "<pattern id=\"pat-out\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(-45)\"><line class=\"pat-out\" x1=\"0\" y1=\"0\" x2=\"0\" "
          "y2=\"6\"/></pattern>"
          "</defs></svg>\n",
          o);
}

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
            dev_string(dec, &info, info.desc.iManufacturer, s, sizeof s);
            if (*s) {
                fputs("<dt>Manufacturer</dt><dd>", o);
                html_text(o, s);
                fputs("</dd>", o);
            }
            dev_string(dec, &info, info.desc.iProduct, s, sizeof s);
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
            html_fmt(o, "%s%s", dfu->dfuse ? "ST DfuSe" : "DFU 1.1",
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

/* ---- findings ------------------------------------------------------------------------------ */

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

static void write_findings(struct rp_page *p)
{
    FILE *o = p->out;
    const struct rp_model *m = p->m;
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
        fputs("<p class=\"frames\">Frames: ", o);
        if (!f->n_frames)
            frame_link(p, f->frame);
        for (unsigned k = 0; k < f->n_frames; k++)
            frame_link(p, f->frames[k]);
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
            frame_link(p, mo->first_frame);
            fputs(" to ", o);
            frame_link(p, mo->last_frame);
            fputs("</p>\n", o);
        }
    }
    if (m->f_missed)
        fprintf(o, "<p class=\"note\">%" PRIu64 " more findings of the same kinds are not listed "
                   "one by one (the first %d of each kind are).</p>\n",
                m->f_missed, FINDINGS_PER_ID);
    fputs("</section>\n", o);
}

/* ---- descriptors ------------------------------------------------------------------------------ */

static void kv(FILE *o, const char *k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(FILE *o, const char *k, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("<li><span class=\"k\">", o);
    html_text(o, k);
    fputs("</span> <span class=\"v\">", o);
    html_text(o, buf);
    fputs("</span></li>", o);
}

static void kv_str(FILE *o, dfs_decoder *dec, const struct dfs_device_info *info, const char *k,
                   uint8_t idx)
{
    char s[256];
    dev_string(dec, info, idx, s, sizeof s);
    fputs("<li><span class=\"k\">", o);
    html_text(o, k);
    fprintf(o, "</span> <span class=\"v\">%u</span>", idx);
    if (idx && *s) {
        fputs(" <q class=\"str\">", o);
        html_text(o, s);
        fputs("</q>", o);
    } else if (idx) {
        fputs(" <i class=\"note\">not in the capture</i>", o);
    }
    fputs("</li>", o);
}

static void inline_findings(struct rp_page *p, uint32_t device)
{
    FILE *o = p->out;
    for (size_t i = 0; i < p->m->n_f; i++) {
        const struct dfs_finding *f = &p->m->f[i];
        if (f->device != device || strncmp(f->id, "desc.", 5) != 0)
            continue;
        fprintf(o, "<div class=\"inline-finding sev-%s\"><span class=\"badge\">%s</span> "
                   "<a href=\"#finding-%zu\">",
                dfs_severity_name(f->severity),
                f->severity == DFS_SEV_ERROR     ? "ERROR"
                : f->severity == DFS_SEV_WARNING ? "WARNING"
                                                 : "NOTE",
                i + 1);
        html_text(o, f->title);
        fputs("</a>: ", o);
        html_text(o, f->explanation);
        fputs("</div>", o);
    }
}

static void write_layout(FILE *o, const struct dfs_dfu_alt_info *al)
{
    if (al->layout_parsed) {
        fputs("<li><span class=\"k\">memory layout</span> ", o);
        html_text(o, al->layout.name);
        fputs("<ul>", o);
        for (unsigned r = 0; r < al->layout.n_regions; r++) {
            const struct dfs_layout_region *rg = &al->layout.regions[r];
            char a[24], b[24], sz[32];
            rp_addr(a, sizeof a, rg->start);
            rp_addr(b, sizeof b, rg->end - 1);
            rp_bytes(sz, sizeof sz, rg->size);
            kv(o, "region", "%s\xE2\x80\x93%s: %u \xC3\x97 %s, %s%s%s%s", a, b, rg->count, sz,
               (rg->flags & DFS_MEM_READABLE) ? "readable " : "",
               (rg->flags & DFS_MEM_ERASABLE) ? "erasable " : "",
               (rg->flags & DFS_MEM_WRITABLE) ? "writable " : "",
               rg->flags ? "" : "no access");
        }
        fputs("</ul></li>", o);
    } else if (al->layout_error[0]) {
        fputs("<li class=\"prob\">layout does not parse: ", o);
        html_text(o, al->layout_error);
        fputs("</li>", o);
    }
}

static void write_config_tree(struct rp_page *p, const struct dfs_device_info *info,
                              const struct dfs_dfu_info *dfu)
{
    FILE *o = p->out;
    struct dfs_desc_walker w;
    dfs_desc_walk_init(&w, info->config, info->config_len);
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    int depth = 0; /* 1 inside the configuration, 2 inside an interface */
    int rc;
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        if (it.kind == DFS_DK_INTERFACE) {
            if (depth == 2)
                fputs("</ul></li>", o);
            const struct dfs_desc_interface *in = &it.u.interface;
            fputs("<li><details open><summary>", o);
            html_fmt(o, "Interface %u, alternate setting %u", in->bInterfaceNumber,
                     in->bAlternateSetting);
            fputs("</summary><ul>", o);
            const char *cls = dfs_class_name(in->bInterfaceClass);
            kv(o, "bInterfaceClass", "0x%02x %s", in->bInterfaceClass, cls ? cls : "");
            kv(o, "bInterfaceSubClass", "0x%02x", in->bInterfaceSubClass);
            kv(o, "bInterfaceProtocol", "%u%s", in->bInterfaceProtocol,
               in->bInterfaceClass == DFS_DFU_CLASS && in->bInterfaceSubClass == DFS_DFU_SUBCLASS
                   ? (in->bInterfaceProtocol == 2   ? " (DFU mode)"
                      : in->bInterfaceProtocol == 1 ? " (run-time)"
                                                    : " (not defined by DFU 1.1)")
                   : "");
            kv(o, "bNumEndpoints", "%u", in->bNumEndpoints);
            kv_str(o, p->dec, info, "iInterface", in->iInterface);
            if (dfu && dfu->present && in->bInterfaceNumber == dfu->interface)
                for (unsigned a = 0; a < dfu->n_alts; a++)
                    if (dfu->alts[a].alt == in->bAlternateSetting)
                        write_layout(o, &dfu->alts[a]);
            fputs("</ul></details>", o);
            fputs("<ul>", o);
            depth = 2;
            continue;
        }
        if (it.kind == DFS_DK_CONFIG) {
            const struct dfs_desc_config *c = &it.u.config;
            fputs("<li><details open><summary>", o);
            html_fmt(o, "Configuration %u", c->bConfigurationValue);
            fputs("</summary><ul>", o);
            kv(o, "wTotalLength", "%u", c->wTotalLength);
            kv(o, "bNumInterfaces", "%u", c->bNumInterfaces);
            kv(o, "bmAttributes", "0x%02x%s%s", c->bmAttributes,
               (c->bmAttributes & 0x40) ? " self-powered" : "",
               (c->bmAttributes & 0x20) ? " remote-wakeup" : "");
            kv(o, "bMaxPower", "%u mA", c->bMaxPower * 2u);
            kv_str(o, p->dec, info, "iConfiguration", c->iConfiguration);
            depth = 1;
            continue;
        }
        fputs("<li>", o);
        if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            const struct dfs_desc_dfu_functional *fd = &it.u.dfu;
            fputs("<details open><summary>DFU functional descriptor</summary><ul>", o);
            kv(o, "bLength", "%u", fd->bLength);
            kv(o, "bmAttributes", "0x%02x:%s%s%s%s", fd->bmAttributes,
               (fd->bmAttributes & DFS_DFU_ATTR_WILL_DETACH) ? " will-detach" : "",
               (fd->bmAttributes & DFS_DFU_ATTR_MANIFEST_TOLERANT) ? " manifestation-tolerant"
                                                                   : " manifestation-intolerant",
               (fd->bmAttributes & DFS_DFU_ATTR_CAN_UPLOAD) ? " upload" : "",
               (fd->bmAttributes & DFS_DFU_ATTR_CAN_DNLOAD) ? " download" : "");
            kv(o, "wDetachTimeOut", "%u ms", fd->wDetachTimeOut);
            kv(o, "wTransferSize", "%u bytes", fd->wTransferSize);
            if (fd->has_version)
                kv(o, "bcdDFUVersion", "%x.%02x%s", fd->bcdDFUVersion >> 8,
                   fd->bcdDFUVersion & 0xff,
                   fd->bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? " (ST DfuSe)" : "");
            else
                kv(o, "bcdDFUVersion", "absent (7-byte DFU 1.0 descriptor)");
            fputs("</ul></details>", o);
        } else if (it.kind == DFS_DK_ENDPOINT) {
            const struct dfs_desc_endpoint *e = &it.u.endpoint;
            html_fmt(o, "Endpoint 0x%02x, %s, wMaxPacketSize %u", e->bEndpointAddress,
                     dfs_xfer_type_name(e->bmAttributes & 3) ? dfs_xfer_type_name(e->bmAttributes & 3)
                                                             : "?",
                     e->wMaxPacketSize);
        } else {
            const char *tn = dfs_desc_type_name(it.bDescriptorType);
            html_fmt(o, "Descriptor type 0x%02x%s%s%s, %u bytes", it.bDescriptorType,
                     tn ? " (" : "", tn ? tn : "", tn ? ")" : "", it.bLength);
        }
        if (pr.code != DFS_DESC_OK) {
            fputs(" <span class=\"prob\">", o);
            html_text(o, pr.msg);
            fputs("</span>", o);
        }
        fputs("</li>", o);
    }
    if (depth == 2)
        fputs("</ul></li>", o);
    if (depth >= 1)
        fputs("</ul></details></li>", o);
    if (rc < 0) {
        fputs("<li class=\"prob\">", o);
        html_text(o, pr.msg);
        fputs("</li>", o);
    }
    if (info->config_partial)
        fputs("<li class=\"prob\">The capture holds only part of the configuration descriptor "
              "set.</li>",
              o);
}

static void write_descriptors(struct rp_page *p)
{
    FILE *o = p->out;
    dfs_decoder *dec = p->dec;
    fputs("<section id=\"descriptors\" aria-labelledby=\"h-desc\"><h2 id=\"h-desc\">Descriptors</h2>\n",
          o);
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu) {
        fputs("</section>\n", o);
        return;
    }
    size_t n = dfs_decoder_device_count(dec);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK)
            continue;
        if (p->m->filter && p->m->filter->active &&
            !dev_filter_match(p->m->filter, info.bus, info.devnum, info.id))
            continue;
        if (!info.has_device_desc && !info.config)
            continue;
        bool is_dfu = dfs_decoder_dfu_info(dec, info.id, dfu) == DFS_OK && dfu->present;
        any = true;
        fprintf(o, "<details class=\"tree\" id=\"desc-%u\"%s><summary>", info.id,
                is_dfu ? " open" : "");
        html_fmt(o, "Device %u.%u", info.bus, info.devnum);
        if (info.has_device_desc && info.device_desc_complete)
            html_fmt(o, " %04x:%04x", info.desc.idVendor, info.desc.idProduct);
        char s[256];
        if (info.has_device_desc) {
            dev_string(dec, &info, info.desc.iProduct, s, sizeof s);
            if (*s) {
                fputs(" \xE2\x80\x9C", o);
                html_text(o, s);
                fputs("\xE2\x80\x9D", o);
            }
        }
        if (is_dfu)
            fputs(dfu->dfuse ? " \xC2\xB7 DfuSe" : " \xC2\xB7 DFU", o);
        fputs("</summary>\n", o);
        inline_findings(p, info.id);
        fputs("<ul>", o);
        if (info.has_device_desc) {
            const struct dfs_desc_device *d = &info.desc;
            fputs("<li><details open><summary>Device descriptor</summary><ul>", o);
            kv(o, "bcdUSB", "%x.%02x", d->bcdUSB >> 8, d->bcdUSB & 0xff);
            const char *cls = dfs_class_name(d->bDeviceClass);
            kv(o, "bDeviceClass", "0x%02x %s", d->bDeviceClass, cls ? cls : "");
            kv(o, "bMaxPacketSize0", "%u", d->bMaxPacketSize0);
            if (info.device_desc_complete) {
                kv(o, "idVendor", "0x%04x", d->idVendor);
                kv(o, "idProduct", "0x%04x", d->idProduct);
                kv(o, "bcdDevice", "%x.%02x", d->bcdDevice >> 8, d->bcdDevice & 0xff);
                kv_str(o, dec, &info, "iManufacturer", d->iManufacturer);
                kv_str(o, dec, &info, "iProduct", d->iProduct);
                kv_str(o, dec, &info, "iSerialNumber", d->iSerialNumber);
                kv(o, "bNumConfigurations", "%u", d->bNumConfigurations);
            } else {
                fputs("<li class=\"prob\">only the first 8 bytes are in the capture</li>", o);
            }
            fputs("</ul></details></li>", o);
        }
        if (info.config)
            write_config_tree(p, &info, is_dfu ? dfu : NULL);
        else
            fputs("<li class=\"note\">The configuration descriptor is not in the capture.</li>", o);
        if (info.qualifier_stalled)
            fputs("<li>GET_DESCRIPTOR(DEVICE_QUALIFIER) stalled: a full-speed-only device</li>", o);
        fputs("</ul></details>\n", o);
    }
    if (!any)
        fputs("<p>No descriptors in the capture (it starts after the enumeration).</p>\n", o);
    free(dfu);
    fputs("</section>\n", o);
}

/* ---- the transaction table --------------------------------------------------------------------- */

static void write_table(struct rp_page *p)
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

/* ---- the doc pages ------------------------------------------------------------------------------- */

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

static void write_docs(struct rp_page *p)
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
    fputs(CSS, o);
    fputs("</style>\n</head>\n<body>\n", o);
    write_defs(o);
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
    write_findings(p);
    write_descriptors(p);
    write_table(p);
    write_docs(p);
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
