/* One step of a script: its verb, its arguments and options, the request
 * it makes, and its expectation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_parse.h"

static struct dfs_run__step *new_step(struct dfs_run__parser *ps, enum dfs_run__step_kind kind)
{
    dfs_script *s = ps->s;
    if (s->n_steps >= DFS_SCRIPT_MAX_STEPS)
        return NULL;
    if (s->n_steps == s->cap_steps) {
        size_t cap = s->cap_steps ? s->cap_steps * 2 : 32;
        struct dfs_run__step *n = realloc(s->steps, cap * sizeof *n);
        if (!n)
            return NULL;
        s->steps = n;
        s->cap_steps = cap;
    }
    struct dfs_run__step *st = &s->steps[s->n_steps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->file = ps->file_index;
    st->line = ps->line;
    st->column = ps->tok[0].col;
    /* the text as written, from the first word, without the comment */
    size_t a = ps->tok[0].col - 1, e = ps->line_len;
    {
        bool inq = false;
        for (size_t k = a; k < ps->line_len; k++) {
            char c = ps->line_text[k];
            if (c == '"' && (k == 0 || ps->line_text[k - 1] != '\\'))
                inq = !inq;
            if (c == '#' && !inq) {
                e = k;
                break;
            }
        }
        while (e > a && (ps->line_text[e - 1] == ' ' || ps->line_text[e - 1] == '\t'))
            e--;
    }
    size_t n = e - a;
    if (n >= sizeof st->text) {
        memcpy(st->text, ps->line_text + a, sizeof st->text - 4);
        memcpy(st->text + sizeof st->text - 4, "...", 4);
    } else {
        memcpy(st->text, ps->line_text + a, n);
        st->text[n] = '\0';
    }
    for (char *c = st->text; *c; c++)
        if (*c == '\t')
            *c = ' ';
    return st;
}

/* The positional words of a step and what its options said. */
struct args {
    const struct dfs_run__token *pos[8];
    unsigned npos;
    bool lang_given; /* get-descriptor: lang= */
};

struct verb;

/* A step-specific option at token *i (which may take the token after it):
 * *done when it was one. */
typedef dfs_result (*option_fn)(struct dfs_run__parser *ps, struct dfs_run__step *st,
                                struct args *a, size_t *i, size_t end, bool *done);
/* The request of the step, from its positional words. */
typedef dfs_result (*build_fn)(struct dfs_run__parser *ps, const struct verb *vb,
                               struct dfs_run__step *st, const struct args *a);

struct verb {
    const char *name;
    enum dfs_run__step_kind kind;
    unsigned min_args, max_args; /* positional words after the verb */
    const char *usage;
    build_fn build;
    option_fn option; /* NULL: the verb has none of its own */
};

/* ---- options of one verb ------------------------------------------------------------------------ */

static dfs_result descriptor_option(struct dfs_run__parser *ps, struct dfs_run__step *st,
                                    struct args *a, size_t *i, size_t end, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    uint32_t x = 0;
    (void)end;
    *done = false;
    if (dfs_run__tok_key(t, "lang", &v, &vn)) {
        dfs_result r = dfs_run__num(ps, t, v, vn, 0xffff, "a LANGID (like 0x0409)", &x);
        if (r)
            return r;
        st->setup.wIndex = (uint16_t)x;
        a->lang_given = true;
        *done = true;
    } else if (dfs_run__tok_key(t, "length", &v, &vn)) {
        dfs_result r = dfs_run__num(ps, t, v, vn, 0xffff, "a length", &x);
        if (r)
            return r;
        st->setup.wLength = (uint16_t)x;
        st->length = 1; /* given */
        *done = true;
    }
    return DFS_OK;
}

static dfs_result interface_option(struct dfs_run__parser *ps, struct dfs_run__step *st,
                                   struct args *a, size_t *i, size_t end, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    uint32_t x = 0;
    (void)a;
    (void)end;
    *done = false;
    if (dfs_run__tok_key(t, "interface", &v, &vn)) {
        dfs_result r = dfs_run__num(ps, t, v, vn, 255, "an interface number", &x);
        if (r)
            return r;
        st->setup.wIndex = (uint16_t)x;
        st->iface_given = true;
        *done = true;
    }
    return DFS_OK;
}

