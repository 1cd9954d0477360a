/* dfuscope: the streaming usbmon decoder.
 *
 * Push style: create a decoder with options and a sink, feed it one record at
 * a time, then finish. It never reads files, keeps memory bounded by its
 * options, and never stops on bad input: a malformed record becomes a finding
 * naming its frame and decoding goes on with the next one.
 *
 *   struct dfs_options opt;  dfs_options_init(&opt);
 *   struct dfs_sink sink = { .user = me, .on_control = print_control };
 *   dfs_decoder *d;
 *   if (dfs_decoder_new(&opt, &sink, &d) != DFS_OK) ...
 *   for each record: dfs_decoder_feed(d, &rec);
 *   dfs_decoder_finish(d);
 *   dfs_decoder_free(d);
 */
#ifndef DFUSCOPE_DECODER_H
#define DFUSCOPE_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "descriptors.h"
#include "dfuse.h"
#include "events.h"
#include "findings.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfs_decoder dfs_decoder;

/* One capture record. The decoder never keeps the data pointer. */
enum dfs_byte_order {
    DFS_ORDER_HOST = 0, /* what libpcap and Wireshark deliver */
    DFS_ORDER_LITTLE,
    DFS_ORDER_BIG,
};

/* The byte order of this host: DFS_ORDER_LITTLE or DFS_ORDER_BIG. */
DFS_API enum dfs_byte_order dfs_host_byte_order(void);

struct dfs_record {
    uint64_t frame;       /* 1-based, as Wireshark numbers frames */
    struct dfs_time ts;
    int linktype;         /* DFS_LINKTYPE_USB_LINUX or ..._MMAPPED */
    enum dfs_byte_order order; /* of the multi-byte usbmon header fields:
                                  the capturing host's order */
    uint32_t caplen;      /* bytes at data */
    uint32_t origlen;     /* length on the wire */
    const uint8_t *data;
};

/* Optional allocator hook (for out-of-memory tests and embedding). */
struct dfs_allocator {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
};

struct dfs_options {
    size_t size;                 /* sizeof(struct dfs_options), set by init */
    uint32_t max_urbs;           /* outstanding URBs kept (default 4096) */
    uint32_t max_devices;        /* device instances kept (default 256) */
    size_t max_payload;          /* payload bytes kept for outstanding URBs (default 16 MiB) */
    const struct dfs_allocator *alloc; /* NULL: malloc/realloc/free */
};

DFS_API void dfs_options_init(struct dfs_options *opt);

/* Callbacks; NULL means not interested. Return 0 to go on, non-zero to stop:
 * the feed or finish call then returns DFS_E_ABORTED. */
struct dfs_sink {
    void *user;
    int (*on_urb)(void *user, const struct dfs_urb *urb);
    int (*on_control)(void *user, const struct dfs_control *ctl);
    int (*on_device)(void *user, const struct dfs_device_event *ev);
    int (*on_dfu)(void *user, const struct dfs_dfu_txn *txn);
    int (*on_mem)(void *user, const struct dfs_mem_op *op);
    int (*on_finding)(void *user, const struct dfs_finding *f);
};

/* Counters, for summaries. */
struct dfs_stats {
    uint64_t records;         /* records fed */
    uint64_t records_skipped; /* records that could not be decoded at all */
    uint64_t records_damaged; /* decoded, but truncated or inconsistent */
    uint64_t urbs_paired;
    uint64_t urbs_unmatched;  /* completions without their submit */
    uint64_t urbs_evicted;    /* dropped because max_urbs was reached */
    uint64_t urbs_open;       /* submits without completion (after finish) */
    uint64_t controls;
    uint64_t dfu_txns;
    uint64_t findings[3];     /* by severity */
    uint32_t devices;         /* device instances seen */
    /* instances forgotten: ones that left the bus and whose re-enumeration
     * was linked, beyond the DFS_DECODER_KEEP_RETIRED latest (kept flat
     * memory on captures of many sessions) */
    uint32_t devices_forgotten;
};

/* Device instances that left the bus and were linked to the instance they
 * re-enumerated as are kept up to this many (the latest); older ones are
 * forgotten, once nothing in the decoder waits on them, and counted in
 * dfs_stats.devices_forgotten. Live instances and ones never linked count
 * against max_devices instead. */
#define DFS_DECODER_KEEP_RETIRED 16

/* Returns DFS_OK (and *out), DFS_E_INVAL (NULL or bad options) or DFS_E_NOMEM. */
DFS_API dfs_result dfs_decoder_new(const struct dfs_options *opt, const struct dfs_sink *sink,
                                   dfs_decoder **out);

/* Decode one record. Returns DFS_OK also for malformed records (they become
 * findings); DFS_E_LINKTYPE for a link type it does not read
 * (dfs_decoder_reads_linktype; the record is skipped, decoding may go on);
 * DFS_E_ABORTED when a callback asked to stop; DFS_E_NOMEM; DFS_E_STATE after
 * finish or a sticky error. */
