/* dfuscope command line: shared helpers. */
#ifndef DFS_CLI_H
#define DFS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dfuscope/capture.h"
#include "dfuscope/dfuscope.h"

/* Exit codes shared by every subcommand. */
enum {
    EXIT_OK_ = 0,
    EXIT_FINDINGS = 1, /* diagnose: error findings; run: a check failed */
    EXIT_USAGE = 2,    /* unusable input or usage error */
};

extern const char *cli_prog;

/* "dfuscope decode: message" on stderr. */
void cli_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- output ---------------------------------------------------------------- */
/* Write s as a JSON string (with quotes), escaping as needed. */
void json_str(FILE *f, const char *s);
void json_strn(FILE *f, const char *s, size_t n);
/* Write bytes as a JSON string of lowercase hex digits. */
void json_hex(FILE *f, const uint8_t *p, size_t n);
/* Copy s into out with control characters shown as \xNN (for terminals). */
void text_safe(char *out, size_t size, const char *s);
/* "1.234567" seconds since the first record */
void fmt_reltime(char *buf, size_t size, struct dfs_time t, struct dfs_time base);
void fmt_abstime(char *buf, size_t size, struct dfs_time t);
const char *status_str(int32_t status, char *buf, size_t size);

/* Colour on a terminal unless NO_COLOR is set or --color=never. */
struct color {
    bool on;
};
void color_init(struct color *c, FILE *f, const char *mode);
const char *c_red(const struct color *c);
const char *c_yellow(const struct color *c);
const char *c_cyan(const struct color *c);
const char *c_bold(const struct color *c);
const char *c_dim(const struct color *c);
const char *c_off(const struct color *c);

/* Sort n elements of size bytes at base by cmp, keeping the order of equal
 * ones. qsort does not promise that: glibc's keeps it, other C libraries
 * (Windows', musl) do not, and output sorted with ties would differ between
 * them. */
void cli_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---- device filter ---------------------------------------------------------- */
struct dev_filter {
    bool active;
    bool by_addr;       /* BUS.DEV */
    uint16_t bus;
    uint8_t devnum;
    uint16_t vid, pid;  /* VID:PID */
    /* instance ids matching, learnt from device events (and, for VID:PID on
     * a file, in a first pass) */
    uint32_t *ids;
    size_t n_ids;
    bool learnt;
};
/* Parse "BUS.DEV" or "VID:PID" (hex); false with a message on error. */
bool dev_filter_parse(struct dev_filter *f, const char *arg, char *err, size_t err_size);
/* Does a record of bus/devnum, device instance `device`, match? */
bool dev_filter_match(const struct dev_filter *f, uint16_t bus, uint8_t devnum, uint32_t device);
/* Does device instance `device` match (instances are learnt from the device
 * events: those identified with VID:PID, or seen at BUS.DEV)? */
bool dev_filter_match_instance(const struct dev_filter *f, uint32_t device);
void dev_filter_free(struct dev_filter *f);
/* --device and a finding of a log's own: kept when the tool spoke to the
 * selected device, or when the log does not say which device it spoke to
 * (or, for BUS.DEV, always: a tool log names no bus address): dropping it
 * would hide evidence */
struct dfs_log_finding;
bool log_finding_for_device(const struct dev_filter *f, const struct dfs_log_finding *lf);

/* ---- running a capture through the decoder ----------------------------------- */
struct run_opts {
    const char *cmd;              /* for messages */
    const char *path;             /* file or "-" */
    FILE *stream;                 /* read this instead of opening path (path names it) */
    struct dfs_options dopt;
    bool follow;                  /* growing file or pipe */
    bool quiet_capture_findings;  /* do not print capture.* findings on stderr */
    /* A progress line on standard error while a file over
     * PROGRESS_MIN_FILE_BYTES is read, when it is a terminal (progress.h) */
    bool progress;
    struct dev_filter *filter;    /* VID:PID filters get a first pass on files */
    /* Records come from here instead of from path (live capture, device
     * following): RECORD, AGAIN (call again), EOF or ERROR (message already
     * printed). The record stays valid until the next call. */
    enum dfs_capnext (*next)(void *user, struct dfs_record *rec);
    void *next_user;
    /* With next: when the capture stopped, asked once after the last
     * record (NULL: not known). Fills *out (has_end false: not known). */
    void (*end)(void *user, struct dfs_capture_end *out);
};

struct run_result {
    uint64_t records;
    uint64_t reader_damaged;
    uint64_t skipped_bytes;
    uint64_t linktype_skipped; /* also in the decoder's records_skipped */
    int linktype;
    bool read_error;   /* the reader gave up before the end */
    bool aborted;
    char error[600];
    struct dfs_capture_end end; /* what the capture says about its end (pcapng statistics) */
};

/* Feed the whole capture to a new decoder built with sink. The decoder is
 * returned in *out (finished) for queries; free it with dfs_decoder_free.
 * Returns 0, or EXIT_USAGE when the file could not be used at all (message
 * already printed). */
int run_capture(const struct run_opts *ro, const struct dfs_sink *sink, dfs_decoder **out,
                struct run_result *res);

/* Parse --max-urbs, --max-payload or --max-devices into *o; prints the error.
 * The kinds are also the values of these options in a command's long
 * options table, above the values of its own options. */
enum limit_kind { LIMIT_URBS = 0x1000, LIMIT_PAYLOAD, LIMIT_DEVICES };
bool parse_limit(struct dfs_options *o, enum limit_kind kind, const char *arg, const char *cmd);
/* The rows of a long options table (<getopt.h>) for all three limits. */
#define LIMIT_LONGOPTS                                                                             \
    {"max-urbs", required_argument, NULL, LIMIT_URBS},                                             \
    {"max-payload", required_argument, NULL, LIMIT_PAYLOAD},                                       \
    {"max-devices", required_argument, NULL, LIMIT_DEVICES}

