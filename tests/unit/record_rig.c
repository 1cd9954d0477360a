/* The rig of the record parsers' tests (record_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "record_rig.h"

const uint8_t get_dev_desc[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
const uint8_t dev_desc[18] = {18, 1, 0, 2, 0, 0, 0, 64, 0x83, 4, 0x11, 0xdf, 0, 2, 1, 2, 3, 1};

struct t start(void)
{
    struct t t = {0};
    t.r = recorder_new();
    assert_non_null(t.r);
    struct dfs_sink sink = recorder_sink(t.r);
    assert_int_equal(dfs_decoder_new(NULL, &sink, &t.d), DFS_OK);
    return t;
}

void feed_record(struct t *t, int linktype, const uint8_t *buf, size_t n)
{
    t->frame++;
    struct dfs_record rec = {.frame = t->frame, .ts = {1700000000, (uint32_t)t->frame * 1000},
                             .linktype = linktype, .order = DFS_ORDER_BIG,
                             .caplen = (uint32_t)n, .origlen = (uint32_t)n, .data = buf};
    assert_int_equal(dfs_decoder_feed(t->d, &rec), DFS_OK);
}

void stop(struct t *t)
{
    assert_int_equal(dfs_decoder_finish(t->d), DFS_OK);
    dfs_decoder_free(t->d);
    t->d = NULL;
}
