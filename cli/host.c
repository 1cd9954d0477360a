/* Host recognition (host.h): the marks, their weights, the verdict. */
#include <inttypes.h>
#include <string.h>

#include "host.h"

enum mark {
    M_SETIF_THEN_GETSTATUS, /* SET_INTERFACE, then GETSTATUS as the first DFU request */
    M_STRINGS_BEFORE_SETIF, /* LANGID (255 bytes) and a string just before SET_INTERFACE */
    M_ERROR_CLEARED,        /* opening GETSTATUS dfuERROR, CLRSTATUS, GETSTATUS */
    M_POLL_WAITS,           /* waits the bwPollTimeout a dfuDNBUSY reply asks for */
    M_POLL_NO_WAIT,         /* polls again at once although asked to wait */
    M_EXTRA_STATUS_IDLE,    /* another GETSTATUS after dfuDNLOAD-IDLE was reported */
    M_GET_CONFIGURATION,    /* GET_CONFIGURATION between DFU requests */
    M_LEAVE_SETADDR_W2,     /* DfuSe leave: SET_ADDRESS, then zero-length DNLOAD block 2 */
    M_LEAVE_SETADDR_W0,     /* ... with block 0 */
    M_LEAVE_NO_SETADDR,     /* DfuSe leave with no SET_ADDRESS before it */
    M_SETADDR_EACH_BLOCK,   /* SET_ADDRESS before every data block, each block 2 */
    M_BLOCKS_COUNT_UP,      /* data blocks 3, 4... after one SET_ADDRESS */
    M_FIRST_SETADDR,        /* the first DFU request is a DfuSe SET_ADDRESS */
    M_UPLOAD_AFTER_ABORT,   /* UPLOAD straight after ABORT */
    M_ABORT_STATUS_UPLOAD,  /* ABORT, GETSTATUS, then UPLOAD */
    M_INITIAL_CLRSTATUS,    /* the first DFU request is CLRSTATUS */
    M_FLIP_COMMANDS,        /* Atmel FLIP command blocks in DNLOAD */
    M_ERASE_INTERLEAVED,    /* dfu-util before 0.10: erase, write, erase the next page */
    M_ERASE_FIRST,          /* dfu-util 0.10+: every erase of a run before its writes */
    M_SETCONFIG_AGAIN,      /* SET_CONFIGURATION again after the kernel's */
};

/* per mark: the points it gives each family, the families it rules out
 * (bit per family), its words, and the marks that cancel it (bit per mark):
 * a weak mark, which a stronger sign of the opposite habit outweighs, gives
 * no points and rules nothing out when one of them was seen too */
struct mark_info {
    unsigned char points[HOST__COUNT];
    unsigned excludes;
    const char *words;
    uint32_t cancelled_by;
};

#define BIT(f) (1u << (f))
#define MARK(m) (UINT32_C(1) << (m))
_Static_assert(HOST_MARKS <= 32, "cancelled_by has a bit per mark");

