/* dfuscope wireshark-install: copy the Wireshark plugin (dfuscope.so) into
 * the user's personal plugin folder, or with --system into Wireshark's own.
 *
 * The plugin is found relative to this program, where cmake --install puts
 * it: PREFIX/lib/wireshark/plugins/X.Y/epan, or Wireshark's own folder when
 * PREFIX is Wireshark's (dissector/CMakeLists.txt). The build tree has the
 * same layout (build/cli/dfuscope, build/lib/wireshark/plugins/X.Y/epan). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef DFS_HAVE_DISSECTOR
#define DFS_HAVE_DISSECTOR 0
#endif
#ifndef DFS_WIRESHARK_MAJOR_MINOR
#define DFS_WIRESHARK_MAJOR_MINOR ""
#endif
/* Wireshark's own plugin folder, for --system */
#ifndef DFS_PLUGIN_SYSTEM_DIR
#define DFS_PLUGIN_SYSTEM_DIR ""
#endif
/* the plugin relative to this program: installed in Wireshark's prefix, and
 * in any other prefix (and the build tree) */
#ifndef DFS_PLUGIN_REL_WIRESHARK
#define DFS_PLUGIN_REL_WIRESHARK ""
#endif
#ifndef DFS_PLUGIN_REL_OTHER
#define DFS_PLUGIN_REL_OTHER ""
#endif

#define CMD "wireshark-install"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s " CMD " [OPTIONS]\n\n"
            "Install the dfuscope Wireshark plugin (built for Wireshark %s) so that\n"
            "Wireshark and tshark show DFU/DfuSe fields and findings (docs/wireshark.md).\n\n"
            "Options:\n"
            "  --plugin FILE   the plugin to install (default: the one built or installed\n"
            "                  with this dfuscope)\n"
            "  --dir DIR       install into DIR instead of the personal plugin folder\n"
            "                  ($HOME/.local/lib/wireshark/plugins/%s/epan)\n"
            "  --system        install into Wireshark's own plugin folder\n"
            "                  (%s; needs root)\n"
            "  --print         only print the plugin and the folder, install nothing\n"
            "  --uninstall     remove the plugin from the folder\n"
            "  -h, --help      this help\n\n"
            "Wireshark run as root ignores personal plugin folders: as root, use --system.\n"
            "\n"
            "Exit status: 0 done, 2 the plugin or the folder could not be used (the\n"
            "message says why) or usage error.\n",
            cli_prog, DFS_HAVE_DISSECTOR ? DFS_WIRESHARK_MAJOR_MINOR : "(not built)",
            DFS_HAVE_DISSECTOR ? DFS_WIRESHARK_MAJOR_MINOR : "X.Y",
            DFS_HAVE_DISSECTOR ? DFS_PLUGIN_SYSTEM_DIR : "not known");
}

static bool is_file(const char *p)
{
    struct stat st;
    return p && *p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The plugin that belongs to this program: where cmake --install puts it
 * relative to the program (the build tree has the same layout). NULL when
 * there is none, with the places looked at in tried. */
static const char *find_plugin(char *buf, size_t size, char *tried, size_t tried_size)
{
    static const char *const rels[] = {DFS_PLUGIN_REL_WIRESHARK, DFS_PLUGIN_REL_OTHER};
    tried[0] = '\0';
    for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
        char why[200];
        if (!*rels[i] || (i > 0 && strcmp(rels[i], rels[0]) == 0))
            continue;
        if (!cli_path_from_self(rels[i], buf, size, why, sizeof why)) {
            snprintf(tried, tried_size, "%s", why);
            return NULL;
        }
        if (is_file(buf))
            return buf;
        size_t n = strlen(tried);
        snprintf(tried + n, tried_size - n, "%s%s", n ? ", " : "", buf);
    }
    return NULL;
}

/* mkdir -p */
static bool make_dirs(const char *path, char *err, size_t err_size)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, err_size, "%s: path too long", path);
        return false;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            snprintf(err, err_size, "cannot create %s: %s", buf, strerror(errno));
            return false;
        }
        *p = c;
        if (c == '\0')
            break;
    }
    return true;
}

/* Copy src to dir/dfuscope.so through a temporary file and rename, so that
 * a running Wireshark never sees a half-written plugin. */
