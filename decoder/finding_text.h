/* The words of every finding (finding_text.c), in the order of the table in
 * include/dfuscope/findings.h. A rule decides that a finding applies and
 * passes the values it saw; the function here owns the explanation and the
 * remedy, and emits the finding (finding.c). Each takes the device instance
 * the finding is about (NULL: none), the frame it is reported on and the
 * frames that prove it (NULL: that frame alone). Internal. */
#ifndef DFS_DECODER_FINDING_TEXT_H
#define DFS_DECODER_FINDING_TEXT_H

#include "dfu_layer.h"

/* ---- the host's side of a failure (host_words.c) ----------------------------------- */

/* The system a capture was made on, from its records' link type: what the
 * host program was told of a failure depends on it. */
enum dfs__host { DFS__HOST_LINUX, DFS__HOST_WINDOWS, DFS__HOST_MACOS, DFS__HOST_BUS };
enum dfs__host dfs__host_of(int linktype);
/* a status as its system names it: "-71 EPROTO", "USBD_STATUS_XACT_ERROR 0xc0000011" */
void dfs__host_status_name(int linktype, int32_t status, uint32_t os_status, char *buf,
                           size_t size);
/* how a request failed, with what libusb reported on that system ("failed
 * with a STALL (...)"); status 1 is no answer at all */
/* The remedy of a cancelled control transfer, in that system's terms */
const char *dfs__host_cancel_remedy(enum dfs__host host);
void dfs__host_failure_words(int linktype, int32_t status, uint32_t os_status, char *buf,
                             size_t size);
/* "stalled (-32 EPIPE, LIBUSB_ERROR_PIPE)" in the system's terms */
void dfs__host_stalled_words(int linktype, uint32_t os_status, char *buf, size_t size);

/* capture.enumeration-missing: a DFU device whose device (no_device) or
 * configuration (no_config) descriptor the capture lacks; frames: its first
 * frame and its first DFU request */
void dfs__say_enumeration_missing(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, bool no_device, bool no_config,
                                  int linktype);
/* dfu.never-opened: dev enumerated in DFU mode (interface ifnum), in place
 * of prev (NULL: on its own), and got no DFU request in quiet_us */
void dfs__say_never_opened(dfs_decoder *d, const struct dfs__device *dev,
                           const struct dfs__frames *fr, uint8_t ifnum,
                           const struct dfs__device *prev, int64_t quiet_us, int linktype);

/* ---- capture file and usbmon records ----------------------------------------- */

/* capture.record-short, capture.bad-header, capture.record-truncated: why
 * the record parser could not decode a record (skipped: not at all). */
void dfs__say_record_problem(dfs_decoder *d, enum dfs_finding_code code, uint64_t frame,
                             const char *why, bool skipped);
/* the end-of-capture tail of a rate-limited capture.* code */
void dfs__say_more_records(dfs_decoder *d, enum dfs_finding_code code, uint64_t more,
                           uint64_t first, uint64_t last);
/* capture.urb-id-reused */
void dfs__say_urb_id_reused(dfs_decoder *d, const struct dfs_urb *u, uint64_t old_frame);
/* capture.starts-mid-transfer */
void dfs__say_starts_mid_transfer(dfs_decoder *d, const struct dfs__frames *fr,
                                  uint64_t unmatched, uint64_t at_start, uint64_t later);
/* capture.urb-never-completed */
void dfs__say_urb_never_completed(dfs_decoder *d, const struct dfs__frames *fr, uint64_t n);
/* capture.limit-reached: too many URBs in flight, OUT data, buses, devices */
void dfs__say_limit_urbs(dfs_decoder *d, const struct dfs_urb *u, uint32_t limit,
                         uint64_t dropped_frame);
void dfs__say_limit_payload(dfs_decoder *d, const struct dfs_urb *u, uint32_t n, size_t held,
                            size_t limit);