/* interface=N or endpoint=ADDR: the recipient of a standard request. */
static dfs_result recipient_option(struct dfs_run__parser *ps, struct dfs_run__step *st,
                                   struct args *a, size_t *i, size_t end, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    uint32_t x = 0;
    (void)a;
    (void)end;
    *done = false;
    if (dfs_run__tok_key(t, "interface", &v, &vn)) {
        dfs_result r = dfs_run__num(ps, t, v, vn, 255, "an interface number", &x);
        if (r)
            return r;
        st->setup.bmRequestType = (uint8_t)((st->setup.bmRequestType & ~DFS_REQTYPE_RECIP_MASK) |
                                            DFS_REQTYPE_RECIP_INTERFACE);
        st->setup.wIndex = (uint16_t)x;
        st->iface_given = true;
        *done = true;
    } else if (dfs_run__tok_key(t, "endpoint", &v, &vn)) {
        dfs_result r = dfs_run__num(ps, t, v, vn, 255, "an endpoint address (like 0x81)", &x);
        if (r)
            return r;
        st->setup.bmRequestType = (uint8_t)((st->setup.bmRequestType & ~DFS_REQTYPE_RECIP_MASK) |
                                            DFS_REQTYPE_RECIP_ENDPOINT);
        st->setup.wIndex = (uint16_t)x;
        *done = true;
    }
    return DFS_OK;
}

static dfs_result poll_option(struct dfs_run__parser *ps, struct dfs_run__step *st,
                              struct args *a, size_t *i, size_t end, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    (void)a;
    (void)end;
    *done = false;
    if (dfs_run__tok_key(t, "max", &v, &vn)) {
        dfs_result r =
            dfs_run__num(ps, t, v, vn, 100000, "a number of GETSTATUS requests", &st->addr);
        if (r)
            return r;
        if (!st->addr)
            return dfs_run__failat(ps, t->col, "max=0: expected at least 1");
        *done = true;
    }
    return DFS_OK;
}

/* clause="..." and title="..." (also clause= "..." with a space) */
static dfs_result check_option(struct dfs_run__parser *ps, struct dfs_run__step *st,
                               struct args *a, size_t *i, size_t end, bool *done)
{
    const struct dfs_run__token *t = &ps->tok[*i];
    const char *v;
    size_t vn;
    (void)a;
    *done = false;
    if (!dfs_run__tok_key(t, "clause", &v, &vn) && !dfs_run__tok_key(t, "title", &v, &vn))
        return DFS_OK;
    bool clause = t->p[0] == 'c';
    const struct dfs_run__token *val = t;
    size_t o;
    if (vn == 0 && *i + 1 < end && ps->tok[*i + 1].quoted) {
        val = &ps->tok[++*i];
        o = dfs_run__arena_str(ps, val->p, val->len);
    } else {
        o = dfs_run__arena_str(ps, v, vn);
    }
    if (o == SIZE_MAX)
        return DFS_E_NOMEM;
    if (clause)
        st->clause_off = o + 1; /* +1: 0 means none */
    else
        st->title_off = o + 1;
    *done = true;
    return DFS_OK;
}

/* ---- standard requests ---------------------------------------------------------------------------- */

