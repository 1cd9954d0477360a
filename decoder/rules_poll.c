/* Timing rules: requests left unanswered, GETSTATUS polled before
 * bwPollTimeout, busy time against the bwPollTimeout announced, and erases
 * that took none. */
#include "finding_text.h"
#include "rules.h"

#define MAX_EARLY_REPORTS 3 /* dfu.poll-timeout-ignored reports per interface */
#define ZERO_POLL_LIMIT 3   /* dfuDNBUSY replies with bwPollTimeout 0 before reporting */

/* A request the host cancelled before the device answered. One with no
 * completion in the capture proves nothing about the device (the capture
 * may have stopped first): capture.urb-never-completed says it. */
DFS__RULE(dfs__rule_request_timeout)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (t->outcome != DFS_DFU_CANCELLED)
        return;
    struct dfs__frames fr = dfs__frame_pair(ev->u.request.submit_frame, ev->u.request.complete_frame);
    dfs__say_request_timeout(d, ev->dev, &fr, t, ev->u.request.wait_us);
}

DFS__RULE(dfs__rule_poll_early)
{
    struct dfs__if_rules *r = ev->rules;
    if (!ev->u.poll.early)
        return;
    r->episode_ignored = true;
    if (r->ignored_reports >= MAX_EARLY_REPORTS)
        return;
    r->ignored_reports++;
    struct dfs__frames fr = dfs__frame_pair(ev->u.poll.busy_frame, ev->t->frame);
    dfs__say_poll_timeout_ignored(d, ev->dev, ev->t, &fr, ev->u.poll.busy_frame,
                                  r->ignored_reports == MAX_EARLY_REPORTS);
}

#define BUSY_MIN_US 100000     /* busy time worth a finding, measured by the host's polls */
#define HELD_BUSY_MIN_US 10000 /* ... when the device's hold of a poll shows it */
#define HELD_NAK_MIN_US 1000   /* a hold that shows more than a reply being prepared */
/* What a host adds to a control transfer that the device answers at once,
 * between the submit and the completion of a URB-level capture (usbmon,
 * USBPcap, USB_DARWIN): its three stages may fall in three 1 ms frames on a
 * full-speed bus (a hub's split transactions on a high-speed one add a few
 * microframes), and the completion waits for the controller's interrupt and
 * the kernel's deferred work, well under a millisecond on an idle machine.
 * Real captures show GETSTATUS answered in 0.06-0.2 ms and other requests
 * in at most 3.2 ms (captures-real: stm32_dfu_install.pcap, the bluepill
 * captures of Linux, Windows and macOS). What lies beyond 5 ms is the
 * device NAKing the data stage, which the host controller retries by
 * itself. */
#define HOST_LATENCY_US 5000

/* How long the device held a GETSTATUS: the time its NAKs lasted on a
 * packet-level capture, else the time from the submit to the completion
 * beyond what the host adds. 0 for a poll the capture does not see
 * submitted (or, on the wire, one no NAK held). */
static int64_t held_us(const dfs_decoder *d, const struct dfs_dfu_txn *t)
{
    if (dfs__host_of(d->linktype) == DFS__HOST_BUS)
        return t->naks ? t->nak_us : 0;
    if (!t->reply_frame || t->reply_frame == t->frame)
        return 0;
    int64_t us = dfs__time_diff_us(t->reply_ts, t->ts) - HOST_LATENCY_US;
    return us > 0 ? us : 0;
}

/* A GETSTATUS of the busy episode that the device held: it was still at
 * work when the host polled, after the bwPollTimeout it had announced. On
 * the wire the NAKs are counted; in a URB-level capture the time from the
 * submit to the completion is kept whole, for the explanation. */
static void add_held(const dfs_decoder *d, struct dfs__if_rules *r, const struct dfs_dfu_txn *t)
{
    if (!r->episode)
        return;
    int64_t us = held_us(d, t);
    if (!us)
        return;
    r->episode_held = r->episode_held == UINT32_MAX ? UINT32_MAX : r->episode_held + 1;
    r->episode_held_us = dfs_sat_add_i64(r->episode_held_us, us);
    if (dfs__host_of(d->linktype) == DFS__HOST_BUS) {
        r->episode_naks = t->naks > UINT32_MAX - r->episode_naks ? UINT32_MAX
                                                                  : r->episode_naks + t->naks;
        r->episode_wait_us = dfs_sat_add_i64(r->episode_wait_us, t->nak_us);
    } else {
        r->episode_wait_us =
            dfs_sat_add_i64(r->episode_wait_us, dfs__time_diff_us(t->reply_ts, t->ts));
    }
}

