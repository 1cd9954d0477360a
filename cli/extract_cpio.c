/* extract --unpack: an ESP32-S2/S3 ROM DFU payload, unpacked and checked.
 *
 * The payload `idf.py dfu` builds (esp-idf tools/mkdfu.py) is a CPIO
 * archive in the "newc" format: each member a 110-byte ASCII header (magic
 * "070701", then thirteen 8-digit hexadecimal fields: ino, mode, uid, gid,
 * nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
 * namesize, check), the name with its NUL (namesize bytes), padding to a
 * multiple of 4, the data, padding to a multiple of 4; the member named
 * "TRAILER!!!" ends it. The first member, dfuinfo0.dat, holds one 88-byte
 * entry for each other member: flash address (u32 LE), flags (u32 LE), the
 * name (64 bytes, NUL-padded), the MD5 of its data (16 bytes). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <direct.h>
#define MAKE_DIR(p) _mkdir(p)
#else
#define MAKE_DIR(p) mkdir((p), 0777)
#endif

#include "cli.h"
#include "extract_cpio.h"
#include "port.h"

#define HDR 110u
#define INFO_ENTRY 88u
#define INFO_NAME 64u
#define MAX_MEMBERS 256

struct member {
    char name[256];
    size_t off, size; /* data in the archive */
};

static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