static dfs_result build_get_descriptor(struct dfs_run__parser *ps, const struct verb *vb,
                                       struct dfs_run__step *st, const struct args *a)
{
    static const struct {
        const char *name;
        uint8_t type;
        uint16_t len;
    } types[] = {
        {"device", DFS_DT_DEVICE, 18},
        {"config", DFS_DT_CONFIGURATION, 9},
        {"configuration", DFS_DT_CONFIGURATION, 9},
        {"string", DFS_DT_STRING, 255},
        {"qualifier", DFS_DT_DEVICE_QUALIFIER, 10},
        {"device-qualifier", DFS_DT_DEVICE_QUALIFIER, 10},
        {"other-speed", DFS_DT_OTHER_SPEED_CONFIGURATION, 9},
        {"bos", DFS_DT_BOS, 5},
        {"debug", DFS_DT_DEBUG, 4},
    };
    char b[80];
    uint32_t x;
    dfs_result r;
    struct dfs_setup *su = &st->setup;
    (void)vb;
    int type = -1;
    uint16_t deflen = 255;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        if (dfs_run__tok_is(a->pos[0], types[k].name)) {
            type = types[k].type;
            deflen = types[k].len;
        }
    if (type < 0) {
        if (a->pos[0]->quoted || !dfs_run__parse_u64(a->pos[0]->p, a->pos[0]->len, &(uint64_t){0}))
            return dfs_run__failat(ps, a->pos[0]->col,
                                   "expected a descriptor type (device, config, string, qualifier, "
                                   "other-speed, bos, debug or a number), found '%s'",
                                   dfs_run__tokstr(a->pos[0], b, sizeof b));
        r = dfs_run__tnum(ps, a->pos[0], 255, "a descriptor type", &x);
        if (r)
            return r;
        type = (int)x;
    }
    x = 0;
    if (a->npos > 1) {
        r = dfs_run__tnum(ps, a->pos[1], 255, "a descriptor index", &x);
        if (r)
            return r;
    }
    su->bmRequestType = DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE;
    su->bRequest = DFS_REQ_GET_DESCRIPTOR;
    su->wValue = (uint16_t)((unsigned)type << 8 | x);
    if (type == DFS_DT_STRING && x != 0 && !a->lang_given)
        su->wIndex = 0x0409; /* the usual LANGID unless lang= says */
    if (!st->length)
        su->wLength = deflen;
    st->length = 0;
    return DFS_OK;
}

static dfs_result build_set_configuration(struct dfs_run__parser *ps, const struct verb *vb,
                                          struct dfs_run__step *st, const struct args *a)
{
    uint32_t x;
    (void)vb;
    dfs_result r = dfs_run__tnum(ps, a->pos[0], 255, "a configuration value", &x);
    if (r)
        return r;
    st->setup.bmRequestType = DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE;
    st->setup.bRequest = DFS_REQ_SET_CONFIGURATION;
    st->setup.wValue = (uint16_t)x;
    return DFS_OK;
}

static dfs_result build_set_interface(struct dfs_run__parser *ps, const struct verb *vb,
                                      struct dfs_run__step *st, const struct args *a)
{
    uint32_t x;
    (void)vb;
    dfs_result r = dfs_run__tnum(ps, a->pos[0], 255, "an alternate setting", &x);
    if (r)
        return r;
    st->setup.bmRequestType = DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_INTERFACE;
    st->setup.bRequest = DFS_REQ_SET_INTERFACE;
    st->setup.wValue = (uint16_t)x;
    st->setup_iface = !st->iface_given;
    return DFS_OK;
}

static dfs_result build_get_status(struct dfs_run__parser *ps, const struct verb *vb,
                                   struct dfs_run__step *st, const struct args *a)
{
    (void)ps;
    (void)vb;
    (void)a;
    st->setup.bmRequestType |= DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD;
    st->setup.bRequest = DFS_REQ_GET_STATUS;
    st->setup.wLength = 2;
    return DFS_OK;
}

static dfs_result build_clear_feature(struct dfs_run__parser *ps, const struct verb *vb,
                                      struct dfs_run__step *st, const struct args *a)
{
    uint32_t x;
    (void)vb;
    if (dfs_run__tok_is(a->pos[0], "endpoint-halt"))
        x = DFS_FEATURE_ENDPOINT_HALT;
    else if (dfs_run__tok_is(a->pos[0], "remote-wakeup"))
        x = DFS_FEATURE_DEVICE_REMOTE_WAKEUP;
    else {
        dfs_result r = dfs_run__tnum(ps, a->pos[0], 0xffff,
                                     "a feature (endpoint-halt, remote-wakeup or a number)", &x);
        if (r)
            return r;
    }
    st->setup.bmRequestType |= DFS_REQTYPE_STANDARD;
    st->setup.bRequest = DFS_REQ_CLEAR_FEATURE;
    st->setup.wValue = (uint16_t)x;
    return DFS_OK;
}

