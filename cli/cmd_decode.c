/* dfuscope decode: what happened on the bus, one line per control transfer
 * (or per usbmon record with --urbs), as text or JSON Lines. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

struct decode_ctx {
    bool json, urbs, dfu;
    struct dev_filter filter;
    bool have_base;
    struct dfs_time base;
    FILE *out;
    uint64_t printed;
};

static void base_time(struct decode_ctx *c, struct dfs_time t)
{
    if (!c->have_base) {
        c->base = t;
        c->have_base = true;
    }
}

static const char *end_name(enum dfs_ctl_end e)
{
    switch (e) {
    case DFS_CTL_COMPLETED: return "completed";
    case DFS_CTL_SUBMIT_ERROR: return "submit-error";
    case DFS_CTL_NO_SUBMIT: return "no-submit";
    case DFS_CTL_NEVER_COMPLETED: return "never-completed";
    }
    return "unknown";
}

/* usbmon text-style address: "Ci:1:006:0" */
static void urb_addr(char *buf, size_t size, uint8_t xfer, uint8_t ep, uint16_t bus, uint8_t dev)
{
    static const char t[] = "ZICB";
    snprintf(buf, size, "%c%c:%u:%03u:%u", xfer < 4 ? t[xfer] : '?', (ep & 0x80) ? 'i' : 'o',
             bus, dev, ep & 0x0f);
}

