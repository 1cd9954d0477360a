/* dfuscope emulate: run a host program against an emulated DFU device, and
 * optionally record the session as a usbmon capture (docs/emulation.md).
 * The arguments are read and checked here, in dfuscope and again in the
 * helper program that runs the emulation (emulate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emu.h"
#include "emulate.h"

#define MAX_ASSIGNMENTS 64

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s emulate MODEL [--option NAME=VALUE]... [--pcap FILE] -- COMMAND [ARGS...]\n"
            "  or:  %s emulate --list\n\n"
            "Run COMMAND with MODEL attached as a USB device that unmodified programs using\n"
            "libusb (dfu-util, lsusb, ...) find and talk to, and exit with COMMAND's status.\n\n"
            "Options:\n"
            "  -o, --option NAME=VALUE  set a model option (repeatable); see --list\n"
            "  -p, --pcap FILE          write every exchange as a usbmon capture (link type\n"
            "                           220; pcapng when FILE ends in .pcapng, else pcap)\n"
            "      --address N          device number of the first enumeration (2..127)\n"
            "      --bus N              bus number (1..999, default 1)\n"
            "      --trace              print every usbfs call the command makes\n"
            "  -l, --list               list the models and their options\n"
            "  -h, --help               this help\n\n"
            "Exit status: COMMAND's (128+N if it died of signal N); 2 for a usage error,\n"
            "125 if the emulation could not be set up or the capture not written, 127 if\n"
            "COMMAND was not found.\n",
            cli_prog, cli_prog);
}

static void list_models(void)
{
    size_t n;
    const struct dfs_emu_model *const *models = dfs_emu_models(&n);
    printf("Models (%s emulate MODEL [--option NAME=VALUE]... -- COMMAND):\n", cli_prog);
    for (size_t i = 0; i < n; i++) {
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

/* The value of an option given as "--name VALUE" or "--name=VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) == 0 && arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int cmd_emulate(int argc, char **argv)
{
    const char *cmd = "emulate";
    const char *model_name = NULL, *pcap = NULL;
    const char *assignments[MAX_ASSIGNMENTS];
    size_t n_assign = 0;
    unsigned address = 0, bus = 0;
    bool trace = false;
    int command_at = -1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            command_at = i + 1;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "-l") == 0 || strcmp(a, "--list") == 0) {
            list_models();
            return 0;
        }
        if (strcmp(a, "--trace") == 0) {
            trace = true;
            continue;
        }
        bool is_o = strcmp(a, "-o") == 0 || strncmp(a, "--option", 8) == 0;
        bool is_p = strcmp(a, "-p") == 0 || strncmp(a, "--pcap", 6) == 0;
        bool is_addr = strncmp(a, "--address", 9) == 0;
        bool is_bus = strncmp(a, "--bus", 5) == 0;
        if (is_o || is_p || is_addr || is_bus) {
            const char *long_name = is_o ? "--option" : is_p ? "--pcap" : is_addr ? "--address"
                                                                                : "--bus";
            const char *v = option_value(argc, argv, &i, a, long_name);
            if (!v) {
                cli_err(cmd, "%s needs a value", a);
                return EXIT_USAGE;
            }
            if (is_o) {
                if (n_assign >= MAX_ASSIGNMENTS) {
                    cli_err(cmd, "too many --option");
                    return EXIT_USAGE;
                }
                assignments[n_assign++] = v;
            } else if (is_p) {
                pcap = v;
            } else if (!parse_num(v, is_addr ? 2 : 1, is_addr ? 127 : 999,
                                  is_addr ? &address : &bus)) {
                cli_err(cmd, "%s takes a number from %u to %u, not '%s'", long_name,
                        is_addr ? 2u : 1u, is_addr ? 127u : 999u, v);
                return EXIT_USAGE;
            }
            continue;
        }
        if (a[0] == '-') {
            cli_err(cmd, "unknown option '%s' (see '%s emulate --help')", a, cli_prog);
            return EXIT_USAGE;
        }
        if (model_name) {
            cli_err(cmd, "one model only, and the command after '--': '%s %s ... -- %s'",
                    model_name, "[options]", a);
            return EXIT_USAGE;
        }
        model_name = a;
    }
    if (!model_name) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const struct dfs_emu_model *model = dfs_emu_model_find(model_name);
    if (!model) {
        size_t n;
        const struct dfs_emu_model *const *models = dfs_emu_models(&n);
        char names[256] = "";
        for (size_t i = 0; i < n; i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, models[i]->name, sizeof names - strlen(names) - 1);
        }
        cli_err(cmd, "unknown model '%s' (models: %s)", model_name, names);
        return EXIT_USAGE;
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
        .bus = bus,
        .address = address,
        .trace = trace,
        .command = argv + command_at,
    };
    return emulate_launch(argc, argv, &rq);
}
