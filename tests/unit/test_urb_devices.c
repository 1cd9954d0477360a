/* Device tracking through the public decoder API: enumeration on address 0,
 * SET_ADDRESS, devices that leave and come back (re-enumerations linked or
 * forgotten), a new device on the address of a gone one. Records are
 * hand-built (urb_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "urb_rig.h"

/* ---- device tracking ----------------------------------------------------------------- */

/* Enumerate a device: 8 bytes of its descriptor on address 0, SET_ADDRESS,
 * then the full descriptor on the new address. Frames first..first+5. */
static void enumerate(struct t *t, uint64_t first, uint64_t id, uint8_t addr,
                      const uint8_t desc[18])
{
    FEED(t, get_descriptor(id, 0, DFS_DT_DEVICE, 0, 0, 8), first);
    FEED(t, done_in(id, 0, 0, desc, 8), first + 1);
    FEED(t, out_request(id + 1, 0, 0x00, DFS_REQ_SET_ADDRESS, addr, 0, NULL, 0), first + 2);
    FEED(t, done_out(id + 1, 0, 0, 0), first + 3);
    FEED(t, get_descriptor(id + 2, addr, DFS_DT_DEVICE, 0, 0, 18), first + 4);
    FEED(t, done_in(id + 2, addr, 0, desc, 18), first + 5);
}

static void enumeration_on_address_0(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    /* string descriptors are kept per device */
    const uint8_t langids[4] = {4, 3, 0x09, 0x04};
    FEED(&t, get_descriptor(0x200, 7, DFS_DT_STRING, 0, 0, 255), 7);
    FEED(&t, done_in(0x200, 7, 0, langids, 4), 8);
    const uint8_t name[8] = {8, 3, 'D', 0, 'F', 0, 'U', 0};
    FEED(&t, get_descriptor(0x201, 7, DFS_DT_STRING, 2, 0x0409, 255), 9);
    FEED(&t, done_in(0x201, 7, 0, name, 8), 10);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(dfs_decoder_device_count(t.d), 1);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, 1);
    assert_int_equal(info.lane, 1);
    assert_int_equal(info.previous, 0);
    assert_int_equal(info.devnum, 7);
    assert_int_equal(info.first_frame, 1);
    assert_int_equal(info.last_frame, 10);
    assert_true(info.has_device_desc);
    assert_true(info.device_desc_complete);
    assert_int_equal(info.desc.idVendor, 0x0483);
    assert_int_equal(info.desc.idProduct, 0xdf11);
    assert_int_equal(info.langid, 0x0409);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_E_NOTFOUND);
    const uint8_t *raw;
    size_t len;
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 2, 0x0409, &raw, &len), DFS_OK);
    assert_int_equal(len, 8);
    assert_memory_equal(raw, name, 8);
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 2, 0, &raw, &len), DFS_OK);
    assert_int_equal(dfs_decoder_device_string(t.d, 1, 5, 0, &raw, &len), DFS_E_NOTFOUND);
    assert_int_equal(dfs_decoder_device_string(t.d, 9, 2, 0, &raw, &len), DFS_E_NOTFOUND);

    /* every record, on address 0 or 7, belongs to instance 1 */
    for (size_t i = 0; i < t.r->n_urbs; i++)
        assert_int_equal(t.r->urbs[i].u.device, 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 1);
    assert_int_equal(rec_dev(t.r, DFS_DEV_NEW, 0)->devnum, 0);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_IDENTIFIED, 0);
    assert_non_null(ev);
    assert_int_equal(ev->device, 1);
    assert_int_equal(ev->devnum, 7);
    assert_int_equal(ev->frame, 6);
    assert_int_equal(ev->vid, 0x0483);
    assert_int_equal(ev->pid, 0xdf11);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    assert_int_equal(t.r->n_findings, 0);
    stop(&t);
}

/* With xHCI the controller assigns the address (no SET_ADDRESS record):
 * the device read on address 0 reappears on its number, where the hub
 * driver reads the device descriptor again (umockdev-usbkbd frames 114-123). */
/* A device that resets and re-enumerates again and again (a DfuSe session
 * per enumeration): the instances that left and were linked to their
 * successor are kept up to DFS_DECODER_KEEP_RETIRED, older ones are
 * forgotten and counted; every event is still reported. */
