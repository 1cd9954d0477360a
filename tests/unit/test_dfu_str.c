/* A DFU transaction in words: dfs_dfu_txn_request_str, _reply_str, _str and
 * _brief_str, from hand-written transactions of every kind the DFU layer
 * makes (requests, DfuSe commands, replies, failures), in the words the
 * command line, the report and the Wireshark plugin print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/dfuscope.h"

#define RARR "\xE2\x86\x92" /* U+2192 */
#define LARR "\xE2\x86\x90" /* U+2190 */

/* A transaction as the DFU layer starts one: nothing known but the request. */
static struct dfs_dfu_txn txn(uint8_t request, uint16_t wValue, uint16_t wLength)
{
    struct dfs_dfu_txn t;
    memset(&t, 0, sizeof t);
    t.request = request;
    t.wValue = wValue;
    t.wLength = wLength;
    t.length = wLength;
    t.cmd = -1;
    t.poll_wait_us = -1;
    t.state_before = t.state_after = DFS_STATE_UNKNOWN;
    return t;
}

static struct dfs_dfu_txn with_address(struct dfs_dfu_txn t, uint32_t address)
{
    t.has_address = true;
    t.address = address;
    return t;
}

static struct dfs_dfu_txn command(uint8_t cmd, uint16_t wLength)
{
    struct dfs_dfu_txn t = txn(DFS_DFU_DNLOAD, 0, wLength);
    t.dfuse = true;
    t.cmd = cmd;
    return t;
}

static struct dfs_dfu_txn after(struct dfs_dfu_txn t, uint8_t state)
{
    t.state_after = state;
    return t;
}

static struct dfs_dfu_txn failed(struct dfs_dfu_txn t, enum dfs_dfu_outcome o, int32_t status)
{
    t.outcome = o;
    t.usb_status = status;
    return t;
}

static struct dfs_dfu_txn status(uint8_t bStatus, uint32_t poll, uint8_t bState)
{
    struct dfs_dfu_txn t = txn(DFS_DFU_GETSTATUS, 0, 6);
    t.has_status = t.has_state = true;
    t.bStatus = bStatus;
    t.poll_timeout_ms = poll;
    t.bState = bState;
    return t;
}

static struct dfs_dfu_txn state(uint8_t bState)
{
    struct dfs_dfu_txn t = txn(DFS_DFU_GETSTATE, 0, 1);
    t.has_state = true;
    t.bState = bState;
    return t;
}

struct txn_case {
    const char *name;
    struct dfs_dfu_txn t;
    const char *request, *reply;             /* the line form */
    const char *brief_request, *brief_reply; /* the packet list */
};

static struct dfs_dfu_txn polled(struct dfs_dfu_txn t, int64_t wait_us, uint32_t asked)
{
    t.poll_wait_us = wait_us;
    t.poll_asked_ms = asked;
    return t;
}

static struct dfs_dfu_txn short_upload(struct dfs_dfu_txn t, uint32_t length)
{
    t.length = length;
    return t;
}

static struct dfs_dfu_txn mass(struct dfs_dfu_txn t)
{
    t.mass_erase = true;
    return t;
}

static struct dfs_dfu_txn leave(struct dfs_dfu_txn t)
{
    t.dfuse = t.leave = true;
    return t;
}