/* Field i (0-12) of a newc header; false when it is not 8 hex digits. */
static bool field(const uint8_t *h, unsigned i, uint32_t *v)
{
    uint32_t x = 0;
    for (unsigned k = 0; k < 8; k++) {
        uint8_t c = h[6 + 8 * i + k];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

/* A name a file may get inside the directory: no path, nothing hidden. */
static bool safe_name(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || *p == ':' || (unsigned char)*p < 0x20 ||
            (unsigned char)*p == 0x7f)
            return false;
    return true;
}

/* The members up to the trailer, into m; returns how many, or -1 after
 * saying what is damaged (*n_ok members before it are good). */
static int read_members(const uint8_t *buf, size_t len, const char *path, struct member *m,
                        int *n_ok)
{
    size_t off = 0;
    int n = 0;
    *n_ok = 0;
    for (;;) {
        uint32_t namesize, filesize;
        if (len - off < HDR || (memcmp(buf + off, "070701", 6) && memcmp(buf + off, "070702", 6))) {
            cli_err("extract", "%s: archive offset %zu: %s", path, off,
                    len - off < HDR ? "the archive ends without its trailer (TRAILER!!!)"
                                    : "no CPIO \"newc\" header (magic 070701) here");
            return -1;
        }
        if (!field(buf + off, 11, &namesize) || !field(buf + off, 6, &filesize)) {
            cli_err("extract", "%s: archive offset %zu: a header field is not hexadecimal",
                    path, off);
            return -1;
        }
        size_t name_at = off + HDR;
        if (namesize < 2 || namesize > sizeof m->name || namesize > len - name_at ||
            buf[name_at + namesize - 1] != '\0') {
            cli_err("extract", "%s: archive offset %zu: bad name size %" PRIu32, path, off,
                    namesize);
            return -1;
        }
        size_t data_at = pad4(name_at + namesize);
        if (data_at > len || filesize > len - data_at) {
            cli_err("extract", "%s: archive offset %zu: member \"%s\" of %" PRIu32
                    " bytes runs past the end of the data (%zu bytes)",
                    path, off, (const char *)buf + name_at, filesize, len);
            return -1;
        }
        if (!strcmp((const char *)buf + name_at, "TRAILER!!!"))
            return n;
        if (n == MAX_MEMBERS) {
            cli_err("extract", "%s: more than %d members in the archive", path, MAX_MEMBERS);
            return -1;
        }
        memcpy(m[n].name, buf + name_at, namesize);
        m[n].off = data_at;
        m[n].size = filesize;
        *n_ok = ++n;
        off = pad4(data_at + filesize);
        if (off > len)
            off = len;
    }
}

static void hex16(const uint8_t d[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Write one member into dir; false after saying why. */
static bool write_member(const char *dir, const struct member *m, const uint8_t *buf)
{
    char file[4096];
    if (snprintf(file, sizeof file, "%s/%s", dir, m->name) >= (int)sizeof file) {
        cli_err("extract", "%s/%s: path too long", dir, m->name);
        return false;
    }
    FILE *f = dfs_port_fopen(file, "wb");
    if (!f) {
        cli_err("extract", "%s: cannot create: %s", file, strerror(errno));
        return false;
    }
    bool ok = fwrite(buf + m->off, 1, m->size, f) == m->size;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        cli_err("extract", "%s: write error", file);
    return ok;
}

/* The dfuinfo0.dat entry naming `name`, or NULL. */
static const uint8_t *info_entry(const uint8_t *info, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = info + i * INFO_ENTRY;
        char nm[INFO_NAME + 1];
        memcpy(nm, e + 8, INFO_NAME);
        nm[INFO_NAME] = '\0';
        if (!strcmp(nm, name))
            return e;
    }
    return NULL;
}

/* Check each member against dfuinfo0.dat and say so; returns the number of
 * problems. */
static int check_members(const uint8_t *buf, const struct member *m, int n, const char *dir,
                         const char *path)
{
    const uint8_t *info = buf + m[0].off;
    size_t n_info = m[0].size / INFO_ENTRY;
    int bad = 0;
    for (int i = 1; i < n; i++) {
        uint8_t md5[16];
        char got[33], want[33];
        extract_md5(buf + m[i].off, m[i].size, md5);
        hex16(md5, got);
        const uint8_t *e = info_entry(info, n_info, m[i].name);
        if (!e) {
            printf("%s: %s: %zu bytes, MD5 %s, not listed in dfuinfo0.dat -> %s/%s\n", path,
                   m[i].name, m[i].size, got, dir, m[i].name);
            bad++;
            continue;
        }
        uint32_t addr = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
                        (uint32_t)e[3] << 24;
        bool same = memcmp(md5, e + 8 + INFO_NAME, 16) == 0;
        hex16(e + 8 + INFO_NAME, want);
        printf("%s: %s: %zu bytes for flash address 0x%08" PRIx32 ", MD5 %s %s%s -> %s/%s\n",
               path, m[i].name, m[i].size, addr, got,
               same ? "as dfuinfo0.dat lists" : "but dfuinfo0.dat lists ", same ? "" : want, dir,
               m[i].name);
        bad += !same;
    }
    for (size_t k = 0; k < n_info; k++) {
        char nm[INFO_NAME + 1];
        memcpy(nm, info + k * INFO_ENTRY + 8, INFO_NAME);
        nm[INFO_NAME] = '\0';
        bool found = false;
        for (int i = 1; i < n && !found; i++)
            found = !strcmp(m[i].name, nm);
        if (!found) {
            printf("%s: %s: listed in dfuinfo0.dat but not in the archive\n", path, nm);
            bad++;
        }
    }
    return bad;
}

int extract_cpio_unpack(const uint8_t *buf, size_t len, const char *dir, const char *path)
{
    struct member *m = calloc(MAX_MEMBERS, sizeof *m);
    if (!m) {
        cli_err("extract", "out of memory");
        return EXIT_USAGE;
    }
    int n_ok, n = read_members(buf, len, path, m, &n_ok);
    int rc = n < 0 ? EXIT_USAGE : 0;
    if (n < 0)
        n = n_ok; /* the members before the damage are still written */
    if (MAKE_DIR(dir) != 0 && errno != EEXIST) {
        cli_err("extract", "%s: cannot create the directory: %s", dir, strerror(errno));
        free(m);
        return EXIT_USAGE;
    }
    for (int i = 0; i < n; i++) {
        if (!safe_name(m[i].name)) {
            cli_err("extract", "%s: member \"%s\": not a plain file name; not written", path,
                    m[i].name);
            rc = EXIT_USAGE;
            continue;
        }
        if (!write_member(dir, &m[i], buf))
            rc = EXIT_USAGE;
    }
    if (n == 0 || strcmp(m[0].name, "dfuinfo0.dat") || m[0].size % INFO_ENTRY) {
        cli_err("extract", "%s: %s", path,
                n == 0 ? "the archive holds no files"
                : strcmp(m[0].name, "dfuinfo0.dat")
                    ? "the first file is not dfuinfo0.dat: no ESP32 DFU archive, the MD5s "
                      "cannot be checked"
                    : "dfuinfo0.dat is not a whole number of 88-byte entries");
        free(m);
        return EXIT_USAGE;
    }
    int bad = check_members(buf, m, n, dir, path);
    printf("%s: %d file%s of the archive in %s, %s\n", path, n, n == 1 ? "" : "s", dir,
           bad ? "MD5 check FAILED" : "every MD5 as dfuinfo0.dat lists");
    free(m);
    if (rc)
        return rc;
    return bad ? EXIT_FINDINGS : 0;
}