static int on_urb(void *user, const struct dfs_urb *u)
{
    struct decode_ctx *c = user;
    base_time(c, u->ts);
    if (!dev_filter_match(&c->filter, u->bus, u->devnum, u->device))
        return 0;
    FILE *f = c->out;
    c->printed++;
    if (c->json) {
        char ts[40];
        fmt_abstime(ts, sizeof ts, u->ts);
        fprintf(f, "{\"frame\":%" PRIu64 ",\"time\":%s,\"urb_id\":\"0x%016" PRIx64 "\","
                   "\"type\":\"%c\",\"xfer\":\"%s\",\"bus\":%u,\"device\":%u,\"endpoint\":%u,"
                   "\"status\":%d,\"length\":%u,\"data_length\":%u",
                u->frame, ts, u->id, u->type, dfs_xfer_type_name(u->xfer_type), u->bus,
                u->devnum, u->endpoint, (int)u->status, u->length, u->len_cap);
        fprintf(f, ",\"flag_setup\":%d,\"flag_data\":%d", (int)(unsigned char)u->flag_setup,
                (int)(unsigned char)u->flag_data);
        if (u->has_setup) {
            fputs(",\"setup\":", f);
            json_hex(f, u->setup, 8);
        }
        if (u->xfer_type == DFS_XFER_ISO && !u->has_setup)
            fprintf(f, ",\"iso_error_count\":%d,\"iso_numdesc\":%d", (int)u->iso_error_count,
                    (int)u->iso_numdesc);
        if (u->mmapped)
            fprintf(f, ",\"interval\":%d,\"start_frame\":%d,\"xfer_flags\":%u,\"ndesc\":%u",
                    (int)u->interval, (int)u->start_frame, u->xfer_flags, u->ndesc);
        if (u->linktype == DFS_LINKTYPE_USBPCAP) {
            const char *sn = dfs_usbd_status_name(u->os_status);
            fprintf(f, ",\"usbpcap\":{\"header_len\":%u,\"irp_id\":\"0x%016" PRIx64 "\","
                       "\"usbd_status\":%" PRIu32 ",\"usbd_status_name\":",
                    u->hdr_len, u->id, u->os_status);
            json_str(f, sn ? sn : "unknown");
            fprintf(f, ",\"function\":%u,\"info\":%u,\"transfer\":%u,\"data_len\":%" PRIu64,
                    u->function, u->info, u->xfer_type,
                    (uint64_t)u->len_cap + (u->stage == DFS_USBPCAP_STAGE_SETUP ? 8 : 0));
            if (u->stage != DFS_USBPCAP_STAGE_NONE)
                fprintf(f, ",\"stage\":%u", u->stage);
            fputc('}', f);
        } else if (u->linktype == DFS_LINKTYPE_USB_DARWIN) {
            const char *sn = dfs_ioreturn_name(u->os_status);
            fprintf(f, ",\"darwin\":{\"version\":%u,\"header_len\":%u,\"io_id\":\"0x%016" PRIx64
                       "\",\"io_len\":%" PRIu32 ",\"io_status\":%" PRIu32
                       ",\"io_status_name\":",
                    u->version, u->hdr_len, u->id, u->io_len, u->os_status);
            json_str(f, sn ? sn : "unknown");
            fprintf(f, ",\"frame_count\":%" PRIu32 ",\"location\":%" PRIu32
                       ",\"speed\":%u,\"endpoint_type\":%u}",
                    u->frame_count, u->location, u->speed, u->os_xfer_type);
        }
        fprintf(f, ",\"captured\":%u,\"data\":", u->data_len);
        json_hex(f, u->data, u->data_len);
        if (u->link_frame)
            fprintf(f, ",\"link_frame\":%" PRIu64, u->link_frame);
        fprintf(f, ",\"instance\":%u}\n", u->device);
        return 0;
    }
    char rel[32], addr[32];
    fmt_reltime(rel, sizeof rel, u->ts, c->base);
    urb_addr(addr, sizeof addr, u->xfer_type, u->endpoint, u->bus, u->devnum);
    fprintf(f, "%7" PRIu64 " %12s %016" PRIx64 " %c %s", u->frame, rel, u->id, u->type, addr);
    if (u->linktype == DFS_LINKTYPE_USBPCAP) {
        const char *sn = dfs_usbd_status_name(u->os_status);
        fprintf(f, " [fn 0x%04x%s%s]", u->function,
                u->stage == DFS_USBPCAP_STAGE_NONE ? ""
                : u->stage == DFS_USBPCAP_STAGE_SETUP ? " SETUP"
                : u->stage == DFS_USBPCAP_STAGE_DATA ? " DATA"
                : u->stage == DFS_USBPCAP_STAGE_STATUS ? " STATUS" : " COMPLETE",
                u->xfer_type == DFS_USBPCAP_XFER_IRP_INFO ? " IRP_INFO" : "");
        if (u->os_status && u->type != DFS_URB_SUBMIT)
            fprintf(f, " %s", sn ? sn : "USBD_STATUS_?");
    } else if (u->linktype == DFS_LINKTYPE_USB_DARWIN && u->os_status) {
        const char *sn = dfs_ioreturn_name(u->os_status);
        fprintf(f, " [%s]", sn ? sn : "IOReturn ?");
    }
    if (u->has_setup && u->type == DFS_URB_SUBMIT) {
        fprintf(f, " s %02x %02x %04x %04x %04x", u->setup[0], u->setup[1],
                u->setup[2] | (u->setup[3] << 8), u->setup[4] | (u->setup[5] << 8),
                u->setup[6] | (u->setup[7] << 8));
    } else {
        fprintf(f, " %d", (int)u->status);
    }
    fprintf(f, " %u", u->length);
    if (u->flag_data == 0 && u->len_cap) {
        fputs(" =", f);
        for (uint32_t i = 0; i < u->data_len && i < 32; i++)
            fprintf(f, "%s%02x", (i % 4) ? "" : " ", u->data[i]);
        if (u->data_len > 32)
            fputs(" ...", f);
        if (u->data_len < u->len_cap)
            fprintf(f, " (%u of %u bytes captured)", u->data_len, u->len_cap);
    } else if (u->flag_data) {
        fprintf(f, " %c", (u->flag_data > 0x20 && u->flag_data < 0x7f) ? u->flag_data : '?');
    }
    fputc('\n', f);
    return 0;
}

