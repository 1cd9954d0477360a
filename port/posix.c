/* port.h on Linux: the C library and POSIX as they are. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port.h"

void dfs_port_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

FILE *dfs_port_fopen(const char *path, const char *mode)
{
    return fopen(path, mode);
}

bool dfs_port_is_terminal(FILE *f)
{
    return isatty(fileno(f)) != 0;
}

bool dfs_port_color_terminal(FILE *f)
{
    return dfs_port_is_terminal(f);
}

unsigned dfs_port_columns(FILE *f)
{
    struct winsize ws;
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0)
        return ws.ws_col;
    return 0;
}

int dfs_port_map(const char *path, const uint8_t **p, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        errno = e;
        return -1;
    }
    *p = m;
    *len = (size_t)st.st_size;
    return 0;
}

int dfs_port_file_size(FILE *f, uint64_t *size)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode) || st.st_size < 0) {
        errno = EINVAL;
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

void dfs_port_unmap(const uint8_t *p, size_t len)
{
    if (p)
        munmap((void *)(uintptr_t)p, len);
}

int dfs_port_replace(const char *from, const char *to)
{
    return rename(from, to);
}

bool dfs_port_self(char *out, size_t size, char *err, size_t err_size)
{
    if (size < 2) {
        snprintf(err, err_size, "no room for the program's path");
        return false;
    }
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0) {
        snprintf(err, err_size, "/proc/self/exe cannot be read (%s)",
                 n < 0 ? strerror(errno) : "empty");
        return false;
    }
    if ((size_t)n >= size - 1) {
        snprintf(err, err_size, "/proc/self/exe: the path is too long");
        return false;
    }
    out[n] = '\0';
    return true;
}
