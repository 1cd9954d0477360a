/* dfuscope: USB DFU / DfuSe protocol analyzer and conformance tester. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"decode", cmd_decode, "decode a usbmon capture: control transfers or usbmon records"},
    {"descriptors", cmd_descriptors, "the descriptors of every device in a capture (lsusb -v)"},
    {"diagnose", cmd_diagnose, "explain what went wrong in a DFU/DfuSe session"},
    {"extract", cmd_extract, "rebuild the memory a session wrote or read (bin, ihex, srec)"},
    {"check-file", cmd_check_file,
     "check a firmware file (.dfu, .hex, .bin) against itself, a device or a session"},
    {"capture", cmd_capture, "capture from usbmon, follow one device, diagnose it live"},
    {"follow", cmd_follow, "diagnose a capture while it is being written (pipe or file)"},
    {"report", cmd_report, "the session as one self-contained HTML page (timeline, memory map)"},
    {"emulate", cmd_emulate, "run a program against an emulated DFU device, record a capture"},
    {"run", cmd_run, "run a script or the conformance suites against a DFU device"},
    {"script-from", cmd_script_from, "turn a captured session into a script that replays it"},
    {"wireshark-install", cmd_wireshark_install,
     "install the Wireshark plugin in your personal plugin folder"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: %s COMMAND [OPTIONS] [ARGS]\n\n"
               "USB DFU 1.1 and ST DfuSe protocol analyzer for Linux usbmon captures, and\n"
               "conformance tester for DFU devices.\n\n"
               "Commands:\n",
            cli_prog);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun '%s COMMAND --help' for a command's options.\n"
               "Options: -h, --help  this help;  -V, --version  the version\n",
            cli_prog);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("dfuscope %s\n", DFS_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    cli_err(NULL, "unknown command '%s'", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