static void reenumerations_forgotten(void **state)
{
    (void)state;
    struct t t = start(NULL);
    const unsigned sessions = DFS_DECODER_KEEP_RETIRED + 8; /* events fit the recorder */
    uint64_t frame = 1, id = 0x100;
    for (unsigned i = 0; i < sessions; i++) {
        uint8_t addr = (uint8_t)(2 + i % 120);
        enumerate(&t, frame, id, addr, dev_desc_df11);
        frame += 6;
        id += 3;
        if (i + 1 < sessions) {
            FEED(&t, bulk('S', id, addr, 0x81, EINPROGRESS_), frame++);
            FEED(&t, bulk('C', id, addr, 0x81, ENODEV_), frame++);
            id++;
        }
    }
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(t.d);
    assert_int_equal(st->devices, sessions);
    /* every link and every departure was reported as it happened */
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), sessions - 1);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), sessions - 1);
    assert_int_equal(rec_count(t.r, DFS_F_CAPTURE_LIMIT), 0);
    /* the live one and the 16 latest that left are kept; the rest counted.
     * (The last link is only swept at the next record: the count lags one
     * at the end of a capture.) */
    size_t kept = dfs_decoder_device_count(t.d);
    assert_true(kept == DFS_DECODER_KEEP_RETIRED + 1 || kept == DFS_DECODER_KEEP_RETIRED + 2);
    assert_int_equal(st->devices_forgotten + kept, sessions);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, kept - 1, &info), DFS_OK);
    assert_int_equal(info.id, sessions);
    assert_false(info.gone);
    /* the oldest kept continues one that was forgotten: the link stays */
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, st->devices_forgotten + 1);
    assert_int_equal(info.previous, st->devices_forgotten);
    assert_int_equal(info.lane, 1);
    stop(&t);
}

static void enumeration_without_set_address(void **state)
{
    (void)state;
    struct t t = start(NULL);
    FEED(&t, get_descriptor(0x100, 0, DFS_DT_DEVICE, 0, 0, 64), 1);
    FEED(&t, done_in(0x100, 0, 0, dev_desc_df11, 18), 2);
    /* another device already on the bus, seen for the first time */
    FEED(&t, bulk('S', 0x300, 5, 0x81, EINPROGRESS_), 3);
    FEED(&t, get_descriptor(0x101, 9, DFS_DT_DEVICE, 0, 0, 18), 4);
    FEED(&t, done_in(0x101, 9, 0, dev_desc_df11, 18), 5);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_int_equal(info.id, 1);
    assert_int_equal(info.devnum, 9);
    assert_int_equal(info.first_frame, 1);
    assert_int_equal(info.last_frame, 5);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.devnum, 5);
    assert_int_equal(t.r->urbs[2].u.device, 2);
    assert_int_equal(t.r->urbs[3].u.device, 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 0);
    /* identified once, on its new number */
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_IDENTIFIED), 1);
    stop(&t);
}

static void device_gone(void **state)
{
    (void)state;
    const int32_t statuses[] = {ENODEV_, ESHUTDOWN_};
    for (int i = 0; i < 2; i++) {
        for (int as_error = 0; as_error < 2; as_error++) {
            struct t t = start(NULL);
            enumerate(&t, 1, 0x100, 7, dev_desc_df11);
            FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
            struct dfs_urb c = bulk(as_error ? 'E' : 'C', 0x300, 7, 0x81, statuses[i]);
            FEED(&t, c, 8);
            assert_int_equal(rec_dev_count(t.r, DFS_DEV_GONE), 1);
            const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_GONE, 0);
            assert_int_equal(ev->device, 1);
            assert_int_equal(ev->frame, 8);
            assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
            const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
            assert_int_equal(f->frame, 8);
            assert_int_equal(f->device, 1);
            char want[96];
            snprintf(want, sizeof want, "Device 1.7 (0483:df11) left the bus at frame 8");
            assert_non_null(strstr(f->explanation, want));
            assert_non_null(strstr(f->explanation, i == 0 ? "ENODEV" : "ESHUTDOWN"));
            /* a second failing transfer does not report it again */
            FEED(&t, bulk('S', 0x301, 7, 0x81, EINPROGRESS_), 9);
            FEED(&t, bulk('C', 0x301, 7, 0x81, statuses[i]), 10);
            assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
            assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
            struct dfs_device_info info;
            assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
            assert_true(info.gone);
            assert_int_equal(info.gone_frame, 8);
            stop(&t);
        }
    }
}

static void reenumeration_linked(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, ENODEV_), 8);
    /* the same VID:PID comes back with a new number */
    enumerate(&t, 9, 0x400, 8, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);

    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 1);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_REENUMERATED, 0);
    assert_int_equal(ev->device, 2);
    assert_int_equal(ev->previous, 1);
    assert_int_equal(ev->lane, 1);
    assert_int_equal(ev->devnum, 8);
    assert_int_equal(ev->frame, 14);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.id, 2);
    assert_int_equal(info.previous, 1);
    assert_int_equal(info.lane, 1);
    assert_int_equal(info.first_frame, 9);
    assert_false(info.gone);
    assert_int_equal(dfs_decoder_device_info(t.d, 0, &info), DFS_OK);
    assert_true(info.gone);
    assert_int_equal(info.gone_frame, 8);
    /* one disconnect note, for the first instance */
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
    stop(&t);
}