static const struct mark_info marks[HOST_MARKS] = {
    [M_SETIF_THEN_GETSTATUS] = {{[HOST_DFU_UTIL] = 1}, 0,
                                "SET_INTERFACE just before the first GETSTATUS", 0},
    [M_STRINGS_BEFORE_SETIF] = {{[HOST_DFU_UTIL] = 1}, 0,
                                "the language ids (255 bytes) and a string read again just "
                                "before SET_INTERFACE", 0},
    [M_ERROR_CLEARED] = {{[HOST_DFU_UTIL] = 1, [HOST_PYDFU] = 1}, 0,
                         "a dfuERROR found by the first GETSTATUS cleared by CLRSTATUS and "
                         "checked by GETSTATUS", 0},
    /* weak: a host that waits the bwPollTimeout never polls early, but one
     * that never waits looks as if it waited whenever it ran slowly (a
     * loaded machine): one early poll outweighs any number of late ones */
    [M_POLL_WAITS] = {{[HOST_DFU_UTIL] = 1, [HOST_FWUPD] = 1}, BIT(HOST_PYDFU),
                      "waits the bwPollTimeout of a dfuDNBUSY reply before polling again",
                      MARK(M_POLL_NO_WAIT)},
    [M_POLL_NO_WAIT] = {{[HOST_PYDFU] = 1}, BIT(HOST_DFU_UTIL) | BIT(HOST_FWUPD),
                        "polls again at once although the device asked it to wait", 0},
    [M_EXTRA_STATUS_IDLE] = {{[HOST_FWUPD] = 2}, 0,
                             "one more GETSTATUS after the device reported dfuDNLOAD-IDLE", 0},
    [M_GET_CONFIGURATION] = {{[HOST_FWUPD] = 2}, BIT(HOST_DFU_UTIL),
                             "GET_CONFIGURATION between DFU requests", 0},
    [M_LEAVE_SETADDR_W2] = {{[HOST_DFU_UTIL] = 1}, BIT(HOST_PYDFU) | BIT(HOST_FWUPD),
                            "SET_ADDRESS before the zero-length DNLOAD (block 2) that leaves", 0},
    [M_LEAVE_SETADDR_W0] = {{[HOST_PYDFU] = 2}, BIT(HOST_DFU_UTIL) | BIT(HOST_FWUPD),
                            "SET_ADDRESS before a zero-length DNLOAD of block 0 that leaves", 0},
    [M_LEAVE_NO_SETADDR] = {{[HOST_FWUPD] = 1}, BIT(HOST_DFU_UTIL) | BIT(HOST_PYDFU),
                            "a DfuSe leave with no SET_ADDRESS before it", 0},
    [M_SETADDR_EACH_BLOCK] = {{[HOST_DFU_UTIL] = 1, [HOST_PYDFU] = 1}, BIT(HOST_FWUPD),
                              "SET_ADDRESS before every data block, each sent as block 2", 0},
    [M_BLOCKS_COUNT_UP] = {{[HOST_FWUPD] = 1}, BIT(HOST_DFU_UTIL) | BIT(HOST_PYDFU),
                           "data blocks numbered on from 2 after one SET_ADDRESS", 0},
    [M_FIRST_SETADDR] = {{[HOST_CUBEPROG] = 2}, BIT(HOST_DFU_UTIL) | BIT(HOST_FWUPD) |
                                                  BIT(HOST_PYDFU),
                         "a SET_ADDRESS as its first DFU request, with no GETSTATUS before", 0},
    [M_UPLOAD_AFTER_ABORT] = {{[HOST_CUBEPROG] = 1, [HOST_FWUPD] = 1}, BIT(HOST_DFU_UTIL),
                              "UPLOAD straight after ABORT", 0},
    [M_ABORT_STATUS_UPLOAD] = {{[HOST_DFU_UTIL] = 1}, 0,
                               "ABORT and a GETSTATUS that checks dfuIDLE before an UPLOAD", 0},
    [M_INITIAL_CLRSTATUS] = {{[HOST_PYDFU] = 1}, BIT(HOST_DFU_UTIL) | BIT(HOST_FWUPD),
                             "CLRSTATUS as its first DFU request", 0},
    [M_FLIP_COMMANDS] = {{[HOST_DFU_PROGRAMMER] = 2}, BIT(HOST_DFU_UTIL) | BIT(HOST_PYDFU),
                         "Atmel FLIP command blocks in DNLOAD", 0},
    [M_ERASE_INTERLEAVED] = {{0}, 0,
                             "erases each page just before writing it, after the block "
                             "before was written (dfu-util before 0.10)", 0},
    [M_ERASE_FIRST] = {{0}, 0,
                       "erases every page of the download before its first write (dfu-util "
                       "0.10 or later)", 0},
    [M_SETCONFIG_AGAIN] = {{[HOST_PYDFU] = 1}, 0,
                           "SET_CONFIGURATION again after the kernel had configured the "
                           "device (pyusb's set_configuration)", 0},
};

static const char *const family_names[HOST__COUNT] = {
    [HOST_NONE] = "none", [HOST_UNKNOWN] = "unknown", [HOST_DFU_UTIL] = "dfu-util",
    [HOST_FWUPD] = "fwupd", [HOST_DFU_PROGRAMMER] = "dfu-programmer",
    [HOST_CUBEPROG] = "STM32CubeProgrammer", [HOST_PYDFU] = "pydfu-like",
};

static void see(struct host *h, enum mark m, uint64_t frame)
{
    if (!h->mark[m].frame)
        h->mark[m].frame = frame ? frame : 1;
}

void host_init(struct host *h)
{
    memset(h, 0, sizeof *h);
    h->last_cmd = -1;
}

static struct host_dev *dev_of(struct host *h, uint32_t device)
{
    for (unsigned i = 0; i < HOST_DEVS; i++)
        if (h->dev[i].used && h->dev[i].device == device)
            return &h->dev[i];
    unsigned oldest = 0;
    for (unsigned i = 0; i < HOST_DEVS; i++)
        if (!h->dev[i].used) {
            oldest = i;
            break;
        }
    struct host_dev *d = &h->dev[oldest]; /* full: reuse the first slot */
    memset(d, 0, sizeof *d);
    d->used = true;
    d->device = device;
    return d;
}

