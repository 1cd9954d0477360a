/* --dry-run: every request a script would send, in order, without a
 * device. Requests whose number depends on the device's replies (GETSTATUS
 * polling, blocks of wTransferSize) say so. */
#include <string.h>

#include "internal.h"

static void put_setup(FILE *f, const struct dfs_setup *su, bool iface)
{
    fprintf(f, "%02x %02x %04x ", su->bmRequestType, su->bRequest, su->wValue);
    if (iface)
        fputs("IF  ", f);
    else
        fprintf(f, "%04x", su->wIndex);
    fprintf(f, " %5u", su->wLength);
}

static void put_data(FILE *f, const uint8_t *p, uint32_t n)
{
    if (!n)
        return;
    char h[100];
    dfs_run__hex_str(p, n, h, sizeof h);
    fprintf(f, "  out %s", h);
    if (n > 40)
        fprintf(f, " (%u bytes)", (unsigned)n);
}

static void line(FILE *f, const char *what, uint8_t rt, uint8_t rq, uint16_t v, uint16_t len,
                 const uint8_t *data)
{
    struct dfs_setup su = {rt, rq, v, 0, len};
    fputs("      ", f);
    put_setup(f, &su, true);
    fprintf(f, "  %s", what);
    put_data(f, data, data ? len : 0);
    fputc('\n', f);
}

static void cmd_line(FILE *f, const char *what, uint8_t cmd, bool with_addr, uint32_t addr)
{
    uint8_t d[5] = {cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                    (uint8_t)(addr >> 24)};
    line(f, what, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, 0, with_addr ? 5 : 1, d);
}

static void poll_line(FILE *f)
{
    fputs("      a1 03 0000 IF       6  DFU GETSTATUS, repeated while dfuDNBUSY, honouring "
          "bwPollTimeout\n",
          f);
}

