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

int cmd_capture(int argc, char **argv)
{
    struct capture_cfg c = {.cmd = "capture", .status = true};
    enum {
        OPT_DEVICE = 256, OPT_DIAGNOSE, OPT_JSON, OPT_COLOR, OPT_DURATION, OPT_COUNT,
        OPT_BUFFER, OPT_MAXHELD, OPT_NOSTATUS
    };
    static const struct option longopts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"write", required_argument, NULL, 'w'},
        {"read", required_argument, NULL, 'r'},
        {"diagnose", no_argument, NULL, OPT_DIAGNOSE},
        {"json", no_argument, NULL, OPT_JSON},
        {"color", required_argument, NULL, OPT_COLOR},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"count", required_argument, NULL, OPT_COUNT},
        {"buffer-size", required_argument, NULL, OPT_BUFFER},
        {"max-held", required_argument, NULL, OPT_MAXHELD},
        {"no-status", no_argument, NULL, OPT_NOSTATUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    double v = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "i:w:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i': c.iface = optarg; break;
        case OPT_DEVICE: c.device = optarg; break;
        case 'w': c.write_path = optarg; break;
        case 'r': c.read_path = optarg; break;
        case OPT_DIAGNOSE: c.diagnose = true; break;
        case OPT_JSON: c.json = true; break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                cli_err("capture", "--color '%s': expected auto, always or never", optarg);
                return EXIT_USAGE;
            }
            c.color = optarg;
            break;
        case OPT_DURATION:
            if (!capture_parse_number("capture", "--duration", optarg, 1e9, &c.duration))
                return EXIT_USAGE;
            break;
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
        case OPT_MAXHELD:
            if (!capture_parse_number("capture", "--max-held", optarg, 1 << 24, &v))
                return EXIT_USAGE;
            c.max_held = (uint32_t)v;
            break;
        case OPT_NOSTATUS: c.status = false; break;
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
    return capture_run(&c);
}
