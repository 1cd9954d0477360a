/* `expect ...`: what a step expects of the device's reply, one function per
 * kind of term. */
#include <stdio.h>
#include <string.h>

#include "script_parse.h"

static const char expect_terms[] =
    "ok, stall, timeout, fail, any, disconnect [within TIME], reenumerate VID:PID [within TIME], "
    "status=, state=, length=, poll=, data=";

/* A term at token *i: *done when it is this kind of term. A term may take
 * the tokens after it (*i moves past them). */
typedef dfs_result (*term_fn)(struct dfs_run__parser *ps, size_t *i, struct dfs_run__expect *ex,
                              bool *done);

/* ok, stall, timeout, fail, any */
static dfs_result outcome_term(struct dfs_run__parser *ps, size_t *i, struct dfs_run__expect *ex,
                               bool *done)
{
    static const struct {
        const char *word;
        enum dfs_run__outcome_exp o;
    } words[] = {
        {"ok", DFS_RUN__EX_OK},     {"stall", DFS_RUN__EX_STALL}, {"timeout", DFS_RUN__EX_TIMEOUT},
        {"fail", DFS_RUN__EX_FAIL}, {"any", DFS_RUN__EX_ANY},
    };
    const struct dfs_run__token *t = &ps->tok[*i];
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        if (!dfs_run__tok_is(t, words[k].word))
            continue;
        *done = true;
        if (ex->outcome != DFS_RUN__EX_DEFAULT)
            return dfs_run__failat(ps, t->col,
                                   "only one of ok, stall, timeout, fail, any per step");
        ex->outcome = words[k].o;
        return DFS_OK;
    }
    return DFS_OK;
}

/* VID:PID after `reenumerate` */
static dfs_result reenumerate_id(struct dfs_run__parser *ps, size_t *i, struct dfs_run__expect *ex)
{
    char b[80];
    if (*i + 1 >= ps->n_tok)
        return dfs_run__failat(ps, (unsigned)ps->line_len + 1,
                               "expected VID:PID after 'reenumerate' (like 0483:df11)");
    struct dfs_device_sel sel;
    const struct dfs_run__token *id = &ps->tok[++*i];
    char idb[40];
    if (id->quoted || id->len >= sizeof idb)
        return dfs_run__failat(ps, id->col,
                               "expected VID:PID after 'reenumerate' (like "
                               "0483:df11), found '%s'",
                               dfs_run__tokstr(id, b, sizeof b));
    memcpy(idb, id->p, id->len);
    idb[id->len] = '\0';
    if (!dfs_device_sel_parse_id(&sel, idb))
        return dfs_run__failat(ps, id->col,
                               "expected VID:PID after 'reenumerate' (like "
                               "0483:df11), found '%s'",
                               dfs_run__tokstr(id, b, sizeof b));
    ex->vid = sel.vid;
    ex->pid = sel.pid;
    return DFS_OK;
}

/* disconnect [within TIME], reenumerate VID:PID [within TIME] */
static dfs_result disconnect_term(struct dfs_run__parser *ps, size_t *i,
                                  struct dfs_run__expect *ex, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    if (!dfs_run__tok_is(t, "disconnect") && !dfs_run__tok_is(t, "reenumerate"))
        return DFS_OK;
    *done = true;
    bool re = dfs_run__tok_is(t, "reenumerate");
    ex->disconnect = true;
    uint32_t *ms = &ex->disconnect_ms;
    if (re) {
        if (ex->reenum)
            return dfs_run__failat(ps, t->col, "reenumerate given twice");
        ex->reenum = true;
        ms = &ex->reenum_ms;
        dfs_result r = reenumerate_id(ps, i, ex);
        if (r)
            return r;
    }
    if (*i + 1 < ps->n_tok && dfs_run__tok_is(&ps->tok[*i + 1], "within")) {
        if (*i + 2 >= ps->n_tok)
            return dfs_run__failat(ps, (unsigned)ps->line_len + 1,
                                   "expected a time after 'within' (like 5s)");
        const struct dfs_run__token *d = &ps->tok[*i + 2];
        dfs_result r = dfs_run__duration(ps, d, d->p, d->len, ms);
        if (r)
            return r;
        *i += 2;
    }
    return DFS_OK;
}

/* status=NAME|N, state=NAME|N */
static dfs_result status_state_term(struct dfs_run__parser *ps, size_t *i,
                                    struct dfs_run__expect *ex, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    bool status = dfs_run__tok_key(t, "status", &v, &vn);
    if (!status && !dfs_run__tok_key(t, "state", &v, &vn))
        return DFS_OK;
    *done = true;
    int s = status ? dfs_run__lookup_status(v, vn) : dfs_run__lookup_state(v, vn);
    if (s < 0) {
        uint32_t x = 0; /* (set on success; gcc -O3 cannot tell) */
        dfs_result r = dfs_run__num(ps, t, v, vn, 255,
                                    status ? "status (errADDRESS, OK, ... or a number)"
                                           : "state (dfuIDLE, dfuDNBUSY, ... or a number)",
                                    &x);
        if (r)
            return r;
        s = (int)x;
    }
    if (status) {
        ex->has_status = true;
        ex->status = (uint8_t)s;
    } else {
        ex->has_state = true;
        ex->state = (uint8_t)s;
    }
    return DFS_OK;
}