void dfs__say_limit_buses(dfs_decoder *d, uint64_t frame, unsigned limit, uint16_t bus);
void dfs__say_limit_devices(dfs_decoder *d, const struct dfs__device *forgotten, uint64_t frame,
                            uint32_t limit);

/* ---- USB ------------------------------------------------------------------------ */

/* Why a device is taken as gone (usb.device-disconnected). */
enum dfs__gone_why {
    DFS__GONE_STATUS,       /* a transfer or submission said so: status */
    DFS__GONE_REENUMERATED, /* the same device enumerated again: by */
    DFS__GONE_ADDRESS_TAKEN, /* a new device was given its address */
};
struct dfs__gone {
    enum dfs__gone_why why;
    const struct dfs_urb *status;   /* DFS__GONE_STATUS */
    const struct dfs__device *by;   /* DFS__GONE_REENUMERATED: the new instance */
};
void dfs__say_device_disconnected(dfs_decoder *d, const struct dfs__device *dev, uint64_t frame,
                                  const struct dfs__gone *gone);
/* usb.transfer-cancelled */
void dfs__say_transfer_cancelled(dfs_decoder *d, const struct dfs_control *ctl);

/* "device 1.6 (0483:df11)", then ", configuration 2" unless config is 0:
 * the device a finding is about, in buf (finding_text.c) */
void dfs__device_words(const struct dfs__device *dev, uint8_t config, char *buf, size_t size);
/* the same as a value, for a finding's format arguments: dfs__who(dev, 0).s */
struct dfs__who {
    char s[64];
};
struct dfs__who dfs__who(const struct dfs__device *dev, uint8_t config);

/* ---- refused requests (finding_text_fail.c) ------------------------------------------ */

/* The CLRSTATUS a stalled DNLOAD came right after (frame 0: none): the state
 * before it, and the quirk family that goes to dfuERROR on it (R15), or NULL */
struct dfs__clr_before {
    uint64_t frame;
    uint8_t state;
    const struct dfs_quirk_family *r15;
};
/* dfu.dnload-stall: the DNLOAD t was STALLed; size, the wTransferSize of the
 * functional descriptor (0: none) */
void dfs__say_dnload_stall(dfs_decoder *d, const struct dfs__device *dev,
                           const struct dfs__frames *fr, const struct dfs_dfu_txn *t,
                           uint16_t size, const struct dfs__clr_before *clr);

/* ---- descriptors (finding_text_desc.c) ---------------------------------------------- */

/* desc.string-not-utf16: string descriptor `index` (role: "iSerialNumber",
 * "iProduct", "iManufacturer" or NULL) holds 8-bit text (raw: the whole
 * descriptor, len bytes), read at frame */
void dfs__say_desc_string_not_utf16(dfs_decoder *d, const struct dfs__device *dev, uint64_t frame,
                                    uint8_t index, const char *role, const uint8_t *raw,
                                    size_t len);
/* The desc.* findings take `config`, the bConfigurationValue of the
 * configuration they are about, to name it; 0 when the device has one. */
/* desc.invalid-length: a descriptor of the configuration is malformed
 * (walk_stopped: the rest of it cannot be walked) */
void dfs__say_desc_invalid_length(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                  uint64_t frame, const char *problem, bool walk_stopped);
void dfs__say_desc_functional_missing(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                      uint64_t frame, uint8_t ifnum, size_t config_len);
void dfs__say_desc_functional_short(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                    uint64_t frame, const char *problem);
void dfs__say_desc_transfer_size_invalid(dfs_decoder *d, const struct dfs__device *dev,
                                         uint8_t config, uint64_t frame, uint8_t ifnum,
                                         uint16_t size);
void dfs__say_desc_dfu_protocol_invalid(dfs_decoder *d, const struct dfs__device *dev,
                                        uint8_t config, uint64_t frame,
                                        const struct dfs_desc_interface *in);
void dfs__say_desc_dfu_version_unknown(dfs_decoder *d, const struct dfs__device *dev,
                                       uint8_t config, uint64_t frame, uint8_t ifnum,
                                       uint16_t version);
