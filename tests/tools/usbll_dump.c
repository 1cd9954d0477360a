/* Test helper: the transactions the packet-level parser (decoder/usbll.c)
 * puts together from a USB 2.0 capture, one line each, in the words of
 * Packetry's decodes (its tests' reference.txt), so that
 * tests/integration/usb2_packetry.py can compare them with Packetry's own:
 *
 *   dfs_usbll_dump FILE
 *
 * Each line: the frames of the transaction's packets (first-last), a tab,
 * the PID byte of each of its packets in hex (comma-separated), a tab, the
 * transaction as Packetry words it. A bus event (Packetry's pcapng event
 * blocks) is a line "FRAME<tab>event<tab>CODE". Findings go to standard error as
 * "finding ID FRAME". Exits 0, 1 when the file cannot be read or the
 * decoder fails, 2 on usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "link.h"
#include "usbll.h"

static const char *hs_name(uint8_t pid)
{
    switch (pid) {
    case DFS__PID_ACK: return "ACK";
    case DFS__PID_NAK: return "NAK";
    case DFS__PID_STALL: return "STALL";
    case DFS__PID_NYET: return "NYET";
    case DFS__PID_PRE_ERR: return "ERR";
    default: return NULL;
    }
}

static void print_data(const struct dfs__usbll_txn *t)
{
    bool text = t->data_len > 0;
    for (unsigned i = 0; i < t->data_len; i++)
        text &= t->data[i] >= 0x20 && t->data[i] < 0x7f;
    if (text) {
        printf("'%.*s'", (int)t->data_len, (const char *)t->data);
        return;
    }
    printf("[");
    for (unsigned i = 0; i < t->data_len; i++)
        printf("%s%02X", i ? ", " : "", t->data[i]);
    printf("]");
}

static void on_txn(void *user, const struct dfs__usbll_txn *t)
{
    (void)user;
    printf("%llu-%llu\t", (unsigned long long)t->first_frame, (unsigned long long)t->last_frame);
    if (t->split)
        printf("%02X,", DFS__PID_SPLIT);
    printf("%02X", t->token);
    if (t->has_data)
        printf(",%02X", t->data_pid);
    if (t->handshake)
        printf(",%02X", t->handshake);
    printf("\t");
    if (t->split)
        printf("%s ", t->split_complete ? "Completing" : "Starting");
    printf("%s transaction on %u.%u", dfs__usb_pid_name(t->token), t->addr, t->ep);
    const char *hs = hs_name(t->handshake);
    bool out_complete = t->split && t->split_complete && t->token != DFS__PID_IN;
    if (t->has_data && !out_complete) {
        if (t->data_len)
            printf(" with %u data bytes", t->data_len);
        else
            printf(" with no data");
        if (hs)
            printf(", %s", hs);
        if (t->data_len) {
            printf(hs ? ": " : ": ");
            print_data(t);
        }
    } else if (hs) {
        printf(", %s", hs);
    }
    printf("\n");
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    (void)user;
    fprintf(stderr, "finding %s %llu\n", f->id, (unsigned long long)f->frame);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dfs_usbll_dump FILE\n");
        return 2;
    }
    char err[600];
    dfs_capreader *r = NULL;
    struct dfs_capreader_options copt = {0};
    if (dfs_capreader_open(argv[1], &copt, &r, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink = {.on_finding = on_finding};
    dfs_decoder *d = NULL;
    if (dfs_decoder_new(&opt, &sink, &d) != DFS_OK) {
        dfs_capreader_close(r);
        return 1;
    }
    for (int lt = DFS_LINKTYPE_USB_2_0; lt <= DFS_LINKTYPE_USB_2_0_HIGH_SPEED; lt++) {
        size_t i;
        if (!dfs__link_find(lt, &i))
            continue;
        struct dfs__usbll_state *s = d->link_state[i];
        if (s)
            s->on_txn = on_txn;
    }
    struct dfs_record rec;
    int rc = 0;
    enum dfs_capnext n;
    while ((n = dfs_capreader_next(r, &rec)) == DFS_CAP_RECORD) {
        if (rec.linktype == DFS_RECORD_USB_EVENT && rec.caplen == 1)
            printf("%llu\tevent\t%u\n", (unsigned long long)rec.frame, rec.data[0]);
        if (dfs_decoder_feed(d, &rec) != DFS_OK) {
            fprintf(stderr, "frame %llu: not decoded\n", (unsigned long long)rec.frame);
            rc = 1;
        }
    }
    if (n == DFS_CAP_ERROR) {
        fprintf(stderr, "%s\n", dfs_capreader_error(r));
        rc = 1;
    }
    if (dfs_decoder_finish(d) != DFS_OK)
        rc = 1;
    dfs_decoder_free(d);
    dfs_capreader_close(r);
    return rc;
}