#define STD_GET_CONFIGURATION 8
#define STD_SET_CONFIGURATION 9
#define STD_SET_INTERFACE 11
#define STD_GET_DESCRIPTOR 6

void host_on_control(struct host *h, const struct dfs_control *c)
{
    if (c->dfu || !c->has_setup)
        return;
    /* standard requests only: to the device or an interface */
    if ((c->setup.bmRequestType & 0x60) != 0 || (c->setup.bmRequestType & 0x1f) > 1)
        return;
    struct host_dev *d = dev_of(h, c->device);
    uint64_t frame = c->submit_frame ? c->submit_frame : c->complete_frame;
    /* the kernel never asks for the configuration at enumeration */
    if (c->setup.bRequest == STD_GET_CONFIGURATION && (!h->n_dfu || h->cur_device == c->device))
        see(h, M_GET_CONFIGURATION, frame);
    if (c->setup.bRequest == STD_SET_CONFIGURATION) {
        /* the kernel's comes before any string but the ones it reads at
         * enumeration; a second one of the same value is the host program's */
        for (unsigned i = 0; i < 3; i++)
            if (d->hist[i] == STD_SET_CONFIGURATION + 1 &&
                d->hist_wvalue[i] == c->setup.wValue)
                see(h, M_SETCONFIG_AGAIN, frame);
    }
    memmove(d->hist + 1, d->hist, 2 * sizeof d->hist[0]);
    memmove(d->hist_wvalue + 1, d->hist_wvalue, 2 * sizeof d->hist_wvalue[0]);
    memmove(d->hist_wlength + 1, d->hist_wlength, 2 * sizeof d->hist_wlength[0]);
    memmove(d->hist_frame + 1, d->hist_frame, 2 * sizeof d->hist_frame[0]);
    d->hist[0] = (uint8_t)(c->setup.bRequest + 1);
    d->hist_wvalue[0] = c->setup.wValue;
    d->hist_wlength[0] = c->setup.wLength;
    d->hist_frame[0] = frame;
    d->dfu_since_std = 0;
    if (c->setup.bRequest == STD_SET_INTERFACE && h->cur_device == c->device)
        h->n_in_session = 0; /* a host program opens the interface: a new session */
}

static bool is_langid_255(const struct host_dev *d, unsigned i)
{
    return d->hist[i] == STD_GET_DESCRIPTOR + 1 && d->hist_wvalue[i] == 0x0300 &&
           d->hist_wlength[i] == 255;
}

/* The first DFU request of a session: how the host opens. */
static void on_first(struct host *h, const struct dfs_dfu_txn *t, struct host_dev *d)
{
    if (t->request == DFS_DFU_GETSTATUS && d->hist[0] == STD_SET_INTERFACE + 1 &&
        d->dfu_since_std == 0) {
        see(h, M_SETIF_THEN_GETSTATUS, d->hist_frame[0]);
        if (d->hist[1] == STD_GET_DESCRIPTOR + 1 && (d->hist_wvalue[1] >> 8) == 3 &&
            is_langid_255(d, 2))
            see(h, M_STRINGS_BEFORE_SETIF, d->hist_frame[2]);
    }
    if (t->request == DFS_DFU_CLRSTATUS)
        see(h, M_INITIAL_CLRSTATUS, t->frame);
    if (t->request == DFS_DFU_DNLOAD && t->dfuse && t->cmd == DFS_DFUSE_SET_ADDRESS &&
        h->first_on_device)
        see(h, M_FIRST_SETADDR, t->frame);
}

static bool flip_command(const struct dfs_dfu_txn *t)
{
    if (t->request != DFS_DFU_DNLOAD || t->dfuse || t->data_len < 2 || t->data_len > 6 ||
        t->length != t->data_len || !t->data)
        return false;
    uint8_t g = t->data[0];
    return g == 0x01 || g == 0x03 || g == 0x04 || g == 0x05 || g == 0x06;
}

