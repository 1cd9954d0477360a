/* Finding USB devices in sysfs and checking usbmon before a live capture.
 * Everything read here is treated as untrusted (the root can be a test tree).
 * POSIX only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfuscope/dfu.h"
#include "dfuscope/live.h"

#define MAX_DEVICES 1024
#define MAX_LISTED 12 /* devices named in a "not found" message */

static void join(char *out, size_t size, const char *root, const char *path)
{
    if (!root || !*root || strcmp(root, "/") == 0)
        root = "";
    snprintf(out, size, "%s%s", root, path);
}

/* Read a one-line attribute (at most size - 1 bytes, trailing newline cut). */
static bool read_attr(const char *dir, const char *name, char *out, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n;
    do
        n = read(fd, out, size - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return false;
    out[n] = '\0';
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    /* printable ASCII only: these strings end up in messages */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
    return true;
}

static bool read_num(const char *dir, const char *name, int base, unsigned long max,
                     unsigned long *out)
{
    char buf[32];
    if (!read_attr(dir, name, buf, sizeof buf) || !buf[0])
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(buf, &end, base);
    while (*end == ' ')
        end++;
    if (errno || *end || end == buf || v > max)
        return false;
    *out = v;
    return true;
}

static int by_address(const void *a, const void *b)
{
    const struct dfs_sysfs_device *x = a, *y = b;
    if (x->bus != y->bus)
        return x->bus < y->bus ? -1 : 1;
    return (x->devnum > y->devnum) - (x->devnum < y->devnum);
}

/* "1-1.2:1.0" -> interface of device "1-1.2": note DFU interfaces. */
static void note_interface(struct dfs_sysfs_device *devs, size_t n, const char *dir,
                           const char *name)
{
    const char *colon = strchr(name, ':');
    size_t len = (size_t)(colon - name);
    unsigned long cls, sub, proto;
    if (!read_num(dir, "bInterfaceClass", 16, 255, &cls) ||
        !read_num(dir, "bInterfaceSubClass", 16, 255, &sub) ||
        !read_num(dir, "bInterfaceProtocol", 16, 255, &proto))
        return;
    if (cls != DFS_DFU_CLASS || sub != DFS_DFU_SUBCLASS)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strlen(devs[i].name) == len && strncmp(devs[i].name, name, len) == 0) {
            if (proto == DFS_DFU_PROTO_RUNTIME)
                devs[i].dfu_runtime = true;
            else
                devs[i].dfu_mode = true;
        }
    }
}

dfs_result dfs_sysfs_devices(const char *root, struct dfs_sysfs_device **out, size_t *n,
                             char *err, size_t err_size)
{
    if (!out || !n || !err)
        return DFS_E_INVAL;
    *out = NULL;
    *n = 0;
    char base[768];
    join(base, sizeof base, root, "/sys/bus/usb/devices");
    DIR *dir = opendir(base);
    if (!dir) {
        snprintf(err, err_size, "cannot list USB devices: %s: %s", base, strerror(errno));
        return DFS_E_NOTFOUND;
    }
    struct dfs_sysfs_device *devs = calloc(MAX_DEVICES, sizeof *devs);
    if (!devs) {
        closedir(dir);
        snprintf(err, err_size, "out of memory");
        return DFS_E_NOMEM;
    }
    size_t count = 0;
    struct dirent *de;
    /* devices first, interfaces in a second pass */
    while ((de = readdir(dir)) != NULL && count < MAX_DEVICES) {
        if (de->d_name[0] == '.' || strchr(de->d_name, ':') ||
            strlen(de->d_name) >= sizeof devs[0].name)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", base, de->d_name);
        unsigned long bus, dev, vid, pid;
        if (!read_num(path, "busnum", 10, 65535, &bus) ||
            !read_num(path, "devnum", 10, 127, &dev) ||
            !read_num(path, "idVendor", 16, 0xffff, &vid) ||
            !read_num(path, "idProduct", 16, 0xffff, &pid))
            continue;
        struct dfs_sysfs_device *d = &devs[count++];
        memcpy(d->name, de->d_name, strlen(de->d_name) + 1); /* length checked above */
        d->bus = (uint16_t)bus;
        d->devnum = (uint8_t)dev;
        d->vid = (uint16_t)vid;
        d->pid = (uint16_t)pid;
        if (!read_attr(path, "serial", d->serial, sizeof d->serial))
            d->serial[0] = '\0';
        if (!read_attr(path, "product", d->product, sizeof d->product))
            d->product[0] = '\0';
    }
    rewinddir(dir);
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.' || !strchr(de->d_name, ':'))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", base, de->d_name);
        note_interface(devs, count, path, de->d_name);
    }
    closedir(dir);
    qsort(devs, count, sizeof *devs, by_address);
    *out = devs;
    *n = count;
    return DFS_OK;
}

static void list_devices(char *err, size_t err_size, size_t pos,
                         const struct dfs_sysfs_device *devs, size_t n)
{
    if (pos >= err_size)
        return;
    if (!n) {
        snprintf(err + pos, err_size - pos, " (sysfs lists no USB device at all)");
        return;
    }
    int w = snprintf(err + pos, err_size - pos, "; connected:");
    for (size_t i = 0; i < n && i < MAX_LISTED && w >= 0; i++) {
        pos += (size_t)w;
        if (pos >= err_size)
            return;
        w = snprintf(err + pos, err_size - pos, "%s %u.%u %04x:%04x%s%s%s", i ? "," : "",
                     devs[i].bus, devs[i].devnum, devs[i].vid, devs[i].pid,
                     devs[i].product[0] ? " \"" : "", devs[i].product,
                     devs[i].product[0] ? "\"" : "");
    }
    if (n > MAX_LISTED && w >= 0 && pos + (size_t)w < err_size)
        snprintf(err + pos + w, err_size - pos - (size_t)w, ", ... (%zu in all)", n);
}

