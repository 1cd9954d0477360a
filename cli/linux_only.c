/* The Windows build: what needs Linux says so, with exit status 2.
 *
 * Live capture reads usbmon, `run` and `check-file --device` reach devices
 * through libusb on Linux, `emulate` presents devices through umockdev, and
 * the Wireshark plugin is built for Linux. dfuscope.exe analyses capture
 * files made anywhere (USBPcap on Windows, usbmon on Linux). */
#include <getopt.h>
#include <string.h>

#include "check_file.h"
#include "cli.h"

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_linux_only_options = {"h", longopts};

static void say(FILE *f, const char *cmd)
{
    fprintf(f,
            "%s %s: this command needs Linux (usbmon, libusb or umockdev); this Windows\n"
            "build reads capture files: decode, descriptors, diagnose, extract, report and\n"
            "check-file. Capture on Windows with USBPcap (Wireshark's installer has it), then\n"
            "run '%s diagnose CAPTURE.pcapng'; see docs/windows.md.\n",
            cli_prog, cmd, cli_prog);
}

int cmd_linux_only(int argc, char **argv)
{
    bool help = false;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            help = true;
    say(help ? stdout : stderr, argv[0]);
    return EXIT_USAGE;
}

int check_file_read_device(const char *vid_pid, struct dfs_fw_device *d)
{
    (void)vid_pid;
    (void)d;
    cli_err("check-file", "--device reads a live device, which needs Linux (libusb); check "
                          "the file against a capture of the device instead (--capture)");
    return EXIT_USAGE;
}