static const struct txn_case *cases(size_t *n)
{
    static struct txn_case c[32];
    size_t k = 0;
    c[k++] = (struct txn_case){
        "DfuSe data block", after(with_address(txn(DFS_DFU_DNLOAD, 2, 2048), 0x08000000), 3),
        "DNLOAD block 2 -> 0x08000000 (2048 B)", "ACK -> dfuDNLOAD-SYNC",
        "DNLOAD block 2 " RARR " 0x08000000 (2048 B)",
        "DNLOAD block 2 " RARR " 0x08000000 (2048 B) ACK"};
    c[k++] = (struct txn_case){"DFU 1.1 data block", txn(DFS_DFU_DNLOAD, 5, 256),
                               "DNLOAD block 5 (256 B)", "ACK", "DNLOAD block 5 (256 B)",
                               "DNLOAD block 5 (256 B) ACK"};
    c[k++] = (struct txn_case){"SET_ADDRESS",
                               after(with_address(command(DFS_DFUSE_SET_ADDRESS, 5), 0x08000000),
                                     DFS_STATE_DNLOAD_SYNC),
                               "DNLOAD SET_ADDRESS 0x08000000", "ACK -> dfuDNLOAD-SYNC",
                               "DNLOAD SET_ADDRESS 0x08000000",
                               "DNLOAD SET_ADDRESS 0x08000000 ACK"};
    c[k++] = (struct txn_case){"page erase",
                               with_address(command(DFS_DFUSE_ERASE, 5), 0x08000800),
                               "DNLOAD ERASE 0x08000800", "ACK", "DNLOAD ERASE 0x08000800",
                               "DNLOAD ERASE 0x08000800 ACK"};
    c[k++] = (struct txn_case){"mass erase", mass(command(DFS_DFUSE_ERASE, 1)),
                               "DNLOAD MASS_ERASE", "ACK", "DNLOAD ERASE (mass erase)",
                               "DNLOAD ERASE (mass erase) ACK"};
    c[k++] = (struct txn_case){"read unprotect", command(DFS_DFUSE_READ_UNPROTECT, 1),
                               "DNLOAD READ_UNPROTECT (0x92)", "ACK", "DNLOAD READ_UNPROTECT",
                               "DNLOAD READ_UNPROTECT ACK"};
    c[k++] = (struct txn_case){"unknown command", command(0x55, 1), "DNLOAD command (0x55)",
                               "ACK", "DNLOAD command", "DNLOAD command ACK"};
    c[k++] = (struct txn_case){"DfuSe leave", after(leave(txn(DFS_DFU_DNLOAD, 0, 0)), 6),
                               "DNLOAD block 0, zero length (leave)", "ACK -> dfuMANIFEST-SYNC",
                               "DNLOAD leave", "DNLOAD leave ACK"};
    c[k++] = (struct txn_case){"DfuSe leave to an address",
                               with_address(leave(txn(DFS_DFU_DNLOAD, 0, 0)), 0x08000000),
                               "DNLOAD block 0, zero length (leave)", "ACK",
                               "DNLOAD leave " RARR " 0x08000000",
                               "DNLOAD leave " RARR " 0x08000000 ACK"};
    c[k++] = (struct txn_case){"end of a DFU 1.1 download", txn(DFS_DFU_DNLOAD, 3, 0),
                               "DNLOAD block 3, zero length (end of download)", "ACK",
                               "DNLOAD block 3 (0 B)", "DNLOAD block 3 (0 B) ACK"};
    c[k++] = (struct txn_case){
        "short DfuSe upload",
        after(short_upload(with_address(txn(DFS_DFU_UPLOAD, 2, 2048), 0x08000000), 100),
              DFS_STATE_DFU_IDLE),
        "UPLOAD block 2 <- 0x08000000 (2048 B)", "100 B (short: end of upload) -> dfuIDLE",
        "UPLOAD block 2 " LARR " 0x08000000 (100 B)",
        "UPLOAD block 2 " LARR " 0x08000000 (100 B) ACK"};
    c[k++] = (struct txn_case){"DFU 1.1 upload",
                               after(txn(DFS_DFU_UPLOAD, 7, 64), DFS_STATE_UPLOAD_IDLE),
                               "UPLOAD block 7 (64 B)", "64 B -> dfuUPLOAD-IDLE",
                               "UPLOAD block 7 (64 B)", "UPLOAD block 7 (64 B) ACK"};
    struct dfs_dfu_txn gc = txn(DFS_DFU_UPLOAD, 0, 4);
    gc.dfuse = true;
    gc.cmd = DFS_DFUSE_GET_COMMANDS;
    c[k++] = (struct txn_case){"GET_COMMANDS", gc, "UPLOAD block 0 GET_COMMANDS (4 B)", "4 B",
                               "UPLOAD GET_COMMANDS", "UPLOAD GET_COMMANDS ACK"};
    c[k++] = (struct txn_case){"busy, polled", polled(status(0, 40, DFS_STATE_DNBUSY), 41200, 35),
                               "GETSTATUS", "dfuDNBUSY, poll 40 ms (polled after 41.2 ms, asked 35)",
                               "GETSTATUS", "GETSTATUS dfuDNBUSY poll 40 ms"};
    c[k++] = (struct txn_case){"busy, poll 0", status(0, 0, DFS_STATE_DNBUSY), "GETSTATUS",
                               "dfuDNBUSY, poll 0 ms", "GETSTATUS",
                               "GETSTATUS dfuDNBUSY poll 0 ms"};
    c[k++] = (struct txn_case){"idle", status(0, 0, DFS_STATE_DFU_IDLE), "GETSTATUS", "dfuIDLE",
                               "GETSTATUS", "GETSTATUS dfuIDLE poll 0 ms"};
    c[k++] = (struct txn_case){"dfuERROR", status(DFS_STATUS_ERR_ADDRESS, 5, DFS_STATE_ERROR),
                               "GETSTATUS", "dfuERROR errADDRESS, poll 5 ms", "GETSTATUS",
                               "GETSTATUS dfuERROR errADDRESS poll 5 ms"};
    c[k++] = (struct txn_case){"undefined state and status", status(17, 0, 15), "GETSTATUS",
                               "bState? bStatus?", "GETSTATUS",
                               "GETSTATUS state 15 status 17 poll 0 ms"};
    c[k++] = (struct txn_case){"GETSTATE", state(DFS_STATE_DFU_IDLE), "GETSTATE", "dfuIDLE",
                               "GETSTATE", "GETSTATE dfuIDLE"};
    c[k++] = (struct txn_case){"GETSTATE, no state", state(42), "GETSTATE", "bState?",
                               "GETSTATE", "GETSTATE state 42"};
    c[k++] = (struct txn_case){"stalled block",
                               after(failed(txn(DFS_DFU_DNLOAD, 2, 64), DFS_DFU_STALLED, -32),
                                     DFS_STATE_ERROR),
                               "DNLOAD block 2 (64 B)", "STALL (now dfuERROR)",
                               "DNLOAD block 2 (64 B)", "DNLOAD STALL"};
    c[k++] = (struct txn_case){"bus error",
                               failed(txn(DFS_DFU_GETSTATUS, 0, 6), DFS_DFU_BUS_ERROR, -71),
                               "GETSTATUS", "failed -71 EPROTO", "GETSTATUS",
                               "GETSTATUS bus error (-71 EPROTO)"};
    c[k++] = (struct txn_case){"device gone",
                               failed(txn(DFS_DFU_GETSTATUS, 0, 6), DFS_DFU_NO_DEVICE, -19),
                               "GETSTATUS", "failed -19 ENODEV", "GETSTATUS",
                               "GETSTATUS no device (-19 ENODEV)"};
    c[k++] = (struct txn_case){
        "cancelled", after(failed(txn(DFS_DFU_DNLOAD, 4, 8), DFS_DFU_CANCELLED, -104), 2),
        "DNLOAD block 4 (8 B)", "failed -104 ECONNRESET (now dfuIDLE)", "DNLOAD block 4 (8 B)",
        "DNLOAD cancelled (-104 ECONNRESET)"};
    c[k++] = (struct txn_case){"never answered",
                               failed(txn(DFS_DFU_GETSTATUS, 0, 6), DFS_DFU_NO_REPLY, 0),
                               "GETSTATUS", "no reply", "GETSTATUS", "GETSTATUS no reply (0 )"};
    c[k++] = (struct txn_case){"DETACH", after(txn(DFS_DFU_DETACH, 1000, 0), 1),
                               "DETACH timeout 1000 ms", "ACK -> appDETACH", "DETACH",
                               "DETACH ACK"};
    c[k++] = (struct txn_case){"CLRSTATUS", after(txn(DFS_DFU_CLRSTATUS, 0, 0), 2), "CLRSTATUS",
                               "ACK -> dfuIDLE", "CLRSTATUS", "CLRSTATUS ACK"};
    c[k++] = (struct txn_case){"ABORT", txn(DFS_DFU_ABORT, 0, 0), "ABORT", "ACK", "ABORT",
                               "ABORT ACK"};
    c[k++] = (struct txn_case){"no DFU request", txn(9, 0, 0), "?", "ACK", "request 9",
                               "request 9 ACK"};
    *n = k;
    return c;
}