static dfs_result build_control(struct dfs_run__parser *ps, const struct verb *vb,
                                struct dfs_run__step *st, const struct args *a)
{
    static const char *what[] = {"bmRequestType", "bRequest", "wValue", "wIndex"};
    static const uint32_t max[] = {255, 255, 0xffff, 0xffff};
    struct dfs_setup *su = &st->setup;
    uint32_t v[4], x;
    dfs_result r;
    (void)vb;
    for (int k = 0; k < 4; k++) {
        r = dfs_run__tnum(ps, a->pos[k], max[k], what[k], &v[k]);
        if (r)
            return r;
    }
    su->bmRequestType = (uint8_t)v[0];
    su->bRequest = (uint8_t)v[1];
    su->wValue = (uint16_t)v[2];
    su->wIndex = (uint16_t)v[3];
    if (su->bmRequestType & DFS_REQTYPE_DIR_IN) {
        r = dfs_run__tnum(ps, a->pos[4], 0xffff, "the IN length (wLength)", &x);
        if (r)
            return r;
        su->wLength = (uint16_t)x;
        return DFS_OK;
    }
    if (!a->pos[4]->quoted && dfs_run__parse_u64(a->pos[4]->p, a->pos[4]->len, &(uint64_t){0}))
        return dfs_run__failat(ps, a->pos[4]->col,
                               "an OUT request (bmRequestType bit 7 clear) takes data as "
                               "hex:..., not a length");
    r = dfs_run__data_arg(ps, a->pos[4], false, &st->data_off, &st->data_len);
    if (r)
        return r;
    if (st->data_len > 0xffff)
        return dfs_run__failat(ps, a->pos[4]->col,
                               "%u bytes of data; a control transfer carries "
                               "at most 65535",
                               st->data_len);
    su->wLength = (uint16_t)st->data_len;
    return DFS_OK;
}

/* ---- DFU requests ------------------------------------------------------------------------------ */

static dfs_result build_detach(struct dfs_run__parser *ps, const struct verb *vb,
                               struct dfs_run__step *st, const struct args *a)
{
    uint32_t x = 1000;
    (void)vb;
    if (a->npos) {
        dfs_result r = dfs_run__tnum(ps, a->pos[0], 0xffff, "the detach timeout in ms", &x);
        if (r)
            return r;
    }
    st->setup.bmRequestType = DFS_DFU_REQTYPE_OUT;
    st->setup.bRequest = DFS_DFU_DETACH;
    st->setup.wValue = (uint16_t)x;
    st->setup_iface = true;
    return DFS_OK;
}

static dfs_result build_dnload(struct dfs_run__parser *ps, const struct verb *vb,
                               struct dfs_run__step *st, const struct args *a)
{
    uint32_t x;
    (void)vb;
    dfs_result r = dfs_run__tnum(ps, a->pos[0], 0xffff, "a block number", &x);
    if (r)
        return r;
    if (a->npos > 1) {
        r = dfs_run__data_arg(ps, a->pos[1], false, &st->data_off, &st->data_len);
        if (r)
            return r;
        if (st->data_len > 0xffff)
            return dfs_run__failat(ps, a->pos[1]->col,
                                   "%u bytes of data; one DNLOAD carries at most "
                                   "65535 (use write for more)",
                                   st->data_len);
    }
    st->setup.bmRequestType = DFS_DFU_REQTYPE_OUT;
    st->setup.bRequest = DFS_DFU_DNLOAD;
    st->setup.wValue = (uint16_t)x;
    st->setup.wLength = (uint16_t)st->data_len;
    st->setup_iface = true;
    return DFS_OK;
}

