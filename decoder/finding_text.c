/* The words of every finding: what was seen, with its values, and what to
 * do. One function per finding (or per situation of one), in the order of
 * the table in include/dfuscope/findings.h, which holds each finding's id,
 * severity, group and title; docs/findings/<id>.md has its page. The rules
 * decide and pass the values; a writer changes the wording here only. */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"

/* ---- values in words ------------------------------------------------------------- */

struct dfs__who dfs__who(const struct dfs__device *dev, uint8_t config)
{
    struct dfs__who w;
    dfs__device_words(dev, config, w.s, sizeof w.s);
    return w;
}

/* "device 1.6 (0483:df11)": the device a DFU finding is about (dfs__who(dev, 0).s) */
void dfs__device_words(const struct dfs__device *dev, uint8_t config, char *buf, size_t size)
{
    if (dev->identified)
        snprintf(buf, size, "device %u.%u (%04x:%04x)", dev->bus, dev->devnum, dev->vid,
                 dev->pid);
    else
        snprintf(buf, size, "device %u.%u", dev->bus, dev->devnum);
    if (config)
        dfs__appendf(buf, size, strlen(buf), ", configuration %u", config);
}

static const char *sname(uint8_t s)
{
    const char *n = dfs_dfu_state_name(s);
    return n ? n : "an undefined state";
}

static const char *rname(uint8_t r)
{
    const char *n = dfs_dfu_request_name(r);
    return n ? n : "?";
}

/* The request before a GETSTATUS: "after DNLOAD at frame 12"; when the
 * capture shows none but GETSTATUS and GETSTATE on the interface, its frame
 * is 0 (no frame has that number) and its code 0 says nothing (DETACH's). */
struct before { char s[96]; };
static struct before before_words(uint8_t req, uint64_t frame)
{
    struct before b;
    if (frame)
        snprintf(b.s, sizeof b.s, "after %s at frame %llu", rname(req),
                 (unsigned long long)frame);
    else
        snprintf(b.s, sizeof b.s, "with no other DFU request before it");
    return b;
}

static const char *stname(uint8_t st)
{
    const char *n = dfs_dfu_status_name(st);
    return n ? n : "an undefined status";
}

static const char *meaning(uint8_t st)
{
    const char *m = dfs_dfu_status_meaning(st);
    return m ? m : "?";
}

/* How a request failed, in the terms of the system the capture was made on
 * (host_words.c); status 1 is no answer at all. */
static void status_words(const struct dfs__lost *l, char *buf, size_t size)
{
    dfs__host_failure_words(l->linktype, l->status, l->os_status, buf, size);
}

/* What shows the device went away: a disconnect or a new enumeration, or
 * only the silence until the end of the capture. */
static void gone_words(const struct dfs__lost *l, char *buf, size_t size)
{
    if (l->gone_frame)
        snprintf(buf, size, "the device left the bus (frame %llu)",
                 (unsigned long long)l->gone_frame);
    else
        snprintf(buf, size, "nothing more was seen from the device");
}

/* Which option-byte area: "STM32G0/G4/L4", "\"Option Bytes\" of alternate setting 1" */
static void ob_words(const struct dfs__ob_ref *ob, char *buf, size_t size)
{
    if (ob->families)
        snprintf(buf, size, "%s", ob->families);
    else
        snprintf(buf, size, "\"%s\" of alternate setting %u", ob->layout, ob->alt);
}

/* Whether and how the device came back after a failure. */
static void comeback_words(const struct dfs__comeback *cb, char *buf, size_t size)
{
    const struct dfs__device *back = cb->back;
    if (back) {
        char id[48] = "";
        if (back->identified)
            snprintf(id, sizeof id, " (%04x:%04x)", back->vid, back->pid);
        const char *as = cb->came == 1   ? "in DFU mode again"
                         : cb->came == 2 ? "running its application: its configuration has a DFU "
                                           "run-time interface, not a DFU-mode one"
                                         : "as a device that is not in DFU mode; if it is this "
                                           "board, it now runs something other than the "
                                           "bootloader";
        snprintf(buf, size, "It came back %.1f s later as device %u.%u%s, %s", cb->after,
                 back->bus, back->devnum, id, as);
    } else if (cb->after < 2.0) {
        snprintf(buf, size,
                 "The capture ends %.1f s after the failure, too soon to see whether it "
                 "comes back (a reset and re-enumeration take about a second)",
                 cb->after);
    } else if (cb->end_extends) {
        snprintf(buf, size,
                 "The capture went on for %.1f s after the failure without the device "
                 "coming back (a reset and re-enumeration take about a second): the last "
                 "record is %.1f s after the failure, and nothing was recorded from then "
                 "until capturing stopped",
                 cb->after, cb->last);
    } else {
        snprintf(buf, size,
                 "It did not come back within the capture, which ends %.1f s after the "
                 "failure",
                 cb->after);
    }
    if (cb->bus_event_frame) {
        size_t n = strlen(buf);
        dfs__appendf(buf, size, n, ". The %s at frame %llu proves it left: the analyzer "
                     "recorded it on the wire",
                     cb->bus_event == DFS_USB_EVENT_VBUS_INVALID ? "loss of VBUS" : "bus reset",
                     (unsigned long long)cb->bus_event_frame);
    }
}

/* ---- capture file and usbmon records ------------------------------------------------ */

void dfs__say_record_problem(dfs_decoder *d, enum dfs_finding_code code, uint64_t frame,
                             const char *why, bool skipped)
{
    dfs__emit_finding(d, code, 0, frame, NULL, NULL, "frame %llu: %s%s",
                      (unsigned long long)frame, why,
                      skipped ? "; record skipped" : "; decoding what is there");
}

void dfs__say_more_records(dfs_decoder *d, enum dfs_finding_code code, uint64_t more,
                           uint64_t first, uint64_t last)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, first);
    dfs__frames_add(&fr, last);
    dfs__emit_finding(d, code, 0, last, &fr, NULL,
                      "%llu more records had this problem after the first %d reported "
                      "(the first at frame %llu, the last at frame %llu)",
                      (unsigned long long)more, DFS__RATE_LIMIT, (unsigned long long)first,
                      (unsigned long long)last);
}