void dfs__say_desc_layout_invalid(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                  const struct dfs__alt *a);
/* desc.duplicate-alt-layouts: the alternate settings `same` of interface
 * ifnum advertise one layout string; n alternate settings in all, named of
 * them with their name in the capture */
void dfs__say_desc_duplicate_alt_layouts(dfs_decoder *d, const struct dfs__device *dev,
                                         uint8_t config, uint64_t frame,
                                         const struct dfs__frames *fr, uint8_t ifnum,
                                         const uint8_t *same, unsigned n_same, const char *name,
                                         unsigned n, unsigned named, bool ob_missing);

/* ---- DFU 1.1 ------------------------------------------------------------------------ */

/* What a GETSTATUS that failed with the device still there (or gone) was
 * about: the failure recorded by the device-lost rules. */
void dfs__say_getstatus_stall(dfs_decoder *d, const struct dfs__device *dev,
                              const struct dfs__frames *fr, const struct dfs__lost *l,
                              uint64_t ok_frame);
/* A stall of a GETSTATUS while an operation was pending, answered by the
 * next GETSTATUS with status OK: the device was busy (dfu-quirks.md R2). */
void dfs__say_getstatus_busy_stall(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs__frames *fr, const struct dfs__lost *l,
                                   const struct dfs_dfu_txn *t);
void dfs__say_getstatus_failed(dfs_decoder *d, const struct dfs__device *dev,
                               const struct dfs__frames *fr, const struct dfs__lost *l,
                               uint64_t ok_frame);
/* What became of a device after a failure (device-lost, option-bytes-reset,
 * leave-reset): back is the instance that appeared afterwards (NULL: none in
 * the capture), came what it is (1 the same device in DFU mode, 2 running
 * its application, 3 something else), after the seconds from the failure
 * to its return or to the end of the capture, last those to the last
 * record. */
struct dfs__comeback {
    const struct dfs__device *back;
    int came;
    double after, last;
    bool end_extends;  /* the capture's end time is after its last record */
    bool stayed_away;  /* long enough to say it did not come back */
    /* a packet-level capture's bus event after the failure that proves the
     * device left: its frame and code (DFS_USB_EVENT_BUS_RESET or
     * _VBUS_INVALID), or 0 */
    uint64_t bus_event_frame;
    int bus_event;
};
void dfs__say_device_lost(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs__frames *fr, const struct dfs__lost *l,
                          const struct dfs__comeback *cb);
void dfs__say_poll_timeout_ignored(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs_dfu_txn *t, const struct dfs__frames *fr,
                                   uint64_t busy_frame, bool last_report);
/* a busy episode: its time, the dfuDNBUSY replies, the largest bwPollTimeout
 * they announced, and when the device held polls past it: how many, and
 * what shows it (wire: naks NAKs for held_us; else the polls were answered
 * held_us after they were sent) */
struct dfs__busy_time {
    int64_t busy_us;
    uint32_t polls, max_poll;
    uint32_t held;
    uint32_t naks;
    int64_t held_us;
    bool wire;
};
void dfs__say_poll_timeout_too_short(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs__frames *fr, uint64_t frame,
                                     uint64_t first, const struct dfs__busy_time *b);
void dfs__say_zero_poll_timeout(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs__frames *fr, uint64_t frame, uint32_t polls,
                                uint64_t first);
/* dfu.error-state: raw, len the status string t->iString (NULL: not in the
 * capture) */
void dfs__say_error_state(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs_dfu_txn *t, const uint8_t *raw, size_t len);
/* dfu.no-valid-application: the opening GETSTATUS t said errFIRMWARE, the
 * CLRSTATUS at clr_frame cleared it */
void dfs__say_no_valid_application(dfs_decoder *d, const struct dfs__device *dev,
                                   const struct dfs_dfu_txn *t, uint64_t clr_frame);
void dfs__say_operation_failed(dfs_decoder *d, const struct dfs__device *dev,
                               const struct dfs__frames *fr, const struct dfs__pending *pd,
                               const struct dfs_dfu_txn *t);
