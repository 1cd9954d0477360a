/* dfuscope: USB DFU / DfuSe protocol analyzer and conformance tester. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
    {"decode", cmd_decode, "decode a usbmon capture: control transfers or usbmon records",
     &cmd_decode_options, OPERAND_FILE},
    {"descriptors", cmd_descriptors, "the descriptors of every device in a capture (lsusb -v)",
     &cmd_descriptors_options, OPERAND_FILE},
    {"diagnose", cmd_diagnose, "explain what went wrong in a DFU/DfuSe session",
     &cmd_diagnose_options, OPERAND_FILE},
    {"extract", cmd_extract, "rebuild the memory a session wrote or read (bin, ihex, srec)",
     &cmd_extract_options, OPERAND_FILE},
    {"capture", cmd_capture, "capture from usbmon, follow one device, diagnose it live",
     &cmd_capture_options, OPERAND_NONE},
    {"follow", cmd_follow, "diagnose a capture while it is being written (pipe or file)",
     &cmd_follow_options, OPERAND_FILE},
    {"report", cmd_report, "the session as one self-contained HTML page (timeline, memory map)",
     &cmd_report_options, OPERAND_FILE},
    {"emulate", cmd_emulate, "run a program against an emulated DFU device, record a capture",
     &cmd_emulate_options, OPERAND_MODEL},
    {"run", cmd_run, "run a script or the conformance suites against a DFU device",
     &cmd_run_options, OPERAND_FILE},
    {"script-from", cmd_script_from, "turn a captured session into a script that replays it",
     &cmd_script_from_options, OPERAND_FILE},
    {"wireshark-install", cmd_wireshark_install,
     "install the Wireshark plugin in your personal plugin folder",
     &cmd_wireshark_install_options, OPERAND_NONE},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

/* The program's own options, before a command. */
enum { OPT_COMPLETE = 256 };
static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"complete", required_argument, NULL, OPT_COMPLETE},
    {NULL, 0, NULL, 0},
};
/* (read by hand, with cli_find_option: getopt_long keeps state, such as
 * its ordering, from one use to the next, and the commands use it) */
const struct cli_options cli_main_options = {"hV", longopts};

static void usage(FILE *f)
{
    fprintf(f, "Usage: %s COMMAND [OPTIONS] [ARGS]\n\n"
               "USB DFU 1.1 and ST DfuSe protocol analyzer for Linux usbmon captures, and\n"
               "conformance tester for DFU devices.\n\n"
               "Commands:\n",
            cli_prog);
    for (size_t i = 0; i < cli_n_commands; i++)
        fprintf(f, "  %-18s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n"
               "\n"
               "Options:\n"
               "  -h, --help     this help\n"
               "  -V, --version  the version\n"
               "      --complete KIND [COMMAND]\n"
               "                 lists for shell completion: commands, or a command's\n"
               "                 options (docs/completion.md)\n"
               "\n"
               "Exit status: the command's (see its --help); 2 for no or an unknown command.\n",
            cli_prog);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (cmd[0] == '-') {
        const char *value;
        const struct option *o = cli_find_option(&cli_main_options, cmd, &value);
        int next = 2;
        if (o && o->has_arg != no_argument && !value) {
            if (argc < 3) {
                cli_err(NULL, "%s needs a value", cmd);
                usage(stderr);
                return EXIT_USAGE;
            }
            value = argv[next++];
        }
        switch (o ? o->val : 0) {
        case 'h': usage(stdout); return 0;
        case 'V': printf("dfuscope %s\n", DFS_VERSION_STRING); return 0;
        case OPT_COMPLETE: return cli_complete(value, argc - next, argv + next);
        default:
            cli_err(NULL, "unknown option '%s'", cmd);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < cli_n_commands; i++)
        if (strcmp(cmd, cli_commands[i].name) == 0)
            return cli_commands[i].fn(argc - 1, argv + 1);
    cli_err(NULL, "unknown command '%s'", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