void dfs__say_urb_id_reused(dfs_decoder *d, const struct dfs_urb *u, uint64_t old_frame)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, old_frame);
    dfs__frames_add(&fr, u->frame);
    dfs__emit_finding(d, DFS_F_CAPTURE_URB_ID_REUSED, u->device, u->frame, &fr, NULL,
                      "frame %llu submits URB 0x%llx on bus %u, which frame %llu "
                      "submitted and which has not completed; the earlier one is "
                      "treated as never completed (records lost?)",
                      (unsigned long long)u->frame, (unsigned long long)u->id, u->bus,
                      (unsigned long long)old_frame);
}

void dfs__say_starts_mid_transfer(dfs_decoder *d, const struct dfs__frames *fr,
                                  uint64_t unmatched, uint64_t at_start, uint64_t later)
{
    dfs__emit_finding(
        d, DFS_F_CAPTURE_STARTS_MID_TRANSFER, 0, fr->v[0], fr, NULL,
        "%llu completion%s without %s submit (%llu before the first complete pair of "
        "its bus: the capture started while %s in flight; %llu later: records lost or "
        "the outstanding-URB limit was reached). The first at frame %llu.",
        (unsigned long long)unmatched, unmatched == 1 ? "" : "s", unmatched == 1 ? "its" : "their",
        (unsigned long long)at_start, at_start == 1 ? "it was" : "they were",
        (unsigned long long)later, (unsigned long long)fr->v[0]);
}

void dfs__say_urb_never_completed(dfs_decoder *d, const struct dfs__frames *fr, uint64_t n)
{
    dfs__emit_finding(d, DFS_F_CAPTURE_URB_NEVER_COMPLETED, 0, fr->v[0], fr, NULL,
                      "%llu submitted control or OUT transfer%s had no completion when "
                      "the capture ended; the first submitted at frame %llu.",
                      (unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)fr->v[0]);
}

void dfs__say_limit_urbs(dfs_decoder *d, const struct dfs_urb *u, uint32_t limit,
                         uint64_t dropped_frame)
{
    dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, u->device, u->frame, NULL,
                      "Raise the limit (--max-urbs) if the capture really has that "
                      "many transfers in flight.",
                      "frame %llu: %u URBs are outstanding (the limit); the oldest, "
                      "submitted at frame %llu, is dropped and its completion will "
                      "not be paired",
                      (unsigned long long)u->frame, limit, (unsigned long long)dropped_frame);
}

void dfs__say_limit_payload(dfs_decoder *d, const struct dfs_urb *u, uint32_t n, size_t held,
                            size_t limit)
{
    dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, u->device, u->frame, NULL,
                      "Raise the payload limit (--max-payload).",
                      "frame %llu: %u bytes of OUT data not kept: outstanding URBs "
                      "already hold %zu bytes (limit %zu)",
                      (unsigned long long)u->frame, n, held, limit);
}

void dfs__say_limit_buses(dfs_decoder *d, uint64_t frame, unsigned limit, uint16_t bus)
{
    dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, 0, frame, NULL, NULL,
                      "frame %llu: more than %d USB buses in one capture; records of "
                      "bus %u are decoded without device tracking",
                      (unsigned long long)frame, (int)limit, bus);
}

void dfs__say_limit_devices(dfs_decoder *d, const struct dfs__device *forgotten, uint64_t frame,
                            uint32_t limit)
{
    dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, forgotten->id, frame, NULL,
                      "Raise the device limit (--max-devices) if every device matters.",
                      "frame %llu: more than %u devices; forgetting device %u.%u (first "
                      "seen at frame %llu)",
                      (unsigned long long)frame, limit, forgotten->bus, forgotten->devnum,
                      (unsigned long long)forgotten->first_frame);
}

/* ---- USB ---------------------------------------------------------------------------- */

void dfs__say_device_disconnected(dfs_decoder *d, const struct dfs__device *dev, uint64_t frame,
                                  const struct dfs__gone *gone)
{
    char why[200];
    switch (gone->why) {
    case DFS__GONE_STATUS: {
        const struct dfs_urb *u = gone->status;
        const char *what = u->type == DFS_URB_ERROR ? "submission failed" : "transfer completed";
        if (dfs__host_of(u->linktype) == DFS__HOST_LINUX) {
            snprintf(why, sizeof why, "a %s with status %d (%s, %s)", what, (int)u->status,
                     dfs_errno_name(u->status), dfs_status_meaning(u->status));
        } else {
            char name[64];
            dfs__host_status_name(u->linktype, u->status, u->os_status, name, sizeof name);
            snprintf(why, sizeof why, "a %s with %s (%s)", what, name,
                     dfs_status_meaning(u->status));
        }
        break;
    }
    case DFS__GONE_REENUMERATED:
        snprintf(why, sizeof why,
                 "the same device (%04x:%04x) enumerated again on bus %u at frame %llu",
                 gone->by->vid, gone->by->pid, gone->by->bus,
                 (unsigned long long)gone->by->first_frame);
        break;
    case DFS__GONE_ADDRESS_TAKEN:
    default:
        snprintf(why, sizeof why, "a new device was given its address");
        break;
    }
    char ident[32] = "";
    if (dev->identified)
        snprintf(ident, sizeof ident, " (%04x:%04x)", dev->vid, dev->pid);
    dfs__emit_finding(d, DFS_F_USB_DEVICE_DISCONNECTED, dev->id, frame, NULL, NULL,
                      "Device %u.%u%s left the bus at frame %llu: %s.", dev->bus, dev->devnum,
                      ident, (unsigned long long)frame, why);
}

