/* dfuscope: findings, the one table of what the diagnosis can say.
 *
 * Each finding has a stable id ("dfuse.option-bytes-reset"), a severity, a
 * Wireshark-style group, a one-line title and a page docs/findings/<id>.md.
 * A reported finding also carries the frames that prove it, an explanation
 * with the concrete values seen, and a remedy; the words of both are in one
 * file beside this table, decoder/finding_text.c, in the table's order.
 */
#ifndef DFUSCOPE_FINDINGS_H
#define DFUSCOPE_FINDINGS_H

#include <stdint.h>
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

enum dfs_severity {
    DFS_SEV_NOTE = 0,
    DFS_SEV_WARNING = 1,
    DFS_SEV_ERROR = 2,
};

/* Map 1:1 onto Wireshark's expert groups */
enum dfs_group {
    DFS_GROUP_PROTOCOL = 0,  /* PI_PROTOCOL */
    DFS_GROUP_SEQUENCE,      /* PI_SEQUENCE */
    DFS_GROUP_MALFORMED,     /* PI_MALFORMED */
    DFS_GROUP_RESPONSE_CODE, /* PI_RESPONSE_CODE */
    DFS_GROUP_COMMENT,       /* PI_COMMENTS_GROUP */
};

/* X(ENUM, "id", severity, group, "title"). A new finding: a row here, its
 * words in decoder/finding_text.c, its page in docs/findings/. */