static bool cmp_key(const struct dfs_run__token *t, const char *key, enum dfs_run__cmp *op,
                    const char **val, size_t *vlen)
{
    size_t k = strlen(key);
    if (t->quoted || t->len <= k + 1 || strncmp(t->p, key, k) != 0)
        return false;
    const char *p = t->p + k;
    size_t rest = t->len - k;
    if (rest >= 2 && p[0] == '<' && p[1] == '=') {
        *op = DFS_RUN__LE;
        p += 2;
    } else if (rest >= 2 && p[0] == '>' && p[1] == '=') {
        *op = DFS_RUN__GE;
        p += 2;
    } else if (p[0] == '<') {
        *op = DFS_RUN__LT;
        p += 1;
    } else if (p[0] == '>') {
        *op = DFS_RUN__GT;
        p += 1;
    } else if (p[0] == '=') {
        *op = DFS_RUN__EQ;
        p += 1;
    } else {
        return false;
    }
    *val = p;
    *vlen = t->len - (size_t)(p - t->p);
    return true;
}

/* length OP N, poll OP N (OP: = < <= > >=) */
static dfs_result compare_term(struct dfs_run__parser *ps, size_t *i, struct dfs_run__expect *ex,
                               bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    enum dfs_run__cmp op;
    if (cmp_key(t, "length", &op, &v, &vn)) {
        *done = true;
        dfs_result r = dfs_run__num(ps, t, v, vn, UINT32_MAX, "a length", &ex->length);
        if (r)
            return r;
        ex->has_length = true;
        ex->length_op = op;
    } else if (cmp_key(t, "poll", &op, &v, &vn)) {
        *done = true;
        dfs_result r = dfs_run__num(ps, t, v, vn, 0xffffff, "a bwPollTimeout in ms", &ex->poll);
        if (r)
            return r;
        ex->has_poll = true;
        ex->poll_op = op;
    }
    return DFS_OK;
}

/* data=HEX (?? any byte, * at the end: a prefix, &MASK) */
static dfs_result data_term(struct dfs_run__parser *ps, size_t *i, struct dfs_run__expect *ex,
                            bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    if (!dfs_run__tok_key(t, "data", &v, &vn))
        return DFS_OK;
    *done = true;
    bool prefix = vn && v[vn - 1] == '*';
    if (prefix)
        vn--;
    const char *amp = memchr(v, '&', vn);
    size_t dn = amp ? (size_t)(amp - v) : vn;
    size_t off, moff;
    uint32_t len;
    dfs_result r = dfs_run__hexdata(ps, t, v, dn, true, &off, &moff, &len);
    if (r)
        return r;
    if (amp) {
        size_t m2off;
        uint32_t mlen;
        r = dfs_run__hexdata(ps, t, amp + 1, vn - dn - 1, false, &m2off, NULL, &mlen);
        if (r)
            return r;
        if (mlen != len)
            return dfs_run__failat(ps, t->col + (unsigned)(amp - t->p) + 1,
                                   "the mask after '&' has %u bytes, the data %u; expected the "
                                   "same length",
                                   mlen, len);
        /* combine: wildcards stay 0 */
        uint8_t *mp = ps->s->arena.p;
        for (uint32_t k = 0; k < len; k++)
            mp[moff + k] &= mp[m2off + k];
    }
    ex->has_data = true;
    ex->data_off = off;
    ex->mask_off = moff;
    ex->data_len = len;
    ex->data_prefix = prefix;
    return DFS_OK;
}

static const term_fn terms[] = {outcome_term, disconnect_term, status_state_term, compare_term,
                                data_term};

dfs_result dfs_run__parse_expect(struct dfs_run__parser *ps, size_t i, struct dfs_run__expect *ex)
{
    char b[80];
    ex->given = true;
    if (i >= ps->n_tok)
        return dfs_run__failat(ps, (unsigned)ps->line_len + 1,
                               "expected something after 'expect' (%s)", expect_terms);
    for (; i < ps->n_tok; i++) {
        bool done = false;
        for (size_t k = 0; k < sizeof terms / sizeof terms[0] && !done; k++) {
            dfs_result r = terms[k](ps, &i, ex, &done);
            if (r)
                return r;
        }
        if (!done)
            return dfs_run__failat(ps, ps->tok[i].col,
                                   "unknown expectation '%s'; expected one of: %s",
                                   dfs_run__tokstr(&ps->tok[i], b, sizeof b), expect_terms);
    }
    if (ex->outcome == DFS_RUN__EX_DEFAULT && !ex->disconnect)
        ex->outcome = DFS_RUN__EX_OK;
    if (ex->outcome == DFS_RUN__EX_DEFAULT)
        ex->outcome = DFS_RUN__EX_ANY; /* disconnect: the reply does not matter */
    if ((ex->outcome == DFS_RUN__EX_STALL || ex->outcome == DFS_RUN__EX_TIMEOUT) &&
        (ex->has_status || ex->has_state || ex->has_data || ex->has_poll))
        return dfs_run__failat(ps, ps->tok[i - 1].col,
                               "a step expected to fail has no reply to check status, state, poll "
                               "or data against");
    return DFS_OK;
}
