/* dfuscope: USB DFU / DfuSe protocol analyzer and conformance tester. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "port.h"

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
    dfs_port_init(&argc, &argv);
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
        case CLI_OPT_COMPLETE: return cli_complete(value, argc - next, argv + next);
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