#define DFS_FINDING_MAP(X)                                                                     \
    /* capture file and usbmon record problems */                                              \
    X(CAPTURE_RECORD_SHORT, "capture.record-short", WARNING, MALFORMED,                        \
      "Record shorter than its usbmon header")                                                 \
    X(CAPTURE_RECORD_TRUNCATED, "capture.record-truncated", WARNING, MALFORMED,                \
      "Record data cut short")                                                                 \
    X(CAPTURE_BAD_HEADER, "capture.bad-header", WARNING, MALFORMED,                            \
      "usbmon header field out of range")                                                      \
    X(CAPTURE_URB_ID_REUSED, "capture.urb-id-reused", NOTE, SEQUENCE,                          \
      "URB id submitted again before it completed")                                            \
    X(CAPTURE_STARTS_MID_TRANSFER, "capture.starts-mid-transfer", NOTE, SEQUENCE,              \
      "Capture starts in the middle of transfers")                                             \
    X(CAPTURE_URB_NEVER_COMPLETED, "capture.urb-never-completed", NOTE, SEQUENCE,              \
      "Transfers submitted but never completed in the capture")                                \
    X(CAPTURE_LIMIT, "capture.limit-reached", WARNING, COMMENT,                                \
      "A decoder limit was reached; some state was dropped")                                   \
    X(CAPTURE_BAD_PACKET, "capture.bad-packet", WARNING, MALFORMED,                            \
      "USB packet with a bad PID, length or CRC")                                              \
    X(CAPTURE_HALF_TRANSACTION, "capture.half-transaction", NOTE, SEQUENCE,                    \
      "USB packet outside a complete transaction")                                             \
    X(CAPTURE_ENUMERATION_MISSING, "capture.enumeration-missing", NOTE, COMMENT,               \
      "The capture lacks the descriptors of a DFU device")                                     \
    /* USB level */                                                                            \
    X(USB_DEVICE_DISCONNECTED, "usb.device-disconnected", NOTE, SEQUENCE,                      \
      "Device left the bus")                                                                   \
    X(USB_TRANSFER_CANCELLED, "usb.transfer-cancelled", NOTE, SEQUENCE,                        \
      "Transfer cancelled by the host")                                                        \
    /* descriptors */                                                                          \
    X(DESC_INVALID_LENGTH, "desc.invalid-length", WARNING, MALFORMED,                          \
      "Descriptor length invalid")                                                             \
    X(DESC_FUNCTIONAL_MISSING, "desc.functional-missing", WARNING, PROTOCOL,                   \
      "DFU interface without a DFU functional descriptor")                                     \
    X(DESC_FUNCTIONAL_SHORT, "desc.functional-short", WARNING, MALFORMED,                      \
      "DFU functional descriptor shorter than DFU 1.1 requires")                               \
    X(DESC_TRANSFER_SIZE_INVALID, "desc.transfer-size-invalid", WARNING, PROTOCOL,             \
      "DFU functional descriptor gives an unusable wTransferSize")                             \
    X(DESC_DFU_PROTOCOL_INVALID, "desc.dfu-protocol-invalid", WARNING, PROTOCOL,            \
      "DFU interface with a bInterfaceProtocol DFU 1.1 does not define")                       \
    X(DESC_DFU_VERSION_UNKNOWN, "desc.dfu-version-unknown", NOTE, PROTOCOL,                    \
      "Unknown bcdDFUVersion in the DFU functional descriptor")                                \
    X(DESC_LAYOUT_INVALID, "desc.layout-invalid", WARNING, MALFORMED,                          \
      "DfuSe memory layout string does not parse")                                             \
    X(DESC_DUPLICATE_ALT_LAYOUTS, "desc.duplicate-alt-layouts", WARNING, PROTOCOL,             \
      "Several alternate settings advertise the same memory layout")                           \
    X(DESC_STRING_NOT_UTF16, "desc.string-not-utf16", WARNING, MALFORMED,                      \
      "String descriptor holds 8-bit text, not UTF-16LE")                                      \
    /* DFU 1.1 */                                                                              \
    X(DFU_GETSTATUS_STALL, "dfu.getstatus-stall", ERROR, RESPONSE_CODE,                        \
      "GETSTATUS stalled while the device stayed on the bus")                                  \
    X(DFU_GETSTATUS_FAILED, "dfu.getstatus-failed", WARNING, RESPONSE_CODE,                    \
      "GETSTATUS failed on the bus while the device stayed")                                   \
    X(DFU_GETSTATUS_BUSY_STALL, "dfu.getstatus-busy-stall", WARNING, RESPONSE_CODE,           \
      "GETSTATUS stalled while the device was busy")                                           \
    X(DFU_DEVICE_LOST, "dfu.device-lost", ERROR, SEQUENCE,                                     \
      "Device left the bus in the middle of a DFU operation")                                  \
    X(DFU_POLL_TIMEOUT_IGNORED, "dfu.poll-timeout-ignored", WARNING, SEQUENCE,                 \
      "GETSTATUS sent before bwPollTimeout had passed")                                        \
    X(DFU_POLL_TIMEOUT_TOO_SHORT, "dfu.poll-timeout-too-short", WARNING, PROTOCOL,             \
      "bwPollTimeout much shorter than the real busy time")                                    \
    X(DFU_ZERO_POLL_TIMEOUT, "dfu.zero-poll-timeout", WARNING, PROTOCOL,                       \
      "Repeated dfuDNBUSY replies with bwPollTimeout 0")                                       \
    X(DFU_ERROR_STATE, "dfu.error-state", WARNING, RESPONSE_CODE,                              \
      "Device reports dfuERROR")                                                               \
    X(DFU_NO_VALID_APPLICATION, "dfu.no-valid-application", NOTE, RESPONSE_CODE,              \
      "Bootloader started without a valid application (errFIRMWARE); the host cleared it")   \
    X(DFU_OPERATION_FAILED, "dfu.operation-failed", ERROR, RESPONSE_CODE,                      \
      "Device refused a download, erase or command")                                           \
    X(DFU_DNLOAD_STALL, "dfu.dnload-stall", ERROR, RESPONSE_CODE,                              \
      "Device stalled a DNLOAD it was expected to take")                                       \
    X(DFU_STATE_VIOLATION, "dfu.state-violation", WARNING, SEQUENCE,                           \
      "Request or reply not allowed by the DFU state diagram")                                 \
    X(DFU_STALL_WITHOUT_ERROR_STATE, "dfu.stall-without-error-state", WARNING, PROTOCOL,       \
      "STALL and dfuERROR do not go together")                                                 \
    X(DFU_CLRSTATUS_OUTSIDE_ERROR, "dfu.clrstatus-outside-error", WARNING, SEQUENCE,           \
      "CLRSTATUS sent while the device was not in dfuERROR")                                   \
    X(DFU_BAD_STATE_VALUE, "dfu.bad-state-value", WARNING, MALFORMED,                          \
      "GETSTATUS or GETSTATE reply with an undefined state or status")                         \
    X(DFU_TRANSFER_SIZE_EXCEEDED, "dfu.transfer-size-exceeded", WARNING, PROTOCOL,             \
      "DNLOAD or UPLOAD longer than wTransferSize")                                            \
    X(DFU_BLOCK_SEQUENCE, "dfu.block-sequence", WARNING, SEQUENCE,                             \
      "Block numbers skipped, repeated or out of order")                                       \
    X(DFU_REQUEST_TIMEOUT, "dfu.request-timeout", WARNING, SEQUENCE,                           \
      "DFU request not answered in time")                                                      \
    X(DFU_RUNTIME_GETSTATUS_STALL, "dfu.runtime-getstatus-stall", NOTE, PROTOCOL,              \
      "Run-time interface stalls GETSTATUS")                                                   \
    X(DFU_NEVER_OPENED, "dfu.never-opened", WARNING, SEQUENCE,                                 \
      "Device enumerated in DFU mode but no DFU request reached it")                           \
    X(DFU_MANIFEST_WAIT_RESET, "dfu.manifest-wait-reset", WARNING, PROTOCOL,                   \
      "Manifestation-tolerant device waits for a reset after manifestation")                   \
    /* DfuSe */                                                                                \
    X(DFUSE_OPTION_BYTES_RESET, "dfuse.option-bytes-reset", ERROR, SEQUENCE,                   \
      "Option-byte write reset the device")                                                    \
    X(DFUSE_OPTION_BYTES_REJECTED, "dfuse.option-bytes-rejected", ERROR, RESPONSE_CODE,        \
      "Option-byte write rejected by the bootloader")                                          \
    X(DFUSE_OPTION_BYTES_OFFSET_WRITE, "dfuse.option-bytes-offset-write", WARNING, PROTOCOL,   \
      "Option-byte write does not start at the option-byte base")                              \
    X(DFUSE_ADDRESS_OUTSIDE_LAYOUT, "dfuse.address-outside-layout", WARNING, PROTOCOL,         \
      "Access outside the memory layout of the alternate setting")                             \
    X(DFUSE_LEAVE_RESET, "dfuse.leave-reset", NOTE, SEQUENCE,                                  \
      "Device left the bus after the DfuSe leave request, as intended")                        \
    X(DFUSE_ERASE_INSTANT, "dfuse.erase-instant", WARNING, PROTOCOL,                           \
      "Erase reported done without any busy time")                                             \
    /* firmware files (library dfs_firmware, dfuscope check-file) */                           \
    X(FILE_EMPTY, "file.empty", ERROR, MALFORMED,                                              \
      "File holds no data to download")                                                        \
    X(FILE_TRUNCATED, "file.truncated", ERROR, MALFORMED,                                      \
      "File ends inside a structure")                                                          \
    X(FILE_SUFFIX_CRC, "file.suffix-crc", ERROR, MALFORMED,                                    \
      "DFU suffix CRC does not match the file")                                                \
    X(FILE_SUFFIX_LENGTH, "file.suffix-length", ERROR, MALFORMED,                              \
      "DFU suffix bLength is invalid")                                                         \
    X(FILE_SUFFIX_MISSING, "file.suffix-missing", WARNING, PROTOCOL,                           \
      "DFU file without a DFU suffix")                                                         \
    X(FILE_DFUSE_VERSION, "file.dfuse-version", ERROR, PROTOCOL,                               \
      "DfuSe prefix and the suffix's bcdDFU disagree")                                         \
    X(FILE_DFUSE_HEADER, "file.dfuse-header", ERROR, MALFORMED,                                \
      "DfuSe prefix or target header invalid")                                                 \
    X(FILE_DFUSE_SIZE, "file.dfuse-size", ERROR, MALFORMED,                                    \
      "DfuSe sizes disagree with the file")                                                    \
    X(FILE_DFUSE_NO_TARGETS, "file.dfuse-no-targets", ERROR, PROTOCOL,                         \
      "DfuSe file without targets")                                                            \
    X(FILE_ADDRESS_OVERFLOW, "file.address-overflow", ERROR, MALFORMED,                        \
      "Data beyond the 32-bit address space")                                                  \
    X(FILE_RECORD_INVALID, "file.record-invalid", ERROR, MALFORMED,                            \
      "Intel HEX or S-record line does not parse")                                             \
    X(FILE_RECORD_CHECKSUM, "file.record-checksum", ERROR, MALFORMED,                          \
      "Intel HEX or S-record checksum mismatch")                                               \
    X(FILE_NO_END_RECORD, "file.no-end-record", WARNING, MALFORMED,                            \
      "Intel HEX or S-record file without its end record")                                     \
    X(FILE_OVERLAP, "file.overlap", ERROR, PROTOCOL,                                           \
      "Parts of the file overlap")                                                             \
    X(FILE_STRAY_SECTION, "file.stray-section", WARNING, PROTOCOL,                             \
      "Data far apart: a stray linker section")                                                \
    X(FILE_HUGE_BINARY, "file.huge-binary", ERROR, PROTOCOL,                                   \
      "Binary larger than any flash")                                                          \
    X(FILE_ID_MISMATCH, "file.id-mismatch", ERROR, PROTOCOL,                                   \
      "Suffix VID:PID does not match the device")                                              \
    X(FILE_RAW_FOR_DFUSE, "file.raw-for-dfuse", WARNING, PROTOCOL,                             \
      "Raw image for a DfuSe device")                                                          \
    X(FILE_DFUSE_FOR_DFU11, "file.dfuse-for-dfu11", ERROR, PROTOCOL,                           \
      "DfuSe file for a DFU 1.1 device")                                                       \
    X(FILE_TARGET_ALT_MISSING, "file.target-alt-missing", ERROR, PROTOCOL,                     \
      "DfuSe target for an alternate setting the device does not have")                        \
    X(FILE_OUTSIDE_LAYOUT, "file.outside-layout", ERROR, PROTOCOL,                             \
      "Data outside the memory layout")                                                        \
    X(FILE_NOT_WRITABLE, "file.not-writable", ERROR, PROTOCOL,                                 \
      "Data in memory the layout marks not writable")                                          \
    X(FILE_LARGER_THAN_MEMORY, "file.larger-than-memory", ERROR, PROTOCOL,                     \
      "Image larger than the memory")                                                          \
    X(FILE_ERASE_BEYOND, "file.erase-beyond", WARNING, PROTOCOL,                               \
      "Erase wipes bytes beyond the data")                                                     \
    X(FILE_OPTION_BYTES, "file.option-bytes", WARNING, PROTOCOL,                               \
      "File writes option bytes")                                                              \
    X(FILE_OPTION_BYTES_LOCK, "file.option-bytes-lock", ERROR, PROTOCOL,                       \
      "Option bytes in the file lock the chip for good")                                       \
    X(FILE_OTP, "file.otp", WARNING, PROTOCOL,                                                 \
      "File writes one-time-programmable memory")                                              \
    X(FILE_SESSION_MISSING, "file.session-missing", ERROR, SEQUENCE,                           \
      "Parts of the file the session did not write")                                           \
    X(FILE_SESSION_MISMATCH, "file.session-mismatch", ERROR, PROTOCOL,                         \
      "The session wrote other data than the file")                                            \
    X(FILE_SESSION_EXTRA, "file.session-extra", WARNING, SEQUENCE,                             \
      "The session wrote memory the file does not hold")                                       \
    /* tool logs (library dfs_logs, dfuscope diagnose on a text log) */                       \
    X(LOG_LOST_AFTER_RESET, "log.lost-after-reset", ERROR, SEQUENCE,                           \
      "The tool did not find the device again after a reset")                                  \
    X(LOG_CANNOT_OPEN, "log.cannot-open-device", ERROR, RESPONSE_CODE,                         \
      "The tool could not open the device")                                                    \
    X(LOG_NO_DEVICE, "log.no-device", ERROR, SEQUENCE,                                         \
      "The tool found no DFU device")                                                          \
    X(LOG_TOOL_ERROR, "log.tool-error", WARNING, RESPONSE_CODE,                                \
      "A tool reported an error with a known cause")                                           \
    X(LOG_UNREADABLE, "log.unreadable-lines", NOTE, MALFORMED,                                 \
      "Lines of the log could not be read")

