/* dfuscope capture: capture from usbmon (or re-read a capture), keep one
 * device across its resets, save it, and diagnose it as it happens. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s capture [OPTIONS]\n"
            "\n"
            "Capture USB traffic from Linux usbmon, keep only one device (following it when\n"
            "it resets and comes back with a new device number, or switches between DFU\n"
            "run-time and DFU mode), save it and diagnose DFU sessions as they happen.\n"
            "\n"
            "Options:\n"
            "  -i, --interface usbmonN|auto\n"
            "                        bus to capture (default auto: the device's bus, or\n"
            "                        usbmon0, every bus, without --device)\n"
            "  --device VID:PID|BUS.DEV\n"
            "                        only this device (looked up in sysfs), followed across\n"
            "                        resets and re-enumeration\n"
            "  -w, --write FILE      save the capture (pcapng when FILE ends in .pcapng,\n"
            "                        else pcap; - for standard output)\n"
            "  --diagnose            print DFU transactions and findings as they happen and\n"
            "                        the whole diagnosis at the end\n"
            "  --json                the diagnosis as JSON (docs/json.md)\n"
            "  --color WHEN          auto (default), always or never\n"
            "  --duration SECONDS    stop after this long\n"
            "  --count N             stop after N records are kept\n"
            "  -r, --read FILE|-     read a capture file or a pipe instead of usbmon (the\n"
            "                        same filtering, writing and diagnosis)\n"
            "  --buffer-size BYTES   kernel capture buffer (default 1048576)\n"
            "  --max-held N          records held back while a new device enumerates\n"
            "                        (default 4096)\n"
            "  --no-status           no progress line on standard error\n"
            "  -h, --help            this help\n"
            "\n"
            "Ctrl-C ends the capture cleanly: the file is complete and the diagnosis is\n"
            "printed. Run through sudo, dfuscope drops root privileges as soon as the\n"
            "capture is open (the file is then written as the invoking user).\n"
            "\n"
            "Exit status: 0 done (with --diagnose: no error finding), 1 error findings,\n"
            "2 the capture could not be made (usbmon missing, no permission, no such\n"
            "device, usage error). See docs/capture.md.\n",
            cli_prog);
}

bool capture_parse_number(const char *cmd, const char *opt, const char *arg, double max,
                          double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !(v > 0) || v > max) {
        cli_err(cmd, "%s '%s': expected a positive number up to %.0f", opt, arg, max);
        return false;
    }
    *out = v;
    return true;
}

int capture_option(struct capture_cfg *c, int opt, const char *arg)
{
    double v = 0;
    switch (opt) {
    case CAPOPT_DEVICE: c->device = arg; return 1;
    case 'w': c->write_path = arg; return 1;
    case CAPOPT_JSON: c->json = true; return 1;
    case CAPOPT_COLOR:
        if (strcmp(arg, "auto") && strcmp(arg, "always") && strcmp(arg, "never")) {
            cli_err(c->cmd, "--color '%s': expected auto, always or never", arg);
            return -1;
        }
        c->color = arg;
        return 1;
    case CAPOPT_DURATION:
        return capture_parse_number(c->cmd, "--duration", arg, 1e9, &c->duration) ? 1 : -1;
    case CAPOPT_MAXHELD:
        if (!capture_parse_number(c->cmd, "--max-held", arg, 1 << 24, &v))
            return -1;
        c->max_held = (uint32_t)v;
        return 1;
    case CAPOPT_NOSTATUS: c->status = false; return 1;
    default: return 0;
    }
}

enum { OPT_DIAGNOSE = CAPOPT_FIRST_OWN, OPT_COUNT, OPT_BUFFER };
static const struct option longopts[] = {
    CAPTURE_COMMON_OPTIONS,
    {"interface", required_argument, NULL, 'i'},
    {"read", required_argument, NULL, 'r'},
    {"diagnose", no_argument, NULL, OPT_DIAGNOSE},
    {"count", required_argument, NULL, OPT_COUNT},
    {"buffer-size", required_argument, NULL, OPT_BUFFER},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_capture_options = {"i:w:r:h", longopts};

int cmd_capture(int argc, char **argv)
{
    struct capture_cfg c = {.cmd = "capture", .status = true};
    int opt;
    double v = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_capture_options.shortopts, longopts, NULL)) != -1) {
        int taken = capture_option(&c, opt, optarg);
        if (taken < 0)
            return EXIT_USAGE;
        if (taken)
            continue;
        switch (opt) {
        case 'i': c.iface = optarg; break;
        case 'r': c.read_path = optarg; break;
        case OPT_DIAGNOSE: c.diagnose = true; break;
        case OPT_COUNT:
            if (!capture_parse_number("capture", "--count", optarg, 1e15, &v))
                return EXIT_USAGE;
            if (v != (double)(uint64_t)v) {
                cli_err("capture", "--count '%s': expected a whole number", optarg);
                return EXIT_USAGE;
            }
            c.count = (uint64_t)v;
            break;
        case OPT_BUFFER:
            if (!capture_parse_number("capture", "--buffer-size", optarg, 1 << 30, &v))
                return EXIT_USAGE;
            c.buffer_size = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_err("capture", "unexpected argument '%s' (capture reads usbmon, or -r FILE)",
                argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (c.json && !c.diagnose) {
        cli_err("capture", "--json applies to the diagnosis: add --diagnose");
        return EXIT_USAGE;
    }
    if (c.read_path && (c.iface || c.buffer_size)) {
        cli_err("capture", "-i and --buffer-size are for live capture, not with -r");
        return EXIT_USAGE;
    }
    if (!c.read_path)
        return capture_launch(argv, &c);
    return capture_run(&c);
}