static void on_poll(struct host *h, const struct dfs_dfu_txn *t)
{
    if (t->request != DFS_DFU_GETSTATUS || t->poll_wait_us < 0 || t->poll_asked_ms < 5 ||
        !h->have_prev || h->prev.request != DFS_DFU_GETSTATUS ||
        h->prev.outcome != DFS_DFU_ACK)
        return; /* only a GETSTATUS right after the busy reply tells */
    int64_t asked = (int64_t)t->poll_asked_ms * 1000;
    if (t->poll_wait_us >= asked * 9 / 10)
        see(h, M_POLL_WAITS, t->frame);
    else if (t->poll_wait_us < asked / 2)
        see(h, M_POLL_NO_WAIT, t->frame);
}

/* dfu-util 0.10 and later erase every page of an element before writing
 * it; before 0.10 each page was erased just before the block that fills it */
static bool run_erased_first(const struct host *h)
{
    return h->run_writes >= 2 && h->run_erases_before_write >= 2 && !h->run_erase_after_write;
}

static void run_end(struct host *h)
{
    if (run_erased_first(h))
        see(h, M_ERASE_FIRST, h->run_first_erase);
    h->run_written = h->run_erase_after_write = false;
    h->run_erases_before_write = 0;
    h->run_writes = 0;
}

static void on_dfuse(struct host *h, const struct dfs_dfu_txn *t)
{
    if (t->request == DFS_DFU_ABORT) {
        run_end(h);
        h->last_cmd = -1;
        return;
    }
    if (t->request == DFS_DFU_UPLOAD && t->wValue >= 2 && h->have_prev) {
        if (h->prev.request == DFS_DFU_ABORT)
            see(h, M_UPLOAD_AFTER_ABORT, t->frame);
        else if (h->prev.request == DFS_DFU_GETSTATUS && h->prev2_valid &&
                 h->prev2.request == DFS_DFU_ABORT)
            see(h, M_ABORT_STATUS_UPLOAD, h->prev2.frame);
    }
    if (t->request != DFS_DFU_DNLOAD || t->outcome != DFS_DFU_ACK)
        return;
    if (t->leave) {
        run_end(h);
        bool setaddr = h->last_cmd == DFS_DFUSE_SET_ADDRESS && h->cmd_since_write;
        if (!setaddr)
            see(h, M_LEAVE_NO_SETADDR, t->frame);
        else if (t->wValue == 0)
            see(h, M_LEAVE_SETADDR_W0, t->frame);
        else
            see(h, M_LEAVE_SETADDR_W2, t->frame);
        return;
    }
    if (t->wValue == 0 && t->cmd >= 0) {
        if (t->cmd == DFS_DFUSE_ERASE && !t->mass_erase && t->has_address) {
            if (h->run_written)
                h->run_erase_after_write = true;
            if (h->run_written && t->address > h->prev_write_addr &&
                t->address <= h->prev_write_end)
                see(h, M_ERASE_INTERLEAVED, t->frame);
            if (!h->run_written && h->run_erases_before_write++ == 0)
                h->run_first_erase = t->frame;
        }
        h->last_cmd = t->cmd;
        h->cmd_since_write = true;
        return;
    }
    if (t->wValue >= 2 && t->length > 0) { /* a data block */
        if (t->wValue == 2 && h->last_cmd == DFS_DFUSE_SET_ADDRESS && h->cmd_since_write) {
            if (++h->setaddr_blocks == 2)
                see(h, M_SETADDR_EACH_BLOCK, t->frame);
        } else if (t->wValue > 2 && !h->cmd_since_write) {
            see(h, M_BLOCKS_COUNT_UP, t->frame);
        }
        h->run_written = true;
        h->run_writes++;
        h->prev_write_addr = t->has_address ? t->address : 0;
        h->prev_write_end = h->prev_write_addr + t->length;
        h->cmd_since_write = false;
    }
}