void dfs__say_transfer_cancelled(dfs_decoder *d, const struct dfs_control *ctl)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, ctl->submit_frame);
    dfs__frames_add(&fr, ctl->complete_frame);
    char req[96], how[64];
    dfs_control_request_str(ctl, req, sizeof req);
    enum dfs__host host = dfs__host_of(ctl->linktype);
    const char *verb = ctl->status == -DFS_LINUX_ENOENT ? "killed" : "unlinked";
    if (host == DFS__HOST_LINUX || host == DFS__HOST_BUS) {
        snprintf(how, sizeof how, "status %d %s", (int)ctl->status,
                 dfs_errno_name(ctl->status));
    } else {
        verb = "cancelled";
        dfs__host_status_name(ctl->linktype, ctl->status, ctl->os_status, how, sizeof how);
    }
    dfs__emit_finding(d, DFS_F_USB_TRANSFER_CANCELLED, ctl->device, ctl->complete_frame, &fr,
                      dfs__host_cancel_remedy(host), "%s to device %u.%u (frame %llu) was %s at frame "
                      "%llu (%s) after %.3f ms.",
                      req, ctl->bus, ctl->devnum, (unsigned long long)ctl->submit_frame, verb,
                      (unsigned long long)ctl->complete_frame, how,
                      ctl->submit_frame
                          ? dfs__time_diff_us(ctl->complete_ts, ctl->submit_ts) / 1000.0
                          : 0.0);
}

/* ---- DFU 1.1 ------------------------------------------------------------------------ */

/* How the frame after a failure shows the device stayed. */
static const char *stayed_words(const struct dfs__lost *l, uint64_t ok_frame)
{
    return ok_frame && ok_frame == l->stall_frame
               ? "was STALLed: a handshake only a device on the bus can send"
               : "completed normally";
}

/* What to do about a GETSTATUS STALL the device stayed after: a refused
 * option-byte write; a STALL while an erase, a command or a write was
 * pending, where the device either refused it or was still working after
 * the bwPollTimeout it announced (dfu-quirks R2); any other rejection. */
static const char *getstatus_stall_remedy(const struct dfs__lost *l)
{
    if (l->kind == DFS__LOST_OB)
        return "The bootloader refused the option-byte write: read the status with another "
               "GETSTATUS first (bStatus says why), then CLRSTATUS; write the whole "
               "option-byte area from its base address, with values valid for the chip.";
    if (l->busy_op)
        return "If the device was still erasing or writing (a dfuDNBUSY reply just before, "
               "and the host waited the bwPollTimeout it announced): in the device firmware, "
               "announce a bwPollTimeout that covers the whole erase or write, and answer an "
               "early GETSTATUS with dfuDNBUSY instead of a STALL; in a host, wait at least "
               "bwPollTimeout before each GETSTATUS and, for such a device, wait longer and "
               "poll again after a STALL, a bounded number of times (dfu-util reuses the "
               "last poll timeout for up to three stalls during a DfuSe command, dfu-quirks "
               "R2). Otherwise the device refused the operation: read the status with "
               "another GETSTATUS (bStatus says why), send CLRSTATUS, and check the address "
               "and the request.";
    return "Read the status with another GETSTATUS first (bStatus says why), then send "
           "CLRSTATUS to return to dfuIDLE; check that the request before it was valid in "
           "the device's state.";
}

void dfs__say_getstatus_stall(dfs_decoder *d, const struct dfs__device *dev,
                              const struct dfs__frames *fr, const struct dfs__lost *l,
                              uint64_t ok_frame)
{
    char st[400];
    status_words(l, st, sizeof st);
    dfs__emit_finding(
        d, DFS_F_DFU_GETSTATUS_STALL, dev->id, l->fail_frame, fr, getstatus_stall_remedy(l),
        "%s: the GETSTATUS at frame %llu (in %s, %s) %s, but the device stayed on the bus "
        "(frame %llu %s): this STALL is a real rejection, not a reset%s.",
        dfs__who(dev, 0).s, (unsigned long long)l->fail_frame, sname(l->state),
        before_words(l->prev_req, l->prev_frame).s, st, (unsigned long long)ok_frame,
        stayed_words(l, ok_frame), l->kind == DFS__LOST_OB ? " of the option-byte write" : "");
}

void dfs__say_getstatus_failed(dfs_decoder *d, const struct dfs__device *dev,
                               const struct dfs__frames *fr, const struct dfs__lost *l,
                               uint64_t ok_frame)
{
    char st[400];
    status_words(l, st, sizeof st);
    dfs__emit_finding(
        d, DFS_F_DFU_GETSTATUS_FAILED, dev->id, l->fail_frame, fr,
        "A bus error on a device that stays usually means a marginal connection (cable, "
        "hub, supply) or a device that stops answering for a moment while it works; "
        "capture again directly on a root port, and check that the device answers every "
        "request while busy.",
        "%s: the GETSTATUS at frame %llu (in %s, %s) %s, but the device stayed on the bus "
        "(frame %llu %s).",
        dfs__who(dev, 0).s, (unsigned long long)l->fail_frame, sname(l->state),
        before_words(l->prev_req, l->prev_frame).s, st, (unsigned long long)ok_frame,
        stayed_words(l, ok_frame));
}

void dfs__say_getstatus_busy_stall(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs__frames *fr, const struct dfs__lost *l,
                                   const struct dfs_dfu_txn *t)
{
    char st[160] = "failed";
    if (l->status == -DFS_LINUX_EPIPE)
        dfs__host_stalled_words(l->linktype, l->os_status, st, sizeof st);
    dfs__emit_finding(
        d, DFS_F_DFU_GETSTATUS_BUSY_STALL, dev->id, l->fail_frame, fr,
        "Nothing was lost: the device carried on with the operation. A host for this "
        "device must expect GETSTATUS to stall while it is busy: wait at least the last "
        "bwPollTimeout and poll again. dfu-util (dfuse.c) does so for up to three stalls "
        "during a DfuSe command (\"Device stalled USB pipe, reusing last poll timeout\"), "
        "but only once a GETSTATUS of that command has answered: a stall of the very first "
        "one ends it with \"Error during special command ... get_status\". Firmware of "
        "your own should announce a bwPollTimeout that covers the whole operation and "
        "answer GETSTATUS with dfuDNBUSY while it works.",
        "%s: the GETSTATUS at frame %llu (%s) %s while the device was "
        "still busy, and the GETSTATUS at frame %llu answered %s with status OK: the "
        "device stayed and carried on. Known quirk R2 of STM32 ROM bootloaders (seen on "
        "STM32L4): GETSTATUS stalls while flash work runs, because the bwPollTimeout the "
        "device announces is shorter than the work.",
        dfs__who(dev, 0).s, (unsigned long long)l->fail_frame,
        before_words(l->prev_req, l->prev_frame).s, st, (unsigned long long)t->frame,
        sname(t->bState));
}

