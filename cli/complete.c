/* dfuscope --complete: the lists the shell completions read
 * (completions/dfuscope.bash, completions/_dfuscope; docs/completion.md).
 *
 *   dfuscope --complete commands
 *       NAME<TAB>OPERAND<TAB>SUMMARY, one line per command; OPERAND is what
 *       it takes after its options: file, model (emulate: MODEL -- COMMAND)
 *       or none
 *   dfuscope --complete options [COMMAND]
 *       OPTION<TAB>VALUE<TAB>WORDS, one line per option of COMMAND (of the
 *       program itself without one), long and short, from the tables its
 *       parser uses; VALUE is what the option takes:
 *         -             nothing
 *         file, dir     a file, a directory
 *         text          something to type (a number, VID:PID, ...)
 *         word          one of WORDS (separated by spaces)
 *         list          one or more of WORDS, separated by commas
 *         model-option  NAME=VALUE of the model on the command line (the
 *                       names: dfuscope emulate --list --names MODEL)
 *
 * The format is stable: fields may be added at the end of a line, values
 * of VALUE may be added (a completion treats an unknown one as text). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/runner.h"

enum value_kind { V_FILE, V_DIR, V_WORD, V_SUITES, V_MODEL_OPTION };

/* What the options with something to complete take, by long name (and
 * command, where the same name means different things). Other options
 * with a value take text. */
static const struct {
    const char *command; /* NULL: every command */
    const char *option;
    enum value_kind kind;
    const char *words;   /* V_WORD */
} values[] = {
    {NULL, "output", V_FILE, NULL},
    {NULL, "write", V_FILE, NULL},
    {NULL, "read", V_FILE, NULL},
    {NULL, "pcap", V_FILE, NULL},
    {NULL, "junit", V_FILE, NULL},
    {NULL, "plugin", V_FILE, NULL},
    {NULL, "dir", V_DIR, NULL},
    {NULL, "color", V_WORD, "auto always never"},
    {NULL, "colour", V_WORD, "auto always never"},
    {"extract", "format", V_WORD, "bin ihex srec dfu dfuse"},
    {"check-file", "format", V_WORD, "auto binary dfuse ihex srec"},
    {"check-file", "capture", V_FILE, NULL},
    {"extract", "direction", V_WORD, "download upload"},
    {"extract", "unpack", V_DIR, NULL},
    {"run", "suite", V_SUITES, NULL},
    {"emulate", "option", V_MODEL_OPTION, NULL},
    {"emulate", "from-capture", V_FILE, NULL},
    {"emulate", "link-type", V_WORD, "usbmon usbpcap darwin usb2"},
    {NULL, "complete", V_WORD, "commands options"},
};

static void print_value(const char *command, const struct option *o)
{
    if (!o || o->has_arg == no_argument) {
        fputs("-\t", stdout);
        return;
    }
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (strcmp(values[i].option, o->name) != 0 ||
            (values[i].command && (!command || strcmp(values[i].command, command) != 0)))
            continue;
        switch (values[i].kind) {
        case V_FILE: fputs("file\t", stdout); return;
        case V_DIR: fputs("dir\t", stdout); return;
        case V_WORD: printf("word\t%s", values[i].words); return;
        case V_MODEL_OPTION: fputs("model-option\t", stdout); return;
        case V_SUITES:
            /* the names `run --suite` takes: each suite, and all */
            fputs("list\t", stdout);
#ifndef _WIN32 /* (run is Linux only: the Windows build has no suites) */
            for (int k = 0; k < DFS_SUITE__COUNT; k++)
                printf("%s ", dfs_suite_name((enum dfs_suite)k));
#endif
            fputs("all", stdout);
            return;
        }
    }
    fputs("text\t", stdout);
}

static void list_options(const char *command, const struct cli_options *opts)
{
    for (const struct option *o = opts->longopts; o->name; o++) {
        printf("--%s\t", o->name);
        print_value(command, o);
        putchar('\n');
    }
    /* short options: what their long twin (same value) takes */
    const char *s = opts->shortopts;
    while (*s == '+' || *s == '-' || *s == ':')
        s++;
    for (; *s; s++) {
        if (*s == ':')
            continue;
        const struct option *twin = NULL;
        for (const struct option *o = opts->longopts; o->name && !twin; o++)
            if (o->val == (unsigned char)*s)
                twin = o;
        printf("-%c\t", *s);
        if (twin)
            print_value(command, twin);
        else
            fputs(s[1] == ':' ? "text\t" : "-\t", stdout);
        putchar('\n');
    }
}

static const char *operand_name(enum cli_operand k)
{
    switch (k) {
    case OPERAND_FILE: return "file";
    case OPERAND_MODEL: return "model";
    case OPERAND_NONE: break;
    }
    return "none";
}

int cli_complete(const char *kind, int argc, char **argv)
{
    if (strcmp(kind, "commands") == 0 && argc == 0) {
        for (size_t i = 0; i < cli_n_commands; i++)
            printf("%s\t%s\t%s\n", cli_commands[i].name, operand_name(cli_commands[i].operand),
                   cli_commands[i].summary);
    } else if (strcmp(kind, "options") == 0 && argc <= 1) {
        if (argc == 0) {
            list_options(NULL, &cli_main_options);
        } else {
            const struct cli_command *c = NULL;
            for (size_t i = 0; i < cli_n_commands && !c; i++)
                if (strcmp(argv[0], cli_commands[i].name) == 0)
                    c = &cli_commands[i];
            if (!c) {
                cli_err(NULL, "--complete options: unknown command '%s'", argv[0]);
                return EXIT_USAGE;
            }
            list_options(c->name, c->options);
        }
    } else {
        cli_err(NULL, "--complete: expected 'commands' or 'options [COMMAND]' "
                      "(docs/completion.md)");
        return EXIT_USAGE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_err(NULL, "--complete: error writing the output");
        return EXIT_USAGE;
    }
    return 0;
}
