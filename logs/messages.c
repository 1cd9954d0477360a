/* The known messages of the tools: what each means, its causes and remedy,
 * and where it comes from. dfu-util's are its error messages of releases
 * 0.7 (src/main.c, dfu_load.c, dfuse.c of tag v0.7), 0.9 (src/main.c,
 * dfu_util.c, dfuse.c, dfu_load.c) and 0.11 (the same files), printed
 * through err()/errx()/warnx() since 0.8 as "dfu-util: MESSAGE" and through
 * fprintf(stderr, ...) before, often with "Error: " in front. Matching
 * ignores those prefixes. A message without a finding code is recognised
 * (the line counts as understood) and needs no finding of its own. */
#include <string.h>

#include "log_internal.h"

#define DU DFS_LOG__DFU_UTIL
#define CUBE DFS_LOG__CUBE
#define FWUPD DFS_LOG__FWUPD
#define NONE (-1)
#define TOOL_ERROR ((int)DFS_F_LOG_TOOL_ERROR)

static const char SRC_DU[] = "dfu-util 0.7-0.11 sources (src/main.c, dfu_util.c, dfuse.c, "
                             "dfu_load.c)";
static const char SRC_FWUPD[] = "fwupd 2.0.20 sources (plugins/dfu/fu-dfu-device.c, "
                                "fu-dfu-target.c, fu-dfu-target-stm.c; src/fu-device-list.c)";
static const char SRC_FWUPD1[] = "fwupd 1.7-1.9 sources (plugins/dfu/fu-dfu-target.c, "
                                 "fu-dfu-target-stm.c, fu-dfu-device.c, fu-dfu-tool.c of tags "
                                 "1.7.0, 1.8.10, 1.9.34)";
static const char SRC_CUBE[] = "STM32CubeProgrammer v2 logs (UM2237)";

static const char PERM_CAUSE[] =
    "the user may not open the device (no udev rule giving access on Linux), another program "
    "or driver holds it (on Windows the device needs the WinUSB driver for libusb; ST's own "
    "STTub30 driver does not work with dfu-util)";
static const char PERM_REMEDY[] =
    "On Linux add a udev rule for the device (e.g. dfu-util's doc/40-dfuse.rules, or "
    "MODE=\"0666\" for its VID:PID) or run as root once to confirm; on Windows install "
    "WinUSB for the DFU interface with Zadig; close other programs using the device.";