void host_on_dfu(struct host *h, const struct dfs_dfu_txn *t)
{
    struct host_dev *d = dev_of(h, t->device);
    if (!h->n_dfu || t->device != h->cur_device) {
        run_end(h);
        h->first_on_device = true;
        h->n_in_session = 0;
        h->have_prev = h->prev2_valid = false;
        h->last_cmd = -1;
        h->cmd_since_write = false;
    }
    h->cur_device = t->device;
    h->n_dfu++;
    if (h->n_in_session++ == 0)
        on_first(h, t, d);
    else if (h->n_in_session == 3 && t->request == DFS_DFU_GETSTATUS && h->prev2_valid &&
             h->prev2.request == DFS_DFU_GETSTATUS && h->prev2.has_state &&
             h->prev2.bState == DFS_STATE_ERROR && h->prev.request == DFS_DFU_CLRSTATUS)
        see(h, M_ERROR_CLEARED, h->prev2.frame);
    h->first_on_device = false;
    if (h->mark[M_INITIAL_CLRSTATUS].frame && !h->after_initial_clrstatus &&
        t->frame > h->mark[M_INITIAL_CLRSTATUS].frame)
        h->after_initial_clrstatus = t->frame;
    d->dfu_since_std++;
    on_poll(h, t);
    if (t->request == DFS_DFU_GETSTATUS && h->have_prev && h->prev.request == DFS_DFU_GETSTATUS &&
        h->prev.has_state && h->prev.bState == DFS_STATE_DNLOAD_IDLE && t->has_state &&
        t->bState == DFS_STATE_DNLOAD_IDLE && h->prev2_valid &&
        h->prev2.request == DFS_DFU_GETSTATUS)
        see(h, M_EXTRA_STATUS_IDLE, t->frame);
    if (flip_command(t)) {
        if (h->flip_first && h->flip_first != t->frame)
            see(h, M_FLIP_COMMANDS, h->flip_first);
        else
            h->flip_first = t->frame;
    }
    if (t->dfuse)
        on_dfuse(h, t);
    h->prev2 = h->prev;
    h->prev2_valid = h->have_prev;
    h->prev = *t;
    h->prev.data = NULL;
    h->prev.data_len = 0;
    h->have_prev = true;
}

static void add_text(char *buf, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= size)
        n = *len + 1 < size ? size - *len - 1 : 0;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Was mark m seen with a mark that cancels it (marks[m].cancelled_by)? */
static bool cancelled(const struct host *h, unsigned m)
{
    for (unsigned c = 0; c < HOST_MARKS; c++)
        if ((marks[m].cancelled_by & MARK(c)) && h->mark[c].frame)
            return true;
    return false;
}

void host_finish(const struct host *h, struct host_result *r)
{
    memset(r, 0, sizeof *r);
    struct host end = *h; /* the download run still open at the end */
    run_end(&end);
    h = &end;
    unsigned score[HOST__COUNT] = {0}, excluded = 0;
    unsigned own[HOST__COUNT] = {0};   /* marks of this host alone */
    bool signature[HOST__COUNT] = {0}; /* a mark worth two points to it */
    for (unsigned m = 0; m < HOST_MARKS; m++) {
        if (!h->mark[m].frame || cancelled(h, m))
            continue;
        excluded |= marks[m].excludes;
        unsigned hosts = 0;
        for (unsigned f = 0; f < HOST__COUNT; f++) {
            score[f] += marks[m].points[f];
            hosts += marks[m].points[f] > 0;
            if (marks[m].points[f] >= 2)
                signature[f] = true;
        }
        for (unsigned f = 0; hosts == 1 && f < HOST__COUNT; f++)
            own[f] += marks[m].points[f] > 0;
    }
    enum host_family best = HOST_UNKNOWN;
    unsigned best_score = 0, second = 0;
    for (unsigned f = HOST_DFU_UTIL; f < HOST__COUNT; f++) {
        if (excluded & BIT(f))
            continue;
        if (score[f] > best_score) {
            second = best_score;
            best_score = score[f];
            best = (enum host_family)f;
        } else if (score[f] > second) {
            second = score[f];
        }
    }
    /* habits several hosts share do not name one: it takes a habit of its
     * own worth two points, or two of its own */
    if (best_score < 2 || best_score == second ||
        (best != HOST_UNKNOWN && !signature[best] && own[best] < 2))
        best = HOST_UNKNOWN;
    if (!h->n_dfu)
        best = HOST_NONE;
    r->family = best;
    r->name = family_names[best];
    r->score = best == HOST_UNKNOWN || best == HOST_NONE ? 0 : best_score;
    if (r->score)
        r->confidence = r->score >= 4 ? "very likely" : "likely";
    r->initial_clrstatus = h->mark[M_INITIAL_CLRSTATUS].frame;
    r->after_initial_clrstatus = h->after_initial_clrstatus;
    r->leave_no_setaddr = h->mark[M_LEAVE_NO_SETADDR].frame;
    if (best == HOST_DFU_UTIL) {
        bool old = h->mark[M_ERASE_INTERLEAVED].frame, new = h->mark[M_ERASE_FIRST].frame;
        if (old && !new) {
            r->version = HOST_VERSION_DFU_UTIL_OLD;
            r->version_text = "before 0.10";
        } else if (new && !old) {
            r->version = HOST_VERSION_DFU_UTIL_NEW;
            r->version_text = "0.10 or later";
        }
    }
    size_t len = 0;
    char tmp[300];
    if (best == HOST_NONE) {
        add_text(r->text, sizeof r->text, &len, "none: no DFU request in the capture");
        return;
    }
    if (best == HOST_UNKNOWN)
        add_text(r->text, sizeof r->text, &len,
                 "unknown: the requests match no known host program closely enough to name one");
    else
        snprintf(tmp, sizeof tmp, "%s%s%s (%s): ", r->name, r->version_text ? " " : "",
                 r->version_text ? r->version_text : "", r->confidence);
    if (best != HOST_UNKNOWN)
        add_text(r->text, sizeof r->text, &len, tmp);
    bool any = false;
    for (unsigned m = 0; m < HOST_MARKS; m++) {
        if (!h->mark[m].frame)
            continue;
        bool counts = best == HOST_UNKNOWN || marks[m].points[best] ||
                      (best == HOST_DFU_UTIL && (m == M_ERASE_INTERLEAVED || m == M_ERASE_FIRST));
        if (!counts)
            continue;
        if (best == HOST_UNKNOWN && !any)
            add_text(r->text, sizeof r->text, &len, "; seen: ");
        snprintf(tmp, sizeof tmp, "%s%s (frame %" PRIu64 ")", any ? "; " : "", marks[m].words,
                 h->mark[m].frame);
        add_text(r->text, sizeof r->text, &len, tmp);
        if (r->n_frames < sizeof r->frames / sizeof r->frames[0])
            r->frames[r->n_frames++] = h->mark[m].frame;
        any = true;
    }
}

