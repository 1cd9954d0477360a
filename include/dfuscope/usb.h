/* dfuscope: USB chapter 9 and usbmon constants, with their names.
 * The single place these numbers are spelled out (USB 2.0 ch. 9; Linux
 * Documentation/usb/usbmon.rst; dfu-facts.md section 5). */
#ifndef DFUSCOPE_USB_H
#define DFUSCOPE_USB_H

#include <stdint.h>
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* usbmon link types (tcpdump.org link-layer header types) */
#define DFS_LINKTYPE_USB_LINUX 189         /* 48-byte usbmon header */
#define DFS_LINKTYPE_USB_LINUX_MMAPPED 220 /* 64-byte usbmon header */
/* packet-level USB 2.0 captures (hardware analyzers): one packet per record
 * from its PID byte on; the speed in the link type, or unknown (288) */
#define DFS_LINKTYPE_USB_2_0 288
#define DFS_LINKTYPE_USB_2_0_LOW_SPEED 293
#define DFS_LINKTYPE_USB_2_0_FULL_SPEED 294
#define DFS_LINKTYPE_USB_2_0_HIGH_SPEED 295
/* Not a link type: a bus event of a packet-level capture (Packetry's pcapng
 * event blocks), which the capture reader hands on as a record of its own
 * holding one byte, the event code (enum dfs_usb_event). Frame numbers and
 * time stamps are the block's. */
#define DFS_RECORD_USB_EVENT 0x10120
enum dfs_usb_event {
    DFS_USB_EVENT_CAPTURE_STOP = 1,      /* 1-3: requested, buffer full, error */
    DFS_USB_EVENT_CAPTURE_START_HS = 4,  /* 4-7: high, full, low, automatic speed */
    DFS_USB_EVENT_SPEED_HS = 8,          /* 8-11: speed changed to high, full, low, auto */
    DFS_USB_EVENT_LINE_SE0 = 12,         /* 12-20: line states */
    DFS_USB_EVENT_VBUS_INVALID = 21,
    DFS_USB_EVENT_VBUS_VALID = 22,
    DFS_USB_EVENT_LS_ATTACH = 23,
    DFS_USB_EVENT_FS_ATTACH = 24,
    DFS_USB_EVENT_BUS_RESET = 25,
    DFS_USB_EVENT_DEVICE_CHIRP = 26,
    DFS_USB_EVENT_HOST_CHIRP = 27,
    DFS_USB_EVENT_SUSPEND = 28,
    DFS_USB_EVENT_RESUME = 29,
    DFS_USB_EVENT_LS_KEEPALIVE = 30,
};
#define DFS_USBMON_HDR_LEN 48
#define DFS_USBMON_MMAPPED_HDR_LEN 64
#define DFS_USBMON_ISODESC_LEN 16
/* Windows USBPcap (a packed little-endian pseudo header of 27 bytes, 28 for
 * control transfers, which add the stage byte) and macOS USB_DARWIN */
#define DFS_LINKTYPE_USBPCAP 249
#define DFS_LINKTYPE_USB_DARWIN 266
#define DFS_DARWIN_HDR_LEN 32 /* version 1.0; 1.1 is longer: follow its length byte */
#define DFS_USBPCAP_HDR_LEN 27
#define DFS_USBPCAP_CONTROL_HDR_LEN 28
#define DFS_USBPCAP_XFER_IRP_INFO 0xfe /* an IRP without data (USBPcap's "unknown") */
enum dfs_usbpcap_stage {
    DFS_USBPCAP_STAGE_SETUP = 0,
    DFS_USBPCAP_STAGE_DATA = 1,
    DFS_USBPCAP_STAGE_STATUS = 2,
    DFS_USBPCAP_STAGE_COMPLETE = 3,
    DFS_USBPCAP_STAGE_NONE = 0xff, /* not a control record */
};

enum dfs_xfer_type {
    DFS_XFER_ISO = 0,
    DFS_XFER_INTERRUPT = 1,
    DFS_XFER_CONTROL = 2,
    DFS_XFER_BULK = 3,
};

