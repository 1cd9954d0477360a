/* dfuscope: USB descriptor parsing (USB 2.0 chapter 9, DFU 1.1 4.1.3).
 *
 * Everything here reads untrusted bytes: every function takes (pointer,
 * length), never reads past it, and says what was wrong instead of guessing.
 * Out-parameters are written only when the function returns DFS_OK, except
 * for problem reports, which are written whenever a problem is found.
 */
#ifndef DFUSCOPE_DESCRIPTORS_H
#define DFUSCOPE_DESCRIPTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFS_DEVICE_DESC_LEN 18
#define DFS_CONFIG_DESC_LEN 9
#define DFS_INTERFACE_DESC_LEN 9
#define DFS_ENDPOINT_DESC_LEN 7
#define DFS_IAD_DESC_LEN 8
#define DFS_QUALIFIER_DESC_LEN 10
#define DFS_BOS_DESC_LEN 5
#define DFS_DFU_FUNC_DESC_LEN 9
#define DFS_DFU_FUNC_DESC_LEN_1_0 7

struct dfs_desc_device {
    uint8_t bLength, bDescriptorType;
    uint16_t bcdUSB;
    uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
    uint16_t idVendor, idProduct, bcdDevice;
    uint8_t iManufacturer, iProduct, iSerialNumber, bNumConfigurations;
};

struct dfs_desc_config {
    uint8_t bLength, bDescriptorType;
    uint16_t wTotalLength;
    uint8_t bNumInterfaces, bConfigurationValue, iConfiguration, bmAttributes;
    uint8_t bMaxPower; /* units of 2 mA (full/high speed) */
};

struct dfs_desc_interface {
    uint8_t bLength, bDescriptorType;
    uint8_t bInterfaceNumber, bAlternateSetting, bNumEndpoints;
    uint8_t bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol, iInterface;
};

struct dfs_desc_endpoint {
    uint8_t bLength, bDescriptorType;
    uint8_t bEndpointAddress, bmAttributes;
    uint16_t wMaxPacketSize;
    uint8_t bInterval;
};

struct dfs_desc_iad {
    uint8_t bLength, bDescriptorType;
    uint8_t bFirstInterface, bInterfaceCount;
    uint8_t bFunctionClass, bFunctionSubClass, bFunctionProtocol, iFunction;
};

struct dfs_desc_dfu_functional {
    uint8_t bLength, bDescriptorType;
    uint8_t bmAttributes;
    uint16_t wDetachTimeOut, wTransferSize;
    bool has_version;       /* false for the 7-byte DFU 1.0 form */
    uint16_t bcdDFUVersion; /* 0 when !has_version */
};

struct dfs_desc_qualifier {
    uint8_t bLength, bDescriptorType;
    uint16_t bcdUSB;
    uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
    uint8_t bNumConfigurations, bReserved;
};

struct dfs_desc_bos {
    uint8_t bLength, bDescriptorType;
    uint16_t wTotalLength;
    uint8_t bNumDeviceCaps;
};

/* What a descriptor parser found wrong. */
enum dfs_desc_problem_code {
    DFS_DESC_OK = 0,
    DFS_DESC_TRUNCATED,     /* fewer bytes than the descriptor needs */
    DFS_DESC_BAD_LENGTH,    /* bLength below the minimum or above the bytes left */
    DFS_DESC_BAD_TYPE,      /* bDescriptorType is not the one expected */
    DFS_DESC_TOTAL_LENGTH,  /* wTotalLength disagrees with the data */
    DFS_DESC_COUNT,         /* bNumInterfaces/bNumEndpoints disagrees with the data */
    DFS_DESC_ODD_LENGTH,    /* string descriptor of odd length */
    DFS_DESC_FUNCTIONAL_SHORT, /* DFU functional descriptor of 7 bytes */
    DFS_DESC_BAD_ENCODING,  /* UTF-16 that is not valid */
    DFS_DESC_MISPLACED,     /* descriptor where it is not allowed */
};

struct dfs_desc_problem {
    enum dfs_desc_problem_code code;
    size_t offset;     /* byte offset in the parsed buffer */
    char msg[160];
};

/* Parse a device descriptor. A buffer of 8 bytes (the first GET_DESCRIPTOR
 * of an enumeration) is accepted: *complete tells whether all 18 bytes were
 * there; missing fields read as zero.
 * Returns DFS_OK, DFS_E_INVAL (NULL arguments) or DFS_E_FORMAT (fewer than
 * 8 bytes, wrong type, bLength < 18); *problem says why. */
DFS_API dfs_result dfs_desc_parse_device(const uint8_t *buf, size_t len,
                                         struct dfs_desc_device *out, bool *complete,
                                         struct dfs_desc_problem *problem);

DFS_API dfs_result dfs_desc_parse_qualifier(const uint8_t *buf, size_t len,
                                            struct dfs_desc_qualifier *out,
                                            struct dfs_desc_problem *problem);

