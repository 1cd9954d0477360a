/* dfuscope check-file: a firmware file against itself, a device's layout,
 * a live device or what a captured session wrote (firmware/, docs/firmware.md). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_file.h"
#include "port.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s check-file [OPTIONS] FILE|-\n"
            "       %s check-file [OPTIONS] FILE --layout STRING [--layout STRING]...\n"
            "       %s check-file [OPTIONS] FILE --device VID:PID\n"
            "       %s check-file [OPTIONS] FILE --capture CAPTURE\n"
            "\n"
            "Check a firmware file before (or after) it is flashed: a raw binary (.bin), a\n"
            "DFU file (a binary with the DFU 1.1 suffix, .dfu), an ST DfuSe file (.dfu), an\n"
            "Intel HEX file or S-records, told apart by their content. Prints a verdict\n"
            "line, then each finding with its severity, id, where in the file it is (byte\n"
            "offsets, lines, frames), what was seen and what to do. Each finding id has a\n"
            "page in docs/findings/; what is read and checked: docs/firmware.md.\n"
            "\n"
            "Alone, the file is checked against itself: the suffix (CRC, bLength, bcdDFU),\n"
            "the DfuSe prefix, targets and elements (signatures, sizes, counts), record\n"
            "syntax and checksums, parts that overlap or pass 4 GiB, option bytes and OTP\n"
            "at known addresses, and stray linker sections (data hundreds of MiB apart, or a\n"
            "binary no flash could hold).\n"
            "\n"
            "Against what (one of):\n"
            "  --layout STRING      a DfuSe memory layout, as dfu-util -l shows an alternate\n"
            "                       setting's name (\"@Internal Flash /0x08000000/128*002Kg\");\n"
            "                       repeat for alternate settings 1, 2, ...\n"
            "  --device VID:PID     a connected device: its descriptors and the layouts of\n"
            "                       its alternate settings, read through libusb without\n"
            "                       sending anything else (the device is not changed)\n"
#ifdef _WIN32
            "                       (Linux only: this Windows build reaches no devices)\n"
#endif
            "  --capture CAPTURE    a usbmon capture of a session that downloaded the file:\n"
            "                       the device it shows, and what the session wrote\n"
            "                       compared with the file (missing, different and extra\n"
            "                       bytes, and where the session stopped)\n"
            "With one: the suffix's VID:PID against the device, a DfuSe file against a DFU\n"
            "1.1 device or a raw image against a DfuSe one, targets against alternate\n"
            "settings, and every part against the layout of its alternate setting (inside\n"
            "it, writable, pages an erase wipes beyond the data, size against the memory).\n"
            "\n"
            "Options:\n"
            "  --alt N              the alternate setting a raw image, hex or S-record file\n"
            "                       goes to (default: the first with a layout); with\n"
            "                       --capture, only what the session wrote through N\n"
            "  --address ADDR       where a raw binary goes (as dfu-util -s ADDR); default:\n"
            "                       the start of the layout, or the lowest address the\n"
            "                       session wrote\n"
            "  --format auto|binary|dfuse|ihex|srec\n"
            "                       how to read FILE (default auto: from its content)\n"
            "  --json               one JSON object (schema: docs/json.md)\n"
            "  --color WHEN         auto (default: on a terminal, unless NO_COLOR is set),\n"
            "                       always, never\n"
            "  --max-urbs N, --max-payload BYTES, --max-devices N\n"
            "                       decoder limits for --capture (see dfuscope decode --help)\n"
            "  -h, --help           this help\n"
            "\n"
            "A file named *.dfu without a DFU suffix is a finding; other names need none.\n"
            "\n"
            "Exit status: 0 no error-severity finding, 1 error findings, 2 unusable input or\n"
            "usage error (the file or capture cannot be read, a layout does not parse, the\n"
            "device is not there).\n",
            cli_prog, cli_prog, cli_prog, cli_prog);
}

/* ---- the file ------------------------------------------------------------------------------ */

struct input {
    const uint8_t *p;
    size_t len;
    bool mapped;
};