DFS_API dfs_result dfs_decoder_feed(dfs_decoder *d, const struct dfs_record *rec);
/* Whether the decoder reads records of this link type: 189 and 220 (Linux
 * usbmon), 249 (Windows USBPcap), 266 (macOS USB_DARWIN), 288 and 293-295
 * (USB 2.0 packets of a hardware analyzer). */
DFS_API bool dfs_decoder_reads_linktype(int linktype);

/* The capture went on until `end`: a pcapng file's interface statistics
 * (isb_endtime) or a live capture's stop time say so, and it can be well
 * after the last record (a host waiting for a device that never comes back
 * puts nothing on the bus). The end-of-capture rules then count the time
 * until `end` ("the capture went on for 10.2 s after the failure and the
 * device did not come back"). Call it before dfs_decoder_finish. An end
 * earlier than the last record fed is not used: the later of the two
 * counts. Returns DFS_OK, DFS_E_INVAL (d NULL, nsec out of range) or
 * DFS_E_STATE (after finish). */
DFS_API dfs_result dfs_decoder_capture_end(dfs_decoder *d, struct dfs_time end);

/* The end time given by dfs_decoder_capture_end(), when it is not earlier
 * than the last record: DFS_OK and *out, else DFS_E_NOTFOUND. */
DFS_API dfs_result dfs_decoder_end_time(const dfs_decoder *d, struct dfs_time *out);

/* End of capture: report what is still open, run end-of-capture rules. */
DFS_API dfs_result dfs_decoder_finish(dfs_decoder *d);

/* Forget everything fed so far (options and sink stay). */
DFS_API void dfs_decoder_reset(dfs_decoder *d);
DFS_API void dfs_decoder_free(dfs_decoder *d);

DFS_API const struct dfs_stats *dfs_decoder_stats(const dfs_decoder *d);

/* Last API error: code and a message naming the frame when there is one. */
DFS_API dfs_result dfs_decoder_error(const dfs_decoder *d, const char **msg);

/* Devices seen so far. Pointers stay valid until the next feed/finish/reset. */
struct dfs_device_info {
    uint32_t id, lane, previous;
    uint16_t bus;
    uint8_t devnum;
    uint64_t first_frame, last_frame;
    struct dfs_time first_ts, last_ts;
    bool gone;
    uint64_t gone_frame;
    bool has_device_desc;        /* desc parsed from at least 8 bytes */
    bool device_desc_complete;   /* all 18 bytes seen */
    struct dfs_desc_device desc;
    const uint8_t *config;       /* raw configuration descriptor set, or NULL */
    size_t config_len;
    bool config_partial;         /* fewer bytes than wTotalLength */
    const uint8_t *bos;
    size_t bos_len;
    const uint8_t *qualifier;    /* device qualifier, or NULL */
    size_t qualifier_len;
    bool qualifier_stalled;      /* GET_DESCRIPTOR(DEVICE_QUALIFIER) stalled */
    uint8_t configuration;       /* from SET_CONFIGURATION, 0 = unknown/unconfigured */
    uint16_t langid;             /* first LANGID of string 0, 0 if unknown */
};

DFS_API size_t dfs_decoder_device_count(const dfs_decoder *d);
/* Returns DFS_OK, DFS_E_NOTFOUND (index out of range). */
DFS_API dfs_result dfs_decoder_device_info(const dfs_decoder *d, size_t index,
                                           struct dfs_device_info *out);
/* Raw bytes of string descriptor `index` of device instance `device` (any
 * language when langid is 0). Returns DFS_OK or DFS_E_NOTFOUND. */
DFS_API dfs_result dfs_decoder_device_string(const dfs_decoder *d, uint32_t device,
                                             uint8_t index, uint16_t langid,
                                             const uint8_t **raw, size_t *len);

/* Configuration descriptor set `index` (the GET_DESCRIPTOR index: 0 for the
 * first; dfs_device_info.config is index 0) of device instance `device`:
 * the longest read the capture holds, *partial when it is shorter than its
 * wTotalLength. Indexes at or beyond the device's bNumConfigurations, and
 * beyond 7, are not kept. Returns DFS_OK, DFS_E_INVAL, or DFS_E_NOTFOUND (no
 * such device, or that configuration is not in the capture). */
DFS_API dfs_result dfs_decoder_device_config(const dfs_decoder *d, uint32_t device,
                                             uint8_t index, const uint8_t **raw, size_t *len,
                                             bool *partial);

/* What the decoder knows of the DFU side of a device instance. */
#define DFS_DFU_MAX_ALTS 16
struct dfs_dfu_alt_info {
    uint8_t interface, alt, protocol, iInterface;
    bool has_name;            /* the iInterface string is in the capture */
    char name[256];           /* UTF-8 */
    uint64_t name_frame;      /* frame that returned it */
    bool layout_parsed;       /* name is a DfuSe layout that parsed */
    struct dfs_layout layout;
    char layout_error[128];   /* why it did not parse (when it starts with '@') */
    uint8_t configuration;    /* bConfigurationValue of the configuration it is in */
};

