/* `dfuscope run` and `dfuscope script-from` (the real command code) with an
 * emulated device (a model of fixtures/models on the emulated bus, through
 * dfs_emu_transport, on the bus's virtual clock) in place of libusb, for the
 * command-line tests. The device is chosen from the environment:
 *   DFS_FAKE_MODEL       a model (dfuse-device, dfu11-device,
 *                        stm32g0c1-bootloader; dfuse, dfu11 and stm32g0c1
 *                        for short; default dfuse), or none: no USB at all
 *   DFS_FAKE_FAULTS      comma-separated faulty variants of the model
 *                        (zero-poll-timeout, short-poll-timeout, ...)
 *   DFS_FAKE_OPTIONS     comma-separated NAME=VALUE options of the model
 *   DFS_FAKE_AFTER_RESET dfu: the device comes back in DFU mode after an
 *                        option-byte reset or a DfuSe leave
 *   DFS_FAKE_VANISH_AFTER N: the device leaves the bus at the run's request
 *                        after its Nth
 *   DFS_FAKE_REALTIME    1: waits also take real time */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/emulator.h"
#include "dfuscope/runner.h"
#include "watched.h"

#define MAX_OPTIONS 32

struct fake {
    struct dfs_emu_device dev;
    struct dfs_transport emu;
    struct dfs_clock clock;
    char words[2048]; /* the option assignments */
    const char *opts[MAX_OPTIONS];
    size_t n_opts;
    unsigned vanish_after;
    struct watched watch; /* in front of emu: vanishing on cue */
    struct dfs_transport tp; /* the transport the command gets */
};

static struct fake *the_fake;

static const char *model_name(const char *m)
{
    if (!m || strcmp(m, "dfuse") == 0)
        return "dfuse-device";
    if (strcmp(m, "dfu11") == 0)
        return "dfu11-device";
    if (strcmp(m, "stm32g0c1") == 0)
        return "stm32g0c1-bootloader";
    return m;
}

/* Add the words of list (comma-separated), each with suffix. */
static void add_options(struct fake *f, const char *list, const char *suffix)
{
    size_t used = 0;
    for (size_t i = 0; i < f->n_opts; i++)
        used += strlen(f->opts[i]) + 1;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int n = snprintf(f->words + used, sizeof f->words - used, "%s%s", t, suffix);
        if (n < 0 || (size_t)n >= sizeof f->words - used || f->n_opts >= MAX_OPTIONS) {
            fprintf(stderr, "fake device: too many options\n");
            exit(2);
        }
        f->opts[f->n_opts++] = f->words + used;
        used += (size_t)n + 1;
    }
}

static struct fake *get_fake(void)
{
    if (the_fake)
        return the_fake;
    struct fake *f = calloc(1, sizeof *f);
    if (!f)
        exit(2);
    const char *name = model_name(getenv("DFS_FAKE_MODEL"));
    const struct dfs_emu_model *m = dfs_emu_model_find(name);
    if (!m) {
        fprintf(stderr, "DFS_FAKE_MODEL: no model '%s'\n", name);
        exit(2);
    }
    const char *faults = getenv("DFS_FAKE_FAULTS");
    if (faults)
        add_options(f, faults, "=1");
    const char *options = getenv("DFS_FAKE_OPTIONS");
    if (options)
        add_options(f, options, "");
    const char *a = getenv("DFS_FAKE_AFTER_RESET");
    if (a && strcmp(a, "dfu") == 0)
        add_options(f, strcmp(m->name, "stm32g0c1-bootloader") == 0 ? "after-ob-reset=dfu"
                                                                    : "after-leave=dfu",
                    "");
    const char *v = getenv("DFS_FAKE_VANISH_AFTER");
    if (v)
        f->vanish_after = (unsigned)strtoul(v, NULL, 10);
    char err[600];
    if (dfs_emu_device_new(m, f->opts, f->n_opts, &f->dev, err, sizeof err) != DFS_OK ||
        dfs_emu_transport_new(&f->dev, &f->emu, &f->clock, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "fake device: %s\n", err);
        exit(2);
    }
    watched_init(&f->watch, &f->emu, f->vanish_after, &f->tp);
    the_fake = f;
    return f;
}

/* ---- what cmd_run.c asks for ------------------------------------------------------------- */

static bool no_usb(void)
{
    const char *m = getenv("DFS_FAKE_MODEL");
    return m && strcmp(m, "none") == 0;
}

/* DFS_FAKE_REALTIME=1: waits take real time too (for the Ctrl-C test) */
static void rt_sleep(void *ctx, uint64_t us)
{
    struct dfs_clock sys;
    dfs_system_clock(&sys);
    sys.sleep_us(sys.ctx, us);
    get_fake()->clock.sleep_us(ctx, us);
}

void cli_run_clock(struct dfs_clock *clock)
{
    if (no_usb()) {
        dfs_system_clock(clock);
        return;
    }
    *clock = get_fake()->clock;
    const char *rt = getenv("DFS_FAKE_REALTIME");
    if (rt && strcmp(rt, "1") == 0)
        clock->sleep_us = rt_sleep;
}

dfs_result cli_run_transport_new(const struct dfs_clock *clock, struct dfs_transport *tp,
                                 char *msg, size_t msg_size)
{
    (void)clock;
    if (no_usb()) {
        snprintf(msg, msg_size, "no USB devices (fake)");
        return DFS_E_IO;
    }
    *tp = get_fake()->tp;
    return DFS_OK;
}

void cli_run_transport_free(struct dfs_transport *tp) { (void)tp; }

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        rc = cmd_run(argc - 1, argv + 1);
    else if (argc >= 2 && strcmp(argv[1], "script-from") == 0)
        rc = cmd_script_from(argc - 1, argv + 1);
    else
        fprintf(stderr, "usage: %s run|script-from ...\n", argv[0]);
    if (the_fake) {
        dfs_emu_transport_free(&the_fake->emu);
        dfs_emu_device_free(&the_fake->dev);
        free(the_fake);
    }
    return rc;
}