static int on_control(void *user, const struct dfs_control *ctl)
{
    struct decode_ctx *c = user;
    if (!dev_filter_match(&c->filter, ctl->bus, ctl->devnum, ctl->device))
        return 0;
    FILE *f = c->out;
    c->printed++;
    char req[160], data[400], st[48];
    dfs_control_request_str(ctl, req, sizeof req);
    dfs_control_data_str(ctl, data, sizeof data);
    uint64_t frame = ctl->submit_frame ? ctl->submit_frame : ctl->complete_frame;
    struct dfs_time t = ctl->submit_frame ? ctl->submit_ts : ctl->complete_ts;
    if (c->json) {
        char ts[40];
        fmt_abstime(ts, sizeof ts, t);
        fprintf(f, "{\"frame\":%" PRIu64 ",\"submit_frame\":%" PRIu64
                   ",\"complete_frame\":%" PRIu64 ",\"time\":%s,\"bus\":%u,\"device\":%u,"
                   "\"instance\":%u,\"endpoint\":%u,\"urb_id\":\"0x%016" PRIx64 "\"",
                frame, ctl->submit_frame, ctl->complete_frame, ts, ctl->bus, ctl->devnum,
                ctl->device, ctl->endpoint, ctl->urb_id);
        if (ctl->has_setup)
            fprintf(f, ",\"bmRequestType\":%u,\"bRequest\":%u,\"wValue\":%u,\"wIndex\":%u,"
                       "\"wLength\":%u",
                    ctl->setup.bmRequestType, ctl->setup.bRequest, ctl->setup.wValue,
                    ctl->setup.wIndex, ctl->setup.wLength);
        fputs(",\"request\":", f);
        json_str(f, req);
        fprintf(f, ",\"dfu\":%s,\"end\":\"%s\"", ctl->dfu ? "true" : "false", end_name(ctl->end));
        if (ctl->end == DFS_CTL_COMPLETED || ctl->end == DFS_CTL_SUBMIT_ERROR ||
            ctl->end == DFS_CTL_NO_SUBMIT) {
            fprintf(f, ",\"status\":%d,\"status_name\":", (int)ctl->status);
            json_str(f, ctl->status ? dfs_errno_name(ctl->status) : "OK");
            fprintf(f, ",\"actual_length\":%u", ctl->actual_length);
        }
        if (ctl->submit_frame && ctl->complete_frame)
            fprintf(f, ",\"duration_us\":%" PRId64,
                    dfs_time_diff_us(ctl->complete_ts, ctl->submit_ts));
        fputs(",\"data\":", f);
        json_hex(f, ctl->data, ctl->data_len);
        fprintf(f, ",\"data_partial\":%s,\"summary\":", ctl->data_partial ? "true" : "false");
        json_str(f, data);
        fputs("}\n", f);
        return 0;
    }
    char frames[48], rel[32];
    if (ctl->submit_frame && ctl->complete_frame)
        snprintf(frames, sizeof frames, "%" PRIu64 "-%" PRIu64, ctl->submit_frame,
                 ctl->complete_frame);
    else if (ctl->submit_frame)
        snprintf(frames, sizeof frames, "%" PRIu64 "-", ctl->submit_frame);
    else
        snprintf(frames, sizeof frames, "-%" PRIu64, ctl->complete_frame);
    fmt_reltime(rel, sizeof rel, t, c->base);
    char safe[800];
    text_safe(safe, sizeof safe, data);
    fprintf(f, "%13s %12s %3u.%-3u %s -> ", frames, rel, ctl->bus, ctl->devnum, req);
    switch (ctl->end) {
    case DFS_CTL_NEVER_COMPLETED:
        fputs("no completion in the capture", f);
        break;
    case DFS_CTL_SUBMIT_ERROR:
        fprintf(f, "submit failed (%s)", status_str(ctl->status, st, sizeof st));
        break;
    default:
        fprintf(f, "%s, %u B", status_str(ctl->status, st, sizeof st), ctl->actual_length);
        if (ctl->end == DFS_CTL_NO_SUBMIT)
            fputs(" (submit not captured)", f);
        break;
    }
    if (*safe)
        fprintf(f, ": %s", safe);
    if (ctl->data_partial)
        fprintf(f, " (%u bytes captured)", ctl->data_len);
    fputc('\n', f);
    return 0;
}

static int on_dfu(void *user, const struct dfs_dfu_txn *t)
{
    struct decode_ctx *c = user;
    if (!dev_filter_match(&c->filter, t->bus, t->devnum, t->device))
        return 0;
    c->printed++;
    if (c->json) {
        dfu_txn_json(c->out, t);
        fputc('\n', c->out);
        return 0;
    }
    char req[128], rep[200], rel[32], frames[48];
    dfs_dfu_txn_request_str(t, req, sizeof req);
    dfs_dfu_txn_reply_str(t, rep, sizeof rep);
    fmt_reltime(rel, sizeof rel, t->ts, c->base);
    if (t->reply_frame && t->reply_frame != t->frame)
        snprintf(frames, sizeof frames, "%" PRIu64 "-%" PRIu64, t->frame, t->reply_frame);
    else
        snprintf(frames, sizeof frames, "%" PRIu64, t->frame);
    const char *sb = t->state_before == DFS_STATE_UNKNOWN ? "?" : dfs_dfu_state_name(t->state_before);
    fprintf(c->out, "%13s %12s %3u.%-3u if %u alt %u  %-16s %-44s %s\n", frames, rel, t->bus,
            t->devnum, t->interface, t->alt, sb ? sb : "?", req, rep);
    return 0;
}

