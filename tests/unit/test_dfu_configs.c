/* Devices with more than one configuration: the decoder keeps every
 * configuration descriptor set the capture holds (at most bNumConfigurations,
 * at most 8), the desc.* rules judge each one and name it by its
 * bConfigurationValue, and a DFU interface that only a second configuration
 * has is found, as dfu-util finds it (its probe_configuration() walks every
 * configuration index up to bNumConfigurations; USB 2.0 9.4.3: the
 * descriptor index selects the configuration). The records are built here,
 * one control transfer at a time (session.h); only the public API is used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "session.h"

/* The completion of the control transfer submitted at frame `submit`. */
#define DONE(submit) ((submit) + 1)

/* pid.codes' test VID:PID: no quirk of the table applies to it */
static const uint8_t devdesc_two[18] = {18, 1, 0, 2, 0, 0, 0, 64, 0x09, 0x12,
                                        0x01, 0x00, 0, 1, 0, 0, 0, 2};

/* Configuration 1: one vendor interface, no DFU */
static const uint8_t cfg_vendor[18] = {9, 2, 18, 0, 1, 1, 0, 0x80, 50,
                                       9, 4, 0, 0, 0, 0xff, 0, 0, 0};

/* A configuration with value `value` whose interface 0 is DFU mode, with a
 * functional descriptor giving wTransferSize `xfer` (none when xfer < 0). */
static size_t cfg_dfu(uint8_t *c, uint8_t value, int xfer)
{
    static const uint8_t head[18] = {9, 2, 0, 0, 1, 0, 0, 0x80, 50,
                                     9, 4, 0, 0, 0, 0xfe, 1, 2, 0};
    memcpy(c, head, sizeof head);
    c[5] = value;
    size_t n = sizeof head;
    if (xfer >= 0) {
        const uint8_t func[9] = {9, 0x21, 0x0b, 0xff, 0, (uint8_t)xfer, (uint8_t)(xfer >> 8),
                                 0x10, 0x01};
        memcpy(c + n, func, sizeof func);
        n += sizeof func;
    }
    c[2] = (uint8_t)n;
    return n;
}

static void get_device(struct sess *s, const uint8_t *devd)
{
    uint8_t st[8];
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    sess_ctl(s, st, NULL, 0, 0, devd, 18);
}

/* GET_DESCRIPTOR(CONFIGURATION, index): returns its completion's frame */
static uint64_t get_config(struct sess *s, uint8_t index, const uint8_t *c, size_t n)
{
    uint8_t st[8];
    setup8(st, 0x80, 6, (uint16_t)(0x0200 | index), 0, (uint16_t)n);
    return DONE(sess_ctl(s, st, NULL, 0, 0, c, (uint32_t)n));
}

static void dfu_only_in_second_configuration(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    get_device(&s, devdesc_two);
    get_config(&s, 0, cfg_vendor, sizeof cfg_vendor);
    uint8_t c[32];
    uint64_t second = get_config(&s, 1, c, cfg_dfu(c, 2, 0));
    uint8_t st[8];
    setup8(st, 0x00, 9, 2, 0, 0); /* SET_CONFIGURATION 2 */
    sess_ctl(&s, st, NULL, 0, 0, NULL, 0);
    sess_getstatus(&s, 0, 0, 2);
    sess_finish(&s);

    /* found, from the second configuration's descriptors */
    struct dfs_dfu_info info;
    assert_int_equal(dfs_decoder_dfu_info(s.d, 1, &info), DFS_OK);
    assert_true(info.present);
    assert_true(info.from_descriptor);
    assert_int_equal(info.interface, 0);
    assert_int_equal(info.n_alts, 1);
    /* both configurations are there, by descriptor index */
    const uint8_t *raw;
    size_t len;
    bool partial = true;
    assert_int_equal(dfs_decoder_device_config(s.d, 1, 1, &raw, &len, &partial), DFS_OK);
    assert_int_equal(len, 27);
    assert_false(partial);
    assert_memory_equal(raw, c, 27);
    assert_int_equal(dfs_decoder_device_config(s.d, 1, 0, &raw, &len, &partial), DFS_OK);
    assert_memory_equal(raw, cfg_vendor, sizeof cfg_vendor);
    assert_int_equal(dfs_decoder_device_config(s.d, 1, 2, &raw, &len, &partial),
                     DFS_E_NOTFOUND);
    /* the GETSTATUS to it is a DFU request */
    assert_int_equal(s.n_txns, 1);
    assert_int_equal(s.txns[0].request, DFS_DFU_GETSTATUS);
    /* wTransferSize 0, in configuration 2: the finding names it */
    assert_int_equal(sess_count(&s, "desc.transfer-size-invalid"), 1);
    const struct dfs_finding *f = sess_find(&s, "desc.transfer-size-invalid");
    assert_int_equal(f->frame, second);
    assert_string_equal(f->explanation,
                        "device 1.6 (1209:0001), configuration 2: interface 0's DFU functional "
                        "descriptor gives wTransferSize 0: hosts cannot size their "
                        "DNLOAD/UPLOAD blocks from it.");
    sess_free(&s);
}

/* Each configuration is judged on its own: the same DFU interface with its
 * functional descriptor in configuration 1 and without it in configuration 2
 * gives one desc.functional-missing, about configuration 2. */