void dfs__say_device_lost(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs__frames *fr, const struct dfs__lost *l,
                          const struct dfs__comeback *cb)
{
    char st[400], gone[96], comeback[400];
    status_words(l, st, sizeof st);
    gone_words(l, gone, sizeof gone);
    comeback_words(cb, comeback, sizeof comeback);
    dfs__emit_finding(
        d, DFS_F_DFU_DEVICE_LOST, dev->id, l->fail_frame, fr,
        "Find out why the device reset (brown-out, watchdog during a long erase, a "
        "firmware fault): capture again with the device's own logs, and check that the "
        "device answers every GETSTATUS within the host's timeout.",
        "%s: the %s at frame %llu (in %s) %s, and %s, in the middle of the DFU "
        "session. %s.",
        dfs__who(dev, 0).s, rname(l->req), (unsigned long long)l->fail_frame, sname(l->state), st,
        gone, comeback);
}

void dfs__say_poll_timeout_ignored(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs_dfu_txn *t, const struct dfs__frames *fr,
                                   uint64_t busy_frame, bool last_report)
{
    dfs__emit_finding(d, DFS_F_DFU_POLL_TIMEOUT_IGNORED, dev->id, t->frame, fr,
                      "Wait at least bwPollTimeout after a dfuDNBUSY reply before the next "
                      "GETSTATUS (DFU 1.1 section 6.1.2). A device may stall a GETSTATUS "
                      "that comes while it is still busy, which the host then reports as "
                      "a failure.",
                      "%s: GETSTATUS at frame %llu came %.3f ms after the dfuDNBUSY reply at "
                      "frame %llu, which asked for %u ms.%s",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame,
                      (double)t->poll_wait_us / 1000.0,
                      (unsigned long long)busy_frame, t->poll_asked_ms,
                      last_report ? " (Further early polls on this interface are not reported.)"
                                  : "");
}

void dfs__say_poll_timeout_too_short(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs__frames *fr, uint64_t frame,
                                     uint64_t first, const struct dfs__busy_time *b)
{
    char held[240] = "";
    if (b->held && b->wire)
        snprintf(held, sizeof held,
                 " On the wire the device held the GETSTATUS polls by %u NAK%s for %.1f ms: "
                 "it was still at work after the time it announced.",
                 b->naks, b->naks == 1 ? "" : "s", (double)b->held_us / 1000.0);
    else if (b->held == 1)
        snprintf(held, sizeof held,
                 " The device answered the GETSTATUS poll %.1f ms after it was sent (a host "
                 "controller retries the NAKs of a busy device by itself): it was still at "
                 "work after the time it announced.",
                 (double)b->held_us / 1000.0);
    else if (b->held)
        snprintf(held, sizeof held,
                 " The device answered %u GETSTATUS polls %.1f ms in all after they were "
                 "sent (a host controller retries the NAKs of a busy device by itself): it "
                 "was still at work after the time it announced.",
                 b->held, (double)b->held_us / 1000.0);
    dfs__emit_finding(
        d, DFS_F_DFU_POLL_TIMEOUT_TOO_SHORT, dev->id, frame, fr,
        "The device should announce in bwPollTimeout how long the operation really takes, "
        "so hosts wait once instead of polling; hosts that trust it and give up after a few "
        "polls fail here (dfu-util forces 35 s for a mass erase on an STM32F405).",
        "%s: the device stayed in dfuDNBUSY for %.3f s over %u poll%s (frames %llu-%llu) "
        "while announcing at most %u ms per poll.%s",
        dfs__who(dev, 0).s, (double)b->busy_us / 1e6, b->polls, b->polls == 1 ? "" : "s",
        (unsigned long long)first, (unsigned long long)frame, b->max_poll, held);
}

void dfs__say_zero_poll_timeout(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs__frames *fr, uint64_t frame, uint32_t polls,
                                uint64_t first)
{
    dfs__emit_finding(
        d, DFS_F_DFU_ZERO_POLL_TIMEOUT, dev->id, frame, fr,
        "Announce the expected busy time in bwPollTimeout. Hosts poll such a "
        "device as fast as they can, and give up after a number of polls "
        "(dfu-util stops after 100; fwupd needs the allow-zero-polltimeout quirk).",
        "%s: %u GETSTATUS replies in a row (frames %llu-%llu) report dfuDNBUSY "
        "with bwPollTimeout 0 ms.",
        dfs__who(dev, 0).s, polls, (unsigned long long)first, (unsigned long long)frame);
}

void dfs__say_error_state(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs_dfu_txn *t, const uint8_t *raw, size_t len)
{
    char istr[200] = "";
    if (t->iString) {
        char u[160];
        if (raw && dfs_desc_string_utf8(raw, len, u, sizeof u, NULL) == DFS_OK)
            snprintf(istr, sizeof istr, ", status string %u \"%s\"", t->iString, u);
        else
            snprintf(istr, sizeof istr, ", status string %u (not in the capture)", t->iString);
    }
    bool at_start = t->state_before == DFS_STATE_UNKNOWN;
    dfs__emit_finding(d, DFS_F_DFU_ERROR_STATE, dev->id, t->frame, NULL,
                      at_start ? "The device was already in dfuERROR when this session (or the "
                                 "capture) began. A host clears it with CLRSTATUS and goes on; "
                                 "dfu-util does. ST bootloaders report errFIRMWARE this way when "
                                 "the flash holds no valid application."
                               : "A host clears it with CLRSTATUS. Find what set it in the "
                                 "requests just before this frame.",
                      "%s: GETSTATUS at frame %llu reports dfuERROR with status %s (%s)%s%s.",
                      dfs__who(dev, 0).s,
                      (unsigned long long)t->frame, stname(t->bStatus), meaning(t->bStatus), istr,
                      at_start ? ", the first state seen on this interface" : "");
}