struct dfs_dfu_info {
    bool present;             /* a DFU interface was found */
    bool from_descriptor;     /* found in the configuration descriptor, else by its requests */
    uint8_t interface;
    bool runtime;             /* bInterfaceProtocol 1 */
    bool has_functional;
    struct dfs_desc_dfu_functional functional;
    uint32_t transfer_size;   /* 0 when unknown */
    bool transfer_size_inferred; /* from the largest block seen, not the descriptor */
    bool dfuse;
    bool flip;                /* Atmel FLIP protocol 1: command blocks in DNLOAD (R25) */
    uint8_t state;            /* last tracked DFU state, DFS_STATE_UNKNOWN if none */
    bool address_valid;
    uint32_t address;         /* DfuSe address pointer */
    unsigned n_alts;
    struct dfs_dfu_alt_info alts[DFS_DFU_MAX_ALTS];
};

/* DFU view of device instance `device`. Returns DFS_OK (out->present tells
 * whether it has a DFU interface), DFS_E_NOTFOUND or DFS_E_INVAL. */
DFS_API dfs_result dfs_decoder_dfu_info(const dfs_decoder *d, uint32_t device,
                                        struct dfs_dfu_info *out);

/* Human-readable one-line summary of a control transfer's request and data
 * ("GET_DESCRIPTOR DEVICE", "SET_ADDRESS 6", "DFU GETSTATUS"), written into
 * buf (always NUL-terminated). Returns the length written. */
DFS_API size_t dfs_control_request_str(const struct dfs_control *ctl, char *buf, size_t size);
DFS_API size_t dfs_control_data_str(const struct dfs_control *ctl, char *buf, size_t size);

/* A DFU transaction in words: the one formatter of every front end (the
 * command line, the report, the Wireshark plugin), so that they cannot
 * disagree. Each writes into buf (always NUL-terminated, cut to size) and
 * returns the length written.
 *   request  "DNLOAD block 2 -> 0x08000000 (2048 B)", "DNLOAD SET_ADDRESS 0x08000000"
 *   reply    "dfuDNBUSY, poll 40 ms", "ACK -> dfuDNLOAD-SYNC", "STALL (now dfuERROR)"
 *   str      both on one line, joined by a right arrow (U+2192, in UTF-8)
 *   brief    the packet-list form, of the request (reply false) or of its
 *            reply: "DNLOAD block 2", an arrow, "0x08000000 (2048 B)";
 *            "GETSTATUS dfuDNBUSY poll 40 ms", "DNLOAD STALL" */
DFS_API size_t dfs_dfu_txn_request_str(const struct dfs_dfu_txn *t, char *buf, size_t size);
DFS_API size_t dfs_dfu_txn_reply_str(const struct dfs_dfu_txn *t, char *buf, size_t size);
DFS_API size_t dfs_dfu_txn_str(const struct dfs_dfu_txn *t, char *buf, size_t size);
DFS_API size_t dfs_dfu_txn_brief_str(const struct dfs_dfu_txn *t, bool reply, char *buf,
                                     size_t size);
/* "ACK", "STALL", "bus error", "cancelled", "no device", "no reply" */
DFS_API const char *dfs_dfu_outcome_name(enum dfs_dfu_outcome outcome);

/* Encode one usbmon record (header then data) as usbmon writes it, header
 * fields in the given byte order (DFS_ORDER_HOST for host order). Uses the
 * setup bytes when u->flag_setup is 0, the iso fields otherwise; writes
 * zeroed iso descriptors before the data: u->ndesc of them in the 64-byte
 * form, and in the 48-byte form (which has no ndesc field) as many as a
 * reader expects there, iso_numdesc up to 128 for isochronous records.
 * Returns the record length, or 0 when out_size is too small or the link
 * type is not usbmon. */
/* Render one usbmon URB event (as dfs_usbmon_encode takes it) as the record
 * another system's capture would hold for it, so that one session can be
 * written in every format. USBPcap (1.5 and later): a control submit as a
 * SETUP record (setup packet, then OUT data), its completion as a COMPLETE
 * record (IN data), other transfers as a submit and a completion with their
 * data; statuses as USBD_STATUS codes. USB_DARWIN (version 1.0): a control
 * submit with the setup packet and any OUT data, a completion with the IN
 * data, other transfers with their data where usbmon has it; statuses as
 * IOReturn codes; the bus in the location id's top byte. Returns the record
 * length, or 0 when out_size is too small or the URB cannot be rendered (a
 * bus or device number the format cannot hold). */
DFS_API size_t dfs_usbpcap_encode(const struct dfs_urb *u, uint8_t *out, size_t out_size);
DFS_API size_t dfs_darwin_encode(const struct dfs_urb *u, uint8_t *out, size_t out_size);
DFS_API size_t dfs_usbmon_encode(const struct dfs_urb *u, int linktype, enum dfs_byte_order order,
                                 uint8_t *out, size_t out_size);

/* Copy a usbmon record with its header fields (and isochronous descriptors)
 * in this host's byte order, the order dfs_capwriter files are in: records
 * read from a capture made on a host of the other byte order can then be
 * written out. Fields that the record cuts off are copied as they are.
 * Returns rec->caplen, or 0 when out_size is too small. */
DFS_API size_t dfs_usbmon_host_order(const struct dfs_record *rec, uint8_t *out,
                                     size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