/* No disconnect evidence, but the old instance went quiet before the new
 * one appeared: the re-enumeration is linked and the old one marked gone. */
static void reenumeration_after_quiet(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    enumerate(&t, 7, 0x400, 8, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_REENUMERATED, 0);
    assert_non_null(ev);
    assert_int_equal(ev->previous, 1);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "the same device (0483:df11) enumerated again on "
                                           "bus 1 at frame 7"));
    assert_int_equal(f->frame, 7);
    stop(&t);
}

static void new_device_on_address_of_gone_one(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, ESHUTDOWN_), 8);
    /* a submit to 1.7 after the device left: a new instance */
    FEED(&t, get_descriptor(0x500, 7, DFS_DT_DEVICE, 0, 0, 18), 9);
    FEED(&t, done_in(0x500, 7, 0, dev_desc_other, 18), 10);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 2);
    const struct dfs_device_event *ev = rec_dev(t.r, DFS_DEV_NEW, 1);
    assert_int_equal(ev->device, 2);
    assert_int_equal(ev->devnum, 7);
    assert_int_equal(ev->frame, 9);
    assert_int_equal(t.r->urbs[8].u.device, 2);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_REENUMERATED), 0);
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.desc.idVendor, 0x1234);
    assert_int_equal(info.lane, 2);
    assert_int_equal(info.previous, 0);
    assert_false(info.gone);
    stop(&t);
}

/* Requests the host still sends to a device that has just left (a driver
 * resubmitting, a host tool polling) fail the same way; they are the old
 * device's, not a new device on its address. */
static void leftovers_stay_with_gone_device(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_df11);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 7);
    FEED(&t, bulk('C', 0x300, 7, 0x81, -71 /* EPROTO */), 8);
    FEED(&t, bulk('S', 0x300, 7, 0x81, EINPROGRESS_), 9);
    struct dfs_urb e = bulk('E', 0x300, 7, 0x81, ENODEV_);
    FEED(&t, e, 10);
    /* a DFU GETSTATUS sent after that */
    uint8_t s[8];
    setup8(s, 0xa1, 3, 0, 0, 6);
    FEED(&t, urb_ctl_submit(0x301, 1, 7, s, NULL, 0), 11);
    FEED(&t, done_in(0x301, 7, ENODEV_, NULL, 0), 12);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 1);
    assert_int_equal(rec_dev_count(t.r, DFS_DEV_NEW), 1);
    assert_int_equal(rec_count(t.r, DFS_F_USB_DEVICE_DISCONNECTED), 1);
    assert_int_equal(REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0)->frame, 10);
    for (size_t i = 0; i < t.r->n_urbs; i++)
        assert_int_equal(t.r->urbs[i].u.device, 1);
    stop(&t);
}

/* SET_ADDRESS to a number still held by a device that never showed a
 * disconnect: that device is taken as gone. */
static void set_address_takes_over_number(void **state)
{
    (void)state;
    struct t t = start(NULL);
    enumerate(&t, 1, 0x100, 7, dev_desc_other);
    enumerate(&t, 7, 0x400, 7, dev_desc_df11);
    assert_int_equal(dfs_decoder_finish(t.d), DFS_OK);
    assert_int_equal(dfs_decoder_device_count(t.d), 2);
    const struct dfs_finding *f = REC_FINDING_OR_FAIL(t.r, DFS_F_USB_DEVICE_DISCONNECTED, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "a new device was given its address"));
    struct dfs_device_info info;
    assert_int_equal(dfs_decoder_device_info(t.d, 1, &info), DFS_OK);
    assert_int_equal(info.devnum, 7);
    assert_int_equal(info.desc.idVendor, 0x0483);
    /* the last records on 1.7 are the new device's */
    assert_int_equal(t.r->urbs[t.r->n_urbs - 1].u.device, 2);
    stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enumeration_on_address_0),
        cmocka_unit_test(enumeration_without_set_address),
        cmocka_unit_test(device_gone),
        cmocka_unit_test(reenumeration_linked),
        cmocka_unit_test(reenumerations_forgotten),
        cmocka_unit_test(reenumeration_after_quiet),
        cmocka_unit_test(new_device_on_address_of_gone_one),
        cmocka_unit_test(leftovers_stay_with_gone_device),
        cmocka_unit_test(set_address_takes_over_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