void host_json(FILE *f, const struct host_result *r)
{
    fputs("{\"name\":", f);
    json_str(f, r->name);
    fputs(",\"version\":", f);
    json_str(f, r->version_text);
    fputs(",\"confidence\":", f);
    json_str(f, r->confidence);
    fputs(",\"frames\":[", f);
    for (unsigned i = 0; i < r->n_frames; i++)
        fprintf(f, "%s%" PRIu64, i ? "," : "", r->frames[i]);
    fputs("],\"text\":", f);
    json_str(f, r->text);
    fputc('}', f);
}

static bool has_frame(const uint64_t *frames, unsigned n, uint64_t frame)
{
    for (unsigned i = 0; frame && i < n; i++)
        if (frames[i] == frame)
            return true;
    return false;
}

const char *host_note(const struct host_result *r, const char *id, enum dfs_severity sev,
                      const uint64_t *frames, unsigned n_frames, const char *remedy)
{
    if (r->family == HOST_DFU_UTIL && r->version == HOST_VERSION_DFU_UTIL_OLD && remedy &&
        strstr(remedy, "will-reset"))
        return "The host looks like dfu-util before 0.10, which has no :will-reset modifier: "
               "upgrade to dfu-util 0.10 or later to use it (:force works in both).";
    if (sev != DFS_SEV_NOTE && (r->family == HOST_PYDFU || r->family == HOST_UNKNOWN) &&
        (has_frame(frames, n_frames, r->initial_clrstatus) ||
         has_frame(frames, n_frames, r->after_initial_clrstatus)))
        return "The host sent CLRSTATUS before anything else, as older pydfu.py-like hosts do; "
               "ST's USB device middleware answers a CLRSTATUS outside dfuERROR by going to "
               "dfuERROR/errUNKNOWN (known quirk R15): read GETSTATUS first and send CLRSTATUS "
               "only in dfuERROR, as dfu-util and newer pydfu.py do.";
    if (sev != DFS_SEV_NOTE && r->family == HOST_FWUPD &&
        has_frame(frames, n_frames, r->leave_no_setaddr))
        return "The host looks like fwupd, which sends the DfuSe leave without a SET_ADDRESS "
               "before it; devices with known quirk R23 need one (dfu-util and "
               "STM32CubeProgrammer send it).";
    if (r->family == HOST_PYDFU && id && strcmp(id, "dfu.poll-timeout-ignored") == 0)
        return "The host looks like pydfu.py, which never waits bwPollTimeout: after each "
               "command it reads GETSTATUS twice at once and expects dfuDNBUSY, then "
               "dfuDNLOAD-IDLE. STM32 system bootloaders hold the second GETSTATUS until the "
               "work is done, so that works there; a device that answers it at once with "
               "dfuDNBUSY, or stalls it, makes pydfu.py stop (\"DFU: erase failed "
               "(STATE_DFU_DOWNLOAD_BUSY)\"). For such a device use dfu-util, which waits.";
    return NULL;
}
