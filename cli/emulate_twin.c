/* dfuscope emulate --from-capture: the twin of a captured device, read
 * through the decoder from any capture file dfuscope reads (emulate.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "emulate.h"

int emulate_twin_load(const char *path, const char *device, bool strict, bool verbose,
                      dfs_emu_twin **out)
{
    *out = NULL;
    struct dfs_emu_twin_config cfg = {.source = path, .device = device, .strict = strict};
    dfs_emu_twin *t;
    if (dfs_emu_twin_new(&cfg, &t) != DFS_OK) {
        cli_err("emulate", "out of memory");
        return EXIT_EMU_FAILED;
    }
    struct dfs_sink sink;
    dfs_emu_twin_sink(t, &sink);
    struct run_opts ro = {.cmd = "emulate", .path = path, .quiet_capture_findings = true};
    dfs_options_init(&ro.dopt);
    struct run_result res;
    int rc = run_capture(&ro, &sink, NULL, &res);
    if (rc) {
        dfs_emu_twin_free(t);
        return rc;
    }
    char err[1024];
    if (dfs_emu_twin_build(t, err, sizeof err) != DFS_OK) {
        cli_err("emulate", "%s", err);
        dfs_emu_twin_free(t);
        return EXIT_USAGE;
    }
    if (verbose) {
        char what[2048];
        dfs_emu_twin_describe(t, what, sizeof what);
        fprintf(stderr, "%s emulate: a twin of %s: %s", cli_prog, path, what);
        const char *notes = dfs_emu_twin_notes(t);
        for (const char *p = notes; *p;) {
            const char *nl = p;
            while (*nl && *nl != '\n')
                nl++;
            fprintf(stderr, "%s emulate: note: %.*s\n", cli_prog, (int)(nl - p), p);
            p = *nl ? nl + 1 : nl;
        }
    }
    *out = t;
    return 0;
}

void emulate_twin_report(const dfs_emu_twin *t)
{
    char buf[16384];
    size_t n = dfs_emu_twin_made_up(t, buf, sizeof buf);
    if (!n) {
        fprintf(stderr, "%s emulate: the twin answered every request from the capture\n",
                cli_prog);
        return;
    }
    fprintf(stderr, "%s emulate: %zu kind%s of answer the capture does not show (made up as a "
                    "conforming DFU device would answer, or refused with --strict):\n%s",
            cli_prog, n, n == 1 ? "" : "s", buf);
}
