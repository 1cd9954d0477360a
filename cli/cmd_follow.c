/* dfuscope follow: the live diagnosis on a capture another program is
 * writing (tcpdump -w - | dfuscope follow -, or a growing file). */
#include <getopt.h>
#include <string.h>

#include "capture.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s follow [OPTIONS] FILE|-\n"
            "\n"
            "Diagnose a capture while another program is still writing it: DFU\n"
            "transactions and findings are printed as their records arrive, and the whole\n"
            "diagnosis (as `dfuscope diagnose` prints it) when the input ends.\n"
            "\n"
            "  tcpdump -i usbmon1 -U -w - | %s follow -\n"
            "  %s follow session.pcap        (a file still being written)\n"
            "\n"
            "A pipe ends when its writer closes it; a file is followed until Ctrl-C,\n"
            "--idle or --duration.\n"
            "\n"
            "Options:\n"
            "  --device VID:PID|BUS.DEV\n"
            "                        only this device, followed across re-enumeration\n"
            "  -w, --write FILE      also save the records kept\n"
            "  --json                the diagnosis as JSON (docs/json.md)\n"
            "  --color WHEN          auto (default), always or never\n"
            "  --idle SECONDS        end when no record arrived for this long\n"
            "  --duration SECONDS    end after this long\n"
            "  --max-held N          records held back while a new device enumerates\n"
            "  --no-status           no progress line on standard error\n"
            "  -h, --help            this help\n"
            "\n"
            "Exit status: 0 no error finding, 1 error findings, 2 unusable input or usage\n"
            "error.\n",
            cli_prog, cli_prog, cli_prog);
}

int cmd_follow(int argc, char **argv)
{
    struct capture_cfg c = {.cmd = "follow", .follow = true, .diagnose = true, .status = true};
    enum { OPT_DEVICE = 256, OPT_JSON, OPT_COLOR, OPT_IDLE, OPT_DURATION, OPT_MAXHELD,
           OPT_NOSTATUS };
    static const struct option longopts[] = {
        {"device", required_argument, NULL, OPT_DEVICE},
        {"write", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, OPT_JSON},
        {"color", required_argument, NULL, OPT_COLOR},
        {"idle", required_argument, NULL, OPT_IDLE},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"max-held", required_argument, NULL, OPT_MAXHELD},
        {"no-status", no_argument, NULL, OPT_NOSTATUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    double v = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "w:h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_DEVICE: c.device = optarg; break;
        case 'w': c.write_path = optarg; break;
        case OPT_JSON: c.json = true; break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                cli_err("follow", "--color '%s': expected auto, always or never", optarg);
                return EXIT_USAGE;
            }
            c.color = optarg;
            break;
        case OPT_IDLE:
            if (!capture_parse_number("follow", "--idle", optarg, 1e9, &c.idle))
                return EXIT_USAGE;
            break;
        case OPT_DURATION:
            if (!capture_parse_number("follow", "--duration", optarg, 1e9, &c.duration))
                return EXIT_USAGE;
            break;
        case OPT_MAXHELD:
            if (!capture_parse_number("follow", "--max-held", optarg, 1 << 24, &v))
                return EXIT_USAGE;
            c.max_held = (uint32_t)v;
            break;
        case OPT_NOSTATUS: c.status = false; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_err("follow", optind >= argc ? "no capture given (a file, or - for standard input)"
                                         : "only one capture at a time");
        usage(stderr);
        return EXIT_USAGE;
    }
    c.read_path = argv[optind];
    return capture_run(&c);
}
