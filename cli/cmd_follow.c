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

enum { OPT_IDLE = CAPOPT_FIRST_OWN };
static const struct option longopts[] = {
    CAPTURE_COMMON_OPTIONS,
    {"idle", required_argument, NULL, OPT_IDLE},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_follow_options = {"w:h", longopts};

int cmd_follow(int argc, char **argv)
{
    struct capture_cfg c = {.cmd = "follow", .follow = true, .diagnose = true, .status = true};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_follow_options.shortopts, longopts, NULL)) != -1) {
        int taken = capture_option(&c, opt, optarg);
        if (taken < 0)
            return EXIT_USAGE;
        if (taken)
            continue;
        switch (opt) {
        case OPT_IDLE:
            if (!capture_parse_number("follow", "--idle", optarg, 1e9, &c.idle))
                return EXIT_USAGE;
            break;
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
