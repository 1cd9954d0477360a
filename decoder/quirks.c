/* The table of known device quirks (include/dfuscope/quirks.h): the
 * deviations R1-R32 of the reference list, the families that show them,
 * and which finding each quirk can explain. A leaf: data and lookups only.
 * A new family is a row of `families` with its source; docs/quirks.md says
 * the same in words, and tests/integration/quirks_cli.py checks the table
 * against what dfu-util's and fwupd's quirk lists name. */
#include <string.h>

#include "dfuscope/quirks.h"
#include "internal.h"

static const struct dfs_quirk_info infos[DFS_QUIRK_MAX] = {
    {1, "R1", "an option-byte write resets the chip: GETSTATUS stalls or gets no reply, "
              "then the device re-enumerates",
     "expect the reset (dfu-util 0.10+: -s ADDRESS:will-reset), then read the option "
     "bytes back to verify"},
    {2, "R2", "GETSTATUS stalls while the device is busy erasing (the bwPollTimeout "
              "announced is too short)",
     "treat a stalled GETSTATUS during a DfuSe command as busy: wait the last "
     "bwPollTimeout and poll again (dfu-util: up to 3 stalls, dfuse.c)"},
    {3, "R3", "the bwPollTimeout reported is much shorter than the real erase time",
     "use a longer timeout for erases (dfu-util forces 35 s for an STM32F405 mass erase "
     "that reports 100 ms)"},
    {4, "R4", "dfuDNBUSY again and again with bwPollTimeout 0",
     "poll with a small delay and give up after a bound (dfu-util: 100 polls; fwupd: "
     "allow-zero-polltimeout)"},
    {5, "R5", "bogus bwPollTimeout values",
     "ignore the device's bwPollTimeout and use a fixed short delay (dfu-util "
     "QUIRK_POLLTIMEOUT, 5 ms; fwupd ignore-polltimeout)"},
    {6, "R6", "flash work done inside the control transfer: the next request times out",
     "raise the host's control-transfer timeout; fix the device to answer at once and "
     "report the work with dfuDNBUSY"},
    {7, "R7", "a 7-byte DFU functional descriptor (DFU 1.0, no bcdDFUVersion)",
     "take the descriptor as DFU 1.0 (bcdDFUVersion 1.0)"},
    {8, "R8", "a wrong bcdDFUVersion (0x011a means DfuSe; Atmel uses 0xff01)",
     "force the version the family really speaks (dfu-util QUIRK_FORCE_DFU11; fwupd "
     "DfuForceVersion)"},
    {9, "R9", "wTransferSize 0, 0xffff or exceeded; ST's middleware silently truncates "
              "longer blocks",
     "never send more than wTransferSize per block"},
    {10, "R10", "a malformed or wrong DfuSe memory-layout string",
     "correct the layout on the host (dfu-util fixes GD32's; fwupd absent-sector-size), "
     "or address memory with :force"},
    {11, "R11", "GETSTATUS stalls in run-time mode (appIDLE)",
     "assume appIDLE (dfu-util: \"Device does not implement get_status, assuming "
     "appIDLE\")"},
    {12, "R12", "DETACH anomalies: reboot and stall, a dropped DETACH, bitWillDetach "
                "wrong, a DETACH needed to attach",
     "tolerate a failed DETACH and wait for the re-enumeration (fwupd detach-for-attach, "
     "index-force-detach)"},
    {13, "R13", "identity and interface oddities: the same VID:PID in both modes, no "
                "run-time interface, a wrong class or protocol",
     "find the DFU interface by other means (fwupd use-any-interface, force-dfu-mode, "
     "no-pid-change, no-dfu-runtime)"},
    {14, "R14", "manifestation bugs: bitManifestationTolerant wrong, a reset before the "
                "GETSTATUS status stage, a DfuSe leave without GETSTATUS",
     "take an error after the last block as benign when every block was acknowledged "
     "and the device comes back running its application (fwupd manifest-poll)"},
    {15, "R15", "CLRSTATUS outside dfuERROR drives the device into dfuERROR/errUNKNOWN "
                "(ST middleware)",
     "send CLRSTATUS only in dfuERROR; ABORT to get back to dfuIDLE"},
    {16, "R16", "bState out of range (ST middleware reports 0x0f, a status code, after "
                "UPLOAD block 1)",
     "ignore the value and poll GETSTATUS again"},
    {17, "R17", "a DfuSe mass erase (1-byte 0x41) accepted with OK but not carried out "
                "(ST middleware)",
     "erase page by page (5-byte 0x41 commands)"},
    {18, "R18", "a STALL without dfuERROR, or dfuERROR without a STALL",
     "after any failure read GETSTATUS before deciding; CLRSTATUS only in dfuERROR"},
    {19, "R19", "dfuDNLOAD-SYNC skipped by design", "accept dfuDNLOAD-IDLE straight after "
                                                    "a DNLOAD"},
    {20, "R20", "bitCanUpload false, or upload broken",
     "do not upload (fwupd ignore-upload, no-get-status-upload)"},
    {21, "R21", "a string descriptor longer than the bytes returned, or a serial not in "
                "UTF-16",
     "read strings defensively (dfu-util QUIRK_UTF8_SERIAL)"},
    {22, "R22", "read-out protection: errERASE/errTARGET, or a stalled SET_ADDRESS; 0x92 "
                "disconnects, mass-erases and resets",
     "remove the protection first (dfu-util -s :unprotect), expecting the reset"},
    {23, "R23", "a leave (manifestation) needs a SET_ADDRESS command before it",
     "send SET_ADDRESS (0x21) with the start address before the zero-length DNLOAD "
     "(dfu-util and STM32CubeProgrammer do)"},
    {24, "R24", "chapter 9 test false positives on DFU interfaces (no endpoints, "
                "functional descriptor type 0x21)",
     "mark those checks not applicable on DFU interfaces"},
    {25, "R25", "Atmel FLIP: DFU on a class 0/0/0 interface, bcdDFU 0xff01, a 32- or "
                "64-byte command block at the start of each DNLOAD",
     "speak the FLIP protocol (dfu-programmer; fwupd legacy-protocol, use-any-interface)"},
    {26, "R26", "ESP32-S2/S3 ROM: the download is a CPIO archive (dfuinfo0.dat, then the "
                "images) in 64-byte blocks; after it the chip stays in the ROM",
     "build the image with esp-idf's mkdfu.py (idf.py dfu); reset the chip (RESET button) "
     "to run the new firmware: dfu-util -R does not start it"},
    {27, "R27", "TI Stellaris/Tiva: the first block carries an 8-byte prefix",
     "add the prefix (dfu-prefix, dfu-util lmdfu.c)"},
    {28, "R28", "NXP LPC43xx ROM: downloads into RAM and executes; no upload",
     "give the image its 16-byte boot header and a DFU suffix; do not upload"},
    {29, "R29", "Zephyr/MCUboot: downloads only to alt 1 (the secondary slot); alt 0 ends "
                "in dfuERROR/errWRITE",
     "download to alt 1 (dfu-util -a 1)"},
    {30, "R30", "TinyUSB run-time DFU stalls the SET_INTERFACE and GETSTATUS that macOS "
                "sends",
     "treat a stall on the run-time interface as appIDLE"},
    {31, "R31", "GD32VF103: UTF-8 serial, a wrong layout string, a leave without "
                "GETSTATUS",
     "correct the layout from the serial, expect no GETSTATUS after the leave (dfu-util "
     "QUIRK_DFUSE_LAYOUT, QUIRK_DFUSE_LEAVE)"},
    {32, "R32", "functional-descriptor oddities (33 bytes of functional data)",
     "parse only the 9 bytes DFU 1.1 defines"},
};