static dfs_result build_upload(struct dfs_run__parser *ps, const struct verb *vb,
                               struct dfs_run__step *st, const struct args *a)
{
    uint32_t x, y;
    (void)vb;
    dfs_result r = dfs_run__tnum(ps, a->pos[0], 0xffff, "a block number", &x);
    if (r)
        return r;
    r = dfs_run__tnum(ps, a->pos[1], 0xffff, "the length to read (wLength)", &y);
    if (r)
        return r;
    st->setup.bmRequestType = DFS_DFU_REQTYPE_IN;
    st->setup.bRequest = DFS_DFU_UPLOAD;
    st->setup.wValue = (uint16_t)x;
    st->setup.wLength = (uint16_t)y;
    st->setup_iface = true;
    return DFS_OK;
}

/* getstatus, poll, clrstatus, getstate, abort: the request and nothing else. */
static dfs_result build_dfu_plain(struct dfs_run__parser *ps, const struct verb *vb,
                                  struct dfs_run__step *st, const struct args *a)
{
    struct dfs_setup *su = &st->setup;
    (void)ps;
    (void)a;
    switch (vb->kind) {
    case DFS_RUN__SK_GETSTATUS:
    case DFS_RUN__SK_POLL:
        su->bmRequestType = DFS_DFU_REQTYPE_IN;
        su->bRequest = DFS_DFU_GETSTATUS;
        su->wLength = DFS_GETSTATUS_LEN;
        if (vb->kind == DFS_RUN__SK_POLL && !st->addr)
            st->addr = 1000;
        break;
    case DFS_RUN__SK_CLRSTATUS:
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_CLRSTATUS;
        break;
    case DFS_RUN__SK_GETSTATE:
        su->bmRequestType = DFS_DFU_REQTYPE_IN;
        su->bRequest = DFS_DFU_GETSTATE;
        su->wLength = 1;
        break;
    default: /* abort */
        su->bmRequestType = DFS_DFU_REQTYPE_OUT;
        su->bRequest = DFS_DFU_ABORT;
        break;
    }
    st->setup_iface = true;
    return DFS_OK;
}

/* ---- DfuSe commands ---------------------------------------------------------------------------- */

/* set-address, erase: an address; mass-erase, read-unprotect, leave: none */
static dfs_result build_dfuse(struct dfs_run__parser *ps, const struct verb *vb,
                              struct dfs_run__step *st, const struct args *a)
{
    if (vb->kind == DFS_RUN__SK_SET_ADDRESS || vb->kind == DFS_RUN__SK_ERASE) {
        dfs_result r =
            dfs_run__tnum(ps, a->pos[0], UINT32_MAX, "an address (like 0x08000000)", &st->addr);
        if (r)
            return r;
    }
    st->setup_iface = true;
    return DFS_OK;
}

static dfs_result build_read_write(struct dfs_run__parser *ps, const struct verb *vb,
                                   struct dfs_run__step *st, const struct args *a)
{
    dfs_result r;
    if (!dfs_run__tok_is(a->pos[1], "at"))
        return dfs_run__failat(ps, a->pos[1]->col, "expected 'at' before the address; usage: %s",
                               vb->usage);
    r = dfs_run__tnum(ps, a->pos[2], UINT32_MAX, "an address (like 0x08000000)", &st->addr);
    if (r)
        return r;
    if (vb->kind == DFS_RUN__SK_READ) {
        r = dfs_run__tnum(ps, a->pos[0], DFS_SCRIPT_MAX_DATA, "a length to read", &st->length);
        if (r)
            return r;
        if (!st->length)
            return dfs_run__failat(ps, a->pos[0]->col, "read 0 bytes: expected a length > 0");
    } else {
        r = dfs_run__data_arg(ps, a->pos[0], true, &st->data_off, &st->data_len);
        if (r)
            return r;
        if (!st->data_len)
            return dfs_run__failat(ps, a->pos[0]->col, "nothing to write: the data is empty");
    }
    if ((uint64_t)st->addr + (vb->kind == DFS_RUN__SK_READ ? st->length : st->data_len) >
        0x100000000ull)
        return dfs_run__failat(ps, a->pos[2]->col,
                               "the range runs past the end of the 4 GiB address "
                               "space");
    st->setup_iface = true;
    return DFS_OK;
}