static bool copy_plugin(const char *src, const char *dir, char *dst, size_t dst_size, char *err,
                        size_t err_size)
{
    char tmp[PATH_MAX];
    snprintf(dst, dst_size, "%s/dfuscope.so", dir);
    if (snprintf(tmp, sizeof tmp, "%s/.dfuscope.so.%ld", dir, (long)getpid()) >=
        (int)sizeof tmp) {
        snprintf(err, err_size, "%s: path too long", dir);
        return false;
    }
    FILE *in = fopen(src, "rb");
    if (!in) {
        snprintf(err, err_size, "cannot read %s: %s", src, strerror(errno));
        return false;
    }
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        snprintf(err, err_size, "cannot write %s: %s", tmp, strerror(errno));
        fclose(in);
        return false;
    }
    char buf[65536];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            ok = false;
            break;
        }
    if (ferror(in))
        ok = false;
    fclose(in);
    if (fclose(out) != 0)
        ok = false;
    if (!ok || chmod(tmp, 0755) != 0 || rename(tmp, dst) != 0) {
        snprintf(err, err_size, "cannot write %s: %s", dst, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

enum { OPT_PLUGIN = 256, OPT_DIR, OPT_SYSTEM, OPT_PRINT, OPT_UNINSTALL };
static const struct option longopts[] = {
    {"plugin", required_argument, NULL, OPT_PLUGIN},
    {"dir", required_argument, NULL, OPT_DIR},
    {"system", no_argument, NULL, OPT_SYSTEM},
    {"print", no_argument, NULL, OPT_PRINT},
    {"uninstall", no_argument, NULL, OPT_UNINSTALL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_wireshark_install_options = {"h", longopts};

int cmd_wireshark_install(int argc, char **argv)
{
    const char *plugin = NULL, *dir = NULL;
    bool system = false, print = false, uninstall = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_wireshark_install_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_PLUGIN: plugin = optarg; break;
        case OPT_DIR: dir = optarg; break;
        case OPT_SYSTEM: system = true; break;
        case OPT_PRINT: print = true; break;
        case OPT_UNINSTALL: uninstall = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_err(CMD, "unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (dir && system) {
        cli_err(CMD, "--dir and --system exclude each other");
        return EXIT_USAGE;
    }
    if (!DFS_HAVE_DISSECTOR && !plugin) {
        cli_err(CMD, "this dfuscope was built without the Wireshark plugin (Wireshark's "
                     "development files were not found). Install them (Debian: apt-get "
                     "install libwireshark-dev), configure again with cmake, build, and run "
                     "this command again; or pass --plugin FILE");
        return EXIT_USAGE;
    }

    if (!DFS_HAVE_DISSECTOR && !dir) {
        cli_err(CMD, "this dfuscope does not know which Wireshark the plugin is for: pass "
                     "--dir DIR (see 'Personal Plugins' in tshark -G folders, plus /epan)");
        return EXIT_USAGE;
    }
    char target[PATH_MAX];
    if (dir) {
        snprintf(target, sizeof target, "%s", dir);
    } else if (system) {
        snprintf(target, sizeof target, "%s", DFS_PLUGIN_SYSTEM_DIR);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            cli_err(CMD, "HOME is not set: pass --dir DIR");
            return EXIT_USAGE;
        }
        /* Wireshark's personal plugin folder (tshark -G folders). */
        if (snprintf(target, sizeof target, "%s/.local/lib/wireshark/plugins/%s/epan", home,
                     DFS_WIRESHARK_MAJOR_MINOR) >= (int)sizeof target) {
            cli_err(CMD, "HOME is too long");
            return EXIT_USAGE;
        }
    }

    char dst[PATH_MAX + 16], err[PATH_MAX + 128];
    if (uninstall) {
        snprintf(dst, sizeof dst, "%s/dfuscope.so", target);
        if (print) {
            printf("would remove %s\n", dst);
            return 0;
        }
        if (unlink(dst) != 0) {
            cli_err(CMD, "cannot remove %s: %s", dst, strerror(errno));
            return EXIT_USAGE;
        }
        printf("removed %s\n", dst);
        return 0;
    }

    char found[PATH_MAX], tried[2 * PATH_MAX + 16];
    if (plugin && !is_file(plugin)) {
        cli_err(CMD, "--plugin %s: no such file", plugin);
        return EXIT_USAGE;
    }
    if (!plugin)
        plugin = find_plugin(found, sizeof found, tried, sizeof tried);
    if (!plugin) {
        cli_err(CMD, "the plugin was not found beside this dfuscope (looked for %s): build it "
                     "(cmake --build), install it with dfuscope (cmake --install; Debian "
                     "package dfuscope-wireshark), or pass --plugin FILE",
                tried);
        return EXIT_USAGE;
    }
    if (print) {
        printf("plugin %s\nfolder %s\n", plugin, target);
        return 0;
    }
    if (!make_dirs(target, err, sizeof err) ||
        !copy_plugin(plugin, target, dst, sizeof dst, err, sizeof err)) {
        cli_err(CMD, "%s", err);
        return EXIT_USAGE;
    }
    printf("installed %s\n", dst);
    if (!dir && !system && geteuid() == 0)
        fprintf(stderr,
                "%s " CMD ": note: Wireshark and tshark run as root ignore personal plugin "
                "folders; run them as a normal user, or install with --system\n",
                cli_prog);
    printf("check with: tshark -G plugins | grep dfuscope   (restart Wireshark to load it)\n");
    return 0;
}