/* usbmon event types */
#define DFS_URB_SUBMIT 'S'
#define DFS_URB_COMPLETE 'C'
#define DFS_URB_ERROR 'E'
/* A record that carries a further part of a transfer whose submit or
 * completion another record holds (USBPcap's separate DATA-stage and
 * STATUS-stage records, its IRP_INFO records): never paired on its own */
#define DFS_URB_PART 'P'

#define DFS_ENDPOINT_DIR_IN 0x80

/* bmRequestType */
#define DFS_REQTYPE_DIR_IN 0x80
#define DFS_REQTYPE_TYPE_MASK 0x60
#define DFS_REQTYPE_STANDARD 0x00
#define DFS_REQTYPE_CLASS 0x20
#define DFS_REQTYPE_VENDOR 0x40
#define DFS_REQTYPE_RECIP_MASK 0x1f
#define DFS_REQTYPE_RECIP_DEVICE 0x00
#define DFS_REQTYPE_RECIP_INTERFACE 0x01
#define DFS_REQTYPE_RECIP_ENDPOINT 0x02

/* X(name, value) standard requests */
#define DFS_STD_REQUEST_MAP(X)                                                \
    X(GET_STATUS, 0)                                                          \
    X(CLEAR_FEATURE, 1)                                                       \
    X(SET_FEATURE, 3)                                                         \
    X(SET_ADDRESS, 5)                                                         \
    X(GET_DESCRIPTOR, 6)                                                      \
    X(SET_DESCRIPTOR, 7)                                                      \
    X(GET_CONFIGURATION, 8)                                                   \
    X(SET_CONFIGURATION, 9)                                                   \
    X(GET_INTERFACE, 10)                                                      \
    X(SET_INTERFACE, 11)                                                      \
    X(SYNCH_FRAME, 12)

enum dfs_std_request {
#define DFS_STD_REQ_ENUM(name, value) DFS_REQ_##name = value,
    DFS_STD_REQUEST_MAP(DFS_STD_REQ_ENUM)
#undef DFS_STD_REQ_ENUM
};

/* X(name, value) descriptor types */
#define DFS_DESC_TYPE_MAP(X)                                                  \
    X(DEVICE, 1)                                                              \
    X(CONFIGURATION, 2)                                                       \
    X(STRING, 3)                                                              \
    X(INTERFACE, 4)                                                           \
    X(ENDPOINT, 5)                                                            \
    X(DEVICE_QUALIFIER, 6)                                                    \
    X(OTHER_SPEED_CONFIGURATION, 7)                                           \
    X(INTERFACE_POWER, 8)                                                     \
    X(OTG, 9)                                                                 \
    X(DEBUG, 10)                                                              \
    X(INTERFACE_ASSOCIATION, 11)                                              \
    X(BOS, 15)                                                                \
    X(DEVICE_CAPABILITY, 16)                                                  \
    X(HID, 0x21)                                                              \
    X(REPORT, 0x22)                                                           \
    X(CS_INTERFACE, 0x24)                                                     \
    X(CS_ENDPOINT, 0x25)                                                      \
    X(SS_ENDPOINT_COMPANION, 48)

enum dfs_desc_type {
#define DFS_DESC_TYPE_ENUM(name, value) DFS_DT_##name = value,
    DFS_DESC_TYPE_MAP(DFS_DESC_TYPE_ENUM)
#undef DFS_DESC_TYPE_ENUM
};

/* The DFU functional descriptor shares type 0x21 with HID; which one it is
 * depends on the interface it follows. */
#define DFS_DT_DFU_FUNCTIONAL 0x21

/* Feature selectors */
#define DFS_FEATURE_ENDPOINT_HALT 0
#define DFS_FEATURE_DEVICE_REMOTE_WAKEUP 1
#define DFS_FEATURE_TEST_MODE 2

/* Linux errno values as usbmon reports them (negated), by number: these are
 * the numbers of the capturing kernel, not of the host running dfuscope. */
