/* Finding and starting the helper programs of dfuscope (cli.h): programs
 * installed under LIBEXECDIR/dfuscope that carry the libraries only one
 * command needs (dfuscope-emulate: umockdev and glib; dfuscope-capture:
 * libpcap), so that dfuscope itself loads none of them.
 *
 * A helper is looked for relative to this program, where cmake --install
 * puts it; the build tree has the same layout (build/cli/dfuscope and
 * build/libexec/dfuscope/), so the build tree, an installed prefix, a prefix
 * moved elsewhere and a DESTDIR staging area all work. An environment
 * variable can name another helper. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

enum cli_helper_found cli_find_helper(const char *env_name, const char *rel, char *path,
                                      size_t size, char *err, size_t err_size)
{
    const char *env = getenv(env_name);
    if (env && *env) {
        if (!is_executable(env)) {
            snprintf(err, err_size, "%s=%s: no executable file there", env_name, env);
            return CLI_HELPER_BAD_ENV;
        }
        if (strlen(env) >= size) {
            snprintf(err, err_size, "%s: path too long", env_name);
            return CLI_HELPER_BAD_ENV;
        }
        memcpy(path, env, strlen(env) + 1);
        return CLI_HELPER_FOUND;
    }
    char why[200];
    if (!cli_path_from_self(rel, path, size, why, sizeof why)) {
        snprintf(err, err_size, "%s", why);
        return CLI_HELPER_NO_SELF;
    }
    return is_executable(path) ? CLI_HELPER_FOUND : CLI_HELPER_MISSING;
}

void cli_exec_helper(const char *cmd, char *path, char **argv)
{
    /* argv[0] is the command's name; the helper gets its own path there */
    argv[0] = path;
    execv(path, argv);
    cli_err(cmd, "cannot run the helper program %s: %s", path, strerror(errno));
}