void dfs__say_no_valid_application(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs_dfu_txn *t, uint64_t clr_frame)
{
    struct dfs__frames fr = dfs__frame_pair(t->frame, clr_frame);
    dfs__emit_finding(d, DFS_F_DFU_NO_VALID_APPLICATION, dev->id, clr_frame, &fr,
                      "None: the host's CLRSTATUS is the expected answer (dfu-util: "
                      "\"dfuERROR, clearing status\"). It says nothing about the download "
                      "that follows; if the device should have had an application, it was "
                      "missing or failed the bootloader's check before this session.",
                      "%s: the first GETSTATUS (frame %llu) reports dfuERROR with status "
                      "errFIRMWARE, and the host cleared it with CLRSTATUS at frame %llu. This is "
                      "how a bootloader starts when the flash holds no valid application (an "
                      "empty or erased chip): ST's system bootloader, among others, enters DFU "
                      "mode this way, not a failure of this session.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame,
                      (unsigned long long)clr_frame);
}

/* What to do about a DNLOAD, erase or command the device refused. */
static const char *failure_remedy(uint8_t status, bool write)
{
    switch (status) {
    case DFS_STATUS_ERR_ADDRESS:
        return "The address is outside what the device accepts: check it against the chip's "
               "memory map and the layout strings of its alternate settings.";
    case DFS_STATUS_ERR_TARGET:
    case DFS_STATUS_ERR_VENDOR:
        return "The memory may be read- or write-protected: check the protection option bytes "
               "(write protection, read-out protection; removing read-out protection needs a "
               "read unprotect, which mass-erases the chip).";
    case DFS_STATUS_ERR_ERASE:
    case DFS_STATUS_ERR_CHECK_ERASED:
        return "The erase failed: check the page's write protection in the option bytes and the "
               "supply voltage, and that the page exists on this chip.";
    case DFS_STATUS_ERR_WRITE:
    case DFS_STATUS_ERR_PROG:
    case DFS_STATUS_ERR_VERIFY:
        return "Programming failed: erase the target pages before writing them, check the "
               "write protection in the option bytes and the supply voltage.";
    case DFS_STATUS_ERR_FILE:
        return "The device rejected the data as not meant for it: check the file is built for "
               "this device and variant.";
    case DFS_STATUS_ERR_NOTDONE:
        return "The device considers the firmware incomplete: send every block before the "
               "zero-length DNLOAD that ends the download.";
    default:
        return write ? "Read the status string if the device gives one, erase the target area "
                       "before writing, and check the protection option bytes."
                     : "Read the status string if the device gives one, and check the "
                       "command's argument against the chip's memory map.";
    }
}

void dfs__say_operation_failed(dfs_decoder *d, const struct dfs__device *dev,
                               const struct dfs__frames *fr, const struct dfs__pending *pd,
                               const struct dfs_dfu_txn *t)
{
    const char *what = pd->kind == DFS__PEND_WRITE ? "the DNLOAD of"
                       : pd->cmd == DFS_DFUSE_ERASE
                           ? (pd->mass ? "the mass erase" : "the erase at")
                       : pd->cmd == DFS_DFUSE_SET_ADDRESS ? "setting the address pointer to"
                       : pd->kind == DFS__PEND_CMD        ? "the DfuSe command"
                                                          : "the manifestation after";
    char target[64] = "";
    if (pd->kind == DFS__PEND_WRITE)
        snprintf(target, sizeof target, " %u bytes at 0x%08x", pd->len, pd->addr);
    else if (pd->has_addr)
        snprintf(target, sizeof target, " 0x%08x", pd->addr);
    else if (pd->kind == DFS__PEND_CMD)
        snprintf(target, sizeof target, " 0x%02x", pd->cmd);
    dfs__emit_finding(d, DFS_F_DFU_OPERATION_FAILED, dev->id, t->frame, fr,
                      failure_remedy(t->bStatus, pd->kind == DFS__PEND_WRITE),
                      "%s: %s%s (frame %llu) failed: the GETSTATUS at frame %llu reports %s "
                      "with status %s (%s)%s.",
                      dfs__who(dev, 0).s, what, target, (unsigned long long)pd->frame,
                      (unsigned long long)t->frame,
                      sname(t->bState), stname(t->bStatus), meaning(t->bStatus),
                      t->iString ? " and a status string" : "");
}

void dfs__say_request_not_allowed(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_STATE_VIOLATION, dev->id, t->frame, NULL,
                      "Bring the device to a state that allows the request first (ABORT "
                      "returns to dfuIDLE from the idle and sync states, CLRSTATUS from "
                      "dfuERROR).",
                      "%s: %s%s at frame %llu was sent in %s, where DFU 1.1 does not "
                      "allow it%s.",
                      dfs__who(dev, 0).s, rname(t->request),
                      t->request == DFS_DFU_DNLOAD && t->wLength == 0 ? " (zero length)" : "",
                      (unsigned long long)t->frame, sname(t->state_before),
                      t->outcome == DFS_DFU_STALLED ? "; the device stalled it" : "");
}