#define Q(...) (const unsigned char[]){__VA_ARGS__}, sizeof((const unsigned char[]){__VA_ARGS__})

static const struct dfs_quirk_family families[] = {
    {"STM32 system bootloader (DfuSe, ROM)", 0x0483, 0xdf11, 0xdf11, -1,
     "the chip's ROM, entered with BOOT0; ST's USB device middleware uses the same VID:PID by default",
     Q(1, 2, 3, 8, 10, 22, 23),
     "dfu-util 0.10+ with :will-reset for option bytes and :force for areas the layout "
     "does not advertise; poll again after a stalled GETSTATUS during an erase",
     "dfu-util src/dfuse.c (STM32L4 stall workaround, STM32F405 mass-erase timeout); "
     "fwupd plugins/dfu/dfu.quirk (0483:df11 absent-sector-size, will-disappear, "
     "DfuForceVersion 0x011a); ST AN3156, AN2606; ST community td-p/839156, td-p/815774"},
    {"ST USB device middleware DFU (STM32Cube)", 0x0483, 0xdf11, 0xdf11, -1,
     "an application or custom bootloader built on STM32Cube; ST's examples keep 0483:df11",
     Q(9, 15, 16, 17, 18),
     "no CLRSTATUS outside dfuERROR; page erases instead of a mass erase; blocks no "
     "larger than wTransferSize",
     "ST STM32Cube Class/DFU/Src/usbd_dfu.c; dfu-rs/dfu-libusb #4"},
    {"Atmel/Microchip FLIP bootloader (AVR, AVR32, XMEGA)", 0x03eb, 0x2f00, 0x2fff, -1, NULL,
     Q(8, 13, 25),
     "dfu-programmer, or fwupd with legacy-protocol, use-any-interface, force-dfu-mode",
     "fwupd plugins/dfu/dfu.quirk (03eb:2fe2-2ffb: use-any-interface, legacy-protocol, "
     "force-dfu-mode, DfuForceVersion 0xff01); dfu-programmer"},
    {"GigaDevice GD32VF103", 0x28e9, 0x0189, 0x0189, -1, NULL, Q(10, 13, 14, 21, 31),
     "dfu-util 0.11 (QUIRK_UTF8_SERIAL, QUIRK_DFUSE_LAYOUT, QUIRK_DFUSE_LEAVE)",
     "dfu-util src/quirks.c (28e9:0189); fwupd plugins/dfu/dfu.quirk (gd32, "
     "force-dfu-mode, will-disappear)"},
    /* The ROM (entered with GPIO0 low at reset) is a CDC-ACM device with a DFU
     * run-time interface: interface 2, alternate setting 0, no name, bcdDevice
     * 0x0723, "Espressif", "ESP32-S2", serial "0"; a DETACH brings up its
     * DFU-mode descriptors under the same VID:PID, the CDC interfaces still
     * there, interface 2 with protocol 2. Both functional descriptors (read from
     * the ROM ELF): bmAttributes 0x0F, wDetachTimeOut 700, wTransferSize 64,
     * bcdDFUVersion 0x0110. GETSTATUS says bwPollTimeout 256 ms; a DNLOAD is
     * written inside the request (dfuDNLOAD-IDLE at once, never dfuDNBUSY); the
     * GETSTATUS after the zero-length DNLOAD says dfuIDLE, or dfuERROR when a
     * file is missing (errTARGET) or its MD5 is wrong (errFIRMWARE); a USB reset
     * in DFU mode restarts the ROM, never the application. Its DFU class derives
     * from Zephyr's usb_dfu.c. Facts and sources in docs/quirks.md, "Espressif
     * ESP32-S2/S3 ROM". */
    {"Espressif ESP32-S2 ROM", 0x303a, 0x0002, 0x0002, -1,
     "applications keep 303a:0002 too (esp-idf's USB console reuses the ROM's descriptors "
     "with the MAC as serial; Arduino and TinyUSB builds); the ROM has bcdDevice 0x0723 "
     "and serial \"0\"",
     Q(13, 26),
     "dfu-util -d 303a:0002 -D dfu.bin with an image made by esp-idf's mkdfu.py (idf.py "
     "dfu-flash; it retries once after \"Lost device after RESET?\")",
     "esp-idf tools/mkdfu.py, tools/cmake/dfu.cmake and run_dfu_util.cmake, "
     "docs/en/api-guides/dfu.rst (dfu-util -l), components/esp_rom/esp32s2 (usb_dfu.h, "
     "cpio.h, esp32s2.rom.ld); the ROM ELF esp32s2_rev0_rom.elf (esp-rs/espflash "
     "espflash/resources/roms); esp-idf #12771; vroland/epdiy #144 (dfu-util log)"},
    {"Espressif ESP32-S3 ROM", 0x303a, 0x0009, 0x0009, -1,
     "DFU only through the USB-OTG peripheral: an external PHY, or the USB_PHY_SEL eFuse "
     "burned", Q(13, 26),
     "dfu-util -d 303a:0009 -D dfu.bin with an image made by esp-idf's mkdfu.py (idf.py "
     "dfu-flash)",
     "esp-idf tools/mkdfu.py, tools/cmake/dfu.cmake, docs/en/api-guides/dfu.rst, "
     "components/esp_rom/esp32s3 (usb_dfu.h, cpio.h); the ROM ELF esp32s3_rev0_rom.elf "
     "(esp-rs/espflash espflash/resources/roms); esp-idf #12771"},
    {"NXP LPC43xx ROM DFU", 0x1fc9, 0x000c, 0x000c, -1, NULL, Q(13, 20, 28),
     "an image with the boot header and a DFU suffix; fwupd force-dfu-mode",
     "fwupd plugins/dfu/dfu.quirk (1fc9:000c force-dfu-mode); NXP UM10503"},
    {"Zephyr USB DFU with MCUboot", 0x2fe3, 0x0000, 0xffff, -1,
     "Zephyr's default VID; products set their own", Q(6, 29),
     "download to alt 1; a long host timeout", "zephyr issues #8734, #45359, #15497, "
                                               "#91042, #49821, #14882, #59958"},
    {"TinyUSB DFU (run-time and DFU mode)", 0xcafe, 0x0000, 0xffff, -1,
     "TinyUSB's example VID; products set their own", Q(8, 14, 18, 30),
     "treat a run-time stall as appIDLE; expect the manifestation to end in a reset; take "
     "bcdDFUVersion 0x0101 as DFU 1.1",
     "hathach/tinyusb #450, PR #754; src/device/usbd.h TUD_DFU_DESCRIPTOR (bcdDFUVersion "
     "0x0101)"},
    {"Openmoko Freerunner", 0x1d50, 0x5117, 0x5126, -1, NULL, Q(5, 13, 20),
     "ignore bwPollTimeout (5 ms)",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT, 1d50 and 1457:5117-5126); fwupd "
     "plugins/dfu/dfu.quirk (1d50:5119)"},
    {"Openmoko Freerunner (FIC)", 0x1457, 0x5117, 0x5126, -1, NULL, Q(5),
     "ignore bwPollTimeout (5 ms)", "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT)"},
    {"OpenPCD reader", 0x16c0, 0x076b, 0x076b, -1, NULL, Q(5), "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT); fwupd plugins/dfu/dfu.quirk"},
    {"SIMtrace", 0x16c0, 0x0762, 0x0762, -1, NULL, Q(5), "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT); fwupd plugins/dfu/dfu.quirk"},
    {"OpenPICC", 0x16c0, 0x076c, 0x076c, -1, NULL, Q(5), "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT); fwupd plugins/dfu/dfu.quirk"},
    {"Siemens PXM 40 (old firmware)", 0x0908, 0x02c4, 0x02c4, 0x0000, NULL, Q(5),
     "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT, bcdDevice 0); fwupd plugins/dfu/dfu.quirk"},
    {"Siemens PXM 50 (old firmware)", 0x0908, 0x02c5, 0x02c5, 0x0000, NULL, Q(5),
     "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT, bcdDevice 0); fwupd plugins/dfu/dfu.quirk"},
    {"M-Audio Transit", 0x0763, 0x2806, 0x2806, -1, NULL, Q(5), "ignore bwPollTimeout",
     "dfu-util src/quirks.c (QUIRK_POLLTIMEOUT); fwupd plugins/dfu/dfu.quirk"},
    {"LeafLabs Maple (rev 3 and 5)", 0x1eaf, 0x0003, 0x0003, 0x0200, NULL, Q(8),
     "take it as DFU 1.1",
     "dfu-util src/quirks.c (QUIRK_FORCE_DFU11, bcdDevice 0x0200); fwupd "
     "plugins/dfu/dfu.quirk (DfuForceVersion 0x0110)"},
    {"Black Magic Probe DFU bootloader", 0x1d50, 0x6017, 0x6017, -1, NULL, Q(4),
     "a bound on polls with bwPollTimeout 0",
     "dfu-util src/dfuse.c (gives up after 100 zero poll timeouts)"},
    {"Realtek USB camera", 0x0bda, 0x5800, 0x5800, -1, NULL, Q(12),
     "DETACH to attach", "fwupd plugins/dfu/dfu.quirk (detach-for-attach)"},
    {"TI Stellaris/Tiva DFU", 0x1cbe, 0x00ff, 0x00ff, -1, NULL, Q(27),
     "the 8-byte prefix (dfu-prefix)", "dfu-util src/lmdfu.c, dfu-prefix"},
};

