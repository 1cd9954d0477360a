/* dfuscope run: a script or the built-in suites against a device. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/quirks.h"
#include "dfuscope/runner.h"
#include "progress.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s run [OPTIONS] SCRIPT\n"
            "  or:  %s run [OPTIONS] --suite NAME[,NAME...]\n"
            "\n"
            "Send a script's requests (docs/scripts.md) or the built-in conformance suites\n"
            "(docs/conformance.md) to a DFU device and check every reply. Read-only unless\n"
            "an --allow flag says otherwise.\n"
            "\n"
            "What to run:\n"
            "  SCRIPT                 a script file (- for standard input)\n"
            "  --suite NAME           descriptors, dfu11, dfuse, or all (repeat or separate\n"
            "                         with commas)\n"
            "  --list                 list the suites and their checks, then exit\n"
            "  --dry-run              print every request the script would send; send nothing\n"
            "\n"
            "Which device (default: the only DFU device connected):\n"
            "  --device VID:PID       e.g. 0483:df11\n"
            "  --path BUS-PORT        e.g. 1-4.2 (as dfu-util -p shows it)\n"
            "  --serial SERIAL        the iSerialNumber string\n"
            "  --alt N                select alternate setting N first\n"
            "  --interface N          the DFU interface, when there are several\n"
            "\n"
            "Permissions (nothing that changes the device is sent without them):\n"
            "  --allow-write          download data (program memory or firmware)\n"
            "  --allow-erase          erase pages or the whole memory\n"
            "  --allow-option-bytes   write or erase option bytes (with --allow-write/-erase)\n"
            "  --allow-unprotect      read-unprotect, which mass-erases (with --allow-erase)\n"
            "  --allow-otp            write one-time-programmable memory (with --allow-write)\n"
            "  --allow-timing-abuse   dfu11: also send GETSTATUS before bwPollTimeout\n"
            "  --allow-vendor-request descriptors: send one vendor request the device does\n"
            "                         not define, to see it STALLed (what a vendor request\n"
            "                         does is its maker's)\n"
            "A suite check that needs a flag not given is reported as not-checked, naming\n"
            "the flag; a deviation the device's family is known for (dfuscope quirks) as\n"
            "known-quirk, naming the quirk and its source.\n"
            "\n"
            "Output:\n"
            "  --json                 one JSON object on standard output instead of text\n"
            "  --junit FILE           JUnit XML for CI systems\n"
            "  --pcap FILE            the run as a usbmon capture (.pcapng: pcapng), which\n"
            "                         dfuscope diagnose and Wireshark read\n"
            "  -v, --verbose          text: every request under its step\n"
            "  -q, --quiet            no progress line (on standard error, when it is a\n"
            "                         terminal: the step the run is on and for how long)\n"
            "\n"
            "  --timeout MS           per request (default 5000)\n"
            "  --keep-going           scripts: go on after a failed step\n"
            "  -h, --help             this help\n"
            "\n"
            "Ctrl-C stops after the current step (never inside an option-byte write) and\n"
            "sends ABORT when the device's state allows it.\n"
            "\n"
            "Exit status: 0 no check failed (passed, skipped, known-quirk or not-checked),\n"
            "1 a check failed, 2 the run could not be made (no device, bad script, missing\n"
            "permission or --allow flag: the message says how to fix it) or was cut short.\n",
            cli_prog, cli_prog);
}

/* ---- signals ------------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- files ----------------------------------------------------------------------------------- */

static int read_all(FILE *fp, char **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    if (!b)
        return ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap >= ((size_t)DFS_SCRIPT_MAX_DATA) * 4) {
                free(b);
                return EFBIG;
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return ENOMEM;
            }
            b = nb;
            cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, fp);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(fp)) {
        free(b);
        return EIO;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Included scripts and data files, relative to the script naming them. */
static dfs_result load_file(void *user, const char *from, const char *path, char **buf,
                            size_t *len, char *resolved, size_t resolved_size, char *err,
                            size_t err_size)
{
    (void)user;
    char full[4096];
    const char *slash = from ? strrchr(from, '/') : NULL;
    if (path[0] != '/' && slash)
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - from), from, path);
    else
        snprintf(full, sizeof full, "%s", path);
    FILE *fp = fopen(full, "rb");
    if (!fp) {
        snprintf(err, err_size, "%s: %s", full, strerror(errno));
        return DFS_E_IO;
    }
    int e = read_all(fp, buf, len);
    fclose(fp);
    if (e) {
        snprintf(err, err_size, "%s: %s", full, e == EFBIG ? "file too large" : strerror(e));
        return DFS_E_IO;
    }
    snprintf(resolved, resolved_size, "%s", full);
    return DFS_OK;
}