static int read_input(const char *path, struct input *in)
{
    memset(in, 0, sizeof *in);
    bool is_stdin = strcmp(path, "-") == 0;
    /* mapped: a 2 GB binary from a stray section costs no memory; what
     * cannot be (a pipe, an empty file) is read */
    if (!is_stdin && dfs_port_map(path, &in->p, &in->len) == 0) {
        in->mapped = true;
        return 0;
    }
    if (!is_stdin && errno != EINVAL) {
        cli_err("check-file", "%s: cannot open: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    FILE *fp = is_stdin ? stdin : dfs_port_fopen(path, "rb");
    if (!fp) {
        cli_err("check-file", "%s: cannot open: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *n = ncap > cap ? realloc(buf, ncap) : NULL;
            if (!n) {
                cli_err("check-file", "%s: out of memory after %zu bytes", path, len);
                rc = EXIT_USAGE;
                break;
            }
            buf = n;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        len += r;
        if (r == 0) {
            if (ferror(fp)) {
                cli_err("check-file", "%s: read error: %s", path, strerror(errno));
                rc = EXIT_USAGE;
            }
            break;
        }
    }
    if (fp != stdin)
        fclose(fp);
    if (rc) {
        free(buf);
        return rc;
    }
    in->p = buf;
    in->len = len;
    return 0;
}

static void input_free(struct input *in)
{
    if (in->mapped)
        dfs_port_unmap(in->p, in->len);
    else
        free((void *)(uintptr_t)in->p);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* ---- what it is checked against -------------------------------------------------------------- */

#define MAX_LAYOUTS DFS_FW_MAX_ALTS

static int layouts_device(const char *const *layouts, unsigned n, struct dfs_fw_device *d)
{
    snprintf(d->what, sizeof d->what, "the layout given");
    d->dfuse = 1;
    for (unsigned i = 0; i < n; i++) {
        struct dfs_fw_alt *a = &d->alts[d->n_alts++];
        a->alt = (uint8_t)i;
        a->has_name = true;
        snprintf(a->name, sizeof a->name, "%s", layouts[i]);
        char why[200];
        if (dfs_layout_parse(layouts[i], strlen(layouts[i]), &a->layout, why, sizeof why) !=
            DFS_OK) {
            char safe[300];
            text_safe(safe, sizeof safe, layouts[i]);
            cli_err("check-file", "--layout '%s': %s", safe, why);
            return EXIT_USAGE;
        }
        a->has_layout = true;
    }
    return 0;
}

static int capture_session(const char *path, const struct dfs_options *dopt, int alt,
                           dfs_fw_session **out, struct check_against *ag)
{
    struct dfs_fw_session_options so;
    dfs_fw_session_options_init(&so);
    so.alt = alt;
    if (dfs_fw_session_new(&so, out) != DFS_OK) {
        cli_err("check-file", "out of memory");
        return EXIT_USAGE;
    }
    struct run_opts ro = {.cmd = "check-file", .path = path, .dopt = *dopt};
    struct dfs_sink sink = {0};
    dfs_fw_session_sink(*out, &sink);
    struct run_result res;
    dfs_decoder *dec = NULL;
    int rc = run_capture(&ro, &sink, &dec, &res);
    if (rc)
        return rc;
    dfs_result r = dfs_fw_session_finish(*out, dec);
    dfs_decoder_free(dec);
    if (r != DFS_OK || (res.records == 0 && res.read_error)) {
        cli_err("check-file", "%s: %s", path,
                r != DFS_OK ? "out of memory" : "no record could be read");
        return EXIT_USAGE;
    }
    dfs_fw_session_get_info(*out, &ag->session);
    ag->has_session = true;
    if (ag->session.mixed) {
        cli_err("check-file",
                "%s: the session wrote DFU 1.1 images of several devices or alternate settings "
                "(their offsets overlap); choose one with --alt",
                path);
        return EXIT_USAGE;
    }
    if (dfs_fw_session_device(*out, &ag->device) == DFS_OK)
        ag->has_device = true;
    return 0;
}

/* ---- the command ------------------------------------------------------------------------------ */

struct opts {
    bool json;
    const char *color;
    const char *device, *capture;
    const char *layouts[MAX_LAYOUTS];
    unsigned n_layouts;
    int alt;
    struct dfs_fw_options fo;
    struct dfs_options dopt;
    const char *path;
};

static bool parse_number(const char *arg, unsigned long long max, unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(arg, &end, 0);
    return !errno && end != arg && !*end && *v <= max && arg[0] != '-';
}

enum { OPT_JSON = 256, OPT_DEVICE, OPT_CAPTURE, OPT_LAYOUT, OPT_ALT, OPT_ADDRESS, OPT_FORMAT,
       OPT_COLOR };
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"capture", required_argument, NULL, OPT_CAPTURE},
    {"layout", required_argument, NULL, OPT_LAYOUT},
    {"alt", required_argument, NULL, OPT_ALT},
    {"address", required_argument, NULL, OPT_ADDRESS},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    LIMIT_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_check_file_options = {"h", longopts};

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const char *const formats[] = {"auto", "binary", "dfuse", "ihex", "srec"};
    unsigned long long v;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_check_file_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: o->json = true; break;
        case OPT_DEVICE: o->device = optarg; break;
        case OPT_CAPTURE: o->capture = optarg; break;
        case OPT_LAYOUT:
            if (o->n_layouts == MAX_LAYOUTS) {
                cli_err("check-file", "at most %d --layout", MAX_LAYOUTS);
                return EXIT_USAGE;
            }
            o->layouts[o->n_layouts++] = optarg;
            break;
        case OPT_ALT:
            if (!parse_number(optarg, 255, &v)) {
                cli_err("check-file", "--alt '%s': expected a number 0-255", optarg);
                return EXIT_USAGE;
            }
            o->alt = (int)v;
            break;
        case OPT_ADDRESS:
            if (!parse_number(optarg, UINT32_MAX, &v)) {
                cli_err("check-file", "--address '%s': expected an address such as 0x08000000",
                        optarg);
                return EXIT_USAGE;
            }
            o->fo.has_base = true;
            o->fo.base = (uint32_t)v;
            break;
        case OPT_FORMAT: {
            size_t k = 0;
            while (k < 5 && strcmp(optarg, formats[k]) != 0)
                k++;
            if (k == 5) {
                cli_err("check-file", "--format '%s': expected auto, binary, dfuse, ihex or srec",
                        optarg);
                return EXIT_USAGE;
            }
            o->fo.format = (enum dfs_fw_format)k;
            break;
        }
        case OPT_COLOR:
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
                cli_err("check-file", "--color '%s': expected auto, always or never", optarg);
                return EXIT_USAGE;
            }
            o->color = optarg;
            break;
        case LIMIT_URBS:
        case LIMIT_PAYLOAD:
        case LIMIT_DEVICES:
            if (!parse_limit(&o->dopt, (enum limit_kind)opt, optarg, "check-file"))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return -1;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_err("check-file", optind >= argc ? "no firmware file given (use - for standard input)"
                                             : "only one firmware file at a time");
        usage(stderr);
        return EXIT_USAGE;
    }
    o->path = argv[optind];
    if ((o->device != NULL) + (o->capture != NULL) + (o->n_layouts > 0) > 1) {
        cli_err("check-file", "--device, --capture and --layout go one at a time");
        return EXIT_USAGE;
    }
    if (o->capture && strcmp(o->capture, "-") == 0 && strcmp(o->path, "-") == 0) {
        cli_err("check-file", "the file and the capture cannot both be standard input");
        return EXIT_USAGE;
    }
    o->fo.expect_suffix = ends_with(o->path, ".dfu");
    return 0;
}