dfs_result dfs_script_print_plan(const dfs_script *s, const struct dfs_device_facts *facts,
                                 FILE *out)
{
    if (!s || !out)
        return DFS_E_INVAL;
    fprintf(out, "dry run of %s: %zu step%s; nothing is sent.\n"
                 "Requests: bmRequestType bRequest wValue wIndex wLength (IF = the DFU "
                 "interface)\n",
            s->n_files ? s->files[0] : "script", s->n_steps, s->n_steps == 1 ? "" : "s");
    struct dfs_run__ptr_state ps = {false, 0};
    unsigned all = 0;
    for (size_t i = 0; i < s->n_steps; i++) {
        const struct dfs_run__step *st = &s->steps[i];
        fprintf(out, "%s:%u: %s\n", dfs_run__step_file(s, st), st->line, st->text);
        char why[600] = "";
        unsigned need = dfs_run__step_needs(s, i, facts, &ps, why, sizeof why);
        all |= need;
        const uint8_t *data = st->data_len ? dfs_run__script_data(s, st->data_off) : NULL;
        const struct dfs_setup *su = &st->setup;
        switch (st->kind) {
        DFS_RUN__SK_REQUEST_CASES : {
            char name[80];
            unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
            if (type == DFS_REQTYPE_STANDARD && dfs_std_request_name(su->bRequest))
                dfs_run__fmt(name, sizeof name, "%s", dfs_std_request_name(su->bRequest));
            else if (st->setup_iface && dfs_dfu_request_name(su->bRequest))
                dfs_run__fmt(name, sizeof name, "DFU %s", dfs_dfu_request_name(su->bRequest));
            else
                dfs_run__fmt(name, sizeof name, "request 0x%02x", su->bRequest);
            fputs("      ", out);
            put_setup(out, su, st->setup_iface);
            fprintf(out, "  %s", name);
            if (!(su->bmRequestType & DFS_REQTYPE_DIR_IN))
                put_data(out, data, st->data_len);
            if (st->kind != DFS_RUN__SK_GETSTATUS && st->setup_iface && !st->nowait &&
                (su->bmRequestType & DFS_REQTYPE_TYPE_MASK) == DFS_REQTYPE_CLASS)
                fputs(" (after bwPollTimeout if the device said dfuDNBUSY)", out);
            fputc('\n', out);
            break;
        }
        case DFS_RUN__SK_POLL: poll_line(out); break;
        case DFS_RUN__SK_SET_ADDRESS:
            cmd_line(out, "DFU DNLOAD: DfuSe set address pointer", DFS_DFUSE_SET_ADDRESS, true,
                     st->addr);
            poll_line(out);
            break;
        case DFS_RUN__SK_ERASE:
            cmd_line(out, "DFU DNLOAD: DfuSe erase page", DFS_DFUSE_ERASE, true, st->addr);
            poll_line(out);
            break;
        case DFS_RUN__SK_MASS_ERASE:
            cmd_line(out, "DFU DNLOAD: DfuSe mass erase", DFS_DFUSE_ERASE, false, 0);
            poll_line(out);
            break;
        case DFS_RUN__SK_READ_UNPROTECT:
            cmd_line(out, "DFU DNLOAD: DfuSe read unprotect", DFS_DFUSE_READ_UNPROTECT, false, 0);
            poll_line(out);
            break;
        case DFS_RUN__SK_LEAVE:
            line(out, "DFU DNLOAD of no data: DfuSe leave", DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD,
                 2, 0, NULL);
            poll_line(out);
            break;
        case DFS_RUN__SK_READ:
        case DFS_RUN__SK_WRITE: {
            cmd_line(out, "DFU DNLOAD: DfuSe set address pointer", DFS_DFUSE_SET_ADDRESS, true,
                     st->addr);
            poll_line(out);
            uint32_t len = st->kind == DFS_RUN__SK_READ ? st->length : st->data_len;
            uint32_t x = facts && facts->transfer_size ? facts->transfer_size : 0;
            if (st->kind == DFS_RUN__SK_READ) {
                line(out, "DFU ABORT", DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, NULL);
                if (x)
                    fprintf(out, "      a1 02 0002.. IF  %5u  DFU UPLOAD, blocks 2.. (%u block%s "
                                 "of up to %u bytes) until %u bytes or a short one\n",
                            len < x ? len : x, (len + x - 1) / x, (len + x - 1) / x == 1 ? "" : "s",
                            x, len);
                else
                    fprintf(out, "      a1 02 0002.. IF      -  DFU UPLOAD, blocks 2.. of "
                                 "wTransferSize bytes until %u bytes or a short one\n",
                            len);
                line(out, "DFU ABORT", DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, NULL);
            } else {
                if (x)
                    fprintf(out, "      21 01 0002.. IF  %5u  DFU DNLOAD, blocks 2.. (%u block%s "
                                 "of up to %u bytes), each followed by GETSTATUS while busy\n",
                            len < x ? len : x, (len + x - 1) / x, (len + x - 1) / x == 1 ? "" : "s",
                            x);
                else
                    fprintf(out, "      21 01 0002.. IF      -  DFU DNLOAD, %u bytes in blocks "
                                 "2.. of wTransferSize bytes, each followed by GETSTATUS while "
                                 "busy\n",
                            len);
                char h[100];
                dfs_run__hex_str(data, len, h, sizeof h);
                fprintf(out, "      data %s\n", h);
            }
            break;
        }
        case DFS_RUN__SK_WAIT: fprintf(out, "      wait %u ms\n", (unsigned)st->addr); break;
        case DFS_RUN__SK_WAIT_POLL: fputs("      wait for the last bwPollTimeout\n", out); break;
        case DFS_RUN__SK_CHECK:
            fprintf(out, "      check %s\n", dfs_run__script_str(s, st->check_id_off));
            break;
        }
        if (need) {
            char flags[160];
            dfs_allow_str(need, flags, sizeof flags);
            fprintf(out, "      needs %s: %s\n", flags, why);
        }
    }
    char flags[160];
    dfs_allow_str(all, flags, sizeof flags);
    if (all)
        fprintf(out, "The script needs %s%s.\n", flags,
                facts && facts->dfuse >= 0 ? "" : " (more may be needed once the device is known)");
    else
        fprintf(out, "The script needs no --allow flag%s.\n",
                facts && facts->dfuse >= 0 ? "" : " (as far as can be told without the device)");
    return ferror(out) ? DFS_E_IO : DFS_OK;
}