/* dfu.state-violation: a request the state does not allow; a reply state
 * the state diagram does not lead to */
void dfs__say_request_not_allowed(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs_dfu_txn *t);
void dfs__say_manifest_wait_reset(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs_dfu_txn *t, uint8_t attributes);
void dfs__say_reply_not_allowed(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs_dfu_txn *t);
/* dfu.stall-without-error-state: a stalled request not followed by
 * dfuERROR; dfuERROR/errSTALLEDPKT without a stall */
void dfs__say_stall_without_error(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, uint8_t req, uint64_t stall_frame,
                                  const struct dfs_dfu_txn *t);
void dfs__say_error_without_stall(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, uint8_t req, uint64_t req_frame,
                                  const struct dfs_dfu_txn *t);
void dfs__say_clrstatus_outside_error(dfs_decoder *d, const struct dfs__device *dev,
                                      const struct dfs_dfu_txn *t);
/* dfu.bad-state-value: in a GETSTATUS reply; in a GETSTATE reply */
void dfs__say_bad_status_values(dfs_decoder *d, const struct dfs__device *dev,
                                const struct dfs_dfu_txn *t);
void dfs__say_bad_getstate_value(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs_dfu_txn *t);
void dfs__say_transfer_size_exceeded(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs_dfu_txn *t, uint16_t allowed);
/* dfu.block-sequence: a block number that does not follow the last one;
 * DfuSe data in block 0 or 1 */
void dfs__say_block_sequence(dfs_decoder *d, const struct dfs__device *dev, bool upload,
                             uint16_t block, uint16_t last, uint64_t frame);
void dfs__say_dfuse_block_number(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs_dfu_txn *t);
/* dfu.request-timeout: us is the time the request waited, -1 when unknown */
void dfs__say_request_timeout(dfs_decoder *d, const struct dfs__device *dev,
                              const struct dfs__frames *fr, const struct dfs_dfu_txn *t,
                              int64_t us);
void dfs__say_runtime_getstatus_stall(dfs_decoder *d, const struct dfs__device *dev,
                                      const struct dfs_dfu_txn *t);

/* ---- DfuSe ------------------------------------------------------------------------------ */

void dfs__say_option_bytes_reset(dfs_decoder *d, const struct dfs__device *dev,
                                 const struct dfs__frames *fr, const struct dfs__lost *l,
                                 const struct dfs__comeback *cb);
void dfs__say_option_bytes_rejected(dfs_decoder *d, const struct dfs__device *dev,
                                    const struct dfs__frames *fr, const struct dfs__pending *pd,
                                    const struct dfs_dfu_txn *t);
void dfs__say_option_bytes_offset_write(dfs_decoder *d, const struct dfs__device *dev,
                                        const struct dfs__frames *fr, uint64_t frame,
                                        uint32_t addr, const struct dfs__ob_ref *ob);
/* dfuse.address-outside-layout: a read, write or erase (need: the access
 * it needs, DFS_MEM_*) at addr; a the alternate setting in use, other one
 * that advertises the address (NULL: none), in_region whether the address
 * is in any region of a's layout at all, refused whether the device
 * STALLed the request (len is then the length asked for) */
void dfs__say_address_outside_layout(dfs_decoder *d, const struct dfs__device *dev,
                                     const struct dfs__frames *fr, uint64_t frame,
                                     uint32_t addr, uint32_t len, uint8_t need,
                                     uint8_t ifnum, const struct dfs__alt *a,
                                     const struct dfs__alt *other, bool in_region,
                                     bool refused);
void dfs__say_leave_reset(dfs_decoder *d, const struct dfs__device *dev,
                          const struct dfs__frames *fr, const struct dfs__lost *l,
                          const struct dfs__comeback *cb);
void dfs__say_erase_instant(dfs_decoder *d, const struct dfs__device *dev,
                            const struct dfs__frames *fr, const struct dfs__pending *pd,
                            const struct dfs_dfu_txn *t);

#endif
