/* dfuscope report: the session as one self-contained HTML page (verdict,
 * findings, timeline, memory map, descriptors, transactions). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port.h"
#include "log_input.h"
#include "report/report.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s report [OPTIONS] FILE|- [-o REPORT.html]\n"
            "\n"
            "Write the diagnosis of a DFU / DfuSe session captured with usbmon as one\n"
            "self-contained HTML page: the verdict, the findings with what to do, a\n"
            "timeline of each device (states, requests, STALLs, bwPollTimeout windows,\n"
            "devices lost and re-enumerated), a memory map of what the session erased,\n"
            "wrote and read against the layouts the device advertises, the descriptors,\n"
            "and the transactions. The page loads nothing from anywhere: it can be\n"
            "attached to a bug report and opened from disk in any browser.\n"
            "\n"
            "FILE may also be a text log (lsusb -v, dfu-util, STM32CubeProgrammer, fwupd; see\n"
            "docs/logs.md): the findings then cite its lines, and the descriptors are those\n"
            "its lsusb blocks give; a log has no timeline.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE  where to write the page (default: standard output)\n"
            "  --device BUS.DEV|VID:PID\n"
            "                     only this device (and its re-enumerations)\n"
            "  --docs-base PREFIX link each finding to PREFIX<id>.md instead of the copy of\n"
            "                     its doc page inside the report\n"
            "  --all-docs         append the doc page of every finding dfuscope knows, not\n"
            "                     only of those found (a reference to read offline)\n"
            "  --max-urbs N, --max-payload BYTES\n"
            "                     decoder limits (see dfuscope decode --help)\n"
            "  -q, --quiet        no progress line (shown on standard error when it is a\n"
            "                     terminal and FILE is larger than 64 MiB)\n"
            "  -h, --help         this help\n"
            "\n"
            "Exit status: 0 the report was written, 2 unusable input or usage error.\n",
            cli_prog);
}

enum { OPT_DEVICE = 256, OPT_DOCS, OPT_ALLDOCS };
static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"docs-base", required_argument, NULL, OPT_DOCS},
    {"all-docs", no_argument, NULL, OPT_ALLDOCS},
    {"max-urbs", required_argument, NULL, LIMIT_URBS},
    {"max-payload", required_argument, NULL, LIMIT_PAYLOAD},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_report_options = {"ho:q", longopts};

/* A text log: the decoder's findings cite the log's lines behind their
 * frames, and the log's own findings join them */
static void log_findings(struct rp_model *m, const dfs_log *log, const struct dev_filter *flt)
{
    for (size_t i = 0; i < m->n_f; i++) {
        struct dfs_finding *f = &m->f[i];
        uint64_t lines[DFS_FINDING_MAX_FRAMES];
        unsigned n = 0;
        unsigned nf = f->n_frames < DFS_FINDING_MAX_FRAMES ? f->n_frames : DFS_FINDING_MAX_FRAMES;
        for (unsigned k = 0; k <= nf; k++) {
            uint64_t got[2];
            size_t g = dfs_log_frame_lines(log, k < nf ? f->frames[k] : f->frame, got, 2);
            for (size_t j = 0; j < g; j++) {
                unsigned at = 0;
                while (at < n && lines[at] < got[j])
                    at++;
                if ((at < n && lines[at] == got[j]) || n == DFS_FINDING_MAX_FRAMES)
                    continue;
                memmove(&lines[at + 1], &lines[at], (n - at) * sizeof lines[0]);
                lines[at] = got[j];
                n++;
            }
        }
        memcpy(f->frames, lines, n * sizeof lines[0]);
        f->n_frames = n;
        f->frame = n ? lines[0] : 0;
    }
    for (size_t i = 0; i < dfs_log_finding_count(log) && m->n_f < RP_MAX_FINDINGS; i++) {
        const struct dfs_log_finding *lf = dfs_log_finding(log, i);
        if (!log_finding_for_device(flt, lf))
            continue;
        struct dfs_finding *f = &m->f[m->n_f++];
        *f = lf->f;
        memcpy(f->frames, lf->lines, lf->n_lines * sizeof lf->lines[0]);
        f->n_frames = lf->n_lines;
        f->frame = lf->n_lines ? lf->lines[0] : 0;
        m->sev[f->severity <= DFS_SEV_ERROR ? f->severity : DFS_SEV_ERROR]++;
    }
}