static void words(void **state)
{
    (void)state;
    size_t n;
    const struct txn_case *c = cases(&n);
    for (size_t i = 0; i < n; i++) {
        char buf[300], line[600];
        print_message("%s\n", c[i].name);
        assert_int_equal(dfs_dfu_txn_request_str(&c[i].t, buf, sizeof buf), strlen(c[i].request));
        assert_string_equal(buf, c[i].request);
        assert_int_equal(dfs_dfu_txn_reply_str(&c[i].t, buf, sizeof buf), strlen(c[i].reply));
        assert_string_equal(buf, c[i].reply);
        assert_int_equal(dfs_dfu_txn_brief_str(&c[i].t, false, buf, sizeof buf),
                         strlen(c[i].brief_request));
        assert_string_equal(buf, c[i].brief_request);
        assert_int_equal(dfs_dfu_txn_brief_str(&c[i].t, true, buf, sizeof buf),
                         strlen(c[i].brief_reply));
        assert_string_equal(buf, c[i].brief_reply);
        /* the one-line form is the two joined by an arrow */
        snprintf(line, sizeof line, "%s " RARR " %s", c[i].request, c[i].reply);
        assert_int_equal(dfs_dfu_txn_str(&c[i].t, buf, sizeof buf), strlen(line));
        assert_string_equal(buf, line);
    }
}