void dfs__say_manifest_wait_reset(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs_dfu_txn *t, uint8_t attributes)
{
    dfs__emit_finding(d, DFS_F_DFU_MANIFEST_WAIT_RESET, dev->id, t->frame, NULL,
                      "Make the device do what its descriptor says: a manifestation-tolerant "
                      "device goes back to dfuIDLE after manifestation (DFU 1.1 A.1, state 7); "
                      "one that needs a reset clears bitManifestationTolerant. Hosts reset the "
                      "device when they find it in dfuMANIFEST-WAIT-RESET (dfu-util: "
                      "\"Resetting USB to switch back to runtime mode\"), so the download "
                      "itself is not lost.",
                      "%s: GETSTATUS at frame %llu reports dfuMANIFEST-WAIT-RESET, but the DFU "
                      "functional descriptor sets bitManifestationTolerant (bmAttributes "
                      "0x%02x): a tolerant device goes back to dfuIDLE after manifestation; "
                      "only one that is not waits there for a USB reset.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame, attributes);
}

void dfs__say_reply_not_allowed(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_STATE_VIOLATION, dev->id, t->frame, NULL,
                      "Follow the DFU 1.1 state diagram (section 6 and appendix A).",
                      "%s: GETSTATUS at frame %llu reports %s, but from %s the state "
                      "diagram does not lead there.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame, sname(t->bState),
                      sname(t->state_before));
}

void dfs__say_stall_without_error(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, uint8_t req, uint64_t stall_frame,
                                  const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_STALL_WITHOUT_ERROR_STATE, dev->id, t->frame, fr,
                      "DFU 1.1 pairs the two: a device that stalls a request enters "
                      "dfuERROR with errSTALLEDPKT until CLRSTATUS.",
                      "%s: %s was stalled at frame %llu, but the next GETSTATUS (frame %llu) "
                      "reports %s, not dfuERROR.",
                      dfs__who(dev, 0).s, rname(req), (unsigned long long)stall_frame,
                      (unsigned long long)t->frame,
                      sname(t->bState));
}

void dfs__say_error_without_stall(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, uint8_t req, uint64_t req_frame,
                                  const struct dfs_dfu_txn *t)
{
    char acked[160]; /* (frame 0: no request but GETSTATUS and GETSTATE seen) */
    if (req_frame)
        snprintf(acked, sizeof acked, "the request before it (%s at frame %llu) was "
                 "acknowledged, not stalled", rname(req), (unsigned long long)req_frame);
    else
        snprintf(acked, sizeof acked, "no request before it was stalled (only GETSTATUS "
                 "and GETSTATE came before it)");
    dfs__emit_finding(d, DFS_F_DFU_STALL_WITHOUT_ERROR_STATE, dev->id, t->frame, fr,
                      "A device that rejects a request must stall it (DFU 1.1), so the "
                      "host sees the rejection when it happens.",
                      "%s: GETSTATUS at frame %llu reports dfuERROR/errSTALLEDPKT, but %s.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame, acked);
}

void dfs__say_clrstatus_outside_error(dfs_decoder *d, const struct dfs__device *dev,
                                      const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_CLRSTATUS_OUTSIDE_ERROR, dev->id, t->frame, NULL,
                      "Send CLRSTATUS only in dfuERROR. ST's DFU middleware answers a "
                      "CLRSTATUS in another state by entering dfuERROR (errUNKNOWN); "
                      "removing such a CLRSTATUS fixed flashing STM32 parts with other "
                      "hosts.",
                      "%s: CLRSTATUS at frame %llu was sent in %s.", dfs__who(dev, 0).s,
                      (unsigned long long)t->frame, sname(t->state_before));
}

void dfs__say_bad_status_values(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_BAD_STATE_VALUE, dev->id, t->frame, NULL,
                      "Report one of the DFU 1.1 states (0-10) in bState and a status "
                      "(0-15) in bStatus; ST's USB device middleware is known to put the "
                      "status errSTALLEDPKT (15) into bState after an UPLOAD of block 1.",
                      "%s: the GETSTATUS reply at frame %llu has bStatus %u and bState %u; "
                      "%s is not defined by DFU 1.1.",
                      dfs__who(dev, 0).s, (unsigned long long)t->frame, t->bStatus, t->bState,
                      t->bState > DFS_STATE_ERROR ? "that state" : "that status");
}

void dfs__say_bad_getstate_value(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_BAD_STATE_VALUE, dev->id, t->frame, NULL,
                      "Report one of the DFU 1.1 states (0-10).",
                      "%s: GETSTATE at frame %llu returns %u, which is no DFU state.",
                      dfs__who(dev, 0).s,
                      (unsigned long long)t->frame, t->bState);
}

void dfs__say_transfer_size_exceeded(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs_dfu_txn *t, uint16_t allowed)
{
    dfs__emit_finding(d, DFS_F_DFU_TRANSFER_SIZE_EXCEEDED, dev->id, t->frame, NULL,
                      "Keep every DNLOAD/UPLOAD within wTransferSize. Some devices (ST's USB "
                      "middleware) silently truncate longer blocks.",
                      "%s: %s at frame %llu asks for %u bytes; the DFU functional descriptor "
                      "allows %u.",
                      dfs__who(dev, 0).s, rname(t->request), (unsigned long long)t->frame,
                      t->wLength,
                      allowed);
}

void dfs__say_block_sequence(dfs_decoder *d, const struct dfs__device *dev, bool upload,
                             uint16_t block, uint16_t last, uint64_t frame)
{
    const char *kind = block == last                            ? "repeated"
                       : (uint16_t)(block - last) < 0x8000 ? "skipped blocks"
                                                               : "out of order";
    dfs__emit_finding(d, DFS_F_DFU_BLOCK_SEQUENCE, dev->id, frame, NULL,
                      "Number blocks consecutively (DFU 1.1 section 6.1.1: wValue is "
                      "incremented for each block, wrapping at 65535).",
                      "%s: %s block %u at frame %llu follows block %u: %s.", dfs__who(dev, 0).s,
                      upload ? "UPLOAD" : "DNLOAD", block, (unsigned long long)frame, last, kind);
}

void dfs__say_dfuse_block_number(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_BLOCK_SEQUENCE, dev->id, t->frame, NULL,
                      "DfuSe data blocks are numbered from 2; block 0 carries "
                      "commands and block 1 is not used (AN3156).",
                      "%s: DNLOAD at frame %llu sends %u bytes of data as block %u.",
                      dfs__who(dev, 0).s,
                      (unsigned long long)t->frame, t->wLength, t->wValue);
}