static void each_configuration_judged(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    get_device(&s, devdesc_two);
    uint8_t a[32], b[32];
    get_config(&s, 0, a, cfg_dfu(a, 1, 1024));
    uint64_t second = get_config(&s, 1, b, cfg_dfu(b, 2, -1));
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "desc.functional-missing"), 1);
    const struct dfs_finding *f = sess_find(&s, "desc.functional-missing");
    assert_int_equal(f->frame, second);
    assert_non_null(strstr(f->explanation, "device 1.6 (1209:0001), configuration 2: DFU "
                                           "interface 0 has no DFU functional descriptor"));
    /* the state machine keeps configuration 1's wTransferSize */
    struct dfs_dfu_info info;
    assert_int_equal(dfs_decoder_dfu_info(s.d, 1, &info), DFS_OK);
    assert_true(info.has_functional);
    assert_int_equal(info.transfer_size, 1024);
    sess_free(&s);
}

/* A device with one configuration: the finding does not name it (the
 * wording of every single-configuration capture stays as it was). */
static void one_configuration_not_named(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    uint8_t devd[18];
    memcpy(devd, devdesc_two, sizeof devd);
    devd[17] = 1;
    get_device(&s, devd);
    uint8_t c[32];
    get_config(&s, 0, c, cfg_dfu(c, 1, 0));
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "desc.transfer-size-invalid");
    assert_non_null(f);
    assert_string_equal(f->explanation,
                        "device 1.6 (1209:0001): interface 0's DFU functional descriptor gives "
                        "wTransferSize 0: hosts cannot size their DNLOAD/UPLOAD blocks from it.");
    sess_free(&s);
}

/* Untrusted counts: a configuration index beyond bNumConfigurations, or
 * beyond the 8 kept, is not taken (a device that answers it anyway says
 * nothing about the configurations it has). */
static void index_beyond_the_count_ignored(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    get_device(&s, devdesc_two);
    uint8_t c[32];
    get_config(&s, 0, cfg_vendor, sizeof cfg_vendor);
    get_config(&s, 2, c, cfg_dfu(c, 3, 0));
    get_config(&s, 200, c, cfg_dfu(c, 4, 0));
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "desc.transfer-size-invalid"), 0);
    const uint8_t *raw;
    size_t len;
    bool partial;
    assert_int_equal(dfs_decoder_device_config(s.d, 1, 2, &raw, &len, &partial),
                     DFS_E_NOTFOUND);
    struct dfs_dfu_info info;
    assert_int_equal(dfs_decoder_dfu_info(s.d, 1, &info), DFS_OK);
    assert_false(info.present);
    sess_free(&s);

    /* without a device descriptor, the first 8 indexes are kept */
    sess_init(&s, 1, 6);
    for (uint8_t i = 0; i < 10; i++)
        get_config(&s, i, c, cfg_dfu(c, (uint8_t)(i + 1), 0));
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "desc.transfer-size-invalid"), 8);
    /* the first is judged before a second one shows the device has more:
     * a stream cannot name it; the others are named */
    const struct dfs_finding *last = NULL;
    for (int i = 0; i < s.n_findings; i++)
        if (strcmp(s.findings[i].id, "desc.transfer-size-invalid") == 0)
            last = &s.findings[i];
    assert_non_null(strstr(last->explanation, "device 1.6, configuration 8: "));
    sess_free(&s);
}

/* Which interfaces are DFU follows the configuration in use: before any
 * SET_CONFIGURATION a DFU interface of any configuration counts (dfu-util
 * looks in every one); after SET_CONFIGURATION 1, whose interface 0 is a
 * vendor interface, a request shaped like GETSTATUS to interface 0 is not
 * DFU; after SET_CONFIGURATION 2 it is again. */
static void configuration_in_use_followed(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    get_device(&s, devdesc_two);
    get_config(&s, 0, cfg_vendor, sizeof cfg_vendor);
    uint8_t c[32];
    get_config(&s, 1, c, cfg_dfu(c, 2, 1024));
    uint64_t any = sess_getstatus(&s, 0, 0, 2);
    uint8_t st[8];
    setup8(st, 0x00, 9, 1, 0, 0); /* SET_CONFIGURATION 1 */
    sess_ctl(&s, st, NULL, 0, 0, NULL, 0);
    sess_getstatus(&s, 0, 0, 2);
    setup8(st, 0x00, 9, 2, 0, 0); /* SET_CONFIGURATION 2 */
    sess_ctl(&s, st, NULL, 0, 0, NULL, 0);
    uint64_t second = sess_getstatus(&s, 0, 0, 2);
    sess_finish(&s);
    assert_int_equal(s.n_txns, 2);
    assert_int_equal(s.txns[0].request, DFS_DFU_GETSTATUS);
    assert_int_equal(s.txns[0].frame, any);
    assert_int_equal(s.txns[1].request, DFS_DFU_GETSTATUS);
    assert_int_equal(s.txns[1].frame, second);
    sess_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dfu_only_in_second_configuration),
        cmocka_unit_test(each_configuration_judged),
        cmocka_unit_test(one_configuration_not_named),
        cmocka_unit_test(index_beyond_the_count_ignored),
        cmocka_unit_test(configuration_in_use_followed),
    };
    return cmocka_run_group_tests_name("dfu_configs", tests, NULL, NULL);
}
