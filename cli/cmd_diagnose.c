/* dfuscope diagnose: what went wrong in a DFU session, from the capture. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log_input.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s diagnose [OPTIONS] FILE|-\n"
            "\n"
            "Explain a DFU / DfuSe session captured with usbmon, USBPcap or on macOS: its\n"
            "outcome (what was erased, written, read back, where the device went), the\n"
            "host program that drove it, told from its requests (dfu-util with its\n"
            "version range, fwupd, dfu-programmer, STM32CubeProgrammer, pydfu-like, or\n"
            "unknown; docs/hosts.md), a summary line, then each finding with its\n"
            "severity, id, the frames that prove it, what was seen, and what to do. Each\n"
            "finding id has a page in docs/findings/.\n"
            "\n"
            "FILE may also be a text log, or a bug report with logs pasted into it: lsusb -v,\n"
            "dfu-util (0.7 to 0.11, best with -v -v), STM32CubeProgrammer and fwupd\n"
            "(fwupdtool -v -v, dfu-tool -v) output. Its findings cite lines instead of\n"
            "frames, and say \"most likely\" where a log cannot prove what a capture would\n"
            "(docs/logs.md).\n"
            "\n"
            "Options:\n"
            "  --json             one JSON object (schema: docs/json.md)\n"
            "  --device BUS.DEV|VID:PID\n"
            "                     only findings about this device\n"
            "  --color WHEN       auto (default: on a terminal, unless NO_COLOR is set),\n"
            "                     always, never\n"
            "  --max-urbs N, --max-payload BYTES, --max-devices N\n"
            "                     decoder limits (see dfuscope decode --help)\n"
            "  -q, --quiet        no progress line (shown on standard error when it is a\n"
            "                     terminal and FILE is larger than 64 MiB)\n"
            "  -h, --help         this help\n"
            "\n"
            "Exit status: 0 no error-severity finding, 1 error findings, 2 unusable input or\n"
            "usage error.\n",
            cli_prog);
}

struct filter_sink {
    struct dfs_sink inner;
    struct dev_filter *filter;
    dfs_decoder **dec;
};

enum { OPT_JSON = 256, OPT_DEVICE, OPT_COLOR };
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    LIMIT_LONGOPTS,
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_diagnose_options = {"hq", longopts};

int cmd_diagnose(int argc, char **argv)
{
    bool json = false, quiet = false;
    const char *color = "auto";
    struct dev_filter filter = {0};
    struct run_opts ro = {.cmd = "diagnose"};
    dfs_options_init(&ro.dopt);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_diagnose_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: json = true; break;
        case OPT_DEVICE:
            if (!parse_device_option(&filter, optarg, "diagnose"))
                return EXIT_USAGE;
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                cli_err("diagnose", "--color '%s': expected auto, always or never", optarg);
                return EXIT_USAGE;
            }
            color = optarg;
            break;
        case LIMIT_URBS:
        case LIMIT_PAYLOAD:
        case LIMIT_DEVICES:
            if (!parse_limit(&ro.dopt, (enum limit_kind)opt, optarg, "diagnose"))
                return EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    struct log_input li;
    int lrc = log_input_start(&li, &ro, &filter, argc, argv, usage);
    if (lrc)
        return lrc;
    ro.quiet_capture_findings = false;
    ro.progress = !quiet;
    struct diag *dg = diag_new(stdout, json, color, false);
    if (!dg) {
        cli_err("diagnose", "out of memory");
        log_input_free(&li);
        return EXIT_USAGE;
    }
    if (li.log)
        diag_set_log(dg, li.log);
    struct dfs_sink sink = {0};
    diag_sink(dg, &sink);
    if (filter.active)
        diag_set_filter(dg, &filter);
    struct run_result res;
    dfs_decoder *dec = NULL;
    int rc = run_capture(&ro, &sink, &dec, &res);
    if (rc) {
        diag_free(dg);
        dev_filter_free(&filter);
        log_input_free(&li);
        return rc;
    }
    diag_add_log_findings(dg);
    rc = diag_finish(dg, dec, ro.path, &res);
    log_input_free(&li);
    dfs_decoder_free(dec);
    diag_free(dg);
    dev_filter_free(&filter);
    if (ferror(stdout)) {
        cli_err("diagnose", "error writing the output");
        return EXIT_USAGE;
    }
    if (res.records == 0 && res.read_error)
        return EXIT_USAGE;
    return rc;
}