#define C(id) DFS__QUIRK_BIT(id)

/* Which quirks can explain which finding. A quirk in `context` explains it
 * only when the rule that found it saw what the quirk is about (the request
 * before, the value, the operation, the alternate setting) and says so: a
 * dfuERROR on a device of ST's middleware is R15 only right after a
 * CLRSTATUS outside dfuERROR, not after any failure. The others explain the
 * finding on any device of a family that shows them. */
static const struct {
    enum dfs_finding_code code;
    unsigned char quirks[4];
    uint32_t context;
} explains[] = {
    {DFS_F_DFUSE_OPTION_BYTES_RESET, {1}, 0},
    {DFS_F_DFU_GETSTATUS_BUSY_STALL, {2}, 0},
    {DFS_F_DFU_POLL_TIMEOUT_TOO_SHORT, {3, 5}, C(3)},   /* R3: an erase */
    {DFS_F_DFU_ZERO_POLL_TIMEOUT, {4}, 0},
    {DFS_F_DFU_POLL_TIMEOUT_IGNORED, {5}, 0},
    {DFS_F_DFU_REQUEST_TIMEOUT, {6}, 0},
    {DFS_F_DESC_FUNCTIONAL_SHORT, {7, 32}, 0},
    {DFS_F_DESC_DFU_VERSION_UNKNOWN, {8}, 0},
    {DFS_F_DESC_TRANSFER_SIZE_INVALID, {9}, 0},
    {DFS_F_DFU_TRANSFER_SIZE_EXCEEDED, {9}, 0},
    {DFS_F_DESC_LAYOUT_INVALID, {10, 31}, 0},
    {DFS_F_DESC_DUPLICATE_ALT_LAYOUTS, {10}, 0},
    {DFS_F_DESC_STRING_NOT_UTF16, {31, 21}, 0},
    {DFS_F_DFU_RUNTIME_GETSTATUS_STALL, {11, 30}, 0},
    {DFS_F_DESC_DFU_PROTOCOL_INVALID, {13, 25}, 0},
    {DFS_F_DFUSE_LEAVE_RESET, {14, 31}, 0},
    {DFS_F_DFU_DEVICE_LOST, {14}, C(14)},               /* R14: in manifestation */
    {DFS_F_DFU_MANIFEST_WAIT_RESET, {14}, 0},
    {DFS_F_DFU_CLRSTATUS_OUTSIDE_ERROR, {15}, 0},
    {DFS_F_DFU_BAD_STATE_VALUE, {16}, C(16)},           /* R16: bState 0x0f after UPLOAD */
    {DFS_F_DFUSE_ERASE_INSTANT, {17}, C(17)},           /* R17: a mass erase */
    {DFS_F_DFU_STALL_WITHOUT_ERROR_STATE, {18}, 0},
    /* R19: a DNLOAD in dfuDNLOAD-SYNC; R18: a state kept after a STALL */
    {DFS_F_DFU_STATE_VIOLATION, {19, 18}, C(19) | C(18)},
    {DFS_F_DFU_OPERATION_FAILED, {29}, C(29)},          /* R29: errWRITE on alt 0 */
    /* R29 as above; R15: right after an acknowledged CLRSTATUS outside dfuERROR */
    {DFS_F_DFU_ERROR_STATE, {29, 15}, C(29) | C(15)},
};

