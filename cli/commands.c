/* dfuscope: the program's own options and its commands, in the order
 * `dfuscope --help` lists them (main.c reads and dispatches on them,
 * complete.c lists them for the shell completions). */
#include <getopt.h>

#include "cli.h"

/* Live capture, `run` against devices, `emulate` and the Wireshark plugin
 * need Linux (usbmon, libusb, umockdev, Wireshark's plugin folder): the
 * Windows build lists them marked, and says so when they are asked for
 * (linux_only.c). */
#ifdef _WIN32
#define LINUX_ONLY(fn, summary, options) cmd_linux_only, "(Linux only) " summary, \
    &cmd_linux_only_options
#else
#define LINUX_ONLY(fn, summary, options) fn, summary, options
#endif

const struct cli_command cli_commands[] = {
    {"decode", cmd_decode, "decode a USB capture: control transfers or records",
     &cmd_decode_options, OPERAND_FILE},
    {"descriptors", cmd_descriptors, "the descriptors of every device in a capture (lsusb -v)",
     &cmd_descriptors_options, OPERAND_FILE},
    {"diagnose", cmd_diagnose, "explain what went wrong in a DFU/DfuSe session",
     &cmd_diagnose_options, OPERAND_FILE},
    {"extract", cmd_extract, "rebuild the memory a session wrote or read (bin, ihex, srec)",
     &cmd_extract_options, OPERAND_FILE},
    {"check-file", cmd_check_file,
     "check a firmware file (.dfu, .hex, .bin) against itself, a device or a session",
     &cmd_check_file_options, OPERAND_FILE},
    {"capture",
     LINUX_ONLY(cmd_capture, "capture from usbmon, follow one device, diagnose it live",
                &cmd_capture_options),
     OPERAND_NONE},
    {"follow",
     LINUX_ONLY(cmd_follow, "diagnose a capture while it is being written (pipe or file)",
                &cmd_follow_options),
     OPERAND_FILE},
    {"report", cmd_report, "the session as one self-contained HTML page (timeline, memory map)",
     &cmd_report_options, OPERAND_FILE},
    {"emulate",
     LINUX_ONLY(cmd_emulate, "run a program against an emulated DFU device, record a capture",
                &cmd_emulate_options),
     OPERAND_MODEL},
    {"run",
     LINUX_ONLY(cmd_run, "run a script or the conformance suites against a DFU device",
                &cmd_run_options),
     OPERAND_FILE},
    {"script-from",
     LINUX_ONLY(cmd_script_from, "turn a captured session into a script that replays it",
                &cmd_script_from_options),
     OPERAND_FILE},
    {"quirks", cmd_quirks, "the known quirks of DFU devices by VID:PID, with their sources",
     &cmd_quirks_options, OPERAND_NONE},
    {"wireshark-install",
     LINUX_ONLY(cmd_wireshark_install, "install the Wireshark plugin in your personal plugin folder",
                &cmd_wireshark_install_options),
     OPERAND_NONE},
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

/* The program's own options, before a command. */
static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"complete", required_argument, NULL, CLI_OPT_COMPLETE},
    {NULL, 0, NULL, 0},
};
/* (read by hand, with cli_find_option: getopt_long keeps state, such as
 * its ordering, from one use to the next, and the commands use it) */
const struct cli_options cli_main_options = {"hV", longopts};