/* ---- steps without requests ------------------------------------------------------------------ */

static dfs_result build_wait(struct dfs_run__parser *ps, const struct verb *vb,
                             struct dfs_run__step *st, const struct args *a)
{
    (void)vb;
    if (dfs_run__tok_is(a->pos[0], "poll")) {
        st->kind = DFS_RUN__SK_WAIT_POLL;
        return DFS_OK;
    }
    return dfs_run__duration(ps, a->pos[0], a->pos[0]->p, a->pos[0]->len, &st->addr);
}

static dfs_result build_check(struct dfs_run__parser *ps, const struct verb *vb,
                              struct dfs_run__step *st, const struct args *a)
{
    const struct dfs_run__token *id = a->pos[0];
    (void)vb;
    if (id->quoted || id->len == 0 || id->len > 200)
        return dfs_run__failat(ps, id->col, "expected a check id (letters, digits, '.', '-', '_')");
    for (size_t k = 0; k < id->len; k++) {
        char c = id->p[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':'))
            return dfs_run__failat(ps, id->col + (unsigned)k,
                                   "expected a check id (letters, digits, '.', '-', '_'), found "
                                   "'%c'",
                                   c);
    }
    size_t o = dfs_run__arena_str(ps, id->p, id->len);
    if (o == SIZE_MAX)
        return DFS_E_NOMEM;
    st->check_id_off = o;
    return DFS_OK;
}

/* ---- the verbs ------------------------------------------------------------------------------------ */

static const struct verb verbs[] = {
    {"get-descriptor", DFS_RUN__SK_GET_DESCRIPTOR, 1, 2,
     "get-descriptor TYPE [INDEX] [lang=ID] [length=N]", build_get_descriptor, descriptor_option},
    {"set-configuration", DFS_RUN__SK_SET_CONFIGURATION, 1, 1, "set-configuration VALUE",
     build_set_configuration, NULL},
    {"set-interface", DFS_RUN__SK_SET_INTERFACE, 1, 1, "set-interface ALT [interface=N]",
     build_set_interface, interface_option},
    {"get-status", DFS_RUN__SK_GET_STATUS, 0, 0, "get-status [interface=N | endpoint=ADDR]",
     build_get_status, recipient_option},
    {"clear-feature", DFS_RUN__SK_CLEAR_FEATURE, 1, 1,
     "clear-feature endpoint-halt|remote-wakeup|N [interface=N | endpoint=ADDR]",
     build_clear_feature, recipient_option},
    {"control", DFS_RUN__SK_CONTROL, 5, 5,
     "control bmRequestType bRequest wValue wIndex (LENGTH | hex:DATA)", build_control, NULL},
    {"detach", DFS_RUN__SK_DETACH, 0, 1, "detach [TIMEOUT_MS]", build_detach, NULL},
    {"dnload", DFS_RUN__SK_DNLOAD, 1, 2, "dnload BLOCK [hex:DATA | file:PATH]", build_dnload,
     NULL},
    {"upload", DFS_RUN__SK_UPLOAD, 2, 2, "upload BLOCK LENGTH", build_upload, NULL},
    {"getstatus", DFS_RUN__SK_GETSTATUS, 0, 0, "getstatus", build_dfu_plain, NULL},
    {"clrstatus", DFS_RUN__SK_CLRSTATUS, 0, 0, "clrstatus", build_dfu_plain, NULL},
    {"getstate", DFS_RUN__SK_GETSTATE, 0, 0, "getstate", build_dfu_plain, NULL},
    {"abort", DFS_RUN__SK_ABORT, 0, 0, "abort", build_dfu_plain, NULL},
    {"poll", DFS_RUN__SK_POLL, 0, 0, "poll [max=N]", build_dfu_plain, poll_option},
    {"set-address", DFS_RUN__SK_SET_ADDRESS, 1, 1, "set-address ADDR", build_dfuse, NULL},
    {"erase", DFS_RUN__SK_ERASE, 1, 1, "erase ADDR", build_dfuse, NULL},
    {"mass-erase", DFS_RUN__SK_MASS_ERASE, 0, 0, "mass-erase", build_dfuse, NULL},
    {"read-unprotect", DFS_RUN__SK_READ_UNPROTECT, 0, 0, "read-unprotect", build_dfuse, NULL},
    {"leave", DFS_RUN__SK_LEAVE, 0, 0, "leave", build_dfuse, NULL},
    {"read", DFS_RUN__SK_READ, 3, 3, "read LENGTH at ADDR", build_read_write, NULL},
    {"write", DFS_RUN__SK_WRITE, 3, 3, "write FILE|hex:DATA at ADDR", build_read_write, NULL},
    {"wait", DFS_RUN__SK_WAIT, 1, 1, "wait TIME | wait poll", build_wait, NULL},
    {"check", DFS_RUN__SK_CHECK, 1, 1, "check ID [clause=\"...\"] [title=\"...\"]", build_check,
     check_option},
};