int cmd_report(int argc, char **argv)
{
    const char *out_path = "-";
    const char *docs_base = NULL;
    bool all_docs = false, quiet = false;
    struct dev_filter filter = {0};
    struct run_opts ro = {.cmd = "report"};
    dfs_options_init(&ro.dopt);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_report_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out_path = optarg; break;
        case OPT_DEVICE:
            if (!parse_device_option(&filter, optarg, "report"))
                return EXIT_USAGE;
            break;
        case OPT_DOCS: docs_base = optarg; break;
        case OPT_ALLDOCS: all_docs = true; break;
        case LIMIT_URBS:
        case LIMIT_PAYLOAD:
            if (!parse_limit(&ro.dopt, (enum limit_kind)opt, optarg, "report"))
                return EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    ro.progress = !quiet;
    struct log_input li;
    int lrc = log_input_start(&li, &ro, &filter, argc, argv, usage);
    if (lrc)
        return lrc;
    struct rp_model *m = rp_model_new(&filter);
    if (!m) {
        cli_err("report", "out of memory");
        log_input_free(&li);
        return EXIT_USAGE;
    }
    struct dfs_sink sink = {0};
    rp_model_sink(m, &sink);
    struct run_result res;
    dfs_decoder *dec = NULL;
    int rc = run_capture(&ro, &sink, &dec, &res);
    if (rc) {
        rp_model_free(m);
        dev_filter_free(&filter);
        log_input_free(&li);
        return rc;
    }
    if (li.log)
        log_findings(m, li.log, &filter);
    if (res.records == 0 && res.read_error) {
        dfs_decoder_free(dec);
        rp_model_free(m);
        dev_filter_free(&filter);
        return EXIT_USAGE;
    }
    /* the capture may have gone on after its last record (pcapng statistics):
     * the timeline then runs to its end, and shows how long the device stayed away */
    struct dfs_time end;
    if (dfs_decoder_end_time(dec, &end) == DFS_OK && m->have_start && rp_time(m, end) > m->end_t)
        m->end_t = rp_time(m, end);
    rp_model_close(m);

    /* write next to the target, then rename: no half-written report */
    FILE *f = stdout;
    char *tmp = NULL;
    if (strcmp(out_path, "-") != 0) {
        size_t n = strlen(out_path) + 16;
        tmp = malloc(n);
        if (tmp)
            snprintf(tmp, n, "%s.tmp%ld", out_path, (long)getpid());
        f = tmp ? dfs_port_fopen(tmp, "wb") : NULL;
        if (!f) {
            cli_err("report", "%s: %s", out_path, tmp ? strerror(errno) : "out of memory");
            free(tmp);
            dfs_decoder_free(dec);
            rp_model_free(m);
            dev_filter_free(&filter);
            return EXIT_USAGE;
        }
    }
    struct rp_page page = {.out = f, .m = m, .dec = dec, .path = ro.path, .res = &res,
                           .docs_base = docs_base, .all_docs = all_docs,
                           .log = li.log != NULL};
    page.rows = rp_rows(m, &page.n_rows);
    rp_write_page(&page);
    free(page.rows);
    rc = 0;
    if (ferror(f) || (f != stdout && fclose(f) != 0) || (f == stdout && fflush(f) != 0)) {
        cli_err("report", "error writing %s", strcmp(out_path, "-") ? out_path : "standard output");
        rc = EXIT_USAGE;
    }
    if (tmp) {
        if (!rc && dfs_port_replace(tmp, out_path) != 0) {
            cli_err("report", "%s: %s", out_path, strerror(errno));
            rc = EXIT_USAGE;
        }
        if (rc)
            remove(tmp);
        free(tmp);
    }
    dfs_decoder_free(dec);
    rp_model_free(m);
    dev_filter_free(&filter);
    log_input_free(&li);
    return rc;
}
