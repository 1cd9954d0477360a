/* dfuscope: the ONE set of DFU 1.1 and DfuSe constants (dfu-facts.md 1-3). */
#ifndef DFUSCOPE_DFU_H
#define DFUSCOPE_DFU_H

#include <stdint.h>
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFS_DFU_CLASS 0xFE
#define DFS_DFU_SUBCLASS 0x01
#define DFS_DFU_PROTO_RUNTIME 0x01
#define DFS_DFU_PROTO_DFU 0x02

#define DFS_DFU_REQTYPE_OUT 0x21 /* class, interface, host to device */
#define DFS_DFU_REQTYPE_IN 0xA1  /* class, interface, device to host */

/* Functional descriptor bmAttributes bits (DFU 1.1 section 4.1.3) */
#define DFS_DFU_ATTR_CAN_DNLOAD 0x01
#define DFS_DFU_ATTR_CAN_UPLOAD 0x02
#define DFS_DFU_ATTR_MANIFEST_TOLERANT 0x04
#define DFS_DFU_ATTR_WILL_DETACH 0x08

#define DFS_DFU_VERSION_1_1 0x0110
#define DFS_DFU_VERSION_DFUSE 0x011A

/* X(name, value) class requests */
#define DFS_DFU_REQUEST_MAP(X)                                                \
    X(DETACH, 0)                                                              \
    X(DNLOAD, 1)                                                              \
    X(UPLOAD, 2)                                                              \
    X(GETSTATUS, 3)                                                           \
    X(CLRSTATUS, 4)                                                           \
    X(GETSTATE, 5)                                                            \
    X(ABORT, 6)

enum dfs_dfu_request {
#define DFS_DFU_REQ_ENUM(name, value) DFS_DFU_##name = value,
    DFS_DFU_REQUEST_MAP(DFS_DFU_REQ_ENUM)
#undef DFS_DFU_REQ_ENUM
};

/* X(name, value, spec name) states */
#define DFS_DFU_STATE_MAP(X)                                                  \
    X(APP_IDLE, 0, "appIDLE")                                                 \
    X(APP_DETACH, 1, "appDETACH")                                             \
    X(DFU_IDLE, 2, "dfuIDLE")                                                 \
    X(DNLOAD_SYNC, 3, "dfuDNLOAD-SYNC")                                       \
    X(DNBUSY, 4, "dfuDNBUSY")                                                 \
    X(DNLOAD_IDLE, 5, "dfuDNLOAD-IDLE")                                       \
    X(MANIFEST_SYNC, 6, "dfuMANIFEST-SYNC")                                   \
    X(MANIFEST, 7, "dfuMANIFEST")                                             \
    X(MANIFEST_WAIT_RESET, 8, "dfuMANIFEST-WAIT-RESET")                       \
    X(UPLOAD_IDLE, 9, "dfuUPLOAD-IDLE")                                       \
    X(ERROR, 10, "dfuERROR")

enum dfs_dfu_state {
#define DFS_DFU_STATE_ENUM(name, value, text) DFS_STATE_##name = value,
    DFS_DFU_STATE_MAP(DFS_DFU_STATE_ENUM)
#undef DFS_DFU_STATE_ENUM
    DFS_STATE_UNKNOWN = 0xff /* not yet seen in the capture */
};