static const struct verb *find_verb(const struct dfs_run__token *t)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (dfs_run__tok_is(t, verbs[i].name))
            return &verbs[i];
    /* a few aliases */
    if (dfs_run__tok_is(t, "set-alt"))
        return &verbs[2];
    if (dfs_run__tok_is(t, "download"))
        return &verbs[7];
    return NULL;
}

static bool is_dfu_request(enum dfs_run__step_kind k)
{
    switch (k) {
    DFS_RUN__SK_DFU_REQUEST_CASES:
    case DFS_RUN__SK_POLL:
    case DFS_RUN__SK_SET_ADDRESS:
    case DFS_RUN__SK_ERASE:
    case DFS_RUN__SK_MASS_ERASE:
    case DFS_RUN__SK_READ_UNPROTECT:
    case DFS_RUN__SK_LEAVE:
    case DFS_RUN__SK_READ:
    case DFS_RUN__SK_WRITE:
        return true;
    default:
        return false;
    }
}

/* ---- a step ------------------------------------------------------------------------------------------ */

/* The words between the verb and `expect` (at end): timeout=, nowait, the
 * positional words, the verb's own options. */
static dfs_result step_words(struct dfs_run__parser *ps, const struct verb *vb,
                             struct dfs_run__step *st, struct args *a, size_t end)
{
    char b[80];
    for (size_t i = 1; i < end; i++) {
        const struct dfs_run__token *t = &ps->tok[i];
        const char *v;
        size_t vn;
        if (dfs_run__tok_key(t, "timeout", &v, &vn)) {
            if (!is_dfu_request(vb->kind) && vb->kind >= DFS_RUN__SK_WAIT)
                return dfs_run__failat(ps, t->col, "'%s' sends no request; timeout= does not apply",
                                       vb->name);
            dfs_result r = dfs_run__duration(ps, t, v, vn, &st->timeout_ms);
            if (r)
                return r;
            if (!st->timeout_ms)
                return dfs_run__failat(ps, t->col,
                                       "timeout=0 would wait forever; expected a time > 0");
            continue;
        }
        if (dfs_run__tok_is(t, "nowait")) {
            if (!is_dfu_request(vb->kind))
                return dfs_run__failat(ps, t->col, "nowait applies to DFU requests only");
            st->nowait = true;
            continue;
        }
        if (a->npos < vb->max_args && !memchr(t->p, '=', t->len)) {
            a->pos[a->npos++] = t;
            continue;
        }
        bool done = false;
        if (vb->option) {
            dfs_result r = vb->option(ps, st, a, &i, end, &done);
            if (r)
                return r;
            if (done)
                continue;
        }
        if (a->npos >= vb->max_args && !memchr(t->p, '=', t->len))
            return dfs_run__failat(ps, t->col, "unexpected '%s'; usage: %s",
                                   dfs_run__tokstr(t, b, sizeof b), vb->usage);
        return dfs_run__failat(ps, t->col, "unknown option '%s' for %s; usage: %s",
                               dfs_run__tokstr(t, b, sizeof b), vb->name, vb->usage);
    }
    return DFS_OK;
}

