/* dfuscope quirks: the table of known device quirks (include/dfuscope/
 * quirks.h), every family or those of one VID:PID, with the quirks each
 * shows, what hosts do about them, and where the facts come from. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/quirks.h"

#define CMD "quirks"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s " CMD " [OPTIONS] [VID:PID]\n\n"
            "List the known quirks of DFU devices (R1-R32, docs/quirks.md) and the device\n"
            "families that show them, keyed by VID:PID, each with the host's workaround\n"
            "and its sources (dfu-util's src/quirks.c and src/dfuse.c, fwupd's\n"
            "plugins/dfu/dfu.quirk, the vendors' documents). With VID:PID (hex, e.g.\n"
            "0483:df11), only the families that VID:PID belongs to. `dfuscope diagnose`\n"
            "names these quirks when one explains a finding.\n\n"
            "Options:\n"
            "  --bcd HEX     the device's bcdDevice (families keyed by it match only then)\n"
            "  --json        one JSON object {\"quirks\": [...], \"families\": [...]}\n"
            "                (docs/json.md)\n"
            "  -h, --help    this help\n\n"
            "Exit status: 0 listed, 1 no known family for VID:PID, 2 usage error.\n",
            cli_prog);
}

static bool parse_hex16(const char *s, uint16_t *out)
{
    char *end;
    if (!s || !*s || strlen(s) > 6)
        return false;
    unsigned long v = strtoul(s, &end, 16);
    if (*end || v > 0xffff)
        return false;
    *out = (uint16_t)v;
    return true;
}

static bool parse_vidpid(const char *arg, uint16_t *vid, uint16_t *pid)
{
    char buf[16];
    const char *colon = strchr(arg, ':');
    if (!colon || (size_t)(colon - arg) >= sizeof buf)
        return false;
    memcpy(buf, arg, (size_t)(colon - arg));
    buf[colon - arg] = '\0';
    return parse_hex16(buf, vid) && parse_hex16(colon + 1, pid);
}

static void ids(const struct dfs_quirk_family *f, char *buf, size_t size)
{
    if (f->pid_first == 0 && f->pid_last == 0xffff)
        snprintf(buf, size, "%04x:*", f->vid);
    else if (f->pid_first == f->pid_last)
        snprintf(buf, size, "%04x:%04x", f->vid, f->pid_first);
    else
        snprintf(buf, size, "%04x:%04x-%04x", f->vid, f->pid_first, f->pid_last);
    if (f->bcd_device >= 0) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, " bcdDevice %04x", (unsigned)f->bcd_device);
    }
}

static void print_text(const struct dfs_quirk_family *f)
{
    char id[48];
    ids(f, id, sizeof id);
    printf("%s  %s\n", id, f->name);
    if (f->recognised)
        printf("  recognised: %s\n", f->recognised);
    for (unsigned i = 0; i < f->n_quirks; i++) {
        const struct dfs_quirk_info *q = dfs_quirk_info(f->quirks[i]);
        if (q)
            printf("  %-4s %s\n", q->label, q->title);
    }
    printf("  hosts: %s\n", f->workaround);
    printf("  source: %s\n\n", f->source);
}

static void print_json_family(const struct dfs_quirk_family *f, bool first)
{
    char id[48];
    ids(f, id, sizeof id);
    printf("%s{\"name\":", first ? "" : ",");
    json_str(stdout, f->name);
    printf(",\"vid\":%u,\"pid_first\":%u,\"pid_last\":%u,\"bcdDevice\":", f->vid, f->pid_first,
           f->pid_last);
    if (f->bcd_device >= 0)
        printf("%d", (int)f->bcd_device);
    else
        fputs("null", stdout);
    fputs(",\"ids\":", stdout);
    json_str(stdout, id);
    fputs(",\"recognised\":", stdout);
    if (f->recognised)
        json_str(stdout, f->recognised);
    else
        fputs("null", stdout);
    fputs(",\"quirks\":[", stdout);
    for (unsigned i = 0; i < f->n_quirks; i++) {
        const struct dfs_quirk_info *q = dfs_quirk_info(f->quirks[i]);
        printf("%s", i ? "," : "");
        json_str(stdout, q ? q->label : "?");
    }
    fputs("],\"workaround\":", stdout);
    json_str(stdout, f->workaround);
    fputs(",\"source\":", stdout);
    json_str(stdout, f->source);
    fputs("}", stdout);
}

static void print_json_quirks(const unsigned char *used)
{
    fputs("\"quirks\":[", stdout);
    bool first = true;
    for (unsigned id = 1; id <= DFS_QUIRK_MAX; id++) {
        const struct dfs_quirk_info *q = dfs_quirk_info(id);
        if (!q || (used && !used[id]))
            continue;
        printf("%s{\"id\":", first ? "" : ",");
        json_str(stdout, q->label);
        fputs(",\"title\":", stdout);
        json_str(stdout, q->title);
        fputs(",\"workaround\":", stdout);
        json_str(stdout, q->workaround);
        fputs("}", stdout);
        first = false;
    }
    fputs("]", stdout);
}

enum { OPT_JSON = 256, OPT_BCD };
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"bcd", required_argument, NULL, OPT_BCD},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_quirks_options = {"h", longopts};

int cmd_quirks(int argc, char **argv)
{
    bool json = false;
    int32_t bcd = -1;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_quirks_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: json = true; break;
        case OPT_BCD: {
            uint16_t v;
            if (!parse_hex16(optarg, &v)) {
                cli_err(CMD, "--bcd '%s': expected a bcdDevice in hex, e.g. 0200", optarg);
                return EXIT_USAGE;
            }
            bcd = v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        cli_err(CMD, "expected at most one VID:PID");
        usage(stderr);
        return EXIT_USAGE;
    }
    bool filtered = optind < argc;
    uint16_t vid = 0, pid = 0;
    if (filtered && !parse_vidpid(argv[optind], &vid, &pid)) {
        cli_err(CMD, "'%s': expected VID:PID in hex, e.g. 0483:df11", argv[optind]);
        return EXIT_USAGE;
    }
    const struct dfs_quirk_family *sel[64];
    size_t n = 0;
    if (filtered) {
        n = dfs_quirk_match(vid, pid, bcd, sel, sizeof sel / sizeof sel[0]);
        if (n > sizeof sel / sizeof sel[0])
            n = sizeof sel / sizeof sel[0];
    } else {
        for (size_t i = 0; i < dfs_quirk_family_count() && n < sizeof sel / sizeof sel[0]; i++)
            sel[n++] = dfs_quirk_family(i);
    }
    unsigned char used[DFS_QUIRK_MAX + 1] = {0};
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 0; k < sel[i]->n_quirks; k++)
            if (sel[i]->quirks[k] <= DFS_QUIRK_MAX)
                used[sel[i]->quirks[k]] = 1;
    if (json) {
        fputs("{", stdout);
        print_json_quirks(filtered ? used : NULL);
        fputs(",\"families\":[", stdout);
        for (size_t i = 0; i < n; i++)
            print_json_family(sel[i], i == 0);
        fputs("]}\n", stdout);
        return filtered && !n ? 1 : 0;
    }
    if (filtered && !n) {
        printf("%04x:%04x: no known quirks (`%s " CMD "` lists every family)\n", vid, pid,
               cli_prog);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        print_text(sel[i]);
    printf("Quirks:\n");
    for (unsigned id = 1; id <= DFS_QUIRK_MAX; id++) {
        const struct dfs_quirk_info *q = dfs_quirk_info(id);
        if (q && (!filtered || used[id]))
            printf("  %-4s %s\n       hosts: %s\n", q->label, q->title, q->workaround);
    }
    return 0;
}
