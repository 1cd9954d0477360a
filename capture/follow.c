/* Following one device through a capture: which records are its records,
 * across resets, re-enumeration and DFU mode switches. libc only.
 *
 * Every record goes through a decoder of the follower's own, which says which
 * device instance (one bus/device-number lifetime) the record belongs to and
 * reports enumeration, identification, disconnection and DFU transactions.
 * Each instance gets a verdict: keep, drop, or pending. Pending instances are
 * those still enumerating (first seen at address 0 and not yet identified):
 * their records, and every record after them, are held back in order until
 * the verdict is known or the hold-back limit is reached. The rules are in
 * docs/capture.md, "Following a device". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/descriptors.h"
#include "dfuscope/dfu.h"
#include "dfuscope/live.h"
#include "dfuscope/usb.h"

#define MAX_INSTANCES 1024     /* instances remembered (kept ones are never forgotten) */
#define MAX_LANE_IDS 4         /* VID:PIDs one device may show (run-time, DFU mode) */
#define SWITCH_WINDOW_SEC 60   /* unconfirmed DFU mode switch: how soon it must return */
#define PROBE_RECORDS 64       /* records of a device seen without its enumeration that are
                                  held while waiting for its descriptor (VID:PID only) */

enum verdict { V_PENDING, V_KEEP, V_DROP };

struct inst {
    uint32_t id;
    enum verdict v;
    bool provisional;  /* dropped for now, may be kept once identified */
    bool born_enum;    /* enumerated in the capture (first seen at address 0) */
    uint32_t from;     /* the address-0 instance it continues (SET_ADDRESS not seen) */
    uint32_t same_as;  /* a kept instance at the same address it continues */
    uint32_t claimed_by; /* an address-0 instance another one continues: its verdict */
    bool identified;
    bool configured;   /* configuration descriptor known */
    bool set_config;   /* SET_CONFIGURATION completed: enumeration is over */
    bool gone;
    bool ctl_done;     /* a control transfer of it completed */
    bool dirty;        /* something changed: decide again */
    uint16_t bus;
    uint8_t devnum;
    uint16_t vid, pid;
    uint64_t first_seq;
    struct dfs_time first_ts;
    uint64_t held;     /* its records held back right now */
    uint64_t records;  /* its records so far */
};

struct held {
    struct dfs_record rec;
    uint8_t *data;
    uint32_t inst;
};

struct lane {
    bool found;
    uint32_t last;          /* latest kept instance */
    uint32_t n_kept;
    bool leaving;           /* its last DFU transaction means it is about to leave */
    bool gone;              /* the latest kept instance left the bus */
    uint64_t gone_seq;      /* record at which that was reported */
    struct dfs_time left_ts;
    struct dfs_time last_ts;
    uint64_t last_seq;      /* input record number of its latest record */
    uint16_t ids[MAX_LANE_IDS][2];
    unsigned n_ids;
    char serial[128];
    bool had_dfu;
    uint8_t dfu_state;
};

struct dfs_follower {
    struct dfs_follow_target t;
    struct dfs_follower_options opt;
    dfs_follow_note_fn note;
    void *note_user;
    dfs_decoder *dec;
    struct inst *insts;
    size_t n_insts;
    struct lane lane;
    /* the record being pushed */
    uint64_t seq;
    struct dfs_time cur_ts;
    uint32_t cur_dev;
    bool cur_attributed;
    /* hold-back queue (ring) */
    struct held *q;
    size_t q_cap, q_head, q_len;
    size_t q_bytes;
    /* a record kept without being held: handed out by the next pop */
    bool has_direct;
    struct dfs_record direct;
    uint8_t *popped; /* data of the last popped held record, freed on the next call */
    struct dfs_follower_stats st;
    bool finished;
};