/* The busy episode ended: was the device busy much longer than it said? A
 * few dfuDNBUSY replies show it, or one GETSTATUS the device held past the
 * bwPollTimeout it announced (its work time is then the device's, not the
 * host's timing, so a shorter time counts). */
static void end_episode(dfs_decoder *d, struct dfs__device *dev, struct dfs__if_rules *r,
                        const struct dfs_dfu_txn *t)
{
    if (!r->episode)
        return;
    add_held(d, r, t);
    r->episode = false;
    int64_t busy_us = dfs__time_diff_us(t->reply_frame ? t->reply_ts : t->ts, r->episode_ts);
    /* the hold alone outlasts the time announced: no slow host makes that */
    int64_t announced_us = (int64_t)r->episode_max_poll * 1000;
    bool held = r->episode_held && r->episode_held_us >= HELD_NAK_MIN_US &&
                r->episode_held_us > announced_us;
    if ((r->episode_polls >= 3 || held) && !r->episode_ignored && r->episode_max_poll > 0 &&
        busy_us >= (held ? HELD_BUSY_MIN_US : BUSY_MIN_US) &&
        busy_us > 3 * (int64_t)r->episode_max_poll * 1000) {
        struct dfs__frames fr = dfs__frame_pair(r->episode_frame, t->frame);
        struct dfs__busy_time b = {.busy_us = busy_us, .polls = r->episode_polls,
                                   .max_poll = r->episode_max_poll};
        if (held) {
            b.held = r->episode_held;
            b.naks = r->episode_naks;
            b.held_us = r->episode_wait_us;
            b.wire = dfs__host_of(d->linktype) == DFS__HOST_BUS;
        }
        /* R3 is about erases: the time a write takes is not what it says */
        dfs__say_poll_timeout_too_short(d, dev, &fr, t->frame, r->episode_frame, &b,
                                        r->episode_erase ? DFS__QUIRK_BIT(3) : 0);
    }
}

/* Is the operation the interface is busy with a DfuSe erase? */
static bool erase_pending(const struct dfs__dfu_dev *dd, uint8_t ifnum)
{
    for (unsigned i = 0; dd && i < DFS__MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].ifnum == ifnum)
            return dd->ifs[i].pend.kind == DFS__PEND_CMD &&
                   dd->ifs[i].pend.cmd == DFS_DFUSE_ERASE;
    return false;
}

/* Each GETSTATUS reply: dfuDNBUSY with bwPollTimeout 0 again and again, and
 * the busy episode. */
DFS__RULE(dfs__rule_busy)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
    if (t->bState != DFS_STATE_DNBUSY) {
        r->zero_polls = 0;
        end_episode(d, ev->dev, r, t);
        return;
    }
    add_held(d, r, t);
    if (!r->episode) {
        r->episode = true;
        r->episode_held = 0;
        r->episode_held_us = 0;
        r->episode_naks = 0;
        r->episode_wait_us = 0;
        r->episode_frame = t->frame;
        r->episode_ts = t->reply_frame ? t->reply_ts : t->ts;
        r->episode_erase = erase_pending(ev->dd, t->interface);
        r->episode_polls = 0;
        r->episode_max_poll = 0;
        r->episode_ignored = false;
    }
    r->episode_polls++;
    if (t->poll_timeout_ms > r->episode_max_poll)
        r->episode_max_poll = t->poll_timeout_ms;
    if (t->poll_timeout_ms != 0) {
        r->zero_polls = 0;
        return;
    }
    if (!r->zero_polls)
        r->zero_first_frame = t->frame;
    if (++r->zero_polls >= ZERO_POLL_LIMIT && !r->zero_reported) {
        r->zero_reported = true;
        struct dfs__frames fr = dfs__frame_pair(r->zero_first_frame, t->frame);
        dfs__say_zero_poll_timeout(d, ev->dev, &fr, t->frame, r->zero_polls,
                                   r->zero_first_frame);
    }
}

/* An erase reported done by the first GETSTATUS, without any busy time. */
DFS__RULE(dfs__rule_erase_instant)
{
    const struct dfs__pending *pd = ev->u.exec.pd;
    if (ev->u.exec.failed || pd->busy_seen)
        return;
    struct dfs__frames fr = dfs__frame_pair(pd->frame, ev->t->frame);
    /* ST's middleware acknowledges a mass erase it does not do (R17) */
    dfs__say_erase_instant(d, ev->dev, &fr, pd, ev->t, pd->mass ? DFS__QUIRK_BIT(17) : 0);
}