static const struct dfs_log__msg msgs[] = {
    /* fwupd's dfu plugin: the parts of its error chains ("failed to
     * write-firmware: cannot upload data: USB error: Pipe error [-9]") */
    {FWUPD, "cannot upload data: %s", TOOL_ERROR,
     "the device refused an UPLOAD (a stall: the state allows none, or the address is outside "
     "its memory) or left the bus",
     "Capture the session (dfuscope capture) to see the request the device refused and its "
     "state before it; fwupdtool -v -v logs each state fwupd read.",
     SRC_FWUPD},
    {FWUPD, "cannot download data: %s", TOOL_ERROR,
     "the device refused a DNLOAD (a stall: the state allows none, the block is longer than "
     "it takes although its functional descriptor announces that transfer size, or the "
     "address is not writable) or left the bus",
     "Compare the block size fwupd used (\"using DFU transfer size\", \"writing #0000 chunk of "
     "size\") with what the device takes; a quirk (DfuForceTransferSize) can make fwupd send "
     "smaller blocks. Capture the session to see the stall.",
     SRC_FWUPD},
    {FWUPD, "cannot get device state: %s", TOOL_ERROR,
     "GETSTATUS failed: the device stalled it (still busy, or it does not implement it in "
     "this state) or it had left the bus",
     "Capture the session (dfuscope capture) to see whether the device stalled GETSTATUS or "
     "left the bus.",
     SRC_FWUPD},
    {FWUPD, "cannot get device status, invalid size: %s", TOOL_ERROR,
     "the device answered GETSTATUS with a length other than the 6 bytes DFU 1.1 defines",
     "The device's firmware must answer GETSTATUS with 6 bytes.", SRC_FWUPD},
    {FWUPD, "cannot detach device: %s", TOOL_ERROR,
     "the run-time interface refused DFU_DETACH, or the device left before answering",
     "Put the device into its bootloader by hand (boot pin, button), then run fwupd again.",
     SRC_FWUPD},
    {FWUPD, "cannot abort device: %s", TOOL_ERROR,
     "the device refused DFU_ABORT in its state", "Capture the session to see the state.",
     SRC_FWUPD},
    {FWUPD, "cannot clear status on the device: %s", TOOL_ERROR,
     "the device refused CLRSTATUS", "Capture the session to see the state.", SRC_FWUPD},
    {FWUPD, "cannot reset USB device: %s", TOOL_ERROR,
     "the USB reset failed, most often because the device had already left the bus",
     "Check with lsusb what the device is now.", SRC_FWUPD},
    {FWUPD, "cannot set alternate setting %s on interface %s: %s", TOOL_ERROR,
     "the device refused SET_INTERFACE for the alternate setting",
     "Check the alternate settings with lsusb -v.", SRC_FWUPD},
    {FWUPD, "read protection is active%s", TOOL_ERROR,
     "the chip's flash read protection is on (the DfuSe bootloader answers with "
     "errVENDOR/errTARGET to an address command)",
     "Remove the read protection (it erases the flash), e.g. with STM32CubeProgrammer.",
     SRC_FWUPD},
    {FWUPD, "address is wrong or unsupported", TOOL_ERROR,
     "the DfuSe bootloader refused the address (errADDRESS)",
     "Check the address of the firmware file against the device's memory layout.", SRC_FWUPD},
    {FWUPD, "Stuck in DFU_DNBUSY", TOOL_ERROR,
     "the device stayed in dfuDNBUSY longer than fwupd waits",
     "The device's bwPollTimeout should cover the work; capture the session to see the times.",
     SRC_FWUPD},
    {FWUPD, "reach to max polling tries", TOOL_ERROR,
     "the device stayed in dfuMANIFEST longer than fwupd polls",
     "Capture the session to see the manifestation and its poll timeouts.", SRC_FWUPD},
    {FWUPD, "no memory sector at 0x%s", (int)DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT,
     "fwupd found no sector of the layout at the address and refused the request itself: it "
     "never reached the device and says nothing about it",
     "Check the firmware file's addresses against the layout (dfuscope check-file).",
     SRC_FWUPD},
    {FWUPD, "no valid sector for 0x%s", (int)DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT,
     "fwupd found no sector of the layout at the address and refused the request itself: it "
     "never reached the device and says nothing about it",
     "Check the firmware file's addresses against the layout (dfuscope check-file).",
     SRC_FWUPD},
    /* fwupd 1.x's wording of the same refusals (dfu-tool) */
    {FWUPD, "no valid sector for %s", (int)DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT,
     "fwupd found no sector of the layout at the address and refused the request itself: it "
     "never reached the device and says nothing about it",
     "Check the firmware file's addresses against the layout (dfuscope check-file).",
     SRC_FWUPD1},
    {FWUPD, "Read protection is active", TOOL_ERROR,
     "the chip's flash read protection is on (the DfuSe bootloader answers with "
     "errVENDOR/errTARGET to an address command)",
     "Remove the read protection (it erases the flash), e.g. with STM32CubeProgrammer.",
     SRC_FWUPD1},
    {FWUPD, "Address is wrong or unsupported", TOOL_ERROR,
     "the DfuSe bootloader refused the address (errADDRESS)",
     "Check the address of the firmware file against the device's memory layout.", SRC_FWUPD1},
    {FWUPD, "no device matches for %s", (int)DFS_F_LOG_NO_DEVICE,
     "no device with the VID:PID given with -d was on the bus, or it could not be read",
     "Check lsusb for the device and the -d filter; put the device into its bootloader.",
     SRC_FWUPD1},
    {FWUPD, "no DFU devices found", (int)DFS_F_LOG_NO_DEVICE,
     "no device with a DFU interface was on the bus, or dfu-tool could not read its "
     "descriptors (access rights)",
     "Check lsusb for the device; put it into its bootloader (BOOT0 high on STM32); check the "
     "access rights.",
     SRC_FWUPD1},
    {FWUPD, "memory sector at 0x%s is not readable", (int)DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT,
     "the layout marks the sector not readable, so fwupd refused the read itself: it never "
     "reached the device and says nothing about it",
     "Read only the readable sectors of the layout.", SRC_FWUPD},
    {FWUPD, "memory sector at 0x%s is not writable", (int)DFS_F_DFUSE_ADDRESS_OUTSIDE_LAYOUT,
     "the layout marks the sector not writable, so fwupd refused the write itself: it never "
     "reached the device and says nothing about it",
     "Check the firmware file's addresses against the layout (dfuscope check-file).",
     SRC_FWUPD},
    {FWUPD, "vendor ID incorrect, expected 0x%s got 0x%s and 0x%s", (int)DFS_F_FILE_ID_MISMATCH,
     "the DFU suffix of the file names another vendor ID than the device's",
     "Use the firmware file made for this device (dfuscope check-file shows its suffix).",
     SRC_FWUPD},
    {FWUPD, "product ID incorrect, expected 0x%s got 0x%s and 0x%s", (int)DFS_F_FILE_ID_MISMATCH,
     "the DFU suffix of the file names another product ID than the device's",
     "Use the firmware file made for this device (dfuscope check-file shows its suffix).",
     SRC_FWUPD},
    {FWUPD, "device %s did not come back", (int)DFS_F_LOG_LOST_AFTER_RESET,
     "the device left the bus (detach, reset or the end of the update) and did not come back "
     "within the time fwupd waits: it came back with other IDs, took longer, or stayed in "
     "another mode",
     "Check with lsusb what the device is now; a quirk can give fwupd the IDs of its other "
     "mode (CounterpartGuid) or a longer RemoveDelay.",
     SRC_FWUPD},
    {FWUPD, "DFU transfer size invalid, using default", (int)DFS_F_DESC_TRANSFER_SIZE_INVALID,
     "the DFU functional descriptor, as fwupd read it, has wTransferSize 0; fwupd sends 64-byte "
     "blocks instead",
     "The device's functional descriptor should give the largest block it takes; until then "
     "a quirk (DfuForceTransferSize) gives fwupd the size.",
     SRC_FWUPD},
    {FWUPD, "truncated DFU interface data, no bcdDFUVersion", (int)DFS_F_DESC_FUNCTIONAL_SHORT,
     "the DFU functional descriptor is 7 bytes long (DFU 1.0), without bcdDFUVersion; fwupd "
     "assumes DFU 1.1",
     "Nothing for the host; the device's firmware should give the 9-byte DFU 1.1 descriptor.",
     SRC_FWUPD},
    /* recognised, no finding: fwupd takes the descriptor after each DFU
     * interface descriptor as its functional descriptor, and an ST
     * bootloader has one after the last alternate setting only */
    {FWUPD, "failed to parse interface data%s", NONE, NULL, NULL, SRC_FWUPD},
    {FWUPD, "failed to parse: '%s': invalid %s", TOOL_ERROR,
     "fwupd could not parse a sector group of the DfuSe layout string (its parser takes at "
     "most 999 sectors, a size of at most three digits, a multiplier B, K, M or a space and a "
     "type a to g) and ignores the device",
     "Check the layout with dfuscope diagnose on lsusb -v: if it is valid (desc.layout-invalid "
     "does not fire), the limit is fwupd's; write the size with a multiplier (1024 bytes as "
     "001K) in the device's firmware.",
     SRC_FWUPD},
    /* finding ids of their own */
    {DU, "Lost device after RESET?", (int)DFS_F_LOG_LOST_AFTER_RESET,
     "the device left the bus after dfu-util's USB reset (or its detach) and dfu-util did not "
     "find it again within its wait: it re-enumerated with other IDs, took longer than "
     "dfu-util waited, or stayed in its application",
     "Run dfu-util -l after the reset to see what came back; give the device time (dfu-util "
     "0.10+: -w waits for it); if it came back with other IDs, pass them with -d "
     "RUNTIME_VID:PID,DFU_VID:PID.",
     SRC_DU},
    {DU, "No matching DFU Interface after RESET?!?", (int)DFS_F_LOG_LOST_AFTER_RESET,
     "the device came back after the reset without the DFU interface dfu-util expected",
     "Run dfu-util -l to see the interfaces the device shows after the reset.", SRC_DU},
    {DU, "Cannot open DFU device %04x:%04x found on devnum %i (%s)",
     (int)DFS_F_LOG_CANNOT_OPEN, PERM_CAUSE, PERM_REMEDY, SRC_DU},
    {DU, "Cannot open DFU device %04x:%04x", (int)DFS_F_LOG_CANNOT_OPEN, PERM_CAUSE, PERM_REMEDY,
     SRC_DU},
    {DU, "Cannot open device", (int)DFS_F_LOG_CANNOT_OPEN, PERM_CAUSE, PERM_REMEDY, SRC_DU},
    {DU, "Cannot open device: %s", (int)DFS_F_LOG_CANNOT_OPEN, PERM_CAUSE, PERM_REMEDY, SRC_DU},
    {DU, "No DFU capable USB device available", (int)DFS_F_LOG_NO_DEVICE,
     "no device with a DFU interface was on the bus, or dfu-util could not read its "
     "descriptors (access rights), or the -d/-p/-S filter matched none",
     "Check lsusb for the device; put it into its bootloader (BOOT0 high on STM32); check the "
     "-d filter and the access rights.",
     SRC_DU},
    {DU, "No DFU capable USB device found", (int)DFS_F_LOG_NO_DEVICE,
     "no device with a DFU interface was on the bus, or the filter matched none",
     "Check lsusb for the device and the -d filter; put the device into its bootloader.",
     SRC_DU},
    {DU, "More than one DFU capable USB device found%s", TOOL_ERROR,
     "several DFU devices (or interfaces) match, and dfu-util does not choose",
     "Give -d VID:PID, -S SERIAL or -p PATH, or -a for the alternate setting.", SRC_DU},
    {DU, "Cannot claim interface%s", TOOL_ERROR,
     "another driver or program holds the interface (on Linux a kernel driver, on Windows the "
     "device is not bound to WinUSB)",
     PERM_REMEDY, SRC_DU},
    {DU, "Cannot set alternate interface%s", TOOL_ERROR,
     "the device refused SET_INTERFACE for the alternate setting (it does not exist, or the "
     "device is in a state that refuses it)",
     "Check the alternate settings with dfu-util -l and pass one of them with -a.", SRC_DU},
    {DU, "Cannot set alt interface zero%s", TOOL_ERROR,
     "the run-time interface refused SET_INTERFACE 0", "Check dfu-util -l.", SRC_DU},
    {DU, "Device still in Runtime Mode!", TOOL_ERROR,
     "the device did not switch to DFU mode after the detach",
     "Put the device into its bootloader by hand (boot pin, button), then run dfu-util again.",
     SRC_DU},
    {DU, "Device still in Run-Time Mode!", TOOL_ERROR,
     "the device did not switch to DFU mode after the detach",
     "Put the device into its bootloader by hand (boot pin, button), then run dfu-util again.",
     SRC_DU},
    {DU, "USB communication error", TOOL_ERROR,
     "a control transfer to the device failed (stall, disconnect, timeout)",
     "Run dfu-util -v -v to see which request failed; capture the session with usbmon for the "
     "device's side.",
     SRC_DU},
    {DU, "Status is not OK: %d", TOOL_ERROR,
     "the device reported an error status in GETSTATUS before the transfer started",
     "The status says why (dfu-util prints it on the line before); clear it by re-entering "
     "the bootloader.",
     SRC_DU},
    {DU, "Error during download", TOOL_ERROR,
     "a DNLOAD request failed: the device stalled it (a refused write: protected or "
     "non-existent memory) or left the bus",
     "Check the address and size against the device's memory (dfu-util -l shows the layout); "
     "capture the session to see the device's status.",
     SRC_DU},
    {DU, "Error during upload", TOOL_ERROR,
     "an UPLOAD request failed: the device stalled it (read protection, an address it does not "
     "read) or left the bus",
     "Check the address and the read protection.", SRC_DU},
    {DU, "Error sending completion packet", TOOL_ERROR,
     "the zero-length DNLOAD that ends a DFU 1.1 download failed",
     "If the download itself went through, the device may have started manifestation early; "
     "check whether the new firmware runs.",
     SRC_DU},
    {DU, "Transfer size must be specified", TOOL_ERROR,
     "the device gave no wTransferSize dfu-util could read",
     "Give the transfer size with -t.", SRC_DU},
    {DU, "The mass erase command can only be used with force", TOOL_ERROR,
     "dfu-util refuses a mass erase without :force", "Add :force to -s if the erase is meant.",
     SRC_DU},
    {DU, "The read unprotect command will erase the flash memoryand can only be used with force",
     TOOL_ERROR, "dfu-util refuses a read unprotect without :force",
     "Add :force to -s if the unprotect (and the erase it causes) is meant.", SRC_DU},
    {DU, "Failed to parse memory layout%s", TOOL_ERROR,
     "the alternate setting's name is not a DfuSe memory layout dfu-util understands",
     "See the layout finding (desc.layout-invalid) or give the address with :force.", SRC_DU},
    {DU, "Wrong state after command \"%s\" download", TOOL_ERROR,
     "the device did not go to dfuDNLOAD-IDLE after a DfuSe command: it refused it",
     "The address is most likely protected or outside the device's memory.", SRC_DU},
    {DU, "Error during special command \"%s\" get_status", TOOL_ERROR,
     "GETSTATUS after a DfuSe command failed: the command (erase, set address, leave) reset "
     "or stalled the device",
     "After an erase of option bytes or a leave the device resets by design; otherwise capture "
     "the session.",
     SRC_DU},
    {DU, "Error during special command \"%s\" download", TOOL_ERROR,
     "the device refused a DfuSe command (set address, erase)",
     "The address is most likely protected or outside the device's memory.", SRC_DU},
    {DU, "Device stuck after special command request", TOOL_ERROR,
     "the device stayed busy after a DfuSe command", "Re-enter the bootloader and try again.",
     SRC_DU},
    {DU, "Error: File ID %04x:%04x does not match device (%04x:%04x or %04x:%04x)", TOOL_ERROR,
     "the DFU suffix of the file names another device",
     "Use the file built for this device, or change the suffix with dfu-suffix if it is right.",
     SRC_DU},
    /* recognised, no finding of their own */
    {DU, "Invalid dfuse address: %s", NONE, NULL, NULL, SRC_DU},
    {DU, "Invalid dfuse modifier: %s", NONE, NULL, NULL, SRC_DU},
    {DU, "You need to specify one of -D or -U", NONE, NULL, NULL, SRC_DU},
    {DU, "unable to initialize libusb: %i", NONE, NULL, NULL, SRC_DU},
    {DU, "Error during abort get_status", NONE, NULL, NULL, SRC_DU},
    {DU, "Error sending dfu abort request", NONE, NULL, NULL, SRC_DU},
    {DU, "Failed to enter idle state on abort", NONE, NULL, NULL, SRC_DU},
    {DU, "can't send DFU_ABORT", NONE, NULL, NULL, SRC_DU},
    {DU, "error get_status", NONE, NULL, NULL, SRC_DU},
    {DU, "error clear_status", NONE, NULL, NULL, SRC_DU},
    {DU, "error detaching", NONE, NULL, NULL, SRC_DU},
    {DU, "can't detach", NONE, NULL, NULL, SRC_DU},
    {DU, "error resetting after download", NONE, NULL, NULL, SRC_DU},
    {DU, "Cannot set configuration", NONE, NULL, NULL, SRC_DU},
    {DU, "Received too many bytes%s", NONE, NULL, NULL, SRC_DU},
    {DU, "Unexpected number of bytes uploaded from device", NONE, NULL, NULL, SRC_DU},
    {DU, "Failed to write whole chunk: %i of %i bytes", NONE, NULL, NULL, SRC_DU},
    {DU, "Invalid descriptor list", NONE, NULL, NULL, SRC_DU},
    {DU, "Device has DFU interface, but has no DFU functional descriptor", NONE, NULL, NULL,
     SRC_DU},
    {DU, "Error obtaining DFU functional descriptor", NONE, NULL, NULL, SRC_DU},
    {DU, "Warning: Assuming DFU version 1.0", NONE, NULL, NULL, SRC_DU},
    {DU, "Warning: Transfer size can not be detected", NONE, NULL, NULL, SRC_DU},
    {DU, "Warning: File has no DFU suffix", NONE, NULL, NULL, SRC_DU},
    {DU, "Invalid DFU suffix signature", NONE, NULL, NULL, SRC_DU},
    {DU, "A valid DFU suffix will be required in a future dfu-util release", NONE, NULL, NULL,
     SRC_DU},
    {DU, "DFU suffix CRC does not match", NONE, NULL, NULL, SRC_DU},
    {DU, "Valid DFU suffix needed", NONE, NULL, NULL, SRC_DU},
    {DU, "No valid DfuSe signature", NONE, NULL, NULL, SRC_DU},
    {DU, "No valid target signature", NONE, NULL, NULL, SRC_DU},
    {DU, "This is a DfuSe file, not meant for raw download", NONE, NULL, NULL, SRC_DU},
    {DU, "Only DfuSe file version 1.1a is supported", NONE, NULL, NULL, SRC_DU},
    {DU, "Multiple alternate interfaces for DfuSe file", NONE, NULL, NULL, SRC_DU},
    {DU, "Unbound upload not supported on DfuSe devices", NONE, NULL, NULL, SRC_DU},
    {DU, "Device does not implement get_status, assuming appIDLE", NONE, NULL, NULL, SRC_DU},
    {DU, "WARNING: Runtime device already in DFU state ?!?", NONE, NULL, NULL, SRC_DU},
    {DU, "WARNING: Device already in DFU mode? (bState=%d %s)", NONE, NULL, NULL, SRC_DU},
    {DU, "WARNING: DFU Status: '%s'", NONE, NULL, NULL, SRC_DU},
    {DU, "Warning: DfuSe option used on non-DfuSe device", NONE, NULL, NULL, SRC_DU},
    {DU, "Warning: Overriding device-reported transfer size", NONE, NULL, NULL, SRC_DU},
    {DU, "Device detected unexpected USB reset signalling", NONE, NULL, NULL, SRC_DU},
    {DU, "Device stalled an unexpected request", NONE, NULL, NULL, SRC_DU},
    {DU, "Failed to retrieve language identifiers", NONE, NULL, NULL, SRC_DU},
    {DU, "Failed to retrieve string descriptor %d", NONE, NULL, NULL, SRC_DU},
    {DU, "unable to read DFU status after completion", NONE, NULL, NULL, SRC_DU},
    {DU, "%s: libusb_control_transfer returned %d", NONE, NULL, NULL, SRC_DU},
    {DU, "%s: libusb_control_msg returned %d", NONE, NULL, NULL, SRC_DU},
    /* STM32CubeProgrammer */
    {CUBE, "Error: No DFU device found", (int)DFS_F_LOG_NO_DEVICE,
     "no ST DFU device on the bus, or the driver does not let CubeProgrammer see it",
     "Put the chip into its system bootloader (BOOT0 high), check lsusb; on Windows install "
     "the driver CubeProgrammer names (STM32 Bootloader / WinUSB).",
     SRC_CUBE},
    {CUBE, "Error: Target device not found%s", (int)DFS_F_LOG_NO_DEVICE,
     "no ST DFU device on the bus", "Put the chip into its system bootloader, check lsusb.",
     SRC_CUBE},
    {CUBE, "Error: Unable to reconnect the target device%s", NONE, NULL, NULL, SRC_CUBE},
    {CUBE, "Error: failed to erase memory", TOOL_ERROR,
     "the bootloader refused the erase: write-protected sectors or read protection",
     "Check the write protection (WRP) and RDP option bytes.", SRC_CUBE},
    {CUBE, "Error: failed to download the File", TOOL_ERROR,
     "a write was refused or the device was lost during the download",
     "Check the address against the device's flash and the write protection.", SRC_CUBE},
    {CUBE, "Error: Download verification failed", TOOL_ERROR,
     "what was read back differs from the file",
     "Erase before programming (-e all) and check the write protection.", SRC_CUBE},
};