enum dfs_finding_code {
#define DFS_FINDING_ENUM(name, id, sev, group, title) DFS_F_##name,
    DFS_FINDING_MAP(DFS_FINDING_ENUM)
#undef DFS_FINDING_ENUM
    DFS_F__COUNT
};

#define DFS_FINDING_MAX_FRAMES 16
#define DFS_FINDING_TEXT_SIZE 1024

struct dfs_finding {
    enum dfs_finding_code code;
    const char *id;    /* "dfuse.option-bytes-reset" (static) */
    enum dfs_severity severity;
    enum dfs_group group;
    const char *title; /* static one-line title */
    uint32_t device;   /* device instance (0 when not about one device) */
    uint64_t frame;    /* the frame it is reported on (the decisive one) */
    uint64_t frames[DFS_FINDING_MAX_FRAMES]; /* every frame that proves it, ascending */
    unsigned n_frames;
    char explanation[DFS_FINDING_TEXT_SIZE]; /* concrete values seen */
    char remedy[DFS_FINDING_TEXT_SIZE];      /* what to do; may be empty */
};

/* Static description of one finding code. */
struct dfs_finding_info {
    enum dfs_finding_code code;
    const char *id;
    enum dfs_severity severity;
    enum dfs_group group;
    const char *title;
};

/* Table entry for a code, or NULL when out of range. */
DFS_API const struct dfs_finding_info *dfs_finding_info(enum dfs_finding_code code);
/* Table entry for an id string, or NULL. */
DFS_API const struct dfs_finding_info *dfs_finding_lookup(const char *id);
/* "error", "warning", "note" */
DFS_API const char *dfs_severity_name(enum dfs_severity sev);
/* "protocol", "sequence", "malformed", "response-code", "comment" */
DFS_API const char *dfs_group_name(enum dfs_group group);

#ifdef __cplusplus
}
#endif
#endif
