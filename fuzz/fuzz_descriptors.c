/* Fuzz target: the descriptor parsers of include/dfuscope/descriptors.h.
 *
 * Input: raw descriptor bytes, as a device returns them to GET_DESCRIPTOR
 * (a device, qualifier, configuration set, BOS set or string descriptor).
 * Every parser runs over the same bytes, each from a heap buffer of exactly
 * the input's size.
 *
 * Properties checked: return codes are the documented ones; a problem
 * report is set whenever DFS_E_FORMAT is returned and its message is
 * terminated; the walker moves forward by bLength, stays inside the buffer
 * and stops; string conversion writes valid, terminated UTF-8 within the
 * output size, whatever that size is.
 */
#include "fuzz.h"

static unsigned long sink;

static void check_problem(const struct dfs_desc_problem *p, size_t len)
{
    FUZZ_CHECK(fuzz_terminated(p->msg, sizeof p->msg));
    FUZZ_CHECK(p->code == DFS_DESC_OK || p->msg[0]);
    FUZZ_CHECK(p->offset <= len);
}

/* Is s (NUL-terminated) well-formed UTF-8 with no NUL inside? */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned n;
        uint32_t cp;
        if (*p < 0x80) {
            p++;
            continue;
        } else if ((*p & 0xE0) == 0xC0) {
            n = 1;
            cp = *p & 0x1F;
        } else if ((*p & 0xF0) == 0xE0) {
            n = 2;
            cp = *p & 0x0F;
        } else if ((*p & 0xF8) == 0xF0) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return 0;
        }
        p++;
        for (unsigned i = 0; i < n; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (*p & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
    }
    return 1;
}

static void walk(const uint8_t *buf, size_t len)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem p;
    dfs_desc_walk_init(&w, buf, len);
    size_t last = 0;
    unsigned steps = 0;
    for (;;) {
        int r = dfs_desc_walk_next(&w, &it, &p);
        check_problem(&p, len);
        if (r == 0) {
            FUZZ_CHECK(p.code == DFS_DESC_OK);
            break;
        }
        if (r < 0) {
            FUZZ_CHECK(p.code != DFS_DESC_OK);
            FUZZ_CHECK(dfs_desc_walk_next(&w, &it, &p) == 0); /* stays stopped */
            break;
        }
        FUZZ_CHECK(r == 1);
        FUZZ_CHECK(it.offset == last && it.bLength >= 2);
        FUZZ_CHECK(it.offset + it.bLength <= len);
        FUZZ_CHECK(it.raw == buf + it.offset);
        FUZZ_CHECK(it.raw[0] == it.bLength && it.raw[1] == it.bDescriptorType);
        for (unsigned i = 0; i < it.bLength; i++)
            sink += it.raw[i];
        if (it.kind == DFS_DK_DFU_FUNCTIONAL)
            FUZZ_CHECK(it.in_interface && it.bLength >= DFS_DFU_FUNC_DESC_LEN_1_0);
        last = it.offset + it.bLength;
        FUZZ_CHECK(++steps <= len / 2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = fuzz_dup(data, size);
    const uint8_t *b = buf ? buf : (const uint8_t *)"";
    struct dfs_desc_problem p;

    struct dfs_desc_device dd;
    bool complete = false;
    dfs_result r = dfs_desc_parse_device(b, size, &dd, &complete, &p);
    FUZZ_CHECK(r == DFS_OK || r == DFS_E_FORMAT);
    check_problem(&p, size);
    if (r == DFS_E_FORMAT)
        FUZZ_CHECK(p.code != DFS_DESC_OK);
    else
        FUZZ_CHECK(size >= 8 && complete == (size >= DFS_DEVICE_DESC_LEN) &&
                   dd.bLength == b[0]);

    struct dfs_desc_qualifier dq;
    r = dfs_desc_parse_qualifier(b, size, &dq, &p);
    FUZZ_CHECK(r == DFS_OK || r == DFS_E_FORMAT);
    check_problem(&p, size);
    FUZZ_CHECK(r == DFS_OK || p.code != DFS_DESC_OK);

    walk(b, size);

    static const size_t out_sizes[] = {1, 2, 3, 4, 5, 17, 256, 800};
    for (size_t i = 0; i < sizeof out_sizes / sizeof out_sizes[0]; i++) {
        size_t n = out_sizes[i];
        char *out = malloc(n);
        if (!out)
            abort();
        r = dfs_desc_string_utf8(b, size, out, n, &p);
        FUZZ_CHECK(r == DFS_OK || r == DFS_E_FORMAT);
        check_problem(&p, size);
        FUZZ_CHECK(fuzz_terminated(out, n));
        if (r == DFS_OK)
            FUZZ_CHECK(valid_utf8(out));
        else
            FUZZ_CHECK(p.code != DFS_DESC_OK && out[0] == '\0');
        free(out);
    }

    uint16_t ids[4];
    size_t k = dfs_desc_langids(b, size, ids, 4);
    FUZZ_CHECK(k <= 4 && (k == 0 || size >= 4));
    k = dfs_desc_langids(b, size, NULL, 0);
    FUZZ_CHECK(k == 0);
    /* 8-bit text needs a string header (type 3) and two bytes of text */
    if (dfs_desc_string_8bit(b, size))
        FUZZ_CHECK(size >= 4 && b[1] == 3 && b[0] >= 4);

    free(buf);
    return 0;
}
