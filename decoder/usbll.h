/* The record parser of packet-level USB 2.0 captures (link types 288 and
 * 293-295): hardware analyzers such as Cynthion with Packetry, OpenVizsla
 * and iCE40-usbtrace record each packet on the wire from its PID byte on.
 * Internal; tests may include it.
 *
 *   usbll.c      one packet: PID check, length, CRC5 / CRC16; the packets
 *                of one transaction (SPLIT, token, data, handshake) put
 *                together; bad and stray packets as findings
 *   usbll_ctl.c  control transfers rebuilt from the transactions on
 *                endpoint 0 (setup, data stage with retries, status stage
 *                or STALL) and handed on as a submit and a completion, the
 *                same URB events a usbmon capture gives
 *
 * The state is one flat struct (link.c allocates it with the decoder); the
 * data of control transfers in progress lives in a buffer allocated when
 * the first packet-level record arrives. */
#ifndef DFS_DECODER_USBLL_H
#define DFS_DECODER_USBLL_H

#include "state.h"

/* PIDs, the whole byte (low nibble the PID, high nibble its complement) */
enum {
    DFS__PID_OUT = 0xE1,
    DFS__PID_IN = 0x69,
    DFS__PID_SOF = 0xA5,
    DFS__PID_SETUP = 0x2D,
    DFS__PID_DATA0 = 0xC3,
    DFS__PID_DATA1 = 0x4B,
    DFS__PID_DATA2 = 0x87,
    DFS__PID_MDATA = 0x0F,
    DFS__PID_ACK = 0xD2,
    DFS__PID_NAK = 0x5A,
    DFS__PID_STALL = 0x1E,
    DFS__PID_NYET = 0x96,
    DFS__PID_PRE_ERR = 0x3C,
    DFS__PID_SPLIT = 0x78,
    DFS__PID_PING = 0xB4,
    DFS__PID_EXT = 0xF0,
};

#define DFS__USBLL_MAX_DATA 1024 /* largest data payload (high-speed iso) */
#define DFS__USBLL_CTL_SLOTS 4   /* control transfers in progress at once */
#define DFS__USBLL_CTL_DATA 65535 /* largest control data stage (wLength) */
#define DFS__USBLL_BUS_EVENTS 32  /* bus resets and VBUS losses remembered */

/* One transaction as the bus carried it. */
struct dfs__usbll_txn {
    uint8_t token;        /* SETUP, IN, OUT or PING */
    uint8_t addr, ep;
    bool split;           /* preceded by a SPLIT token */
    bool split_complete;  /* the SPLIT was a complete-split (CSPLIT) */
    uint8_t split_hub, split_port, split_et; /* ET: 0 control .. 3 interrupt */
    bool split_low_speed;
    bool has_data;
    uint8_t data_pid;
    uint16_t data_len;
    const uint8_t *data;  /* valid during the callback only */
    uint8_t handshake;    /* ACK, NAK, STALL, NYET, ERR, or 0 for none */
    /* its data packet is in the capture but bad (CRC16, cut short, too
     * long) and left out: lost_len bytes (0: unknown) at lost_frame */
    bool data_lost;
    uint32_t lost_len;
    uint64_t lost_frame;
    uint64_t first_frame, last_frame;
    struct dfs_time first_ts, last_ts;
};

/* A control transfer in progress on one device address. */
struct dfs__usbll_ctl {
    bool used;
    uint8_t addr;
    bool submitted;       /* its submit URB has gone out */
    bool in_status;       /* the data stage is over */
    uint8_t setup[8];
    uint64_t setup_frame;
    struct dfs_time setup_ts;
    uint64_t urb_id;
    uint32_t len;         /* data-stage bytes so far (at offset slot * DFS__USBLL_CTL_DATA) */
    int8_t last_toggle;   /* data PID of the last data-stage packet kept, -1: none */
    /* a data-stage packet went through on the bus but not into the capture
     * (damaged in it, or missing): the data after it is not kept; lost_len
     * bytes moved that are not kept; the first such packet at lost_frame,
     * lost_first_len bytes (0: unknown), lost_in_capture: there, damaged */
    bool lost, lost_in_capture;
    bool had_data;        /* a data-stage transaction went through */
    uint32_t lost_len, lost_first_len;
    uint64_t lost_frame;
    /* the device NAKed the data stage naks times; nak_us: the time the
     * NAK runs held it, each from its first NAK to the data packet that
     * ended it; a run still open started at nak_first, its last NAK at
     * nak_last */
    uint32_t naks;
    bool nak_run;
    int64_t nak_us;
    struct dfs_time nak_first, nak_last;
    uint64_t age;
};

/* What a start-split carried to the hub (a SETUP or OUT with its data),
 * until the complete-split says whether the device took it. */
#define DFS__USBLL_SPLIT_DATA 64 /* full- and low-speed control packets */
struct dfs__usbll_split_out {
    bool used;
    uint8_t token, addr, ep, data_pid;
    uint8_t len;
    uint8_t data[DFS__USBLL_SPLIT_DATA];
};

struct dfs__usbll_state {
    /* the transaction being put together */
    bool open;            /* a token was seen */
    bool pending_split;   /* a SPLIT waits for its token */
    struct dfs__usbll_txn t;
    uint8_t data[DFS__USBLL_MAX_DATA];
    /* control transfers */
    struct dfs__usbll_ctl ctl[DFS__USBLL_CTL_SLOTS];
    struct dfs__usbll_split_out split_out;
    uint8_t *ctl_data;    /* DFS__USBLL_CTL_SLOTS * DFS__USBLL_CTL_DATA, or NULL */
    uint64_t next_urb_id, age;
    uint64_t packets, sofs, transactions, events;
    /* the latest bus resets and losses of VBUS (Packetry's event blocks),
     * oldest first, for the rules that must know whether a device left */
    struct {
        uint64_t frame;
        uint8_t code;
    } bus_events[DFS__USBLL_BUS_EVENTS];
    unsigned n_bus_events;
    /* for tests: every transaction as it ends */
    void (*on_txn)(void *user, const struct dfs__usbll_txn *t);
    void *on_txn_user;
};

/* usbll.c: the parser of link types 288, 293-295 and DFS_RECORD_USB_EVENT */
void dfs__usbll_feed(dfs_decoder *d, void *state, const struct dfs_record *rec);
void dfs__usbll_finish(dfs_decoder *d, void *state);
void dfs__usbll_release(dfs_decoder *d, void *state);
/* The name of a PID byte ("SETUP"), or NULL when its check nibble is wrong
 * or the PID is not one USB 2.0 defines. */
const char *dfs__usb_pid_name(uint8_t pid);

/* The first bus reset or loss of VBUS recorded after frame `after` and
 * before frame `before`: its frame (and its code in *code), or 0. s: the
 * parser's state (dfs__link_state(d, DFS_LINKTYPE_USB_2_0)), or NULL. */
uint64_t dfs__usbll_bus_event_after(const struct dfs__usbll_state *s, uint64_t after,
                                    uint64_t before, int *code);

/* usbll_ctl.c: one finished transaction; the end of the capture */
void dfs__usbll_ctl_txn(dfs_decoder *d, struct dfs__usbll_state *s,
                        const struct dfs__usbll_txn *t);
void dfs__usbll_ctl_finish(dfs_decoder *d, struct dfs__usbll_state *s);

#endif
