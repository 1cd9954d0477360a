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

/* The busy episode ended: was the device busy much longer than it said? */
static void end_episode(dfs_decoder *d, struct dfs__device *dev, struct dfs__if_rules *r,
                        const struct dfs_dfu_txn *t)
{
    if (!r->episode)
        return;
    r->episode = false;
    int64_t busy_us = dfs__time_diff_us(t->reply_frame ? t->reply_ts : t->ts, r->episode_ts);
    if (r->episode_polls >= 3 && !r->episode_ignored && r->episode_max_poll > 0 &&
        busy_us >= 100000 && busy_us > 3 * (int64_t)r->episode_max_poll * 1000) {
        struct dfs__frames fr = dfs__frame_pair(r->episode_frame, t->frame);
        dfs__say_poll_timeout_too_short(d, dev, &fr, t->frame, busy_us, r->episode_polls,
                                        r->episode_frame, r->episode_max_poll);
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
    if (!r->episode) {
        r->episode = true;
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
