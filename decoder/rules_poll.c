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
#define HELD_BUSY_MIN_US 10000 /* ... when the device's NAKs on the wire show it */
#define HELD_NAK_MIN_US 1000   /* NAKs that show more than a reply being prepared */

/* The NAKs that held a GETSTATUS of the busy episode (packet-level
 * captures): the device was still at work when the host polled, after the
 * bwPollTimeout it had announced */
static void add_naks(struct dfs__if_rules *r, const struct dfs_dfu_txn *t)
{
    if (!r->episode || !t->naks)
        return;
    r->episode_naks = t->naks > UINT32_MAX - r->episode_naks ? UINT32_MAX
                                                              : r->episode_naks + t->naks;
    r->episode_nak_us = dfs_sat_add_i64(r->episode_nak_us, t->nak_us);
}

/* The busy episode ended: was the device busy much longer than it said? A
 * few dfuDNBUSY replies show it, or one GETSTATUS the device held by NAKs
 * past the bwPollTimeout it announced (its work time is then on the wire,
 * not in the host's timing, so a shorter time counts). */
static void end_episode(dfs_decoder *d, struct dfs__device *dev, struct dfs__if_rules *r,
                        const struct dfs_dfu_txn *t)
{
    if (!r->episode)
        return;
    add_naks(r, t);
    r->episode = false;
    int64_t busy_us = dfs__time_diff_us(t->reply_frame ? t->reply_ts : t->ts, r->episode_ts);
    /* the NAKs alone outlast the time announced: no slow host makes that */
    int64_t announced_us = (int64_t)r->episode_max_poll * 1000;
    bool held = r->episode_naks && r->episode_nak_us >= HELD_NAK_MIN_US &&
                r->episode_nak_us > announced_us;
    if ((r->episode_polls >= 3 || held) && !r->episode_ignored && r->episode_max_poll > 0 &&
        busy_us >= (held ? HELD_BUSY_MIN_US : BUSY_MIN_US) &&
        busy_us > 3 * (int64_t)r->episode_max_poll * 1000) {
        struct dfs__frames fr = dfs__frame_pair(r->episode_frame, t->frame);
        struct dfs__busy_time b = {busy_us, r->episode_polls, r->episode_max_poll,
                                   r->episode_naks, r->episode_nak_us};
        dfs__say_poll_timeout_too_short(d, dev, &fr, t->frame, r->episode_frame, &b);
    }
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
    add_naks(r, t);
    if (!r->episode) {
        r->episode = true;
        r->episode_naks = 0;
        r->episode_nak_us = 0;
        r->episode_frame = t->frame;
        r->episode_ts = t->reply_frame ? t->reply_ts : t->ts;
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
    dfs__say_erase_instant(d, ev->dev, &fr, pd, ev->t);
}