const struct dfs_quirk_info *dfs_quirk_info(unsigned id)
{
    return id >= 1 && id <= DFS_QUIRK_MAX ? &infos[id - 1] : NULL;
}

size_t dfs_quirk_family_count(void)
{
    return sizeof families / sizeof families[0];
}

const struct dfs_quirk_family *dfs_quirk_family(size_t i)
{
    return i < dfs_quirk_family_count() ? &families[i] : NULL;
}

int dfs_quirk_family_has(const struct dfs_quirk_family *f, unsigned id)
{
    if (!f)
        return 0;
    for (unsigned i = 0; i < f->n_quirks; i++)
        if (f->quirks[i] == id)
            return 1;
    return 0;
}

size_t dfs_quirk_match(uint16_t vid, uint16_t pid, int32_t bcd_device,
                       const struct dfs_quirk_family **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < dfs_quirk_family_count(); i++) {
        const struct dfs_quirk_family *f = &families[i];
        if (f->vid != vid || pid < f->pid_first || pid > f->pid_last)
            continue;
        if (f->bcd_device >= 0 && f->bcd_device != bcd_device)
            continue;
        if (out && n < max)
            out[n] = f;
        n++;
    }
    return n;
}

unsigned dfs__quirk_for_finding(const struct dfs_quirk_family *f, enum dfs_finding_code code,
                                uint32_t context)
{
    for (size_t i = 0; f && i < sizeof explains / sizeof explains[0]; i++) {
        if (explains[i].code != code)
            continue;
        for (size_t k = 0; k < sizeof explains[i].quirks && explains[i].quirks[k]; k++) {
            unsigned id = explains[i].quirks[k];
            if ((explains[i].context & C(id)) && !(context & C(id)))
                continue;
            if (dfs_quirk_family_has(f, id))
                return id;
        }
    }
    return 0;
}