static void notef(dfs_follower *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notef(dfs_follower *f, const char *fmt, ...)
{
    if (!f->note)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->note(f->note_user, msg);
}

void dfs_follower_options_init(struct dfs_follower_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->max_held = 4096;
    o->max_held_bytes = 8u << 20;
    dfs_options_init(&o->decoder);
}

/* ---- instances ------------------------------------------------------------ */

static struct inst *inst_find(dfs_follower *f, uint32_t id)
{
    for (size_t i = f->n_insts; i-- > 0;)
        if (f->insts[i].id == id)
            return &f->insts[i];
    return NULL;
}

/* Forget the oldest dropped instance without held records to make room. */
static bool inst_make_room(dfs_follower *f)
{
    if (f->n_insts < MAX_INSTANCES)
        return true;
    for (size_t i = 0; i < f->n_insts; i++) {
        if (f->insts[i].v == V_DROP && !f->insts[i].held && !f->insts[i].provisional) {
            memmove(&f->insts[i], &f->insts[i + 1], (f->n_insts - i - 1) * sizeof f->insts[0]);
            f->n_insts--;
            return true;
        }
    }
    for (size_t i = 0; i < f->n_insts; i++) {
        if (f->insts[i].v == V_DROP && !f->insts[i].held) {
            memmove(&f->insts[i], &f->insts[i + 1], (f->n_insts - i - 1) * sizeof f->insts[0]);
            f->n_insts--;
            return true;
        }
    }
    return false;
}

static struct inst *inst_new(dfs_follower *f, const struct dfs_device_event *ev)
{
    if (!inst_make_room(f))
        return NULL;
    struct inst *in = &f->insts[f->n_insts++];
    memset(in, 0, sizeof *in);
    in->id = ev->device;
    in->v = V_PENDING;
    in->bus = ev->bus;
    in->devnum = ev->devnum;
    in->born_enum = ev->devnum == 0;
    in->first_seq = f->seq;
    in->first_ts = f->cur_ts;
    in->dirty = true;
    if (ev->devnum == 0)
        return in;
    /* A device that appears at a new address without its SET_ADDRESS in the
     * capture (xHCI hosts assign the address with a controller command,
     * usbmon never sees it) continues the latest enumeration at address 0. */
    for (size_t i = f->n_insts - 1; i-- > 0;) {
        struct inst *z = &f->insts[i];
        if (z->bus == in->bus && z->born_enum && z->devnum == 0 && !z->gone &&
            !z->claimed_by && z->v != V_DROP) {
            z->claimed_by = in->id;
            in->from = z->id;
            in->born_enum = true;
            break;
        }
    }
    /* A kept device at the same address that the decoder started a new
     * instance for (it took the device for gone) is still that device,
     * unless the new instance turns out to be that enumeration. */
    for (size_t i = f->n_insts - 1; i-- > 0;) {
        struct inst *k = &f->insts[i];
        if (k->bus == in->bus && k->devnum == in->devnum && k->v == V_KEEP) {
            in->same_as = k->id;
            break;
        }
    }
    return in;
}

static bool lane_has_id(const struct lane *l, uint16_t vid, uint16_t pid)
{
    for (unsigned i = 0; i < l->n_ids; i++)
        if (l->ids[i][0] == vid && l->ids[i][1] == pid)
            return true;
    return false;
}

static void lane_add_id(struct lane *l, uint16_t vid, uint16_t pid)
{
    if (lane_has_id(l, vid, pid) || l->n_ids >= MAX_LANE_IDS)
        return;
    l->ids[l->n_ids][0] = vid;
    l->ids[l->n_ids][1] = pid;
    l->n_ids++;
}

/* What the tracking decoder knows about an instance. */
static bool dev_info(const dfs_follower *f, uint32_t id, struct dfs_device_info *info)
{
    size_t n = dfs_decoder_device_count(f->dec);
    for (size_t i = n; i-- > 0;)
        if (dfs_decoder_device_info(f->dec, i, info) == DFS_OK && info->id == id)
            return true;
    return false;
}

enum serial_state { SERIAL_NONE, SERIAL_WAITING, SERIAL_KNOWN };

static enum serial_state inst_serial(const dfs_follower *f, uint32_t id, char *out, size_t size)
{
    struct dfs_device_info info;
    out[0] = '\0';
    if (!dev_info(f, id, &info) || !info.has_device_desc || !info.device_desc_complete)
        return SERIAL_WAITING;
    if (!info.desc.iSerialNumber)
        return SERIAL_NONE;
    const uint8_t *raw;
    size_t len;
    if (dfs_decoder_device_string(f->dec, id, info.desc.iSerialNumber, 0, &raw, &len) != DFS_OK)
        return SERIAL_WAITING;
    if (dfs_desc_string_utf8(raw, len, out, size, NULL) != DFS_OK || !out[0])
        return SERIAL_NONE;
    return SERIAL_KNOWN;
}

/* Does the instance's configuration have a DFU interface (run-time or DFU mode)? */
static bool inst_has_dfu_iface(const dfs_follower *f, uint32_t id, const char **kind)
{
    struct dfs_device_info info;
    if (!dev_info(f, id, &info) || !info.config)
        return false;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pb;
    dfs_desc_walk_init(&w, info.config, info.config_len);
    while (dfs_desc_walk_next(&w, &it, &pb) == 1) {
        if (it.kind != DFS_DK_INTERFACE || it.u.interface.bInterfaceClass != DFS_DFU_CLASS ||
            it.u.interface.bInterfaceSubClass != DFS_DFU_SUBCLASS)
            continue;
        *kind = it.u.interface.bInterfaceProtocol == DFS_DFU_PROTO_RUNTIME ? "a DFU run-time"
                                                                           : "a DFU";
        return true;
    }
    return false;
}

static void fmt_dev(char *buf, size_t size, const struct inst *in)
{
    char id[16] = "";
    if (in->identified)
        snprintf(id, sizeof id, " (%04x:%04x)", in->vid, in->pid);
    if (in->devnum)
        snprintf(buf, size, "%u.%u%s", in->bus, in->devnum, id);
    else
        snprintf(buf, size, "the device enumerating on bus %u%s", in->bus, id);
}

/* ---- verdicts ---------------------------------------------------------------- */

static void keep(dfs_follower *f, struct inst *in, const char *why)
{
    struct lane *l = &f->lane;
    bool first = !l->found;
    uint32_t before = l->last;
    in->v = V_KEEP;
    in->provisional = false;
    l->found = true;
    l->last = in->id;
    l->n_kept++;
    l->leaving = false;
    l->gone = in->gone;
    if (in->identified)
        lane_add_id(l, in->vid, in->pid);
    char serial[128];
    if (!l->serial[0] && inst_serial(f, in->id, serial, sizeof serial) == SERIAL_KNOWN)
        snprintf(l->serial, sizeof l->serial, "%s", serial);
    char now[64];
    fmt_dev(now, sizeof now, in);
    if (first) {
        if (why)
            notef(f, "found %s: %s", now, why);
        return;
    }
    if (!why)
        return; /* the same device, seen again under a new instance */
    const struct inst *prev = inst_find(f, before);
    char was[64] = "the device";
    if (prev)
        fmt_dev(was, sizeof was, prev);
    notef(f, "following %s -> %s: %s", was, now, why);
}

/* Is the followed device out of the picture, so that a device enumerating now
 * may be it coming back? */
static bool lane_quiet(const dfs_follower *f, const struct inst *in)
{
    const struct lane *l = &f->lane;
    return l->gone || l->leaving || l->last_seq < in->first_seq;
}

/* No first instance yet: does this one match what --device named? */
static void decide_first(dfs_follower *f, struct inst *in)
{
    const struct dfs_follow_target *t = &f->t;
    if (t->by_addr) {
        if (in->devnum == 0) {
            if (in->gone)
                in->v = V_DROP;
            return; /* enumerating: wait for its address */
        }
        if (in->bus != t->bus || in->devnum != t->devnum) {
            in->v = V_DROP;
            return;
        }
        if (t->by_id && in->identified && (in->vid != t->vid || in->pid != t->pid)) {
            in->v = V_DROP;
            return;
        }
        keep(f, in, NULL);
        return;
    }
    if (!in->identified) {
        if (in->born_enum && !in->gone)
            return;
        /* Seen without its enumeration: its descriptor may still be read
         * (libpcap reads every device's when a live capture starts, lsusb
         * does): wait for its first control transfer, then keep it only
         * if its descriptor shows up later. */
        if (!in->gone && !in->ctl_done && in->records < PROBE_RECORDS)
            return;
        in->v = V_DROP;
        in->provisional = !in->gone;
        return;
    }
    if (in->vid != t->vid || in->pid != t->pid) {
        in->v = V_DROP;
        in->provisional = false;
        return;
    }
    char serial[128];
    if (t->serial[0]) {
        enum serial_state ss = inst_serial(f, in->id, serial, sizeof serial);
        if (ss == SERIAL_WAITING && !in->set_config && !in->gone)
            return;
        if (ss == SERIAL_KNOWN && strcmp(serial, t->serial) != 0) {
            in->v = V_DROP;
            return;
        }
    }
    if (in->provisional) {
        in->provisional = false;
        keep(f, in, "identified only now; its earlier records in this capture were not kept");
        return;
    }
    keep(f, in, "identified by its device descriptor");
}

/* The device was found before: is this instance the same device again? */
static void decide_successor(dfs_follower *f, struct inst *in)
{
    struct lane *l = &f->lane;
    if (in->provisional) {
        in->provisional = false; /* only the first match can be a late one */
        return;
    }
    if (!in->born_enum) {
        in->v = V_DROP; /* was there before: not the device coming back */
        return;
    }
    bool decidable = in->identified || in->gone || in->set_config;
    if (!lane_quiet(f, in)) {
        if (decidable)
            in->v = V_DROP; /* another device enumerated while the followed one was busy */
        return;
    }
    if (!in->identified) {
        if (in->gone)
            in->v = V_DROP;
        return;
    }
    char serial[128];
    enum serial_state ss = inst_serial(f, in->id, serial, sizeof serial);
    if (l->serial[0]) {
        if (ss == SERIAL_KNOWN) {
            if (strcmp(serial, l->serial) == 0) {
                char why[200];
                snprintf(why, sizeof why, "same serial number \"%s\"", serial);
                keep(f, in, why);
            } else {
                in->v = V_DROP;
            }
            return;
        }
        if (ss == SERIAL_WAITING && !in->set_config && !in->gone)
            return; /* the serial string is read before SET_CONFIGURATION */
    }
    if (lane_has_id(l, in->vid, in->pid)) {
        keep(f, in, "came back with the same VID:PID");
        return;
    }
    /* A run-time/DFU mode switch changes the PID; without a serial to compare
     * it is recognised by its DFU interface and by coming back soon. */
    if (!in->configured && !in->set_config && !in->gone)
        return;
    const char *kind = NULL;
    struct dfs_time since = l->gone || l->leaving ? l->left_ts : l->last_ts;
    int64_t gap_us = dfs_time_diff_us(in->first_ts, since);
    if (l->had_dfu && inst_has_dfu_iface(f, in->id, &kind) &&
        gap_us <= (int64_t)SWITCH_WINDOW_SEC * 1000000) {
        char why[240];
        snprintf(why, sizeof why,
                 "it enumerated %.2f s after the followed device %s and has %s interface "
                 "(%s)",
                 gap_us / 1e6, l->gone ? "left the bus" : "left DFU mode", kind,
                 l->serial[0] ? "it has no serial number to confirm it"
                              : "no serial number known to confirm it");
        keep(f, in, why);
        return;
    }
    in->v = V_DROP;
}

/* An instance that continues an address-0 enumeration: the same device if
 * its descriptor agrees. Returns true when that settled it. */
static bool decide_from(dfs_follower *f, struct inst *in)
{
    struct inst *z = inst_find(f, in->from);
    if (!z) {
        in->from = 0;
        return false;
    }
    if (!in->identified && !in->ctl_done && !in->gone)
        return true; /* wait for its first descriptor */
    if (!in->identified || (z->identified && (z->vid != in->vid || z->pid != in->pid))) {
        in->from = 0; /* something else after all */
        in->born_enum = false;
        z->claimed_by = 0;
        z->dirty = true;
        return false;
    }
    if (z->v == V_KEEP) {
        keep(f, in, NULL);
        return true;
    }
    return false; /* decided below, and the enumeration with it */
}

/* The instance whose verdict counts for in: an address-0 enumeration that a
 * later instance continues goes with that one. */
static const struct inst *resolve(dfs_follower *f, const struct inst *in)
{
    if (in && in->v == V_PENDING && in->claimed_by) {
        const struct inst *x = inst_find(f, in->claimed_by);
        if (x)
            return x;
    }
    return in;
}

static void decide(dfs_follower *f, struct inst *in)
{
    in->dirty = false;
    if (in->v == V_KEEP || (in->v == V_DROP && !in->provisional))
        return;
    if (in->claimed_by && in->v == V_PENDING)
        return; /* decided with the instance that continues it */
    if (in->from && decide_from(f, in))
        return;
    if (in->same_as && !in->from) {
        const struct inst *k = inst_find(f, in->same_as);
        if (k && k->v == V_KEEP) {
            keep(f, in, NULL);
            return;
        }
        in->same_as = 0;
    }
    if (!f->lane.found)
        decide_first(f, in);
    else
        decide_successor(f, in);
}

/* The hold-back limit or the end of the input: an instance that never got far
 * enough to be judged. When the followed device had left and this one
 * started enumerating after it, it is most likely the device trying to come
 * back: kept. Otherwise dropped. Both are reported. */
static void decide_forced(dfs_follower *f, struct inst *in, const char *when)
{
    if (in->v != V_PENDING || in->claimed_by)
        return;
    f->st.forced++;
    char d[64];
    fmt_dev(d, sizeof d, in);
    if (f->lane.found && in->born_enum && (f->lane.gone || f->lane.leaving) &&
        lane_quiet(f, in)) {
        char why[200];
        snprintf(why, sizeof why,
                 "%s before it could be confirmed; it started enumerating after the followed "
                 "device left, so it is taken for the device coming back",
                 when);
        keep(f, in, why);
        return;
    }
    in->v = V_DROP;
    notef(f, "%s before device %s could be told apart (still enumerating); its %" PRIu64
             " record%s held so far %s not kept",
          when, d, in->held, in->held == 1 ? "" : "s", in->held == 1 ? "is" : "are");
}

/* ---- tracking decoder sink ---------------------------------------------------- */

static void dfu_request(dfs_follower *f, const struct dfs_control *ctl);

static int on_urb(void *user, const struct dfs_urb *u)
{
    dfs_follower *f = user;
    f->cur_dev = u->device;
    f->cur_attributed = u->device != 0;
    return 0;
}

static int on_device(void *user, const struct dfs_device_event *ev)
{
    dfs_follower *f = user;
    struct inst *in = inst_find(f, ev->device);
    if (!in) {
        in = inst_new(f, ev);
        if (!in)
            return 0;
    }
    in->dirty = true;
    switch (ev->change) {
    case DFS_DEV_NEW:
        break;
    case DFS_DEV_IDENTIFIED:
        in->identified = true;
        in->vid = ev->vid;
        in->pid = ev->pid;
        in->devnum = ev->devnum;
        break;
    case DFS_DEV_CONFIGURED:
        in->configured = true;
        break;
    case DFS_DEV_GONE:
        in->gone = true;
        if (in->v == V_KEEP && f->lane.last == in->id && !f->lane.gone) {
            f->lane.gone = true;
            f->lane.gone_seq = f->seq;
            if (!f->lane.leaving)
                f->lane.left_ts = f->cur_ts;
        }
        break;
    case DFS_DEV_REENUMERATED:
        /* The decoder links same-VID:PID instances when the older one went
         * quiet, and then takes the older one for gone. The rules here also
         * compare serial numbers, so that a second identical board is not
         * taken for the first one coming back: that inference is undone. */
        if (ev->previous == f->lane.last && f->lane.gone && f->lane.gone_seq == f->seq) {
            f->lane.gone = false;
            struct inst *old = inst_find(f, ev->previous);
            if (old)
                old->gone = false;
        }
        break;
    }
    return 0;
}

static int on_control(void *user, const struct dfs_control *ctl)
{
    dfs_follower *f = user;
    struct inst *in = inst_find(f, ctl->device);
    if (!in)
        return 0;
    if (ctl->end != DFS_CTL_NEVER_COMPLETED) {
        in->ctl_done = true;
        in->dirty = true;
    }
    if (!ctl->has_setup || ctl->end != DFS_CTL_COMPLETED || ctl->status != 0)
        return 0;
    if (ctl->dfu && in->v == V_KEEP && in->id == f->lane.last)
        dfu_request(f, ctl);
    const struct dfs_setup *s = &ctl->setup;
    if ((s->bmRequestType & (DFS_REQTYPE_TYPE_MASK | DFS_REQTYPE_RECIP_MASK)) !=
        (DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE))
        return 0;
    if (!(s->bmRequestType & DFS_REQTYPE_DIR_IN)) {
        if (s->bRequest == DFS_REQ_SET_ADDRESS && in->devnum == 0 && s->wValue &&
            s->wValue < 128) {
            in->devnum = (uint8_t)s->wValue;
            in->dirty = true;
        } else if (s->bRequest == DFS_REQ_SET_CONFIGURATION) {
            in->set_config = true;
            in->dirty = true;
        }
    } else if (s->bRequest == DFS_REQ_GET_DESCRIPTOR && (s->wValue >> 8) == DFS_DT_STRING) {
        in->dirty = true; /* perhaps the serial number */
        if (in->v == V_KEEP && !f->lane.serial[0]) {
            char serial[128];
            if (inst_serial(f, in->id, serial, sizeof serial) == SERIAL_KNOWN)
                snprintf(f->lane.serial, sizeof f->lane.serial, "%s", serial);
        }
    }
    return 0;
}

static void set_leaving(struct lane *l, bool leaving, struct dfs_time ts)
{
    if (leaving && !l->leaving)
        l->left_ts = ts;
    l->leaving = leaving;
}

/* The followed device's last DFU request says whether it is about to leave
 * the bus: DETACH, a zero-length DNLOAD (manifestation or DfuSe leave), or a
 * request that failed (an option-byte write resets the chip before the
 * GETSTATUS that follows completes: dfu-facts.md 3). */
static void dfu_request(dfs_follower *f, const struct dfs_control *ctl)
{
    struct lane *l = &f->lane;
    l->had_dfu = true;
    bool ack = ctl->end == DFS_CTL_COMPLETED && ctl->status == 0;
    bool cancelled = ctl->status == -DFS_LINUX_ENOENT || ctl->status == -DFS_LINUX_ECONNRESET;
    uint8_t req = ctl->setup.bRequest;
    bool leaving = (ack && req == DFS_DFU_DETACH) ||
                   (ack && req == DFS_DFU_DNLOAD && ctl->setup.wLength == 0) ||
                   (!ack && !cancelled);
    set_leaving(l, leaving, ctl->complete_frame ? ctl->complete_ts : ctl->submit_ts);
}

/* ... and the state it reports: manifestation and detach states lead off the
 * bus too. Comes after dfu_request() for the same transfer. */
static int on_dfu(void *user, const struct dfs_dfu_txn *txn)
{
    dfs_follower *f = user;
    struct lane *l = &f->lane;
    const struct inst *in = inst_find(f, txn->device);
    if (!in || in->v != V_KEEP || in->id != l->last)
        return 0;
    l->had_dfu = true;
    uint8_t state = txn->has_state ? txn->bState : txn->state_after;
    if (state != DFS_STATE_UNKNOWN)
        l->dfu_state = state;
    if (txn->leave || (txn->has_state && (txn->bState == DFS_STATE_MANIFEST ||
                                          txn->bState == DFS_STATE_MANIFEST_WAIT_RESET ||
                                          txn->bState == DFS_STATE_APP_DETACH)))
        set_leaving(l, true, txn->reply_frame ? txn->reply_ts : txn->ts);
    return 0;
}

/* ---- hold-back queue -------------------------------------------------------- */

static struct held *q_at(dfs_follower *f, size_t i) { return &f->q[(f->q_head + i) % f->q_cap]; }

static dfs_result q_push(dfs_follower *f, const struct dfs_record *rec, uint32_t inst)
{
    if (f->q_len == f->q_cap) {
        size_t ncap = f->q_cap ? f->q_cap * 2 : 64;
        struct held *nq = malloc(ncap * sizeof *nq);
        if (!nq)
            return DFS_E_NOMEM;
        for (size_t i = 0; i < f->q_len; i++)
            nq[i] = *q_at(f, i);
        free(f->q);
        f->q = nq;
        f->q_cap = ncap;
        f->q_head = 0;
    }
    uint8_t *copy = NULL;
    if (rec->caplen) {
        copy = malloc(rec->caplen);
        if (!copy)
            return DFS_E_NOMEM;
        memcpy(copy, rec->data, rec->caplen);
    }
    struct held *h = q_at(f, f->q_len);
    h->rec = *rec;
    h->rec.data = copy;
    h->data = copy;
    h->inst = inst;
    f->q_len++;
    f->q_bytes += rec->caplen;
    struct inst *in = inst_find(f, inst);
    if (in)
        in->held++;
    return DFS_OK;
}

static enum verdict verdict_of(dfs_follower *f, uint32_t id)
{
    const struct inst *in = resolve(f, inst_find(f, id));
    return in ? in->v : V_DROP;
}

/* ---- API ---------------------------------------------------------------------- */

dfs_result dfs_follower_new(const struct dfs_follow_target *t,
                            const struct dfs_follower_options *o, dfs_follow_note_fn note,
                            void *note_user, dfs_follower **out)
{
    if (!t || !out || (!t->by_addr && !t->by_id))
        return DFS_E_INVAL;
    dfs_follower *f = calloc(1, sizeof *f);
    if (!f)
        return DFS_E_NOMEM;
    f->t = *t;
    f->t.serial[sizeof f->t.serial - 1] = '\0';
    dfs_follower_options_init(&f->opt);
    if (o) {
        if (o->size != sizeof *o) {
            free(f);
            return DFS_E_INVAL;
        }
        f->opt = *o;
    }
    if (!f->opt.max_held)
        f->opt.max_held = 4096;
    if (!f->opt.max_held_bytes)
        f->opt.max_held_bytes = 8u << 20;
    f->note = note;
    f->note_user = note_user;
    f->lane.dfu_state = DFS_STATE_UNKNOWN;
    f->lane.had_dfu = t->dfu;
    snprintf(f->lane.serial, sizeof f->lane.serial, "%s", f->t.serial);
    if (t->by_id)
        lane_add_id(&f->lane, t->vid, t->pid);
    f->insts = calloc(MAX_INSTANCES, sizeof *f->insts);
    struct dfs_sink sink = {.user = f,
                            .on_urb = on_urb,
                            .on_device = on_device,
                            .on_control = on_control,
                            .on_dfu = on_dfu};
    dfs_result r = f->insts ? dfs_decoder_new(&f->opt.decoder, &sink, &f->dec) : DFS_E_NOMEM;
    if (r != DFS_OK) {
        free(f->insts);
        free(f);
        return r;
    }
    *out = f;
    return DFS_OK;
}

static void decide_dirty(dfs_follower *f)
{
    /* A decision can change what others depend on (the lane): repeat until
     * nothing changes; each pass decides at least one instance or stops. */
    for (int pass = 0; pass < 4; pass++) {
        bool any = false;
        for (size_t i = 0; i < f->n_insts; i++) {
            struct inst *in = &f->insts[i];
            if (!in->dirty && !(pass && in->v == V_PENDING))
                continue;
            enum verdict before = in->v;
            decide(f, in);
            any |= in->v != before;
        }
        if (!any)
            break;
    }
}

static void enforce_limits(dfs_follower *f)
{
    while (f->q_len && (f->q_len > f->opt.max_held || f->q_bytes > f->opt.max_held_bytes)) {
        struct inst *in = (struct inst *)resolve(f, inst_find(f, q_at(f, 0)->inst));
        if (!in || in->v != V_PENDING)
            break;
        char when[96];
        snprintf(when, sizeof when, "hold-back limit (%u records, %zu bytes) reached",
                 f->opt.max_held, f->opt.max_held_bytes);
        decide_forced(f, in, when);
        decide_dirty(f);
    }
}

dfs_result dfs_follower_push(dfs_follower *f, const struct dfs_record *rec)
{
    if (!f || !rec || f->finished)
        return DFS_E_INVAL;
    if (f->has_direct)
        return DFS_E_STATE; /* the previous record was not popped */
    free(f->popped);
    f->popped = NULL;
    f->seq++;
    f->st.records++;
    f->cur_ts = rec->ts;
    f->cur_dev = 0;
    f->cur_attributed = false;
    dfs_result r = dfs_decoder_feed(f->dec, rec);
    if (r != DFS_OK && r != DFS_E_LINKTYPE)
        return r;
    struct inst *in = f->cur_attributed ? inst_find(f, f->cur_dev) : NULL;
    if (in) {
        in->records++;
        in->dirty = true;
    }
    decide_dirty(f);
    if (!in) {
        f->st.unattributed++;
        return DFS_OK;
    }
    if (in->v == V_KEEP && in->id == f->lane.last) {
        f->lane.last_seq = f->seq;
        f->lane.last_ts = rec->ts;
    }
    if (f->q_len == 0 && in->v != V_PENDING) {
        if (in->v == V_KEEP) {
            f->direct = *rec;
            f->has_direct = true;
        } else {
            f->st.dropped++;
        }
        return DFS_OK;
    }
    r = q_push(f, rec, in->id);
    if (r != DFS_OK)
        return r;
    enforce_limits(f);
    return DFS_OK;
}

bool dfs_follower_pop(dfs_follower *f, struct dfs_record *rec)
{
    if (!f || !rec)
        return false;
    free(f->popped);
    f->popped = NULL;
    if (f->has_direct) {
        f->has_direct = false;
        *rec = f->direct;
        f->st.kept++;
        return true;
    }
    while (f->q_len) {
        struct held *h = q_at(f, 0);
        enum verdict v = verdict_of(f, h->inst);
        if (v == V_PENDING)
            return false;
        struct inst *in = inst_find(f, h->inst);
        if (in && in->held)
            in->held--;
        f->q_head = (f->q_head + 1) % f->q_cap;
        f->q_len--;
        f->q_bytes -= h->rec.caplen;
        if (v == V_KEEP) {
            *rec = h->rec;
            f->popped = h->data;
            f->st.kept++;
            return true;
        }
        free(h->data);
        f->st.dropped++;
    }
    return false;
}

dfs_result dfs_follower_finish(dfs_follower *f)
{
    if (!f)
        return DFS_E_INVAL;
    if (f->finished)
        return DFS_OK;
    f->finished = true;
    dfs_result r = dfs_decoder_finish(f->dec);
    decide_dirty(f);
    for (size_t i = 0; i < f->n_insts; i++)
        decide_forced(f, &f->insts[i], "end of the input");
    decide_dirty(f);
    return r == DFS_E_ABORTED ? DFS_OK : r;
}

void dfs_follower_stats(const dfs_follower *f, struct dfs_follower_stats *st)
{
    if (!f || !st)
        return;
    *st = f->st;
    st->held = f->q_len;
    st->instances = f->lane.n_kept;
    st->found = f->lane.found;
    st->dfu_state = f->lane.found ? f->lane.dfu_state : DFS_STATE_UNKNOWN;
    const struct inst *in = f->lane.found ? inst_find((dfs_follower *)f, f->lane.last) : NULL;
    if (in) {
        st->present = !in->gone;
        st->bus = in->bus;
        st->devnum = in->devnum;
        st->vid = in->vid;
        st->pid = in->pid;
    }
}

void dfs_follower_free(dfs_follower *f)
{
    if (!f)
        return;
    while (f->q_len) {
        free(q_at(f, 0)->data);
        f->q_head = (f->q_head + 1) % f->q_cap;
        f->q_len--;
    }
    free(f->q);
    free(f->popped);
    free(f->insts);
    dfs_decoder_free(f->dec);
    free(f);
}
