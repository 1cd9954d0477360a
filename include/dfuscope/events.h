/* dfuscope: the typed events the decoder hands to its sink.
 *
 * Events live only for the duration of the callback: copy what you keep.
 * Every event names its frame(s) with Wireshark's 1-based frame numbers.
 */
#ifndef DFUSCOPE_EVENTS_H
#define DFUSCOPE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "findings.h"

#ifdef __cplusplus
extern "C" {
#endif

struct dfs_time {
    int64_t sec;
    uint32_t nsec; /* 0..999999999 */
};

/* Saturating int64 arithmetic for values read from captures: a damaged or
 * hostile record may hold any time stamp, and a result out of range becomes
 * INT64_MIN or INT64_MAX instead of overflowing (undefined behaviour). */
static inline int64_t dfs_sat_add_i64(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static inline int64_t dfs_sat_sub_i64(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* a * k for k > 0 */
static inline int64_t dfs_sat_mul_i64(int64_t a, int64_t k)
{
    if (k <= 0)
        return 0;
    if (a > INT64_MAX / k)
        return INT64_MAX;
    if (a < INT64_MIN / k)
        return INT64_MIN;
    return a * k;
}

/* a - b in units of 1/per_sec s (per_sec divides 10^9), saturated; nsec
 * fields of 10^9 and more (a damaged record's) are taken as they are */
static inline int64_t dfs_time_diff_units(struct dfs_time a, struct dfs_time b, int64_t per_sec)
{
    int64_t whole = dfs_sat_mul_i64(dfs_sat_sub_i64(a.sec, b.sec), per_sec);
    return dfs_sat_add_i64(whole, ((int64_t)a.nsec - (int64_t)b.nsec) / (1000000000 / per_sec));
}

/* a - b in nanoseconds, saturated (about +-292 years fit) */
static inline int64_t dfs_time_diff_ns(struct dfs_time a, struct dfs_time b)
{
    return dfs_time_diff_units(a, b, 1000000000);
}

/* a - b in microseconds, saturated */
static inline int64_t dfs_time_diff_us(struct dfs_time a, struct dfs_time b)
{
    return dfs_time_diff_units(a, b, 1000000);
}

/* t in nanoseconds since the epoch, saturated */
static inline int64_t dfs_time_ns(struct dfs_time t)
{
    return dfs_sat_add_i64(dfs_sat_mul_i64(t.sec, 1000000000), (int64_t)t.nsec);
}

/* One usbmon record (URB event), header fields as usbmon wrote them. */
struct dfs_urb {
    uint64_t frame;
    struct dfs_time ts;    /* capture timestamp of the record */
    uint64_t id;           /* URB id (kernel address), pairs S with C/E */
    char type;             /* 'S', 'C' or 'E' */
    uint8_t xfer_type;     /* enum dfs_xfer_type */
    uint8_t endpoint;      /* with direction bit 0x80 */
    uint8_t devnum;
    uint16_t bus;
    char flag_setup;       /* 0 when setup bytes are present */
    char flag_data;        /* 0 when data is present */
    int64_t urb_ts_sec;    /* the usbmon header's own time stamp */
    int32_t urb_ts_usec;
    int32_t status;        /* negative errno, -115 (EINPROGRESS) on submit */
    uint32_t length;       /* URB length (requested on S, actual on C) */
    uint32_t len_cap;      /* bytes of data the record claims to hold */
    bool has_setup;
    uint8_t setup[8];      /* wire order */
    int32_t iso_error_count, iso_numdesc; /* iso only, in place of setup */
    bool mmapped;          /* 64-byte header: the three fields below are valid */
    int32_t interval, start_frame;
    uint32_t xfer_flags;
    uint32_t ndesc;        /* iso descriptors before the data (the 64-byte header's
                              field; in the 48-byte form from iso_numdesc) */
    const uint8_t *data;   /* data bytes present in the record */
    uint32_t data_len;     /* may be < len_cap when the record is truncated */
    uint64_t link_frame;   /* frame of the matching S (for C/E) or 0 */
    uint32_t device;       /* device instance id, 0 when unknown */
    /* The record's own header where it is not usbmon's. status above holds
     * the Linux errno that means the same, so that every format is judged
     * alike; os_status is the status as the capturing system wrote it. */
    int linktype;          /* the record's link type */
    uint32_t os_status;    /* USBPcap: USBD_STATUS; USB_DARWIN: IOReturn; usbmon: 0 */
    uint16_t function;     /* USBPcap: the URB function */
    uint8_t info;          /* USBPcap: bit 0 set on the way back (PDO to FDO) */
    uint8_t stage;         /* USBPcap: enum dfs_usbpcap_stage */
    uint16_t hdr_len;      /* bytes of the record's header */
    /* USB_DARWIN: the header's version (0x0100, 0x0101), the I/O length,
     * the isochronous frame count, the location id (bus in the top byte,
     * then the port path), the speed and the endpoint type as macOS numbers
     * it (0 control, 1 isochronous, 2 bulk, 3 interrupt) */
    uint16_t version;
    uint32_t io_len, frame_count, location;
    uint8_t speed, os_xfer_type;
    /* packet-level captures (link types 288, 293-295), on a control
     * completion: the NAKs of its data stage and the time they held it (the
     * first NAK to the data packet, or to the last NAK); 0 elsewhere */
    uint32_t naks;
    int64_t nak_us;
};

struct dfs_setup {
    uint8_t bmRequestType, bRequest;
    uint16_t wValue, wIndex, wLength;
};

enum dfs_ctl_end {
    DFS_CTL_COMPLETED = 0,   /* submit and completion both seen */
    DFS_CTL_SUBMIT_ERROR,    /* 'E' record: the submission itself failed */
    DFS_CTL_NO_SUBMIT,       /* completion without its submit (capture start) */
    DFS_CTL_NEVER_COMPLETED, /* submit without completion (end of capture or evicted) */
};

/* A control transfer rebuilt from its submit and completion. */
struct dfs_control {
    uint32_t device;
    uint16_t bus;
    uint8_t devnum, endpoint;
    uint64_t urb_id;
    uint64_t submit_frame, complete_frame; /* 0 when not seen */
    struct dfs_time submit_ts, complete_ts;
    bool has_setup;
    struct dfs_setup setup;
    enum dfs_ctl_end end;
    int32_t status;          /* completion status (negative errno), 0 = OK */
    uint32_t actual_length;  /* URB actual length at completion */
    const uint8_t *data;     /* OUT: data of the submit; IN: data of the completion */
    uint32_t data_len;       /* bytes available at data */
    bool data_partial;       /* fewer bytes captured than transferred */
    bool dfu;                /* a DFU class request to a DFU interface */
    /* the completion's link type and its status as the capturing system
     * wrote it (USBPcap: USBD_STATUS, USB_DARWIN: IOReturn, otherwise 0);
     * linktype 0 when no completion was seen */
    int linktype;
    uint32_t os_status;
    /* packet-level captures: the NAKs of the data stage and the time they
     * held it (struct dfs_urb); 0 on other link types */
    uint32_t naks;
    int64_t nak_us;
};

/* A device instance: one bus/device-number lifetime. */
enum dfs_device_change {
    DFS_DEV_NEW,          /* first seen */
    DFS_DEV_IDENTIFIED,   /* device descriptor known */
    DFS_DEV_CONFIGURED,   /* configuration descriptor known */
    DFS_DEV_GONE,         /* left the bus (disconnect evidence) */
    DFS_DEV_REENUMERATED, /* a new instance continues an earlier one */
};

struct dfs_device_event {
    enum dfs_device_change change;
    uint64_t frame;
    uint32_t device;   /* instance id */
    uint32_t lane;     /* id of the first instance of its re-enumeration chain */
    uint32_t previous; /* for REENUMERATED: the instance it continues */
    uint16_t bus;
    uint8_t devnum;
    uint16_t vid, pid; /* 0 until identified */
};

/* One DFU class request with its reply, and what it did. */
enum dfs_dfu_outcome {
    DFS_DFU_ACK = 0,    /* completed with status 0 */
    DFS_DFU_STALLED,    /* -EPIPE */
    DFS_DFU_BUS_ERROR,  /* -EPROTO, -EILSEQ, -ETIME, ... */
    DFS_DFU_CANCELLED,  /* -ENOENT, -ECONNRESET */
    DFS_DFU_NO_DEVICE,  /* -ENODEV, -ESHUTDOWN */
    DFS_DFU_NO_REPLY,   /* no completion in the capture */
};

struct dfs_dfu_txn {
    uint32_t device, lane;
    uint16_t bus;
    uint8_t devnum;
    uint8_t interface;
    uint8_t alt;             /* current alternate setting, 0 when unknown */
    bool dfuse;              /* DfuSe (bcdDFUVersion 0x011A) semantics applied */
    uint64_t frame;          /* request (submit) frame, or reply frame if no submit */
    uint64_t reply_frame;    /* completion frame, 0 if none */
    struct dfs_time ts, reply_ts;
    uint8_t request;         /* enum dfs_dfu_request */
    uint16_t wValue, wLength;
    uint32_t length;         /* bytes actually transferred */
    int32_t usb_status;
    enum dfs_dfu_outcome outcome;
    /* DfuSe */
    int cmd;                 /* enum dfs_dfuse_cmd, or -1 */
    bool has_address;
    uint32_t address;        /* command argument, or address of a data block */
    bool mass_erase, leave;
    /* Atmel FLIP protocol 1 (dfu-quirks R25); has_address and address give
     * the memory an UPLOAD read */
    bool flip;               /* FLIP semantics applied (a megaAVR 03eb:2fxx bootloader) */
    int flip_cmd;            /* DNLOAD: enum dfs_flip_cmd, or -1 */
    uint32_t flip_start;     /* program, read, blank check: the first byte (flash: with the
                              * 64 KiB page); start jump: the address; select page: the
                              * page; read info: group << 8 | index */
    uint32_t flip_end;       /* program, read, blank check: the last byte */
    /* GETSTATUS / GETSTATE replies */
    bool has_status;         /* a GETSTATUS reply was decoded */
    uint8_t bStatus;
    uint32_t poll_timeout_ms;
    bool has_state;          /* GETSTATUS or GETSTATE told the state */
    uint8_t bState;
    uint8_t iString;
    int64_t poll_wait_us;    /* GETSTATUS: time since the previous busy reply, -1 if none */
    uint32_t poll_asked_ms;  /* ... and the bwPollTimeout that reply asked for */
    uint8_t state_before, state_after; /* tracked; DFS_STATE_UNKNOWN when unknown */
    const uint8_t *data;
    uint32_t data_len;
    /* packet-level captures: the device NAKed the data stage naks times,
     * for nak_us (struct dfs_control); 0 on other link types */
    uint32_t naks;
    int64_t nak_us;
};

/* A memory operation the device executed (DfuSe: at a memory address; plain
 * DFU 1.1: at an offset in the firmware image). Writes and erases are
 * reported when the GETSTATUS that executes them answers; reads when the
 * UPLOAD returns. */
enum dfs_mem_kind {
    DFS_MEM_OP_READ = 0,
    DFS_MEM_OP_WRITE,
    DFS_MEM_OP_ERASE,
    DFS_MEM_OP_MASS_ERASE,
};

struct dfs_mem_op {
    uint32_t device, lane;
    uint8_t interface, alt;
    enum dfs_mem_kind kind;
    bool dfuse;            /* address is a memory address, else an image offset */
    uint32_t address;
    uint32_t length;       /* bytes read/written; page size of an erase, 0 if unknown */
    const uint8_t *data;   /* the bytes (READ/WRITE), may be fewer than length */
    uint32_t data_len;
    bool ok;               /* executed without error */
    uint8_t bStatus;       /* DFU status of the execution, when known */
    uint16_t block;
    uint64_t frame;        /* the DNLOAD/UPLOAD request */
    uint64_t exec_frame;   /* the GETSTATUS that executed it, 0 for reads */
    struct dfs_time ts;
};

#ifdef __cplusplus
}
#endif
#endif