static int on_base_urb(void *user, const struct dfs_urb *u)
{
    base_time(user, u->ts);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s decode [OPTIONS] FILE|-\n"
            "\n"
            "Decode a USB capture (pcap or pcapng): Linux usbmon (link type 189 or 220),\n"
            "Windows USBPcap (249) or macOS USB_DARWIN (266). One line per control\n"
            "transfer, or per record with --urbs.\n"
            "\n"
            "Options:\n"
            "  --urbs                one line per record (URB submit/complete)\n"
            "  --dfu                 one line per DFU/DfuSe transaction: request, block,\n"
            "                        address, length, reply state and status, poll timeout\n"
            "  --json                JSON Lines (schema: docs/json.md)\n"
            "  --device BUS.DEV|VID:PID\n"
            "                        only this device (VID:PID follows it across\n"
            "                        re-enumeration)\n"
            "  --max-urbs N          outstanding URBs tracked (default 4096)\n"
            "  --max-payload BYTES   OUT data kept for outstanding URBs (default 16 MiB)\n"
            "  --max-devices N       device instances tracked (default 256)\n"
            "  -q, --quiet           no progress line (shown on standard error when it is a\n"
            "                        terminal, the output is not, and FILE is larger than\n"
            "                        64 MiB)\n"
            "  -h, --help            this help\n"
            "\n"
            "Damaged records are reported on standard error with their frame number and\n"
            "decoding goes on.\n"
            "\n"
            "Exit status: 0 decoded, 2 unusable input or usage error.\n",
            cli_prog);
}

enum { OPT_JSON = 256, OPT_URBS, OPT_DFU, OPT_DEVICE };
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"urbs", no_argument, NULL, OPT_URBS},
    {"dfu", no_argument, NULL, OPT_DFU},
    {"device", required_argument, NULL, OPT_DEVICE},
    LIMIT_LONGOPTS,
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_decode_options = {"hq", longopts};

int cmd_decode(int argc, char **argv)
{
    struct decode_ctx c = {.out = stdout};
    bool quiet = false;
    struct run_opts ro = {.cmd = "decode"};
    dfs_options_init(&ro.dopt);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_decode_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: c.json = true; break;
        case OPT_URBS: c.urbs = true; break;
        case OPT_DFU: c.dfu = true; break;
        case OPT_DEVICE:
            if (!parse_device_option(&c.filter, optarg, "decode"))
                return EXIT_USAGE;
            break;
        case LIMIT_URBS:
        case LIMIT_PAYLOAD:
        case LIMIT_DEVICES:
            if (!parse_limit(&ro.dopt, (enum limit_kind)opt, optarg, "decode"))
                return EXIT_USAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (c.urbs && c.dfu) {
        cli_err("decode", "--urbs and --dfu exclude each other");
        return EXIT_USAGE;
    }
    ro.path = capture_argument(argc, argv, "decode");
    if (!ro.path) {
        usage(stderr);
        return EXIT_USAGE;
    }
    ro.filter = &c.filter;
    /* decoded lines on the same terminal would run through the line */
    ro.progress = !quiet && !isatty(STDOUT_FILENO);
    struct dfs_sink sink = {.user = &c};
    if (c.urbs) {
        sink.on_urb = on_urb;
    } else if (c.dfu) {
        sink.on_urb = on_base_urb;
        sink.on_dfu = on_dfu;
    } else {
        sink.on_urb = on_base_urb;
        sink.on_control = on_control;
    }
    struct run_result res;
    dfs_decoder *d = NULL;
    int rc = run_capture(&ro, &sink, &d, &res);
    dev_filter_free(&c.filter);
    if (rc)
        return rc;
    const struct dfs_stats *st = dfs_decoder_stats(d);
    fflush(stdout);
    fprintf(stderr,
            "%s: %" PRIu64 " records, %" PRIu64 " control transfers, %" PRIu64
            " DFU transactions, %" PRIu64 " records skipped, %" PRIu64 " damaged\n",
            ro.path, st->records, st->controls, st->dfu_txns, st->records_skipped,
            st->records_damaged + res.reader_damaged);
    dfs_decoder_free(d);
    if (ferror(stdout)) {
        cli_err("decode", "error writing the output");
        return EXIT_USAGE;
    }
    return res.records == 0 && res.read_error ? EXIT_USAGE : 0;
}
