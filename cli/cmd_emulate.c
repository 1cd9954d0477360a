/* dfuscope emulate: run a host program against an emulated DFU device, and
 * optionally record the session as a usbmon capture (docs/emulation.md).
 * The arguments are read and checked here, in dfuscope and again in the
 * helper program that runs the emulation (emulate.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emu.h"
#include "emulate.h"

#define MAX_ASSIGNMENTS 64

/* The options, parsed by hand below: they end at "--", before the
 * command's own, and may come before or after MODEL. */
enum {
    OPT_ADDRESS = 256, OPT_BUS, OPT_TRACE, OPT_NAMES, OPT_FROM, OPT_DEVICE, OPT_STRICT,
    OPT_LINK_TYPE
};
static const struct option longopts[] = {
    {"option", required_argument, NULL, 'o'},
    {"pcap", required_argument, NULL, 'p'},
    {"link-type", required_argument, NULL, OPT_LINK_TYPE},
    {"address", required_argument, NULL, OPT_ADDRESS},
    {"bus", required_argument, NULL, OPT_BUS},
    {"trace", no_argument, NULL, OPT_TRACE},
    {"from-capture", required_argument, NULL, OPT_FROM},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"list", no_argument, NULL, 'l'},
    {"names", no_argument, NULL, OPT_NAMES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_emulate_options = {"o:p:lh", longopts};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s emulate MODEL [--option NAME=VALUE]... [--pcap FILE [--link-type TYPE]] "
            "-- COMMAND [ARGS...]\n"
            "  or:  %s emulate --from-capture FILE [--device ID] [--strict] -- COMMAND [ARGS...]\n"
            "  or:  %s emulate --list [--names] [MODEL]\n\n"
            "Run COMMAND with MODEL attached as a USB device that unmodified programs using\n"
            "libusb (dfu-util, lsusb, ...) find and talk to, and exit with COMMAND's status.\n"
            "With --from-capture the device is a twin of a device in a capture (any format\n"
            "dfuscope reads): its descriptors, strings, layouts, the states, statuses and\n"
            "poll timeouts it answered, its failures by kind of request and DFU state,\n"
            "leaving the bus and coming back as the device it became, the memory it\n"
            "uploaded. What the capture never showed is answered as a conforming DFU device\n"
            "would; at exit every such answer is listed on standard error.\n\n"
            "Options:\n"
            "  -o, --option NAME=VALUE  set a model option (repeatable); see --list\n"
            "  -p, --pcap FILE          write every exchange as a capture (pcapng when FILE\n"
            "                           ends in .pcapng, else pcap)\n"
            "      --link-type TYPE     what --pcap writes: usbmon (Linux usbmon, link type\n"
            "                           220; the default), usbpcap (Windows USBPcap, 249),\n"
            "                           darwin (macOS USB_DARWIN, 266) or usb2 (the USB 2.0\n"
            "                           packets a hardware analyzer records, 288: tokens,\n"
            "                           data with CRCs, handshakes, NAKs while the device is\n"
            "                           busy; in pcapng also bus resets)\n"
            "      --address N          device number of the first enumeration (2..127)\n"
            "      --bus N              bus number (1..999, default 1)\n"
            "      --trace              print every usbfs call the command makes\n"
            "      --from-capture FILE  the device is the twin of a device in FILE\n"
            "      --device BUS.DEV|VID:PID\n"
            "                           with --from-capture: which device (default: the first\n"
            "                           DFU device); it continues as the devices it became\n"
            "      --strict             with --from-capture: refuse (STALL) what the capture\n"
            "                           never showed instead of making it up\n"
            "  -l, --list               list the models and their options (or MODEL's)\n"
            "      --names              with --list: only the names, one a line: the models,\n"
            "                           or MODEL's options (for scripts and completions)\n"
            "  -h, --help               this help\n\n"
            "Exit status: COMMAND's (128+N if it died of signal N); 2 for a usage error,\n"
            "125 if the emulation could not be set up or the capture not written, 127 if\n"
            "COMMAND was not found; 2 also when FILE cannot be read or has no such device.\n",
            cli_prog, cli_prog, cli_prog);
}