static int against(const struct opts *o, struct check_against *ag, dfs_fw_session **session)
{
    int rc = 0;
    dfs_fw_device_init(&ag->device);
    if (o->n_layouts) {
        ag->kind = AGAINST_LAYOUT;
        ag->has_device = true;
        rc = layouts_device(o->layouts, o->n_layouts, &ag->device);
    } else if (o->device) {
        ag->kind = AGAINST_DEVICE;
        ag->arg = o->device;
        ag->has_device = true;
        rc = check_file_read_device(o->device, &ag->device);
    } else if (o->capture) {
        ag->kind = AGAINST_CAPTURE;
        ag->arg = o->capture;
        rc = capture_session(o->capture, &o->dopt, o->alt, session, ag);
    }
    if (rc || !ag->has_device)
        return rc;
    ag->device.alt = o->alt;
    if (o->alt >= 0 && ag->kind != AGAINST_CAPTURE) {
        bool found = false;
        for (unsigned i = 0; i < ag->device.n_alts; i++)
            found |= ag->device.alts[i].alt == o->alt;
        if (!found) {
            cli_err("check-file", "--alt %d: %s has no alternate setting %d", o->alt,
                    ag->device.what, o->alt);
            return EXIT_USAGE;
        }
    }
    return 0;
}

int cmd_check_file(int argc, char **argv)
{
    struct opts o = {.color = "auto", .alt = -1};
    dfs_fw_options_init(&o.fo);
    dfs_options_init(&o.dopt);
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct check_against *ag = calloc(1, sizeof *ag);
    struct input in;
    if (!ag) {
        cli_err("check-file", "out of memory");
        return EXIT_USAGE;
    }
    if ((rc = read_input(o.path, &in)) != 0) {
        free(ag);
        return rc;
    }
    dfs_fw_file *f = NULL;
    dfs_fw_session *session = NULL;
    if (dfs_fw_read(in.p, in.len, &o.fo, &f) != DFS_OK) {
        cli_err("check-file", "%s: out of memory", o.path);
        rc = EXIT_USAGE;
    }
    if (!rc)
        rc = against(&o, ag, &session);
    if (!rc && (dfs_fw_check_device(f, ag->has_device ? &ag->device : NULL) != DFS_OK ||
                (session && dfs_fw_check_session(f, session, &ag->compare) != DFS_OK))) {
        cli_err("check-file", "%s: out of memory", o.path);
        rc = EXIT_USAGE;
    }
    if (!rc) {
        if (o.json)
            check_file_print_json(stdout, o.path, f, ag);
        else
            check_file_print_text(stdout, o.path, f, ag, o.color);
        uint64_t sev[3];
        dfs_fw_severity_counts(f, sev);
        rc = sev[DFS_SEV_ERROR] ? EXIT_FINDINGS : 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_err("check-file", "error writing the output");
            rc = EXIT_USAGE;
        }
    }
    dfs_fw_session_free(session);
    dfs_fw_free(f);
    input_free(&in);
    free(ag);
    return rc;
}