/* --device ARG into *f (see dev_filter_parse); false after printing the
 * error as cmd's. */
bool parse_device_option(struct dev_filter *f, const char *arg, const char *cmd);

/* The one capture file (or -) a command takes after its options (at
 * getopt's optind): its argument, or NULL after saying on stderr that there is none or more
 * than one. */
const char *capture_argument(int argc, char **argv, const char *cmd);

/* Print a capture.* finding as "FILE: frame N: explanation" on stderr. */
void print_capture_finding(const char *path, const struct dfs_finding *f);

/* Findings of one id in a listing (diagnose, report): a long capture repeats
 * the same findings, so only the first FINDINGS_PER_ID of an id are kept and
 * the others counted ("and 725 more like this", frames first to last), which
 * keeps the output readable and the memory the same as for a short one. */
#define FINDINGS_PER_ID 20
struct finding_repeats {
    unsigned kept;                        /* listed */
    uint64_t more, first_frame, last_frame; /* counted only */
};
/* Count one more finding that is not listed, at FRAME. */
void finding_repeats_more(struct finding_repeats *r, uint64_t frame);

/* The path rel, relative to the folder this program is in (/proc/self/exe),
 * with its ".." components applied: "../libexec/dfuscope/x" from
 * /usr/local/bin gives /usr/local/libexec/dfuscope/x. Files installed with
 * dfuscope are found so in an installed prefix, a moved one, a DESTDIR
 * staging area and the build tree alike (which has the same layout). False
 * with err set when the program's own path cannot be read or it does not fit. */
bool cli_path_from_self(const char *rel, char *out, size_t size, char *err, size_t err_size);

/* The helper programs (helper_exec.c): dfuscope-emulate and dfuscope-capture,
 * installed under LIBEXECDIR/dfuscope, carry the libraries only their command
 * needs. cli_find_helper looks for one: the file named by the environment
 * variable env_name when it is set, else rel from this program's own
 * directory. CLI_HELPER_FOUND: path is the helper. CLI_HELPER_MISSING: path
 * is where it should be, and nothing executable is there. The other two: err
 * says why (env_name names no executable; this program's own path is
 * unknown). */
enum cli_helper_found { CLI_HELPER_FOUND, CLI_HELPER_MISSING, CLI_HELPER_BAD_ENV, CLI_HELPER_NO_SELF };
enum cli_helper_found cli_find_helper(const char *env_name, const char *rel, char *path,
                                      size_t size, char *err, size_t err_size);
/* Execute the helper at path with argv (argv[0], the command's name, is
 * replaced by path). Returns only when it could not be started, after
 * saying so as cmd. */
void cli_exec_helper(const char *cmd, char *path, char **argv);

/* A command's options as its parser takes them: getopt_long's short
 * options and long options table. `dfuscope --complete` lists them for the
 * shell completions from the same tables, so that the two cannot differ. */
struct option;
struct cli_options {
    const char *shortopts;
    const struct option *longopts;
};

/* What a command takes after its options. */
enum cli_operand {
    OPERAND_NONE,  /* nothing */
    OPERAND_FILE,  /* a file (capture, script) or - */
    OPERAND_MODEL, /* an emulated device model, then -- COMMAND [ARGS] */
};

/* The commands, in the order `dfuscope --help` lists them. */
struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const struct cli_options *options;
    enum cli_operand operand;
};
extern const struct cli_command cli_commands[];
extern const size_t cli_n_commands;

/* For parsers that cannot use getopt_long (the program's own options, whose
 * getopt state would carry over to the command's; emulate, whose options
 * end at "--"): the row of opts->longopts that arg names, "--name",
 * "--name=VALUE" (*value then points at VALUE) or "-c" of opts->shortopts.
 * NULL when none does (or "=VALUE" is given to an option without one). */
const struct option *cli_find_option(const struct cli_options *opts, const char *arg,
                                     const char **value);

/* The program's own options (-h, -V, --complete). */
enum { CLI_OPT_COMPLETE = 256 }; /* the value of --complete */
extern const struct cli_options cli_main_options;
/* dfuscope --complete KIND [ARG...]: argc/argv are what follows KIND
 * (complete.c, docs/completion.md). */
int cli_complete(const char *kind, int argc, char **argv);

/* Subcommands */
extern const struct cli_options cmd_capture_options, cmd_decode_options,
    cmd_descriptors_options, cmd_diagnose_options, cmd_emulate_options, cmd_extract_options,
    cmd_follow_options, cmd_report_options, cmd_run_options, cmd_script_from_options,
    cmd_wireshark_install_options, cmd_check_file_options, cmd_quirks_options;
int cmd_decode(int argc, char **argv);
int cmd_descriptors(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_check_file(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_follow(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_emulate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_script_from(int argc, char **argv);
int cmd_quirks(int argc, char **argv);

/* How `run` reaches devices and keeps time (run_transport.c: libusb and the
 * system clock; the tests link their own). */
struct dfs_clock;
struct dfs_transport;
void cli_run_clock(struct dfs_clock *clock);
dfs_result cli_run_transport_new(const struct dfs_clock *clock, struct dfs_transport *tp,
                                 char *msg, size_t msg_size);
void cli_run_transport_free(struct dfs_transport *tp);
int cmd_wireshark_install(int argc, char **argv);

/* Windows: the commands that need Linux say so (linux_only.c). */
extern const struct cli_options cmd_linux_only_options;
int cmd_linux_only(int argc, char **argv);

#endif
