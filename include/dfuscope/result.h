/* dfuscope: result codes of the public API.
 *
 * Functions of the library return a dfs_result. Zero is success, every
 * error is negative. A bad capture record is NOT an API error: it becomes a
 * finding (see findings.h) and decoding goes on. API errors mean misuse, an
 * allocation failure, or a callback that asked to stop; they are sticky on a
 * decoder until dfs_decoder_reset().
 */
#ifndef DFUSCOPE_RESULT_H
#define DFUSCOPE_RESULT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DFS_API __attribute__((visibility("default")))
#else
#define DFS_API
#endif

/* X(name, value, description) */
#define DFS_RESULT_MAP(X)                                                     \
    X(OK, 0, "success")                                                       \
    X(E_INVAL, -1, "invalid argument")                                        \
    X(E_NOMEM, -2, "out of memory")                                           \
    X(E_LINKTYPE, -3, "unsupported link type")                                \
    X(E_STATE, -4, "call not allowed in this state")                          \
    X(E_ABORTED, -5, "stopped by a callback")                                 \
    X(E_IO, -6, "input/output error")                                         \
    X(E_FORMAT, -7, "input is not in the expected format")                    \
    X(E_LIMIT, -8, "a configured limit was reached")                          \
    X(E_NOTFOUND, -9, "not found")                                            \
    X(E_UNSUPPORTED, -10, "not supported")

typedef enum dfs_result {
#define DFS_RESULT_ENUM(name, value, desc) DFS_##name = value,
    DFS_RESULT_MAP(DFS_RESULT_ENUM)
#undef DFS_RESULT_ENUM
} dfs_result;

/* "DFS_E_NOMEM" for DFS_E_NOMEM; "DFS_E_UNKNOWN" for values outside the map. */
DFS_API const char *dfs_result_name(dfs_result r);
/* "out of memory" for DFS_E_NOMEM; a generic text for unknown values. */
DFS_API const char *dfs_result_str(dfs_result r);

#ifdef __cplusplus
}
#endif
#endif
