/* The few things the analysis commands need from the operating system,
 * the same on Linux and Windows (posix.c, win32.c; docs/windows.md):
 *
 *   - files by UTF-8 name (Windows: through the wide-character API, so
 *     that any name works whatever the code page);
 *   - the command line as UTF-8, standard input and output in binary mode
 *     (what is written is byte for byte what Linux writes), UTF-8 on the
 *     console;
 *   - whether a stream is a terminal that shows colour (Windows: a console
 *     that takes VT sequences), and how wide it is;
 *   - a whole file mapped for reading; the size of an open file;
 *   - replacing a file by another, and where this program is.
 *
 * Every function sets errno on failure, so that messages stay strerror's. */
#ifndef DFS_PORT_H
#define DFS_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Call first in main: on Windows argv is replaced by the UTF-8 command line
 * (unchanged when it cannot be had), the standard streams are put in
 * binary mode and a console's output code page to UTF-8. Nothing on Linux. */
void dfs_port_init(int *argc, char ***argv);

/* fopen with a UTF-8 file name. */
FILE *dfs_port_fopen(const char *path, const char *mode);

/* Is f a terminal (a console on Windows; not NUL, a pipe or a file)? */
bool dfs_port_is_terminal(FILE *f);
/* Is f a terminal that shows ANSI colour sequences? On Windows this turns
 * on the console's VT processing; false when the console refuses it. */
bool dfs_port_color_terminal(FILE *f);
/* The width in columns of the terminal f is, 0 when not known. */
unsigned dfs_port_columns(FILE *f);

/* The whole regular file at path mapped read-only: 0, or -1 with errno
 * set (EINVAL: not a regular file, or empty, or too large to map; then
 * read it instead). Undo with dfs_port_unmap. */
int dfs_port_map(const char *path, const uint8_t **p, size_t *len);
void dfs_port_unmap(const uint8_t *p, size_t len);

/* The size of the open file f when it is a regular file (a disk file on
 * Windows): 0, or -1 with errno set (EINVAL: a pipe, a terminal or a
 * device, whose size means nothing). */
int dfs_port_file_size(FILE *f, uint64_t *size);

/* Replace the file to by the file from (rename, which on Windows does not
 * replace by itself): 0, or -1 with errno set. */
int dfs_port_replace(const char *from, const char *to);

/* The full path of this program, with '/' between its components: true, or
 * false with a message in err. */
bool dfs_port_self(char *out, size_t size, char *err, size_t err_size);

#endif