/* One descriptor found while walking a configuration (or BOS) blob. */
enum dfs_desc_kind {
    DFS_DK_CONFIG,
    DFS_DK_INTERFACE,
    DFS_DK_ENDPOINT,
    DFS_DK_IAD,
    DFS_DK_DFU_FUNCTIONAL,
    DFS_DK_BOS,
    DFS_DK_DEVICE_CAPABILITY,
    DFS_DK_OTHER, /* class-specific or unknown: raw bytes only */
};

struct dfs_desc_item {
    enum dfs_desc_kind kind;
    size_t offset;        /* in the blob */
    const uint8_t *raw;   /* points into the blob */
    uint8_t bLength, bDescriptorType;
    /* the interface this descriptor belongs to (after the first interface) */
    bool in_interface;
    struct dfs_desc_interface iface;
    union {
        struct dfs_desc_config config;
        struct dfs_desc_interface interface;
        struct dfs_desc_endpoint endpoint;
        struct dfs_desc_iad iad;
        struct dfs_desc_dfu_functional dfu;
        struct dfs_desc_bos bos;
    } u;
};

/* Walks a configuration descriptor set (as returned by GET_DESCRIPTOR
 * CONFIGURATION) or a BOS descriptor set, one descriptor at a time. */
struct dfs_desc_walker {
    const uint8_t *buf;
    size_t len, off;
    bool in_interface;
    struct dfs_desc_interface iface;
    bool done;
};

DFS_API void dfs_desc_walk_init(struct dfs_desc_walker *w, const uint8_t *buf, size_t len);

/* Returns 1 and fills *item for each descriptor, 0 at the end, or -1 when the
 * rest of the blob cannot be walked (bLength 0 or 1, or past the end); then
 * *problem says why and the walk stops. Descriptors whose bLength is below
 * the minimum for their type are returned as DFS_DK_OTHER with a problem
 * (return 1 and problem->code != DFS_DESC_OK). */
DFS_API int dfs_desc_walk_next(struct dfs_desc_walker *w, struct dfs_desc_item *item,
                               struct dfs_desc_problem *problem);

/* One alternate setting of a DFU interface (class 0xFE, subclass 0x01) in a
 * configuration descriptor set, with the DFU functional descriptor of its
 * interface. */
struct dfs_dfu_interface {
    uint8_t bConfigurationValue;    /* of the configuration it is in */
    struct dfs_desc_interface iface; /* number, alternate setting, protocol, iInterface */
    bool has_functional;            /* a DFU functional descriptor follows the interface */
    struct dfs_desc_dfu_functional functional;
    size_t offset;                  /* of the interface descriptor in the blob */
};

/* The DFU interfaces of a configuration descriptor set, in descriptor order:
 * writes up to max of them to out (out may be NULL when max is 0) and
 * returns how many there are. The functional descriptor, which follows the
 * interface's last alternate setting on many devices (DFU 1.1 4.2.1 allows
 * it after any of them), applies to every alternate setting of its
 * interface. The search stops where the blob cannot be walked further; what
 * was found before that is returned (walk it with dfs_desc_walk_next to see
 * why). Interfaces of other classes that some vendors use for DFU (Atmel
 * FLIP's class 0) are not DFU interfaces here. */
DFS_API size_t dfs_desc_find_dfu(const uint8_t *config, size_t len, struct dfs_dfu_interface *out,
                                 size_t max);

/* Decode a string descriptor (UTF-16LE) into UTF-8, NUL-terminated, always
 * within out_size. Unpaired surrogates become U+FFFD and set a problem.
 * Returns DFS_OK or DFS_E_FORMAT (shorter than 2 bytes, wrong type). */
DFS_API dfs_result dfs_desc_string_utf8(const uint8_t *buf, size_t len, char *out,
                                        size_t out_size, struct dfs_desc_problem *problem);

/* Whether a string descriptor (not descriptor 0) holds 8-bit ASCII text
 * where USB 2.0 9.6.7 wants UTF-16LE, as the GD32VF103's serial does
 * (dfu-quirks R21, R31): its text, the bytes after the 2-byte header (up to
 * bLength and len), is at least 2 bytes, every one printable ASCII (0x20-0x7E;
 * ASCII text in UTF-16LE has a zero high byte in every character), and
 * either bLength is odd or a character read as UTF-16LE falls outside the
 * CJK ideographs (U+4E00-U+9FFF) and kana (U+3040-U+30FF), the scripts a real
 * string of such code units would be written in. */
DFS_API bool dfs_desc_string_8bit(const uint8_t *buf, size_t len);

/* The LANGIDs of string descriptor 0; returns how many (up to max). */
DFS_API size_t dfs_desc_langids(const uint8_t *buf, size_t len, uint16_t *ids, size_t max);

#ifdef __cplusplus
}
#endif
#endif