/* Wildcard matching: a printf conversion in the pattern matches one or more
 * characters; the rest matches itself. Linear backtracking (the classic
 * single-star algorithm), so no input can make it slow. */
bool dfs_log__match(const char *p, const char *s, size_t len)
{
    size_t i = 0;
    const char *star = NULL;
    size_t star_i = 0;
    while (i < len) {
        if (*p == '%' && p[1] && p[1] != '%') {
            const char *q = p + 1;
            while (*q && strchr("-+ #0123456789.lhzj", *q))
                q++;
            if (*q)
                q++;
            star = q;
            star_i = ++i; /* at least one character */
            p = q;
            continue;
        }
        char want = *p == '%' ? '%' : *p;
        if (*p && want == s[i]) {
            p += *p == '%' ? 2 : 1;
            i++;
            continue;
        }
        if (!star)
            return false;
        p = star;
        i = ++star_i;
        if (star_i > len)
            return false;
    }
    while (*p == '%' && p[1] && p[1] != '%')
        return false; /* a conversion left with nothing to match */
    return *p == '\0';
}

const struct dfs_log__msg *dfs_log__msg_find(enum dfs_log__tool tool, const char *s, size_t len)
{
    /* the prefixes err() and the older fprintf()s put in front */
    for (int k = 0; k < 2; k++) {
        static const char *const pre[] = {"dfu-util: ", "Error: ", "Warning: "};
        for (size_t j = 0; j < 3; j++) {
            size_t n = strlen(pre[j]);
            if (len > n && !memcmp(s, pre[j], n) && !(tool == CUBE && j >= 1)) {
                s += n;
                len -= n;
            }
        }
        (void)k;
    }
    /* 0.10+ appends the libusb error: "... (LIBUSB_ERROR_PIPE)", and older
     * ones ": reason": where the message may end before such a tail (the
     * same places for every pattern, found once) */
    uint16_t ends[300];
    size_t n_ends = 0;
    for (size_t k = 1; k + 1 < len && k < 300; k++)
        if ((s[k] == ' ' && s[k + 1] == '(') || (s[k] == ':' && s[k + 1] == ' '))
            ends[n_ends++] = (uint16_t)k;
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        const struct dfs_log__msg *m = &msgs[i];
        if (m->tool != tool)
            continue;
        const char *pat = m->pattern;
        if (tool == DU && pat[0] == 'E' && !strncmp(pat, "Error: ", 7))
            pat += 7;
        /* a pattern that starts with a character of its own matches only a
         * line that starts with it (most patterns end here, for most lines) */
        if (len && *pat != '%' && *pat != s[0])
            continue;
        if (dfs_log__match(pat, s, len))
            return m;
        for (size_t j = 0; j < n_ends; j++)
            if (dfs_log__match(pat, s, ends[j]))
                return m;
    }
    return NULL;
}