/* --list: every model, or one; with --names only the names of the models,
 * or of the model's options. */
static void list_models(const struct dfs_emu_model *one, bool names)
{
    size_t n;
    const struct dfs_emu_model *const *models = dfs_emu_models(&n);
    if (names) {
        if (one)
            for (const struct dfs_emu_option *o = one->options; o && o->name; o++)
                printf("%s\n", o->name);
        else
            for (size_t i = 0; i < n; i++)
                printf("%s\n", models[i]->name);
        return;
    }
    printf("Models (%s emulate MODEL [--option NAME=VALUE]... -- COMMAND):\n", cli_prog);
    for (size_t i = 0; i < n; i++) {
        if (one && models[i] != one)
            continue;
        char buf[8192];
        dfs_emu_model_describe(models[i], buf, sizeof buf);
        printf("\n%s", buf);
    }
}

static bool parse_num(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* --from-capture FILE [--device ID] [--strict]: given holds the other options
 * read; model_or_list: a MODEL or --list was given too. */
static int emulate_from_capture(int argc, char **argv, int command_at,
                                const struct emulate_request *given, const char *from,
                                const char *device, bool strict, bool model_or_list)
{
    const char *cmd = "emulate";
    if (!from) {
        cli_err(cmd, "--device and --strict go with --from-capture FILE");
        return EXIT_USAGE;
    }
    if (model_or_list || given->n_assignments) {
        cli_err(cmd, "--from-capture takes no MODEL, --option or --list: the capture is the "
                     "model");
        return EXIT_USAGE;
    }
    if (command_at < 0 || command_at >= argc) {
        cli_err(cmd, "no command: '%s emulate --from-capture %s -- COMMAND [ARGS...]'", cli_prog,
                from);
        return EXIT_USAGE;
    }
    if (device) {
        unsigned a, b;
        char end;
        if (sscanf(device, "%x:%x%c", &a, &b, &end) != 2 &&
            sscanf(device, "%u.%u%c", &a, &b, &end) != 2) {
            cli_err(cmd, "--device takes BUS.DEV or VID:PID (hex), not '%s'", device);
            return EXIT_USAGE;
        }
    }
    struct emulate_request rq = *given;
    rq.model = NULL;
    rq.command = argv + command_at;
    if (emulate_stage() == EMULATE_REEXEC)
        return emulate_launch(argc, argv, &rq); /* checked already; read it once there */
    dfs_emu_twin *twin;
    int rc = emulate_twin_load(from, device, strict, emulate_stage() == EMULATE_RUN, &twin);
    if (rc)
        return rc;
    rq.twin = twin;
    rc = emulate_launch(argc, argv, &rq);
    dfs_emu_twin_free(twin);
    return rc;
}

int cmd_emulate(int argc, char **argv)
{
    const char *cmd = "emulate";
    const char *model_name = NULL, *pcap = NULL, *from = NULL, *device = NULL;
    bool strict = false;
    const char *assignments[MAX_ASSIGNMENTS];
    size_t n_assign = 0;
    unsigned address = 0, bus = 0;
    int linktype = 0;
    bool trace = false, list = false, names = false;
    int command_at = -1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            command_at = i + 1;
            break;
        }
        if (a[0] != '-') {
            if (model_name) {
                cli_err(cmd, "one model only, and the command after '--': '%s %s ... -- %s'",
                        model_name, "[options]", a);
                return EXIT_USAGE;
            }
            model_name = a;
            continue;
        }
        const char *v;
        const struct option *o = cli_find_option(&cmd_emulate_options, a, &v);
        if (!o) {
            cli_err(cmd, "unknown option '%s' (see '%s emulate --help')", a, cli_prog);
            return EXIT_USAGE;
        }
        if (o->has_arg != no_argument && !v) {
            if (i + 1 >= argc) {
                cli_err(cmd, "%s needs a value", a);
                return EXIT_USAGE;
            }
            v = argv[++i];
        }
        switch (o->val) {
        case 'h': usage(stdout); return 0;
        case 'l': list = true; break;
        case OPT_NAMES: names = true; break;
        case OPT_TRACE: trace = true; break;
        case 'p': pcap = v; break;
        case OPT_FROM: from = v; break;
        case OPT_DEVICE: device = v; break;
        case OPT_STRICT: strict = true; break;
        case OPT_LINK_TYPE:
            linktype = strcmp(v, "usbmon") == 0    ? DFS_LINKTYPE_USB_LINUX_MMAPPED
                       : strcmp(v, "usbpcap") == 0 ? DFS_LINKTYPE_USBPCAP
                       : strcmp(v, "darwin") == 0  ? DFS_LINKTYPE_USB_DARWIN
                       : strcmp(v, "usb2") == 0    ? DFS_LINKTYPE_USB_2_0
                                                   : -1;
            if (linktype < 0) {
                cli_err(cmd, "--link-type takes usbmon, usbpcap, darwin or usb2, not '%s'", v);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            if (n_assign >= MAX_ASSIGNMENTS) {
                cli_err(cmd, "too many --option");
                return EXIT_USAGE;
            }
            assignments[n_assign++] = v;
            break;
        case OPT_ADDRESS:
        case OPT_BUS: {
            bool is_addr = o->val == OPT_ADDRESS;
            if (!parse_num(v, is_addr ? 2 : 1, is_addr ? 127 : 999, is_addr ? &address : &bus)) {
                cli_err(cmd, "--%s takes a number from %u to %u, not '%s'", o->name,
                        is_addr ? 2u : 1u, is_addr ? 127u : 999u, v);
                return EXIT_USAGE;
            }
            break;
        }
        }
    }
    if (linktype && !pcap) {
        cli_err(cmd, "--link-type goes with --pcap");
        return EXIT_USAGE;
    }
    if (linktype == DFS_LINKTYPE_USB_DARWIN && bus > 255) {
        cli_err(cmd, "--bus %u does not fit a USB_DARWIN capture (its location id holds "
                "buses up to 255)", bus);
        return EXIT_USAGE;
    }
    if (names && !list) {
        cli_err(cmd, "--names goes with --list");
        return EXIT_USAGE;
    }
    if (from || device || strict)
        return emulate_from_capture(argc, argv, command_at, &(struct emulate_request){
            .assignments = assignments, .n_assignments = n_assign, .pcap = pcap,
            .linktype = linktype, .bus = bus, .address = address, .trace = trace}, from, device,
            strict,
            list || model_name != NULL);
    if (!model_name && !list) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const struct dfs_emu_model *model = model_name ? dfs_emu_model_find(model_name) : NULL;
    if (model_name && !model) {
        size_t n;
        const struct dfs_emu_model *const *models = dfs_emu_models(&n);
        char names_buf[256] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(names_buf, i ? ", " : "", sizeof names_buf - strlen(names_buf) - 1);
            strncat(names_buf, models[i]->name, sizeof names_buf - strlen(names_buf) - 1);
        }
        cli_err(cmd, "unknown model '%s' (models: %s)", model_name, names_buf);
        return EXIT_USAGE;
    }
    if (list) {
        list_models(model, names);
        return 0;
    }
    /* check the options before anything runs */
    struct dfs_emu_device probe;
    char err[600];
    if (dfs_emu_device_new(model, assignments, n_assign, &probe, err, sizeof err) != DFS_OK) {
        cli_err(cmd, "%s", err);
        return EXIT_USAGE;
    }
    dfs_emu_device_free(&probe);
    if (command_at < 0 || command_at >= argc) {
        cli_err(cmd, "no command: '%s emulate %s [options] -- COMMAND [ARGS...]'", cli_prog,
                model_name);
        return EXIT_USAGE;
    }

    struct emulate_request rq = {
        .model = model,
        .assignments = assignments,
        .n_assignments = n_assign,
        .pcap = pcap,
        .linktype = linktype,
        .bus = bus,
        .address = address,
        .trace = trace,
        .command = argv + command_at,
    };
    return emulate_launch(argc, argv, &rq);
}