void dfs__say_request_timeout(dfs_decoder *d, const struct dfs__device *dev,
                              const struct dfs__frames *fr, const struct dfs_dfu_txn *t,
                              int64_t us)
{
    char dur[64] = "";
    if (us >= 0)
        snprintf(dur, sizeof dur, " after %.3f s", (double)us / 1e6);
    dfs__emit_finding(
        d, DFS_F_DFU_REQUEST_TIMEOUT, dev->id, t->frame, fr,
        "A DFU device must answer every request promptly and do long flash work between "
        "requests, announcing it with bwPollTimeout; a device that blocks inside the "
        "control transfer makes the host time out (typically after 5 s).",
        "%s: %s at frame %llu (in %s) %s%s.", dfs__who(dev, 0).s, rname(t->request),
        (unsigned long long)t->frame,
        sname(t->state_before),
        t->outcome == DFS_DFU_NO_REPLY ? "got no answer in the capture"
                                       : "was cancelled by the host before an answer",
        dur);
}

void dfs__say_runtime_getstatus_stall(dfs_decoder *d, const struct dfs__device *dev,
                                      const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFU_RUNTIME_GETSTATUS_STALL, dev->id, t->frame, NULL,
                      "Nothing to repair: DFU 1.1 allows it, and dfu-util and fwupd assume "
                      "appIDLE. A host of its own should do the same instead of failing. "
                      "Firmware that wants to help every host answers GETSTATUS with "
                      "appIDLE in run-time mode (some hosts, macOS among them, send it to "
                      "the run-time interface: dfu-quirks R30, TinyUSB run-time DFU).",
                      "%s: the run-time DFU interface %u stalled GETSTATUS at frame "
                      "%llu. DFU 1.1 makes GETSTATUS optional in run-time mode; "
                      "hosts then assume appIDLE (dfu-util: \"Device does not "
                      "implement get_status, assuming appIDLE\").",
                      dfs__who(dev, 0).s, t->interface, (unsigned long long)t->frame);
}

/* ---- DfuSe ---------------------------------------------------------------------------- */

void dfs__say_option_bytes_reset(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs__frames *fr, const struct dfs__lost *l,
                                 const struct dfs__comeback *cb)
{
    char st[400], gone[96], comeback[400];
    status_words(l, st, sizeof st);
    gone_words(l, gone, sizeof gone);
    comeback_words(cb, comeback, sizeof comeback);
    char remedy[DFS_FINDING_TEXT_SIZE], away[400] = "";
    if (cb->stayed_away)
        snprintf(away, sizeof away,
                 "The chip did not re-enumerate in DFU mode within %.0f s: its new option "
                 "bytes (nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK, the securable area SEC_SIZE) "
                 "decide where it boots, and they no longer select the system bootloader. "
                 "Power-cycle it with the BOOT0 pin high (if nBOOT_SEL lets the pin "
                 "decide) to get DFU back, or connect over SWD to read and correct them.",
                 cb->after);
    snprintf(remedy, sizeof remedy,
             "Do not read the pipe error as a failed write. %s Read the option bytes back "
             "and compare them with what was written (dfu-util 0.10+: dfu-util -d "
             "%04x:%04x -a %u -s 0x%08x:force:%u -U ob.bin). To write option bytes with "
             "dfu-util, start at the option-byte base and let it expect the reset: "
             "-s 0x%08x:force:will-reset -D ob.bin.",
             cb->stayed_away ? away
             : cb->came == 1 ? "The write most likely took effect."
             : cb->came >= 2
                 ? "The chip most likely now boots from flash: its new option bytes "
                   "(nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK) select another boot source; "
                   "enter the system bootloader with the BOOT0 pin (if nBOOT_SEL allows it) "
                   "or through SWD to get DFU back."
                 : "Reset or power-cycle the board with the boot pins set for the system "
                   "bootloader; if it does not enumerate in DFU mode, the new option bytes "
                   "(nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK, the securable area SEC_SIZE) "
                   "decide where it boots: connect over SWD to inspect them.",
             dev->identified ? dev->vid : 0x0483, dev->identified ? dev->pid : 0xdf11, l->alt,
             l->ob.start, (unsigned)(l->ob.end - l->ob.start), l->ob.start);
    char what[DFS_LAYOUT_NAME_SIZE + 32];
    ob_words(&l->ob, what, sizeof what);
    dfs__emit_finding(
        d, DFS_F_DFUSE_OPTION_BYTES_RESET, dev->id, l->fail_frame, fr, remedy,
        "%s: frame %llu wrote %u byte%s at 0x%08x, in the option-byte area 0x%08x-0x%08x "
        "(%s). The GETSTATUS at frame %llu that executes the write %s, and %s. That is "
        "what an option-byte write does: the bootloader reloads the option bytes and the "
        "chip resets before it can answer (AN3156, RM0444). The %s is the reset, not a "
        "protocol error. %s.",
        dfs__who(dev, 0).s, (unsigned long long)l->req_frame, l->len, l->len == 1 ? "" : "s",
        l->addr,
        l->ob.start,
        (uint32_t)(l->ob.end - 1), what, (unsigned long long)l->fail_frame, st, gone,
        l->status == -DFS_LINUX_EPIPE ? "STALL" : "failure", comeback);
}

void dfs__say_option_bytes_rejected(dfs_decoder *d, const struct dfs__device *dev,
                                    const struct dfs__frames *fr, const struct dfs__pending *pd,
                                    const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFUSE_OPTION_BYTES_REJECTED, dev->id, t->frame, fr,
                      "The bootloader refused the option bytes and stayed: check the values "
                      "(reserved bits, read-protection level, a securable area the chip "
                      "allows) and write the whole area from its base address.",
                      "%s: the option-byte write at frame %llu (%u bytes at 0x%08x) was "
                      "answered at frame %llu with dfuERROR, status %s (%s); the device "
                      "stayed on the bus.",
                      dfs__who(dev, 0).s, (unsigned long long)pd->frame, pd->len, pd->addr,
                      (unsigned long long)t->frame, stname(t->bStatus), meaning(t->bStatus));
}

