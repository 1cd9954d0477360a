/* The device stage (device.c): device instances, one per bus/device-number
 * lifetime, with the descriptors and strings read from them, followed
 * across address assignment and re-enumeration. Internal. (Not device.h:
 * the tests that include both decoder/ and fixtures/models/ would find the
 * models' device.h.) */
#ifndef DFS_DECODER_DEVICES_H
#define DFS_DECODER_DEVICES_H

#include "internal.h"

#define DFS__MAX_STRINGS 64     /* string descriptors kept per device */
#define DFS__MAX_BUSES 64
#define DFS__MAX_IFACES 32
#define DFS__MAX_CONFIGS 8      /* configurations kept per device (at most bNumConfigurations) */

/* A configuration descriptor set, as GET_DESCRIPTOR(CONFIGURATION, index)
 * read it (the longest read kept; at most 65535 bytes, wTotalLength's range). */
struct dfs__config {
    uint8_t *data;          /* NULL until read */
    size_t len;
    bool partial;           /* fewer bytes than its wTotalLength */
};

struct dfs__string {
    uint8_t index;
    uint16_t langid;
    bool judged;  /* desc.string-not-utf16 given for it */
    uint8_t len;
    uint8_t bytes[255];
};

struct dfs__dfu_dev; /* the DFU layer's (dfu_layer.h) */

struct dfs__device {
    uint32_t id, lane, previous, successor;
    uint32_t link_candidate; /* an earlier instance this may continue, pending its serial */
    bool last_failed;        /* its last control transfer completed with an error */
    uint16_t bus;
    uint8_t devnum;
    bool mapped;            /* reachable through its bus/devnum */
    uint64_t first_frame, last_frame;
    struct dfs_time first_ts, last_ts;
    bool gone;
    uint64_t gone_frame;
    struct dfs_time gone_ts;
    uint8_t devdesc[DFS_DEVICE_DESC_LEN];
    uint8_t devdesc_len;
    bool identified;        /* VID:PID known */
    uint16_t vid, pid;
    struct dfs__config cfg[DFS__MAX_CONFIGS]; /* by descriptor index */
    uint8_t cfg_last;       /* the index of the last one completed (DFS_DEV_CONFIGURED) */
    /* the numbers of the DFU interfaces, a bit each (dfu_class.c): of the
     * configuration in use, else of every complete configuration; worked out
     * at the first DFU-shaped request after a configuration was stored or
     * SET_CONFIGURATION was seen (both clear dfu_ifs_known) */
    bool dfu_ifs_known;
    uint8_t dfu_ifs[32];
    uint8_t *bos;
    size_t bos_len;
    uint8_t qual[DFS_QUALIFIER_DESC_LEN];
    uint8_t qual_len;
    bool qual_stalled;
    struct dfs__string *strings; /* grown as needed, up to DFS__MAX_STRINGS */
    uint16_t n_strings, cap_strings;
    uint16_t langid;
    uint8_t configuration;
    uint8_t alt[DFS__MAX_IFACES];
    struct dfs__dfu_dev *dfu;
    bool used;              /* dfs__device_note_use */
};

struct dfs__bus {
    uint16_t bus;
    struct dfs__device *by_addr[256];
    uint64_t first_paired_frame; /* 0 until a submit/complete pair was seen */
};

/* The first complete submit/completion pair of a bus (for
 * capture.starts-mid-transfer): note it; was there one? */
void dfs__bus_note_paired(dfs_decoder *d, uint16_t bus, uint64_t frame);
bool dfs__bus_paired_before(dfs_decoder *d, uint16_t bus);
/* The instance a URB belongs to: its submit's when paired, else the one at
 * its bus/devnum, or a new one when there is none or the one there has
 * left and this submit starts an enumeration (the one enumerating on
 * address 0 when this first record on a new number asks for the device
 * descriptor: the address was given without a SET_ADDRESS in the
 * capture). NULL when none can be tracked. */
struct dfs__device *dfs__device_of_urb(dfs_decoder *d, const struct dfs_urb *u, bool paired,
                                       uint32_t submit_device);
/* A control transfer completed (or failed to submit): remember whether it failed. */
void dfs__device_note_outcome(struct dfs__device *dev, const struct dfs_control *ctl);
/* A completion whose status says the device is gone (-ENODEV, -ESHUTDOWN). */
void dfs__device_check_gone(dfs_decoder *d, struct dfs__device *dev, const struct dfs_urb *u);
struct dfs__device *dfs__device_by_id(dfs_decoder *d, uint32_t id);
/* The VID:PID and bcdDevice (-1 when the descriptor was cut short) of an
 * identified instance. */
bool dfs__device_ids(dfs_decoder *d, uint32_t id, uint16_t *vid, uint16_t *pid, int32_t *bcd);
void dfs__device_touch(struct dfs__device *dev, uint64_t frame, struct dfs_time ts);
/* A submit beyond enumeration (a class or vendor request, or a transfer on
 * another endpoint than 0): a driver or a program uses the device. */
void dfs__device_note_use(struct dfs__device *dev, const struct dfs_urb *u);
/* Mark a device as having left the bus; `why` says what shows it
 * (finding_text.h), for the usb.device-disconnected note. */
struct dfs__gone;
void dfs__device_mark_gone(dfs_decoder *d, struct dfs__device *dev, uint64_t frame,
                           struct dfs_time ts, const struct dfs__gone *why);
/* Standard-request bookkeeping for one completed control transfer. */
void dfs__device_on_control(dfs_decoder *d, const struct dfs_control *ctl);
void dfs__devices_free(dfs_decoder *d);
/* Forget the instances that left the bus and were linked to their
 * re-enumeration, beyond the DFS_DECODER_KEEP_RETIRED latest. Called
 * between records, when no device pointer is held. */
void dfs__devices_forget_retired(dfs_decoder *d);
/* The complete configuration the device is in (its SET_CONFIGURATION value),
 * else the first complete one it has; NULL when none is complete. */
const struct dfs__config *dfs__device_config_in_use(const struct dfs__device *dev);
/* Does the device show more than one configuration (bNumConfigurations, or
 * the configurations read)? */
bool dfs__device_multi_config(const struct dfs__device *dev);
/* The bConfigurationValue of configuration `index` for a finding to name:
 * 0 when the device has one configuration (findings then do not name it). */
uint8_t dfs__device_config_label(const struct dfs__device *dev, uint8_t index);
const uint8_t *dfs__device_string(const struct dfs__device *dev, uint8_t index, uint16_t langid,
                                  size_t *len);

#endif