dfs_result dfs_sysfs_find(const char *root, bool by_id, uint16_t a, uint16_t b,
                          struct dfs_sysfs_device *out, char *err, size_t err_size)
{
    if (!out || !err)
        return DFS_E_INVAL;
    struct dfs_sysfs_device *devs;
    size_t n;
    dfs_result r = dfs_sysfs_devices(root, &devs, &n, err, err_size);
    if (r != DFS_OK)
        return r;
    size_t hits = 0, hit = 0;
    for (size_t i = 0; i < n; i++) {
        bool m = by_id ? devs[i].vid == a && devs[i].pid == b
                       : devs[i].bus == a && devs[i].devnum == b;
        if (m) {
            if (!hits)
                hit = i;
            hits++;
        }
    }
    if (hits == 1) {
        *out = devs[hit];
        free(devs);
        return DFS_OK;
    }
    if (hits == 0) {
        int w = by_id ? snprintf(err, err_size, "no such device: no USB device %04x:%04x is "
                                                "connected", a, b)
                      : snprintf(err, err_size, "no such device: nothing is connected as USB "
                                                "device %u.%u", a, b);
        list_devices(err, err_size, w < 0 ? 0 : (size_t)w, devs, n);
        free(devs);
        return DFS_E_NOTFOUND;
    }
    int w = snprintf(err, err_size, "%zu devices are %04x:%04x:", hits, a, b);
    size_t pos = w < 0 ? 0 : (size_t)w;
    for (size_t i = 0; i < n && pos < err_size; i++) {
        if (devs[i].vid != a || devs[i].pid != b)
            continue;
        w = snprintf(err + pos, err_size - pos, " %u.%u%s%s%s", devs[i].bus, devs[i].devnum,
                     devs[i].serial[0] ? " (serial " : "", devs[i].serial,
                     devs[i].serial[0] ? ")" : "");
        pos += w < 0 ? 0 : (size_t)w;
    }
    if (pos < err_size)
        snprintf(err + pos, err_size - pos, "; choose one with --device BUS.DEV");
    free(devs);
    return DFS_E_LIMIT;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* The usbmon device nodes present, as "usbmon0, usbmon1" (for messages). */
static size_t list_usbmon(const char *root, char *out, size_t size)
{
    char dev[768];
    join(dev, sizeof dev, root, "/dev");
    out[0] = '\0';
    DIR *dir = opendir(dev);
    if (!dir)
        return 0;
    unsigned buses[64];
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        char *end;
        if (strncmp(de->d_name, "usbmon", 6) != 0 || !de->d_name[6])
            continue;
        unsigned long b = strtoul(de->d_name + 6, &end, 10);
        if (*end || b > 65535)
            continue;
        if (count < sizeof buses / sizeof buses[0])
            buses[count] = (unsigned)b;
        count++;
    }
    closedir(dir);
    size_t listed = count < 64 ? count : 64, pos = 0;
    qsort(buses, listed, sizeof buses[0], cmp_unsigned);
    for (size_t i = 0; i < listed && pos < size; i++) {
        int w = snprintf(out + pos, size - pos, "%susbmon%u", i ? ", " : "", buses[i]);
        pos += w < 0 ? 0 : (size_t)w;
    }
    return count;
}

enum dfs_usbmon_status dfs_usbmon_check(const char *root, unsigned bus, char *msg,
                                        size_t msg_size)
{
    char path[800], rel[32];
    snprintf(rel, sizeof rel, "/dev/usbmon%u", bus);
    join(path, sizeof path, root, rel);
    if (!exists(path)) {
        char mod[800], dbg[800], present[256];
        join(mod, sizeof mod, root, "/sys/module/usbmon");
        join(dbg, sizeof dbg, root, "/sys/kernel/debug/usb/usbmon");
        size_t nodes = list_usbmon(root, present, sizeof present);
        if (!nodes && !exists(mod) && !exists(dbg)) {
            snprintf(msg, msg_size,
                     "usbmon is not loaded (there is no %s): load it with 'sudo modprobe "
                     "usbmon'",
                     path);
            return DFS_USBMON_NOT_LOADED;
        }
        if (!nodes) {
            snprintf(msg, msg_size,
                     "usbmon is loaded but %s does not exist and there is no /dev/usbmon* at "
                     "all (no device nodes: is devtmpfs mounted on /dev?)",
                     path);
            return DFS_USBMON_NO_SUCH_BUS;
        }
        snprintf(msg, msg_size,
                 "there is no USB bus %u to capture on: %s does not exist (usbmon "
                 "interfaces here: %s; usbmon0 captures every bus)",
                 bus, path, present);
        return DFS_USBMON_NO_SUCH_BUS;
    }
    if (access(path, R_OK) != 0) {
        int e = errno;
        snprintf(msg, msg_size,
                 "no permission to read %s (%s): run as root (sudo), or give your user read "
                 "access to the device node, e.g. 'sudo setfacl -m u:$USER:r %s' (usbmon "
                 "checks the file's permissions; CAP_NET_RAW alone does not open it)",
                 path, strerror(e), path);
        return DFS_USBMON_NO_PERMISSION;
    }
    msg[0] = '\0';
    return DFS_USBMON_OK;
}
