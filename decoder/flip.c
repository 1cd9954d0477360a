/* Atmel FLIP protocol 1, the megaAVR USB DFU bootloaders (Atmel doc7618
 * "USB DFU Bootloader Datasheet"; dfu-quirks R25). Their one interface has
 * class 0/0/0 and no functional descriptor; each DNLOAD starts with a
 * command block (program start with the data after a 32-byte block and
 * before a 16-byte trailer, display data, blank check, chip erase, start
 * application, read of the bootloader's bytes, select the 64 KiB page). The
 * answer of a read command comes in an UPLOAD from dfuIDLE. The state stays
 * as it was after a command, except that program start leaves
 * dfuDNLOAD-IDLE (until a zero-length DNLOAD) and display data
 * dfuUPLOAD-IDLE (until the UPLOAD); start application takes effect at the
 * zero-length DNLOAD after it. This file reads the command blocks; the
 * state machine (dfu_state.c) applies them. */
#include "dfu_layer.h"

/* dfu-programmer's AVR targets (ADC_AVR in its src/arguments.c): the
 * ATmega8U2/16U2/32U2/16U4/32U4/32U6 and AT90USB82/162/646/647/1286/1287.
 * The XMEGA and UC3 bootloaders (FLIP protocol 2) share the vendor and the
 * 0x2fxx range but not these command blocks. */
static const uint16_t protocol1_pids[] = {0x2fee, 0x2fef, 0x2ff0, 0x2ff2, 0x2ff3,
                                          0x2ff4, 0x2ff7, 0x2ff9, 0x2ffa, 0x2ffb};

bool dfs__flip_device(const struct dfs__device *dev)
{
    if (!dev->identified || dev->vid != 0x03eb)
        return false;
    for (size_t i = 0; i < sizeof protocol1_pids / sizeof protocol1_pids[0]; i++)
        if (dev->pid == protocol1_pids[i])
            return true;
    return false;
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

/* 01 and 03: [mem, start, end] */
static bool range(const struct dfs__dfu_if *f, const uint8_t *p, uint32_t n, bool flash,
                  struct dfs_dfu_txn *t)
{
    if (n < 6)
        return false;
    uint32_t page = flash ? (uint32_t)f->flip_page << 16 : 0;
    t->flip_start = page | be16(p + 2);
    t->flip_end = page | be16(p + 4);
    return true;
}

static int decode(const struct dfs__dfu_if *f, const uint8_t *p, uint32_t n,
                  struct dfs_dfu_txn *t)
{
    switch (p[0]) {
    case 0x01:
        if (n >= 2 && p[1] <= 1 && range(f, p, n, p[1] == 0, t))
            return p[1] ? DFS_FLIP_PROGRAM_EEPROM : DFS_FLIP_PROGRAM_FLASH;
        break;
    case 0x03:
        if (n >= 2 && p[1] <= 2 && range(f, p, n, p[1] != 2, t))
            return p[1] == 0 ? DFS_FLIP_READ_FLASH
                   : p[1] == 1 ? DFS_FLIP_BLANK_CHECK
                               : DFS_FLIP_READ_EEPROM;
        break;
    case 0x04:
        if (n >= 3 && p[1] == 0x00 && p[2] == 0xff)
            return DFS_FLIP_CHIP_ERASE;
        if (n >= 3 && p[1] == 0x03 && p[2] == 0x00)
            return DFS_FLIP_START_RESET;
        if (n >= 5 && p[1] == 0x03 && p[2] == 0x01) {
            t->flip_start = be16(p + 3);
            return DFS_FLIP_START_JUMP;
        }
        break;
    case 0x05:
        if (n >= 3) {
            t->flip_start = (uint32_t)p[1] << 8 | p[2];
            return DFS_FLIP_READ_INFO;
        }
        break;
    case 0x06:
        if (n >= 4 && p[1] == 0x03 && p[2] == 0x00) {
            t->flip_start = p[3];
            return DFS_FLIP_SELECT_PAGE;
        }
        break;
    default:
        break;
    }
    return DFS_FLIP_UNKNOWN;
}

void dfs__flip_decode(const struct dfs__dfu_if *f, const struct dfs_control *ctl,
                      struct dfs_dfu_txn *t)
{
    t->flip = true;
    t->flip_cmd = -1;
    if (ctl->setup.bRequest != DFS_DFU_DNLOAD || !ctl->data || !ctl->data_len)
        return;
    t->flip_cmd = decode(f, ctl->data, ctl->data_len, t);
    if (t->flip_cmd == DFS_FLIP_PROGRAM_FLASH) {
        t->has_address = true;
        t->address = t->flip_start;
    }
}

uint8_t dfs__flip_effect(struct dfs__dfu_if *f, struct dfs_dfu_txn *t, uint8_t st)
{
    if (t->wLength == 0) {
        if (f->flip_exit) {
            t->leave = true;
            f->flip_exit = false;
        }
        return st == DFS_STATE_DNLOAD_IDLE ? DFS_STATE_DFU_IDLE : st;
    }
    f->flip_read = false;
    switch (t->flip_cmd) {
    case DFS_FLIP_PROGRAM_FLASH:
    case DFS_FLIP_PROGRAM_EEPROM:
        return DFS_STATE_DNLOAD_IDLE;
    case DFS_FLIP_READ_FLASH:
        f->flip_read = true; /* a memory read; an EEPROM one is not in the flash map */
        f->flip_addr = t->flip_start;
        return DFS_STATE_UPLOAD_IDLE;
    case DFS_FLIP_READ_EEPROM:
        return DFS_STATE_UPLOAD_IDLE;
    case DFS_FLIP_START_RESET:
    case DFS_FLIP_START_JUMP:
        f->flip_exit = true;
        return st;
    case DFS_FLIP_SELECT_PAGE:
        f->flip_page = (uint8_t)t->flip_start;
        return st;
    default:
        return st;
    }
}

uint8_t dfs__flip_upload(struct dfs__dfu_if *f, struct dfs_dfu_txn *t, uint8_t st)
{
    if (st == DFS_STATE_UPLOAD_IDLE && f->flip_read) {
        t->has_address = true;
        t->address = f->flip_addr;
        f->flip_read = false;
    }
    return DFS_STATE_DFU_IDLE;
}