/* `expect ...` at token `at`, and whether it applies to the step. */
static dfs_result step_expect(struct dfs_run__parser *ps, const struct verb *vb,
                              struct dfs_run__step *st, size_t at)
{
    enum dfs_run__step_kind k = st->kind;
    if (vb->kind == DFS_RUN__SK_WAIT || vb->kind == DFS_RUN__SK_CHECK)
        return dfs_run__failat(ps, ps->tok[at].col,
                               "'%s' sends no request; it takes no "
                               "expectation",
                               vb->name);
    dfs_result r = dfs_run__parse_expect(ps, at + 1, &st->ex);
    if (r)
        return r;
    if (st->ex.has_data && k != DFS_RUN__SK_GET_DESCRIPTOR && k != DFS_RUN__SK_GET_STATUS &&
        k != DFS_RUN__SK_UPLOAD && k != DFS_RUN__SK_GETSTATUS && k != DFS_RUN__SK_POLL &&
        k != DFS_RUN__SK_GETSTATE && k != DFS_RUN__SK_READ &&
        !(k == DFS_RUN__SK_CONTROL && (st->setup.bmRequestType & DFS_REQTYPE_DIR_IN)))
        return dfs_run__failat(ps, ps->tok[at].col, "'%s' reads no data; data= does not apply",
                               vb->name);
    if ((st->ex.has_status || st->ex.has_poll) && k != DFS_RUN__SK_GETSTATUS &&
        k != DFS_RUN__SK_POLL && k != DFS_RUN__SK_SET_ADDRESS && k != DFS_RUN__SK_ERASE &&
        k != DFS_RUN__SK_MASS_ERASE && k != DFS_RUN__SK_READ_UNPROTECT &&
        k != DFS_RUN__SK_WRITE && k != DFS_RUN__SK_LEAVE && k != DFS_RUN__SK_DNLOAD)
        return dfs_run__failat(ps, ps->tok[at].col,
                               "status= and poll= check a GETSTATUS reply; '%s' has none",
                               vb->name);
    return DFS_OK;
}

dfs_result dfs_run__parse_step(struct dfs_run__parser *ps)
{
    char b[80];
    const struct dfs_run__token *t0 = &ps->tok[0];
    const struct verb *vb = find_verb(t0);
    if (!vb)
        return dfs_run__failat(
            ps, t0->col,
            "unknown step '%s'; expected a request (get-descriptor, set-configuration, "
            "set-interface, get-status, clear-feature, control, detach, dnload, upload, "
            "getstatus, clrstatus, getstate, abort, poll, set-address, erase, "
            "mass-erase, read-unprotect, leave, read, write), wait, check or include",
            dfs_run__tokstr(t0, b, sizeof b));
    /* split: positional words, key=value options, then `expect ...` */
    size_t expect_at = ps->n_tok;
    for (size_t i = 1; i < ps->n_tok; i++)
        if (dfs_run__tok_is(&ps->tok[i], "expect")) {
            expect_at = i;
            break;
        }
    struct dfs_run__step *st = new_step(ps, vb->kind);
    if (!st)
        return ps->s->n_steps >= DFS_SCRIPT_MAX_STEPS
                   ? dfs_run__failat(ps, t0->col, "more than %d steps", DFS_SCRIPT_MAX_STEPS)
                   : DFS_E_NOMEM;
    struct args a;
    memset(&a, 0, sizeof a);
    dfs_result r = step_words(ps, vb, st, &a, expect_at);
    if (r)
        return r;
    if (a.npos < vb->min_args)
        return dfs_run__failat(ps,
                               expect_at < ps->n_tok ? ps->tok[expect_at].col
                                                     : (unsigned)ps->line_len + 1,
                               "%s needs %u argument%s; usage: %s", vb->name, vb->min_args,
                               vb->min_args == 1 ? "" : "s", vb->usage);
    r = vb->build(ps, vb, st, &a);
    if (r)
        return r;
    if (expect_at < ps->n_tok)
        return step_expect(ps, vb, st, expect_at);
    return DFS_OK;
}