/* X(name, value, spec name, meaning) status codes */
#define DFS_DFU_STATUS_MAP(X)                                                 \
    X(OK, 0x00, "OK", "no error")                                             \
    X(ERR_TARGET, 0x01, "errTARGET", "file is not targeted for this device")  \
    X(ERR_FILE, 0x02, "errFILE", "file fails a vendor-specific check")        \
    X(ERR_WRITE, 0x03, "errWRITE", "device is unable to write memory")        \
    X(ERR_ERASE, 0x04, "errERASE", "memory erase failed")                     \
    X(ERR_CHECK_ERASED, 0x05, "errCHECK_ERASED", "memory erase check failed") \
    X(ERR_PROG, 0x06, "errPROG", "program memory function failed")            \
    X(ERR_VERIFY, 0x07, "errVERIFY", "programmed memory failed verification") \
    X(ERR_ADDRESS, 0x08, "errADDRESS", "address is out of range")             \
    X(ERR_NOTDONE, 0x09, "errNOTDONE",                                        \
      "zero-length DNLOAD received but the firmware seems incomplete")        \
    X(ERR_FIRMWARE, 0x0A, "errFIRMWARE",                                      \
      "firmware is corrupt; cannot return to run-time operation")             \
    X(ERR_VENDOR, 0x0B, "errVENDOR", "vendor-specific error (see iString)")   \
    X(ERR_USBR, 0x0C, "errUSBR", "unexpected USB reset signalling")           \
    X(ERR_POR, 0x0D, "errPOR", "unexpected power-on reset")                   \
    X(ERR_UNKNOWN, 0x0E, "errUNKNOWN", "unknown error")                       \
    X(ERR_STALLEDPKT, 0x0F, "errSTALLEDPKT", "device stalled an unexpected request")

enum dfs_dfu_status {
#define DFS_DFU_STATUS_ENUM(name, value, text, meaning) DFS_STATUS_##name = value,
    DFS_DFU_STATUS_MAP(DFS_DFU_STATUS_ENUM)
#undef DFS_DFU_STATUS_ENUM
};

/* DfuSe commands: first byte of a DNLOAD with wValue 0 (AN3156) */
#define DFS_DFUSE_CMD_MAP(X)                                                  \
    X(GET_COMMANDS, 0x00, "GET_COMMANDS")                                     \
    X(SET_ADDRESS, 0x21, "SET_ADDRESS")                                       \
    X(ERASE, 0x41, "ERASE")                                                   \
    X(READ_UNPROTECT, 0x92, "READ_UNPROTECT")

enum dfs_dfuse_cmd {
#define DFS_DFUSE_CMD_ENUM(name, value, text) DFS_DFUSE_##name = value,
    DFS_DFUSE_CMD_MAP(DFS_DFUSE_CMD_ENUM)
#undef DFS_DFUSE_CMD_ENUM
};

/* Atmel FLIP protocol 1, the megaAVR USB DFU bootloaders (Atmel doc7618;
 * dfu-quirks R25): what the command block at the start of a DNLOAD asks. */
enum dfs_flip_cmd {
    DFS_FLIP_PROGRAM_FLASH,  /* 01 00 start end, the data after a 32-byte block */
    DFS_FLIP_PROGRAM_EEPROM, /* 01 01 start end */
    DFS_FLIP_READ_FLASH,     /* 03 00 start end: the next UPLOAD returns the bytes */
    DFS_FLIP_BLANK_CHECK,    /* 03 01 start end */
    DFS_FLIP_READ_EEPROM,    /* 03 02 start end */
    DFS_FLIP_CHIP_ERASE,     /* 04 00 FF */
    DFS_FLIP_START_RESET,    /* 04 03 00: start the application by a reset */
    DFS_FLIP_START_JUMP,     /* 04 03 01 addr: ... by a jump to addr */
    DFS_FLIP_READ_INFO,      /* 05 group index: one byte in the next UPLOAD */
    DFS_FLIP_SELECT_PAGE,    /* 06 03 00 page: the 64 KiB flash page */
    DFS_FLIP_UNKNOWN,        /* none of these */
};

#define DFS_GETSTATUS_LEN 6

/* "DNLOAD", or NULL when not a DFU request number. */
DFS_API const char *dfs_dfu_request_name(uint8_t bRequest);
/* "dfuDNBUSY", or NULL when out of range. */
DFS_API const char *dfs_dfu_state_name(uint8_t state);
/* "errADDRESS", or NULL when out of range. */
DFS_API const char *dfs_dfu_status_name(uint8_t status);
/* "address is out of range", or NULL when out of range. */
DFS_API const char *dfs_dfu_status_meaning(uint8_t status);
/* "SET_ADDRESS", or NULL when not a DfuSe command byte. */
DFS_API const char *dfs_dfuse_cmd_name(uint8_t cmd);
/* "chip erase", or NULL when not an enum dfs_flip_cmd. */
DFS_API const char *dfs_flip_cmd_name(int cmd);

#ifdef __cplusplus
}
#endif
#endif