/* ---- output while running ---------------------------------------------------------------------- */

struct run_ui {
    bool text, verbose;
    dfs_capwriter *pcap;
    bool pcap_failed;
    bool have_last;
    struct dfs_time last_ts; /* latest record written */
};

static void ui_step(void *user, const dfs_report *r, size_t i)
{
    struct run_ui *u = user;
    if (u->text) {
        progress_hold(); /* the same terminal, maybe */
        dfs_report_write_step(r, i, stdout, u->verbose);
        fflush(stdout);
        progress_release();
    }
}

/* The progress line: "dfuscope run: step 12, dfu11.poll-timeout: getstatus" */
static void ui_step_begin(void *user, const dfs_report *r, size_t i)
{
    (void)user;
    const struct dfs_step_info *s = dfs_report_step(r, i);
    if (!s)
        return;
    char line[600];
    snprintf(line, sizeof line, "%s run: step %zu, %s: %s", cli_prog, i + 1, s->origin, s->text);
    progress_set(line);
}

static void ui_note(void *user, const char *msg)
{
    (void)user;
    char safe[700];
    text_safe(safe, sizeof safe, msg);
    progress_hold();
    fprintf(stderr, "%s run: %s\n", cli_prog, safe);
    progress_release();
}

static void ui_record(void *user, struct dfs_time ts, const uint8_t *rec, size_t len)
{
    struct run_ui *u = user;
    if (u->pcap && !u->pcap_failed &&
        dfs_capwriter_write(u->pcap, ts, rec, (uint32_t)len, (uint32_t)len) != DFS_OK)
        u->pcap_failed = true;
    if (!u->have_last || dfs_time_diff_us(ts, u->last_ts) > 0)
        u->last_ts = ts;
    u->have_last = true;
}

static bool add_suites(unsigned *mask, const char *arg)
{
    char buf[200];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "all") == 0) {
            *mask |= (1u << DFS_SUITE__COUNT) - 1;
            continue;
        }
        enum dfs_suite s;
        if (dfs_suite_find(t, &s) != DFS_OK) {
            cli_err("run", "unknown suite '%s' (suites: descriptors, dfu11, dfuse, all)", t);
            return false;
        }
        *mask |= 1u << s;
    }
    return true;
}

static void list_suites(unsigned mask, FILE *f)
{
    for (int k = 0; k < DFS_SUITE__COUNT; k++) {
        if (mask && !(mask & (1u << k)))
            continue;
        size_t n;
        const struct dfs_check_info *c = dfs_suite_checks((enum dfs_suite)k, &n);
        fprintf(f, "%s:\n", dfs_suite_name((enum dfs_suite)k));
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "  %-32s %-36s %s", c[i].id, c[i].clause, c[i].title);
            if (c[i].needs) {
                char fl[100];
                dfs_allow_str(c[i].needs, fl, sizeof fl);
                fprintf(f, " (needs %s)", fl);
            }
            fputc('\n', f);
        }
    }
}