/* Every form cut at every size: the longest prefix that fits, terminated,
 * its length returned; size 0 writes nothing. */
static void small_buffers(void **state)
{
    (void)state;
    size_t n;
    const struct txn_case *c = cases(&n);
    for (size_t i = 0; i < n; i++) {
        for (int form = 0; form < 5; form++) {
            char full[600], buf[600];
            size_t len;
            switch (form) {
            case 0: len = dfs_dfu_txn_request_str(&c[i].t, full, sizeof full); break;
            case 1: len = dfs_dfu_txn_reply_str(&c[i].t, full, sizeof full); break;
            case 2: len = dfs_dfu_txn_str(&c[i].t, full, sizeof full); break;
            default: len = dfs_dfu_txn_brief_str(&c[i].t, form == 4, full, sizeof full); break;
            }
            for (size_t size = 0; size <= len + 1; size++) {
                memset(buf, 'x', sizeof buf);
                size_t got;
                switch (form) {
                case 0: got = dfs_dfu_txn_request_str(&c[i].t, buf, size); break;
                case 1: got = dfs_dfu_txn_reply_str(&c[i].t, buf, size); break;
                case 2: got = dfs_dfu_txn_str(&c[i].t, buf, size); break;
                default: got = dfs_dfu_txn_brief_str(&c[i].t, form == 4, buf, size); break;
                }
                if (size == 0) {
                    assert_int_equal(got, 0);
                    assert_int_equal(buf[0], 'x');
                    continue;
                }
                size_t want = len < size - 1 ? len : size - 1;
                assert_int_equal(got, want);
                assert_int_equal(buf[want], '\0');
                assert_memory_equal(buf, full, want);
            }
        }
    }
}

static void no_transaction(void **state)
{
    (void)state;
    char buf[8] = "x";
    assert_int_equal(dfs_dfu_txn_request_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    buf[0] = 'x';
    assert_int_equal(dfs_dfu_txn_reply_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    buf[0] = 'x';
    assert_int_equal(dfs_dfu_txn_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    buf[0] = 'x';
    assert_int_equal(dfs_dfu_txn_brief_str(NULL, true, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    struct dfs_dfu_txn t = txn(DFS_DFU_ABORT, 0, 0);
    assert_int_equal(dfs_dfu_txn_request_str(&t, NULL, 8), 0);
    assert_int_equal(dfs_dfu_txn_brief_str(&t, false, NULL, 8), 0);
}

static void outcome_names(void **state)
{
    (void)state;
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_ACK), "ACK");
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_STALLED), "STALL");
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_BUS_ERROR), "bus error");
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_CANCELLED), "cancelled");
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_NO_DEVICE), "no device");
    assert_string_equal(dfs_dfu_outcome_name(DFS_DFU_NO_REPLY), "no reply");
    assert_string_equal(dfs_dfu_outcome_name((enum dfs_dfu_outcome)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words),
        cmocka_unit_test(small_buffers),
        cmocka_unit_test(no_transaction),
        cmocka_unit_test(outcome_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