void dfs__say_option_bytes_offset_write(dfs_decoder *d, const struct dfs__device *dev,
                                        const struct dfs__frames *fr, uint64_t frame,
                                        uint32_t addr, const struct dfs__ob_ref *ob)
{
    char what[DFS_LAYOUT_NAME_SIZE + 32];
    ob_words(ob, what, sizeof what);
    dfs__emit_finding(d, DFS_F_DFUSE_OPTION_BYTES_OFFSET_WRITE, dev->id, frame, fr,
                      "Write the option bytes from the start of their area with "
                      "the full block, as AN3156 requires: read the whole area, "
                      "change the field, and write it back from the base.",
                      "%s: the option-byte write at frame %llu starts at 0x%08x, "
                      "0x%x bytes into the option-byte area that begins at 0x%08x "
                      "(%s); AN3156 requires the address pointer at the start of "
                      "the option bytes.",
                      dfs__who(dev, 0).s, (unsigned long long)frame, addr, addr - ob->start,
                      ob->start,
                      what);
}

void dfs__say_address_outside_layout(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs__frames *fr, uint64_t frame,
                                     uint32_t addr, uint32_t len, uint8_t need,
                                     uint8_t ifnum, const struct dfs__alt *a,
                                     const struct dfs__alt *other, bool in_region,
                                     bool refused)
{
    const char *what = refused                    ? "asks to read"
                       : need == DFS_MEM_READABLE ? "reads"
                       : need == DFS_MEM_WRITABLE ? "writes"
                                                  : "erases";
    const char *verb = need == DFS_MEM_READABLE   ? "readable"
                       : need == DFS_MEM_WRITABLE ? "writeable"
                                                  : "erasable";
    char remedy[DFS_FINDING_TEXT_SIZE];
    const struct dfs_ob_area *ob = dfs_ob_area_find(addr);
    size_t pos = 0;
    if (other)
        pos = dfs__appendf(remedy, sizeof remedy, pos,
                           "Alternate setting %u advertises this address (\"%s\"): select it "
                           "(dfu-util -a %u). ",
                           other->alt, other->name, other->alt);
    if (refused)
        dfs__appendf(remedy, sizeof remedy, pos,
                     "The device refused the read, as a device may for memory its layout does "
                     "not advertise as readable; the blocks read before it are not affected. "
                     "Read only what the layout advertises: dfu-util stops before such a read "
                     "(\"Page at 0x%08x is not readable\"), and a host that reads whole "
                     "blocks should stop at the layout's end.",
                     addr);
    else if (need == DFS_MEM_READABLE)
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses such a read (\"Page at 0x%08x is not readable\"). If "
                     "the address is right for the chip (check its reference manual), add the "
                     ":force modifier with the length: -s 0x%08x:force:%u -U file (dfu-util "
                     "0.9 accepts :force for uploads only together with a length).",
                     addr, addr, len ? len : 4);
    else if (need == DFS_MEM_WRITABLE)
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses such a download (\"... is not writeable\"). If the "
                     "address is right for the chip, dfu-util 0.10 and later write it with "
                     "-s 0x%08x:force -D file, without erasing pages outside the layout.%s",
                     ob ? ob->start : addr,
                     ob ? " In the option-byte area, write the whole area from its base "
                          "address (AN3156)."
                        : "");
    else
        dfs__appendf(remedy, sizeof remedy, pos,
                     "dfu-util refuses to erase such a page (\"... can not be erased\"), "
                     "even with :force. Erase through an alternate setting that advertises "
                     "the page as erasable, or fix the layout string in the firmware.");
    dfs__emit_finding(d, DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT, dev->id, frame, fr, remedy,
                      "%s: frame %llu %s %u byte%s at 0x%08x, but alternate setting %u of "
                      "interface %u advertises \"%s\", where that address is %s%s%s%s.",
                      dfs__who(dev, 0).s, (unsigned long long)frame, what, len,
                      len == 1 ? "" : "s", addr,
                      a->alt,
                      ifnum, a->name, in_region ? "not " : "not in any region",
                      in_region ? verb : "",
                      ob ? " (it is in the option-byte area of the chip)" : "",
                      refused ? "; the device STALLed the request" : "");
}

void dfs__say_leave_reset(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs__frames *fr, const struct dfs__lost *l,
                          const struct dfs__comeback *cb)
{
    char st[400], gone[96], comeback[400];
    status_words(l, st, sizeof st);
    gone_words(l, gone, sizeof gone);
    comeback_words(cb, comeback, sizeof comeback);
    dfs__emit_finding(
        d, DFS_F_DFUSE_LEAVE_RESET, dev->id, l->fail_frame, fr,
        cb->came ? NULL
                 : "If the device should have started its firmware, check that the firmware is "
                   "at the address the leave request jumped to.",
        "%s: after the leave request (zero-length DNLOAD at frame %llu) the GETSTATUS at "
        "frame %llu %s and %s, as a DfuSe leave intends: the bootloader jumps to the "
        "address pointer. An error a host prints here is harmless when every block before "
        "was acknowledged. %s.",
        dfs__who(dev, 0).s, (unsigned long long)l->req_frame, (unsigned long long)l->fail_frame,
        l->answered ? "answered" : st, gone, comeback);
}

void dfs__say_erase_instant(dfs_decoder *d, const struct dfs__device *dev,
                            const struct dfs__frames *fr, const struct dfs__pending *pd,
                            const struct dfs_dfu_txn *t)
{
    dfs__emit_finding(d, DFS_F_DFUSE_ERASE_INSTANT, dev->id, t->frame, fr,
                      "Read the memory back to check it was erased. ST's USB device "
                      "middleware acknowledges a 1-byte mass erase (0x41) without doing it.",
                      "%s: the %s at frame %llu was reported done by the first GETSTATUS "
                      "(frame %llu, %s) without any dfuDNBUSY: a real flash erase takes time.",
                      dfs__who(dev, 0).s, pd->mass ? "mass erase" : "erase",
                      (unsigned long long)pd->frame,
                      (unsigned long long)t->frame, sname(t->bState));
}