static bool parse_uint(const char *arg, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 0);
    if (errno || end == arg || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* What the command line asks for. */
struct run_args {
    struct dfs_run_options o;
    unsigned suites;
    bool json, dry, list, verbose, quiet;
    const char *junit, *pcap;
    const char *script_path;
};

enum {
    OPT_SUITE = 256, OPT_DEVICE, OPT_PATH, OPT_SERIAL, OPT_ALT, OPT_IFACE, OPT_JSON,
    OPT_JUNIT, OPT_PCAP, OPT_DRY, OPT_LIST, OPT_TIMEOUT, OPT_KEEP, OPT_ALLOW_BASE
};
static const struct option longopts[] = {
    {"suite", required_argument, NULL, OPT_SUITE},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"path", required_argument, NULL, OPT_PATH},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"alt", required_argument, NULL, OPT_ALT},
    {"interface", required_argument, NULL, OPT_IFACE},
    {"json", no_argument, NULL, OPT_JSON},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"dry-run", no_argument, NULL, OPT_DRY},
    {"list", no_argument, NULL, OPT_LIST},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"keep-going", no_argument, NULL, OPT_KEEP},
    {"allow-write", no_argument, NULL, OPT_ALLOW_BASE + 0},
    {"allow-erase", no_argument, NULL, OPT_ALLOW_BASE + 1},
    {"allow-option-bytes", no_argument, NULL, OPT_ALLOW_BASE + 2},
    {"allow-unprotect", no_argument, NULL, OPT_ALLOW_BASE + 3},
    {"allow-otp", no_argument, NULL, OPT_ALLOW_BASE + 4},
    {"allow-timing-abuse", no_argument, NULL, OPT_ALLOW_BASE + 5},
    {"allow-vendor-request", no_argument, NULL, OPT_ALLOW_BASE + 6},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_run_options = {"hqv", longopts};

/* The options that choose the device (--device, --path, --serial, --alt,
 * --interface): true when opt was one and is right, else an error said. */
static bool device_option(int opt, const char *arg, struct dfs_run_options *o, bool *known)
{
    unsigned long v;
    *known = true;
    switch (opt) {
    case OPT_DEVICE:
        if (dfs_device_sel_parse_id(&o->device, arg))
            return true;
        cli_err("run", "--device '%s': expected VID:PID in hex, e.g. 0483:df11", arg);
        return false;
    case OPT_PATH:
        if (strlen(arg) >= sizeof o->device.path || !strchr(arg, '-')) {
            cli_err("run", "--path '%s': expected BUS-PORT[.PORT...], e.g. 1-4.2", arg);
            return false;
        }
        snprintf(o->device.path, sizeof o->device.path, "%s", arg);
        return true;
    case OPT_SERIAL:
        if (strlen(arg) >= sizeof o->device.serial) {
            cli_err("run", "--serial: too long");
            return false;
        }
        snprintf(o->device.serial, sizeof o->device.serial, "%s", arg);
        return true;
    case OPT_ALT:
    case OPT_IFACE:
        if (!parse_uint(arg, 255, &v)) {
            if (opt == OPT_ALT)
                cli_err("run", "--alt '%s': expected an alternate setting 0-255", arg);
            else
                cli_err("run", "--interface '%s': expected an interface number 0-255", arg);
            return false;
        }
        *(opt == OPT_ALT ? &o->alt : &o->interface) = (int)v;
        return true;
    default:
        *known = false;
        return true;
    }
}