unsigned dfs_quirk_for_finding(const struct dfs_quirk_family *f, enum dfs_finding_code code)
{
    return dfs__quirk_for_finding(f, code, 0);
}

/* R25: the first interface of the first configuration, every alternate
 * setting of it (dfu-programmer's dfu_find_interface without
 * honor_interfaceclass; fwupd's use-any-interface). */
static size_t any_interface(const uint8_t *config, size_t len, struct dfs_dfu_interface *out,
                            size_t max)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, config, len);
    size_t count = 0;
    int first = -1;
    uint8_t config_value = 0;
    while (dfs_desc_walk_next(&w, &it, NULL) == 1) {
        if (it.kind == DFS_DK_CONFIG) {
            if (first >= 0)
                break; /* the first configuration only */
            config_value = it.u.config.bConfigurationValue;
        } else if (it.kind == DFS_DK_INTERFACE) {
            if (first < 0)
                first = it.u.interface.bInterfaceNumber;
            if (it.u.interface.bInterfaceNumber != first)
                continue;
            if (count < max) {
                struct dfs_dfu_interface *e = &out[count];
                memset(e, 0, sizeof *e);
                e->bConfigurationValue = config_value;
                e->iface = it.u.interface;
                e->offset = it.offset;
            }
            count++;
        }
    }
    return count;
}

size_t dfs_quirk_find_dfu(uint16_t vid, uint16_t pid, int32_t bcd_device, const uint8_t *config,
                          size_t len, struct dfs_dfu_interface *out, size_t max, unsigned *quirk)
{
    if (quirk)
        *quirk = 0;
    if (!config || (!out && max))
        return 0;
    size_t n = dfs_desc_find_dfu(config, len, out, max);
    if (n)
        return n;
    const struct dfs_quirk_family *fam[8];
    size_t nf = dfs_quirk_match(vid, pid, bcd_device, fam, sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < nf && i < sizeof fam / sizeof fam[0]; i++) {
        if (!dfs_quirk_family_has(fam[i], 25))
            continue;
        n = any_interface(config, len, out, max);
        if (n && quirk)
            *quirk = 25;
        return n;
    }
    return 0;
}
