/* Bounded formatting, for every stage: appends to a fixed buffer, never past
 * its end, always NUL-terminated. */
#include <stdio.h>

#include "internal.h"

size_t dfs__vappendf(char *buf, size_t size, size_t pos, const char *fmt, va_list ap)
{
    if (!size)
        return 0;
    if (pos >= size)
        pos = size - 1;
    int n = vsnprintf(buf + pos, size - pos, fmt, ap);
    if (n < 0)
        return pos;
    pos += (size_t)n;
    return pos >= size ? size - 1 : pos;
}

size_t dfs__appendf(char *buf, size_t size, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pos = dfs__vappendf(buf, size, pos, fmt, ap);
    va_end(ap);
    return pos;
}
