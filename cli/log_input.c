/* Text logs as input of diagnose and report. */
#include <stdlib.h>
#include <string.h>

#include "log_input.h"
#include "port.h"

static enum dfs_capnext next_record(void *user, struct dfs_record *rec)
{
    struct log_input *li = user;
    if (!dfs_log_record(li->log, li->next, rec))
        return DFS_CAP_EOF;
    li->next++;
    return DFS_CAP_RECORD;
}

/* Read the rest of fp into the log */
static int read_log(struct log_input *li, const struct run_opts *ro, FILE *fp,
                    const uint8_t *head, size_t n_head)
{
    if (dfs_log_new(&li->log) != DFS_OK) {
        cli_err(ro->cmd, "out of memory");
        return EXIT_USAGE;
    }
    dfs_result r = dfs_log_feed(li->log, head, n_head);
    uint8_t buf[65536];
    size_t n;
    while (r == DFS_OK && (n = fread(buf, 1, sizeof buf, fp)) > 0)
        r = dfs_log_feed(li->log, buf, n);
    if (r == DFS_OK && ferror(fp)) {
        cli_err(ro->cmd, "%s: read error", ro->path);
        return EXIT_USAGE;
    }
    if (r == DFS_OK)
        r = dfs_log_finish(li->log);
    if (r != DFS_OK) {
        cli_err(ro->cmd, "%s: %s", ro->path, dfs_result_str(r));
        return EXIT_USAGE;
    }
    const struct dfs_log_stats *st = dfs_log_stats(li->log);
    if (!st->recognised) {
        char safe[300];
        text_safe(safe, sizeof safe, ro->path);
        cli_err(ro->cmd,
                "%s: not a pcap or pcapng capture, and its text (%llu line%s) holds no "
                "output of a tool dfuscope reads (lsusb -v, dfu-util, STM32CubeProgrammer, fwupd; "
                "see docs/logs.md)",
                safe, (unsigned long long)st->lines, st->lines == 1 ? "" : "s");
        return EXIT_USAGE;
    }
    return 0;
}

/* Standard input: the first bytes decide. A capture's bytes go back with
 * ungetc; where the C library takes back only one byte (the standard
 * promises no more), a capture that starts with a byte text can start with
 * too ('M' of a nanosecond pcap, '\n' of pcapng) is copied to a temporary
 * file. */
static int open_stdin(struct log_input *li, struct run_opts *ro)
{
    int c0 = getc(stdin);
    if (c0 == EOF)
        return 0; /* empty: the capture reader says so */
    if (c0 == 0xa1 || c0 == 0xd4) {
        ungetc(c0, stdin);
        return 0;
    }
    if (c0 == 0x4d || c0 == 0x0a) {
        int c1 = getc(stdin);
        bool capture = (c0 == 0x4d && c1 == 0x3c) || (c0 == 0x0a && c1 == 0x0d);
        if (capture) {
            bool kept1 = ungetc(c1, stdin) != EOF;
            if (kept1 && ungetc(c0, stdin) != EOF)
                return 0;
            li->tmp = tmpfile();
            if (!li->tmp) {
                cli_err(ro->cmd, "cannot make a temporary file for the capture on standard input");
                return EXIT_USAGE;
            }
            /* what ungetc kept (c1, if it did) comes back with the rest */
            putc(c0, li->tmp);
            if (!kept1)
                putc(c1, li->tmp);
            uint8_t buf[65536];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
                if (fwrite(buf, 1, n, li->tmp) != n)
                    break;
            rewind(li->tmp);
            ro->stream = li->tmp;
            return 0;
        }
        uint8_t head[2] = {(uint8_t)c0, (uint8_t)c1};
        int rc = read_log(li, ro, stdin, head, c1 == EOF ? 1 : 2);
        if (rc)
            return rc;
        ro->next = next_record;
        ro->next_user = li;
        return 0;
    }
    uint8_t head[4096];
    head[0] = (uint8_t)c0;
    size_t n = 1 + fread(head + 1, 1, sizeof head - 1, stdin);
    if (!dfs_log_sniff(head, n)) {
        cli_err(ro->cmd, "<stdin>: neither a pcap or pcapng capture nor a text log");
        return EXIT_USAGE;
    }
    int rc = read_log(li, ro, stdin, head, n);
    if (rc)
        return rc;
    ro->next = next_record;
    ro->next_user = li;
    return 0;
}

int log_input_open(struct log_input *li, struct run_opts *ro)
{
    memset(li, 0, sizeof *li);
    if (!strcmp(ro->path, "-"))
        return open_stdin(li, ro);
    FILE *fp = dfs_port_fopen(ro->path, "rb");
    if (!fp)
        return 0; /* the capture reader names the problem */
    uint8_t head[4096];
    size_t n = fread(head, 1, sizeof head, fp);
    if (!dfs_log_sniff(head, n)) {
        fclose(fp);
        return 0;
    }
    int rc = read_log(li, ro, fp, head, n);
    fclose(fp);
    if (rc)
        return rc;
    ro->next = next_record;
    ro->next_user = li;
    return 0;
}

void log_input_free(struct log_input *li)
{
    dfs_log_free(li->log);
    if (li->tmp)
        fclose(li->tmp);
    memset(li, 0, sizeof *li);
}

int log_input_start(struct log_input *li, struct run_opts *ro, struct dev_filter *filter,
                    int argc, char **argv, void (*usage)(FILE *))
{
    memset(li, 0, sizeof *li);
    ro->path = capture_argument(argc, argv, ro->cmd);
    if (!ro->path) {
        usage(stderr);
        dev_filter_free(filter);
        return EXIT_USAGE;
    }
    ro->filter = filter;
    int rc = log_input_open(li, ro);
    if (rc) {
        log_input_free(li);
        dev_filter_free(filter);
    }
    return rc;
}
