/* dfuscope script-from: a capture's session as a script that replays it. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/runner.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s script-from [OPTIONS] CAPTURE|-\n"
            "\n"
            "Write a script (docs/scripts.md) that replays the host side of the DFU session\n"
            "in a usbmon capture, with the device's replies as expectations, so that a\n"
            "failure seen in the field becomes a repeatable test:\n"
            "  %s script-from field.pcapng -o field.dfu\n"
            "  %s run field.dfu --device 0483:df11 --allow-write ...\n"
            "\n"
            "Options:\n"
            "  --device BUS.DEV|VID:PID  the device whose session to replay (default: the\n"
            "                            first with DFU requests; re-enumerations are followed)\n"
            "  --standard                also replay standard requests (GET_DESCRIPTOR, ...);\n"
            "                            SET_INTERFACE is always replayed\n"
            "  -o, --output FILE         write the script there (default: standard output)\n"
            "  -h, --help                this help\n"
            "\n"
            "Exit status: 0 a script was written, 2 unusable input, no such device or no\n"
            "request to replay.\n",
            cli_prog, cli_prog, cli_prog);
}

enum { OPT_DEVICE = 256, OPT_STANDARD };
static const struct option longopts[] = {
    {"device", required_argument, NULL, OPT_DEVICE},
    {"standard", no_argument, NULL, OPT_STANDARD},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_script_from_options = {"ho:", longopts};

int cmd_script_from(int argc, char **argv)
{
    struct dfs_scriptgen_options go;
    memset(&go, 0, sizeof go);
    const char *output = NULL;
    struct dev_filter filter;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_script_from_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_DEVICE:
            if (!parse_device_option(&filter, optarg, "script-from"))
                return EXIT_USAGE;
            if (filter.by_addr) {
                go.by_addr = true;
                go.bus = filter.bus;
                go.devnum = filter.devnum;
            } else {
                go.by_id = true;
                go.vid = filter.vid;
                go.pid = filter.pid;
            }
            break;
        case OPT_STANDARD: go.standard = true; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    go.source = capture_argument(argc, argv, "script-from");
    if (!go.source) {
        usage(stderr);
        return EXIT_USAGE;
    }
    dfs_scriptgen *g = NULL;
    if (dfs_scriptgen_new(&go, &g) != DFS_OK) {
        cli_err("script-from", "out of memory");
        return EXIT_USAGE;
    }
    struct dfs_sink sink;
    dfs_scriptgen_sink(g, &sink);
    struct run_opts ro = {.cmd = "script-from", .path = argv[optind]};
    dfs_options_init(&ro.dopt);
    ro.quiet_capture_findings = false;
    struct run_result res;
    dfs_decoder *dec = NULL;
    int rc = run_capture(&ro, &sink, &dec, &res);
    if (rc) {
        dfs_scriptgen_free(g);
        return rc;
    }
    dfs_decoder_free(dec);
    if (res.records == 0 && res.read_error) {
        dfs_scriptgen_free(g);
        return EXIT_USAGE;
    }
    FILE *out = stdout;
    if (output && strcmp(output, "-") != 0) {
        out = fopen(output, "w");
        if (!out) {
            cli_err("script-from", "%s: %s", output, strerror(errno));
            dfs_scriptgen_free(g);
            return EXIT_USAGE;
        }
    }
    char msg[600];
    dfs_result r = dfs_scriptgen_finish(g, out, msg, sizeof msg);
    dfs_scriptgen_free(g);
    if (out != stdout && fclose(out) != 0 && r == DFS_OK) {
        cli_err("script-from", "%s: %s", output, strerror(errno));
        return EXIT_USAGE;
    }
    if (r != DFS_OK) {
        cli_err("script-from", "%s: %s", argv[optind], msg[0] ? msg : dfs_result_str(r));
        if (out != stdout)
            remove(output);
        return EXIT_USAGE;
    }
    return 0;
}
