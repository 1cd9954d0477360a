/* port.h on Windows: UTF-8 names through the wide-character API, the
 * console through its own calls. */
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <shellapi.h>

#include "port.h"

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

/* UTF-8 to a new wide string; NULL with errno set (EILSEQ: not UTF-8). */
static wchar_t *widen(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        errno = EILSEQ;
        return NULL;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        free(w);
        errno = EILSEQ;
        return NULL;
    }
    return w;
}

/* A wide string to a new UTF-8 string; NULL when it cannot be. */
static char *narrow(const wchar_t *w)
{
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n);
    if (s && WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL) != n) {
        free(s);
        s = NULL;
    }
    return s;
}

/* errno for the calling thread's last Windows error */
static int errno_from_windows(void)
{
    switch (GetLastError()) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
        return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
        return EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
        return ENOMEM;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
        return EEXIST;
    case ERROR_DIRECTORY:
        return EISDIR;
    default:
        return EIO;
    }
}

void dfs_port_init(int *argc, char ***argv)
{
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    if (dfs_port_is_terminal(stdout) || dfs_port_is_terminal(stderr))
        SetConsoleOutputCP(CP_UTF8);

    int n = 0;
    wchar_t **w = CommandLineToArgvW(GetCommandLineW(), &n);
    if (!w || n < 1)
        return;
    char **a = calloc((size_t)n + 1, sizeof *a);
    for (int i = 0; a && i < n; i++) {
        a[i] = narrow(w[i]);
        if (!a[i]) {
            for (int j = 0; j < i; j++)
                free(a[j]);
            free(a);
            a = NULL;
        }
    }
    LocalFree(w);
    if (!a)
        return; /* the code page's argv: names outside it will not open */
    /* (kept for the life of the program, as the C library's argv is) */
    *argc = n;
    *argv = a;
}

FILE *dfs_port_fopen(const char *path, const char *mode)
{
    wchar_t *wp = widen(path);
    if (!wp)
        return NULL;
    wchar_t *wm = widen(mode);
    if (!wm) {
        free(wp);
        return NULL;
    }
    FILE *f = _wfopen(wp, wm);
    int e = errno;
    free(wp);
    free(wm);
    errno = e;
    return f;
}

static HANDLE handle_of(FILE *f)
{
    int fd = _fileno(f);
    return fd < 0 ? INVALID_HANDLE_VALUE : (HANDLE)_get_osfhandle(fd);
}

bool dfs_port_is_terminal(FILE *f)
{
    DWORD mode;
    HANDLE h = handle_of(f);
    return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

bool dfs_port_color_terminal(FILE *f)
{
    DWORD mode;
    HANDLE h = handle_of(f);
    if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
        return false;
    if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING)
        return true;
    /* older consoles refuse it: then no colour, rather than escape codes */
    return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

unsigned dfs_port_columns(FILE *f)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    HANDLE h = handle_of(f);
    if (h == INVALID_HANDLE_VALUE || !GetConsoleScreenBufferInfo(h, &info))
        return 0;
    int cols = info.srWindow.Right - info.srWindow.Left + 1;
    return cols > 0 ? (unsigned)cols : 0;
}

int dfs_port_file_size(FILE *f, uint64_t *size)
{
    LARGE_INTEGER n;
    HANDLE h = handle_of(f);
    if (h == INVALID_HANDLE_VALUE || GetFileType(h) != FILE_TYPE_DISK) {
        errno = EINVAL;
        return -1;
    }
    if (!GetFileSizeEx(h, &n) || n.QuadPart < 0) {
        errno = errno_from_windows();
        return -1;
    }
    *size = (uint64_t)n.QuadPart;
    return 0;
}

int dfs_port_map(const char *path, const uint8_t **p, size_t *len)
{
    wchar_t *wp = widen(path);
    if (!wp)
        return -1;
    HANDLE h = CreateFileW(wp, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    free(wp);
    if (h == INVALID_HANDLE_VALUE) {
        errno = errno_from_windows();
        return -1;
    }
    LARGE_INTEGER size;
    if (GetFileType(h) != FILE_TYPE_DISK || !GetFileSizeEx(h, &size) || size.QuadPart <= 0 ||
        (uint64_t)size.QuadPart > SIZE_MAX) {
        CloseHandle(h);
        errno = EINVAL;
        return -1;
    }
    HANDLE m = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
    CloseHandle(h);
    if (!m) {
        errno = EINVAL; /* (a file that cannot be mapped is read instead) */
        return -1;
    }
    void *v = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
    CloseHandle(m);
    if (!v) {
        errno = EINVAL;
        return -1;
    }
    *p = v;
    *len = (size_t)size.QuadPart;
    return 0;
}

void dfs_port_unmap(const uint8_t *p, size_t len)
{
    (void)len;
    if (p)
        UnmapViewOfFile(p);
}

int dfs_port_replace(const char *from, const char *to)
{
    wchar_t *wf = widen(from);
    if (!wf)
        return -1;
    wchar_t *wt = widen(to);
    if (!wt) {
        free(wf);
        return -1;
    }
    BOOL ok = MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING);
    if (!ok)
        errno = errno_from_windows();
    free(wf);
    free(wt);
    return ok ? 0 : -1;
}

bool dfs_port_self(char *out, size_t size, char *err, size_t err_size)
{
    wchar_t w[32768];
    DWORD n = GetModuleFileNameW(NULL, w, sizeof w / sizeof w[0]);
    if (n == 0 || n >= sizeof w / sizeof w[0]) {
        snprintf(err, err_size, "the program's own path cannot be read");
        return false;
    }
    char *s = narrow(w);
    if (!s || strlen(s) >= size) {
        snprintf(err, err_size, "the program's own path is too long or not Unicode");
        free(s);
        return false;
    }
    for (char *c = s; *c; c++)
        if (*c == '\\')
            *c = '/';
    memcpy(out, s, strlen(s) + 1);
    free(s);
    return true;
}