#define DFS_ERRNO_MAP(X)                                                      \
    X(EPERM, 1) X(ENOENT, 2) X(ESRCH, 3) X(EINTR, 4) X(EIO, 5) X(ENXIO, 6)    \
    X(E2BIG, 7) X(ENOEXEC, 8) X(EBADF, 9) X(EAGAIN, 11) X(ENOMEM, 12)         \
    X(EACCES, 13) X(EFAULT, 14) X(EBUSY, 16) X(EEXIST, 17) X(EXDEV, 18)       \
    X(ENODEV, 19) X(EINVAL, 22) X(EFBIG, 27) X(ENOSPC, 28) X(EPIPE, 32)       \
    X(EDOM, 33) X(ERANGE, 34) X(ENOSR, 63) X(ETIME, 62) X(ENOLINK, 67)        \
    X(EPROTO, 71) X(EOVERFLOW, 75) X(EILSEQ, 84) X(EMSGSIZE, 90)              \
    X(EOPNOTSUPP, 95) X(ECONNRESET, 104) X(ESHUTDOWN, 108)                    \
    X(ECOMM, 70) X(ETIMEDOUT, 110) X(EHOSTUNREACH, 113) X(EALREADY, 114)                   \
    X(EINPROGRESS, 115) X(EREMOTEIO, 121) X(ECANCELED, 125)

enum dfs_linux_errno {
#define DFS_ERRNO_ENUM(name, value) DFS_LINUX_##name = value,
    DFS_ERRNO_MAP(DFS_ERRNO_ENUM)
#undef DFS_ERRNO_ENUM
};

/* The CRCs of USB 2.0 packets (section 8.3.5): CRC5 over the low nbits bits
 * of a token (11: address and endpoint, or a SOF's frame number; 19 for a
 * SPLIT), as it is sent in the token's top 5 bits; CRC16 over a data
 * packet's data bytes, sent low byte first after them. */
DFS_API uint8_t dfs_usb_crc5(uint32_t bits, unsigned nbits);
DFS_API uint16_t dfs_usb_crc16(const uint8_t *p, size_t n);
/* Name of a standard request ("GET_DESCRIPTOR"), or NULL. */
DFS_API const char *dfs_std_request_name(uint8_t bRequest);
/* Name of a descriptor type ("CONFIGURATION"), or NULL. */
DFS_API const char *dfs_desc_type_name(uint8_t type);
/* "EPIPE" for 32 or -32, NULL when unknown. */
DFS_API const char *dfs_errno_name(int32_t err);
/* "iso", "interrupt", "control", "bulk", or "unknown". */
DFS_API const char *dfs_xfer_type_name(uint8_t xfer_type);
/* What a completion status means on the bus, in a few words:
 * 0 "OK", -32 "STALL", -2 "killed", -104 "unlinked", -19/-108 "no device"... */
DFS_API const char *dfs_status_meaning(int32_t status);
/* Windows USBD_STATUS codes (USBPcap): the name ("USBD_STATUS_STALL_PID"),
 * NULL when unknown; and the Linux errno (negated) that means the same on the
 * bus, so that a capture of any system is judged alike: STALL_PID and
 * ENDPOINT_HALTED -EPIPE, CANCELED -ENOENT, DEVICE_GONE -ENODEV,
 * DEV_NOT_RESPONDING and XACT_ERROR -EPROTO, ...; 0 for success, -EIO for an
 * error code without a closer match. */
DFS_API const char *dfs_usbd_status_name(uint32_t status);
DFS_API int32_t dfs_usbd_status_errno(uint32_t status);
/* macOS IOReturn codes (USB_DARWIN): the name ("kIOUSBPipeStalled"), NULL
 * when unknown, and the Linux errno that means the same: kIOUSBPipeStalled
 * and kUSBHostReturnPipeStalled -EPIPE, kIOReturnAborted -ENOENT,
 * kIOReturnNoDevice -ENODEV, kIOReturnNotResponding -EPROTO, timeouts
 * -ETIMEDOUT, ...; -EIO for an error without a closer match. */
DFS_API const char *dfs_ioreturn_name(uint32_t status);
DFS_API int32_t dfs_ioreturn_errno(uint32_t status);
/* English name of a USB LANGID (0x0409 -> "English (United States)"), or NULL. */
DFS_API const char *dfs_langid_name(uint16_t langid);
/* Class name of a bDeviceClass/bInterfaceClass code, or NULL. */
DFS_API const char *dfs_class_name(uint8_t cls);

#ifdef __cplusplus
}
#endif
#endif
