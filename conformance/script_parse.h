/* The script parser's internals, shared by its files:
 *   script.c         the loader: files, lines, includes, dfs_script_parse
 *   script_steps.c   one step: verb, arguments, options, request
 *   script_expect.c  `expect ...`
 *   script_lex.c     words, numbers, times, data, names, errors
 * Not installed. */
#ifndef DFS_CONFORMANCE_SCRIPT_PARSE_H
#define DFS_CONFORMANCE_SCRIPT_PARSE_H

#include "internal.h"

#define DFS_RUN__MAX_TOKENS 64
#define DFS_RUN__TOKEN_TEXT_MAX 4096 /* quoted strings and words, except hex data */

struct dfs_run__token {
    const char *p; /* unquoted words point into the line */
    size_t len;
    unsigned col;
    bool quoted;
    char *owned; /* unescaped text of a quoted token */
};

struct dfs_run__parser {
    dfs_script *s;
    const struct dfs_script_loader *loader;
    struct dfs_script_error *err;
    unsigned depth;
    const char *chain[DFS_SCRIPT_MAX_INCLUDE_DEPTH + 1]; /* include chain, for cycles */
    /* current line */
    const char *file;
    uint32_t file_index;
    unsigned line;
    const char *line_text;
    size_t line_len;
    struct dfs_run__token tok[DFS_RUN__MAX_TOKENS];
    size_t n_tok;
};

/* ---- script_lex.c ---- */

/* Fill the script error with file:line:column and the message; returns
 * DFS_E_FORMAT. */
dfs_result dfs_run__failat(struct dfs_run__parser *ps, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Read PATH, named at column COL, through the script's loader, counting it
 * against DFS_SCRIPT_MAX_LOADS; ACT says in the messages what the file is
 * for ("include", "read data file"). RESOLVED gets the loader's name for it. */
dfs_result dfs_run__load_file(struct dfs_run__parser *ps, unsigned col, const char *act,
                              const char *path, char **buf, size_t *blen, char *resolved,
                              size_t resolved_size);
/* A token for messages: shortened and with control characters escaped. */
const char *dfs_run__tokstr(const struct dfs_run__token *t, char *buf, size_t size);
/* Split the current line into tokens; free them with dfs_run__free_tokens. */
dfs_result dfs_run__tokenize(struct dfs_run__parser *ps);
void dfs_run__free_tokens(struct dfs_run__parser *ps);
/* Is the token the word w? */
bool dfs_run__tok_is(const struct dfs_run__token *t, const char *w);
/* "key=value" words: true and the value when the token starts with key= */
bool dfs_run__tok_key(const struct dfs_run__token *t, const char *key, const char **val,
                      size_t *vlen);
/* Decimal or 0x hex. */
bool dfs_run__parse_u64(const char *p, size_t n, uint64_t *out);
/* A number of at most max (p, n: the token or a part of it); what names it
 * in the message. */
dfs_result dfs_run__num(struct dfs_run__parser *ps, const struct dfs_run__token *t, const char *p,
                        size_t n, uint64_t max, const char *what, uint32_t *out);
dfs_result dfs_run__tnum(struct dfs_run__parser *ps, const struct dfs_run__token *t, uint64_t max,
                         const char *what, uint32_t *out);
/* 100, 100ms, 2s */
dfs_result dfs_run__duration(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                             const char *p, size_t n, uint32_t *ms);
int dfs_run__hexval(char c);
/* Hex bytes (pairs, optional '_' between) into the arena; with wild, ??
 * is a wildcard and mask_off gets the mask. */
dfs_result dfs_run__hexdata(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                            const char *p, size_t n, bool wild, size_t *off, size_t *mask_off,
                            uint32_t *len);
/* DATA: hex:..., or file:PATH (or, when bare_file, any other word is a path). */
dfs_result dfs_run__data_arg(struct dfs_run__parser *ps, const struct dfs_run__token *t,
                             bool bare_file, size_t *off, uint32_t *len);
/* A string in the arena (NUL-terminated); its offset or SIZE_MAX. */
size_t dfs_run__arena_str(struct dfs_run__parser *ps, const char *p, size_t n);
/* A DFU state's or status's value by its name, or -1. */
int dfs_run__lookup_state(const char *p, size_t n);
int dfs_run__lookup_status(const char *p, size_t n);

/* ---- script_expect.c ---- */

/* The expectation in the tokens from index i (after `expect`). */
dfs_result dfs_run__parse_expect(struct dfs_run__parser *ps, size_t i,
                                 struct dfs_run__expect *ex);

/* ---- script_steps.c ---- */

/* The current line as a step (a verb, not include). */
dfs_result dfs_run__parse_step(struct dfs_run__parser *ps);

#endif