/* The options; -1 to go on, else the exit status (--help: 0). */
static int parse_args(int argc, char **argv, struct run_args *a)
{
    struct dfs_run_options *o = &a->o;
    int opt;
    unsigned long v;
    bool known;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_run_options.shortopts, longopts, NULL)) != -1) {
        if (!device_option(opt, optarg, o, &known))
            return EXIT_USAGE;
        if (known)
            continue;
        switch (opt) {
        case OPT_SUITE:
            if (!add_suites(&a->suites, optarg))
                return EXIT_USAGE;
            break;
        case OPT_JSON: a->json = true; break;
        case OPT_JUNIT: a->junit = optarg; break;
        case OPT_PCAP: a->pcap = optarg; break;
        case OPT_DRY: a->dry = true; break;
        case OPT_LIST: a->list = true; break;
        case OPT_KEEP: o->keep_going = true; break;
        case OPT_TIMEOUT:
            if (!parse_uint(optarg, 600000, &v) || !v) {
                cli_err("run", "--timeout '%s': expected milliseconds, 1 to 600000", optarg);
                return EXIT_USAGE;
            }
            o->timeout_ms = (uint32_t)v;
            break;
        case 'v': a->verbose = true; break;
        case 'q': a->quiet = true; break;
        case 'h': usage(stdout); return 0;
        default:
            if (opt >= OPT_ALLOW_BASE && opt < OPT_ALLOW_BASE + 7) {
                o->allow |= 1u << (opt - OPT_ALLOW_BASE);
                break;
            }
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    return -1;
}

/* The script or the suites, not both, not neither; -1 to go on. */
static int check_what(int argc, char **argv, struct run_args *a)
{
    a->script_path = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc) {
        cli_err("run", "one script at a time ('%s' is extra)", argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (!a->script_path && !a->suites) {
        cli_err("run", "give a SCRIPT or --suite NAME (see --help; --list shows the suites)");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (a->script_path && a->suites) {
        cli_err("run", "give a SCRIPT or --suite, not both");
        return EXIT_USAGE;
    }
    return -1;
}

/* Read and parse the script; false (the error said) when it is not one. */
static bool load_script(const char *path, dfs_script **script)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        cli_err("run", "%s: %s", path, strerror(errno));
        return false;
    }
    int e = read_all(fp, &buf, &len);
    if (fp != stdin)
        fclose(fp);
    if (e) {
        cli_err("run", "%s: %s", path, e == EFBIG ? "file too large" : strerror(e));
        return false;
    }
    struct dfs_script_loader loader = {load_file, NULL};
    struct dfs_script_error err;
    dfs_result r = dfs_script_parse(buf, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &loader,
                                    script, &err);
    free(buf);
    if (r != DFS_OK) {
        char m[1200];
        dfs_script_error_str(&err, m, sizeof m);
        char safe[1300];
        text_safe(safe, sizeof safe, m);
        fprintf(stderr, "%s run: %s\n", cli_prog, safe);
        return false;
    }
    return true;
}

/* What --device VID:PID says before any device is opened: a family of the
 * quirk table whose DNLOADs are FLIP command blocks (R25) has them
 * classified as such. NULL when nothing is known. */
static const struct dfs_device_facts *facts_of_device(const struct dfs_device_sel *sel,
                                                      struct dfs_device_facts *f)
{
    if (!sel->by_id)
        return NULL;
    const struct dfs_quirk_family *fam[8];
    size_t n = dfs_quirk_match(sel->vid, sel->pid, -1, fam, sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < n && i < sizeof fam / sizeof fam[0]; i++)
        if (dfs_quirk_family_has(fam[i], 25)) {
            dfs_device_facts_init(f);
            f->dfuse = 0;
            f->flip = true;
            return f;
        }
    return NULL;
}

/* --dry-run: what would be sent (the script's plan, or the suites' checks). */
static int dry_run(dfs_script *script, unsigned suites, const struct dfs_run_options *o)
{
    int rc = 0;
    unsigned allow = o->allow;
    struct dfs_device_facts fbuf;
    const struct dfs_device_facts *facts = facts_of_device(&o->device, &fbuf);
    if (!script) {
        printf("dry run of the suites: nothing is sent. Their requests depend on the "
               "device's replies (its descriptors, layouts and states); these checks run:\n");
        list_suites(suites, stdout);
        return rc;
    }
    if (dfs_script_print_plan(script, facts, stdout) != DFS_OK)
        rc = EXIT_USAGE;
    char why[1200];
    unsigned miss = dfs_script_needs(script, facts, allow, why, sizeof why);
    if (miss) {
        char safe[1300];
        text_safe(safe, sizeof safe, why);
        fprintf(stderr, "%s run: a real run would be refused: %s\n", cli_prog, safe);
    }
    return rc;
}

/* The reports of a run made: text or JSON on standard output, the message
 * when it was not complete, JUnit XML. Returns the exit status. */
static int write_reports(const struct run_args *a, const dfs_report *rep)
{
    int rc = dfs_report_exit_code(rep);
    if (a->json)
        dfs_report_write_json(rep, stdout);
    else if (dfs_report_outcome(rep) != DFS_RUN_NOT_MADE)
        dfs_report_write_text(rep, stdout, DFS_TEXT_CHECKS | DFS_TEXT_SUMMARY);
    if (dfs_report_outcome(rep) != DFS_RUN_COMPLETE) {
        char safe[1400];
        text_safe(safe, sizeof safe, dfs_report_message(rep));
        fprintf(stderr, "%s run: %s\n", cli_prog, safe);
    }
    if (a->junit) {
        FILE *jf = strcmp(a->junit, "-") == 0 ? stdout : fopen(a->junit, "w");
        if (!jf) {
            cli_err("run", "%s: %s", a->junit, strerror(errno));
            rc = EXIT_USAGE;
        } else {
            dfs_result w = dfs_report_write_junit(rep, jf, "dfuscope");
            if ((jf != stdout && fclose(jf) != 0) || w != DFS_OK) {
                cli_err("run", "%s: error writing the JUnit report", a->junit);
                rc = EXIT_USAGE;
            }
        }
    }
    return rc;
}

/* The capture's end: when the run ended, or its last record if later; its
 * start only when no record is earlier. */
static void capture_end(const struct dfs_clock *clock, const struct run_ui *ui,
                        struct dfs_capture_end *end)
{
    if (clock->wall) {
        end->has_end = true;
        end->end = clock->wall(clock->ctx);
    }
    if (ui->have_last && (!end->has_end || dfs_time_diff_us(ui->last_ts, end->end) > 0)) {
        end->has_end = true;
        end->end = ui->last_ts;
    }
    if (end->has_start && ui->have_last && dfs_time_diff_us(ui->last_ts, end->start) < 0)
        end->has_start = false;
}

/* The run itself, with its capture and reports; returns the exit status. */
static int run(struct run_args *a, dfs_script *script)
{
    struct run_ui ui = {.text = !a->json, .verbose = a->verbose};
    if (a->pcap) {
        char err[600];
        if (dfs_capwriter_open(a->pcap, DFS_LINKTYPE_USB_LINUX_MMAPPED, &ui.pcap, err,
                               sizeof err) != DFS_OK) {
            cli_err("run", "%s", err);
            return EXIT_USAGE;
        }
    }
    struct dfs_clock clock;
    cli_run_clock(&clock);
    struct dfs_transport tp;
    char msg[1200];
    msg[0] = '\0';
    if (cli_run_transport_new(&clock, &tp, msg, sizeof msg) != DFS_OK) {
        cli_err("run", "%s", msg[0] ? msg : "cannot reach USB devices");
        if (ui.pcap)
            dfs_capwriter_close(ui.pcap);
        return EXIT_USAGE;
    }
    stop_flag = 0;
    install_signals();
    struct dfs_capture_end pcap_end = {0};
    if (clock.wall) {
        pcap_end.has_start = true;
        pcap_end.start = clock.wall(clock.ctx);
    }
    struct dfs_run_options *o = &a->o;
    o->clock = &clock;
    o->stop = &stop_flag;
    o->on_record = ui.pcap ? ui_record : NULL;
    o->on_step = ui_step;
    o->on_note = ui_note;
    o->user = &ui;
    if (!a->quiet && progress_start_ticker())
        o->on_step_begin = ui_step_begin;
    dfs_report *rep = NULL;
    dfs_result r = script ? dfs_run_script(script, o, &tp, &rep)
                          : dfs_run_suites(a->suites, o, &tp, &rep);
    progress_stop();
    /* the capture ends when the run does, maybe well after its last
     * record (a device that left and was waited for) */
    capture_end(&clock, &ui, &pcap_end);
    cli_run_transport_free(&tp);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int rc;
    if (r != DFS_OK) {
        cli_err("run", "%s", dfs_result_str(r));
        rc = EXIT_USAGE;
    } else {
        rc = write_reports(a, rep);
        dfs_report_free(rep);
    }
    if (ui.pcap &&
        (dfs_capwriter_close_end(ui.pcap, &pcap_end) != DFS_OK || ui.pcap_failed)) {
        cli_err("run", "%s: error writing the capture", a->pcap);
        rc = EXIT_USAGE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_err("run", "error writing the output");
        rc = EXIT_USAGE;
    }
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_args a;
    memset(&a, 0, sizeof a);
    dfs_run_options_init(&a.o);
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (a.list) {
        list_suites(a.suites, stdout);
        return 0;
    }
    rc = check_what(argc, argv, &a);
    if (rc >= 0)
        return rc;
    /* the script first: a bad one is reported before any device is touched */
    dfs_script *script = NULL;
    if (a.script_path && !load_script(a.script_path, &script))
        return EXIT_USAGE;
    if (a.dry) {
        rc = dry_run(script, a.suites, &a.o);
        dfs_script_free(script);
        return rc;
    }
    rc = run(&a, script);
    dfs_script_free(script);
    return rc;
}
