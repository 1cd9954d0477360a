/* How the host program saw a failed transfer, in the terms of the system the
 * capture was made on: a STALL is -32 EPIPE in a Linux usbmon capture,
 * USBD_STATUS_STALL_PID in a Windows USBPcap one, kIOUSBPipeStalled in a
 * macOS one, and a STALL handshake on the wire in a packet-level one. What a
 * libusb program was told follows libusb's backends:
 *   Windows (os/windows_common.c, windows_handle_transfer_completion):
 *     WinUSB ends a stalled transfer with Win32 error 31 ERROR_GEN_FAILURE,
 *     which libusb takes as a stall: LIBUSB_ERROR_PIPE; ERROR_SEM_TIMEOUT is
 *     LIBUSB_ERROR_TIMEOUT, a removed device LIBUSB_ERROR_NO_DEVICE, an
 *     aborted transfer a cancellation, anything else LIBUSB_ERROR_IO. The
 *     libusb0.sys driver's synchronous control transfers (libusb #1017) and
 *     the UsbDk backend before libusb #1257 (issue #1256) gave
 *     LIBUSB_ERROR_IO for a stall instead.
 *   macOS (os/darwin_usb.c): kIOUSBPipeStalled and kUSBHostReturnPipeStalled
 *     are a stall, LIBUSB_ERROR_PIPE; kIOUSBTransactionTimeout a timeout.
 *   Linux (os/linux_usbfs.c): -EPIPE is a stall, LIBUSB_ERROR_PIPE. */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"

enum dfs__host dfs__host_of(int linktype)
{
    switch (linktype) {
    case DFS_LINKTYPE_USBPCAP:
        return DFS__HOST_WINDOWS;
    case DFS_LINKTYPE_USB_DARWIN:
        return DFS__HOST_MACOS;
    case DFS_LINKTYPE_USB_2_0:
    case DFS_LINKTYPE_USB_2_0_LOW_SPEED:
    case DFS_LINKTYPE_USB_2_0_FULL_SPEED:
    case DFS_LINKTYPE_USB_2_0_HIGH_SPEED:
        return DFS__HOST_BUS;
    default:
        return DFS__HOST_LINUX;
    }
}

/* The status as its system names it: "USBD_STATUS_XACT_ERROR 0xc0000011" */
void dfs__host_status_name(int linktype, int32_t status, uint32_t os_status, char *buf,
                           size_t size)
{
    const char *n = NULL;
    switch (dfs__host_of(linktype)) {
    case DFS__HOST_WINDOWS:
        n = dfs_usbd_status_name(os_status);
        snprintf(buf, size, "%s 0x%08x", n ? n : "USBD_STATUS", os_status);
        return;
    case DFS__HOST_MACOS:
        n = dfs_ioreturn_name(os_status);
        snprintf(buf, size, "%s 0x%08x", n ? n : "IOReturn", os_status);
        return;
    case DFS__HOST_LINUX:
    case DFS__HOST_BUS:
    default:
        n = dfs_errno_name(status);
        snprintf(buf, size, "%d %s", (int)status, n ? n : "?");
        return;
    }
}

/* What libusb on Windows returned for a USBD status other than a stall */
static const char *windows_libusb_error(int32_t status)
{
    switch (-status) {
    case DFS_LINUX_ENODEV:
        return "LIBUSB_ERROR_NO_DEVICE";
    case DFS_LINUX_ETIMEDOUT:
        return "LIBUSB_ERROR_TIMEOUT";
    case DFS_LINUX_ENOENT:
        return "LIBUSB_ERROR_TIMEOUT when libusb cancelled it at its timeout, "
               "LIBUSB_ERROR_INTERRUPTED when the program cancelled it";
    default:
        return "LIBUSB_ERROR_IO";
    }
}

static const char *macos_libusb_error(int32_t status)
{
    switch (-status) {
    case DFS_LINUX_ENODEV:
        return "LIBUSB_ERROR_NO_DEVICE";
    case DFS_LINUX_ETIMEDOUT:
        return "LIBUSB_ERROR_TIMEOUT";
    case DFS_LINUX_EOVERFLOW:
        return "LIBUSB_ERROR_OVERFLOW";
    default:
        return "LIBUSB_ERROR_IO";
    }
}

void dfs__host_failure_words(int linktype, int32_t status, uint32_t os_status, char *buf,
                             size_t size)
{
    char name[64];
    bool stall = status == -DFS_LINUX_EPIPE;
    if (status == 1) {
        snprintf(buf, size, "got no answer at all");
        return;
    }
    dfs__host_status_name(linktype, status, os_status, name, sizeof name);
    switch (dfs__host_of(linktype)) {
    case DFS__HOST_WINDOWS:
        if (stall)
            snprintf(buf, size,
                     "failed with a STALL (%s: libusb on Windows reports "
                     "LIBUSB_ERROR_PIPE through WinUSB, LIBUSB_ERROR_IO through libusb0.sys "
                     "or an older UsbDk backend)",
                     name);
        else
            snprintf(buf, size, "failed with %s, which libusb on Windows reports as %s",
                     name, windows_libusb_error(status));
        return;
    case DFS__HOST_MACOS:
        if (stall)
            snprintf(buf, size,
                     "failed with a STALL (%s, which libusb on macOS reports as "
                     "LIBUSB_ERROR_PIPE)",
                     name);
        else
            snprintf(buf, size, "failed with %s, which libusb on macOS reports as %s", name,
                     macos_libusb_error(status));
        return;
    case DFS__HOST_BUS:
        if (stall)
            snprintf(buf, size,
                     "failed with a STALL handshake on the bus (which libusb reports as "
                     "LIBUSB_ERROR_PIPE on every system)");
        else
            snprintf(buf, size, "failed on the bus (%s: %s)", name,
                     dfs_status_meaning(status));
        return;
    case DFS__HOST_LINUX:
    default:
        if (stall)
            snprintf(buf, size, "failed with a STALL (-32 EPIPE, which libusb reports as "
                                "LIBUSB_ERROR_PIPE)");
        else
            snprintf(buf, size, "failed with status %d (%s: %s)", (int)status,
                     dfs_errno_name(status) ? dfs_errno_name(status) : "?",
                     dfs_status_meaning(status));
        return;
    }
}

void dfs__host_stalled_words(int linktype, uint32_t os_status, char *buf, size_t size)
{
    char name[64];
    dfs__host_status_name(linktype, -DFS_LINUX_EPIPE, os_status, name, sizeof name);
    switch (dfs__host_of(linktype)) {
    case DFS__HOST_WINDOWS:
        snprintf(buf, size,
                 "stalled (%s; LIBUSB_ERROR_PIPE through WinUSB, LIBUSB_ERROR_IO through "
                 "libusb0.sys)",
                 name);
        return;
    case DFS__HOST_MACOS:
        snprintf(buf, size, "stalled (%s, LIBUSB_ERROR_PIPE)", name);
        return;
    case DFS__HOST_BUS:
        snprintf(buf, size, "stalled (a STALL handshake on the bus, LIBUSB_ERROR_PIPE)");
        return;
    case DFS__HOST_LINUX:
    default:
        snprintf(buf, size, "stalled (-32 EPIPE, LIBUSB_ERROR_PIPE)");
        return;
    }
}

/* ---- findings whose remedy depends on the capture's system --------------------------- */

static void who_words(const struct dfs__device *dev, char *buf, size_t size)
{
    if (dev->identified)
        snprintf(buf, size, "device %u.%u (%04x:%04x)", dev->bus, dev->devnum, dev->vid,
                 dev->pid);
    else
        snprintf(buf, size, "device %u.%u", dev->bus, dev->devnum);
}

/* capture.enumeration-missing: how to capture the enumeration too */
static const char *late_start_remedy(enum dfs__host host)
{
    switch (host) {
    case DFS__HOST_WINDOWS:
        return "USBPcap records only what happens after it starts, and Windows reads the "
               "descriptors once, when the device is plugged in. Start the capture first "
               "(Wireshark on the USBPcap root hub, or USBPcapCMD -A), then plug the device "
               "in or put it into DFU mode, then run the flashing tool.";
    case DFS__HOST_MACOS:
        return "Start the capture on the XHC interface first, then plug the device in or put "
               "it into DFU mode, then run the flashing tool.";
    case DFS__HOST_BUS:
        return "Start the analyzer's capture before the device is plugged in or put into DFU "
               "mode, so that its enumeration is on the record.";
    case DFS__HOST_LINUX:
    default:
        return "Start the capture first (dfuscope capture, or follow -d VID:PID, which keeps "
               "the device across its resets), then plug the device in or put it into DFU "
               "mode, then run the flashing tool. The descriptors alone can be checked "
               "from lsusb -v -d VID:PID output saved to a file: dfuscope diagnose FILE.";
    }
}

void dfs__say_enumeration_missing(dfs_decoder *d, const struct dfs__device *dev,
                                  const struct dfs__frames *fr, bool no_device, bool no_config,
                                  int linktype)
{
    char who[48];
    who_words(dev, who, sizeof who);
    dfs__emit_finding(
        d, DFS_F_CAPTURE_ENUMERATION_MISSING, dev->id, dev->first_frame, fr,
        late_start_remedy(dfs__host_of(linktype)),
        "%s is sent DFU requests (from frame %llu), but the capture holds %s: it began after "
        "the device was enumerated. Without %s: %s%s%s.",
        who, (unsigned long long)fr->v[fr->n > 1 ? 1 : 0],
        no_device && no_config ? "neither its device nor its configuration descriptor"
        : no_device            ? "no device descriptor of it"
                               : "no configuration descriptor of it",
        no_device && no_config ? "them" : "it",
        no_device ? "no VID:PID, bcdDevice or serial number, so no known device quirk can be "
                    "named and the device is known only by its address"
                  : "",
        no_device && no_config ? "; " : "",
        no_config ? "no DFU functional descriptor (wTransferSize, bmAttributes, "
                    "bcdDFUVersion: no descriptor checks, no transfer-size check, DFU 1.1 or "
                    "DfuSe told from the replies alone) and no alternate settings or their "
                    "names (no DfuSe memory layout: no address or option-byte checks against "
                    "it)"
                  : "");
}

/* dfu.never-opened: why no program talks to a DFU device, on this system */
static void never_opened_remedy(enum dfs__host host, uint16_t vid, uint16_t pid, char *buf,
                                size_t size)
{
    switch (host) {
    case DFS__HOST_WINDOWS:
        snprintf(buf, size,
                 "On Windows this is the missing driver: Windows binds no driver to a DFU "
                 "device of its own accord, and a device in DFU mode has a VID:PID (here "
                 "%04x:%04x) of its own, other than its application's, so the flashing tool "
                 "never sees it (dfu-util: \"No "
                 "DFU capable USB device available\"). For dfu-util and other libusb "
                 "programs bind WinUSB to %04x:%04x with Zadig (Options > List All Devices); "
                 "for STM32CubeProgrammer install its own DFU driver (STTub30, in the "
                 "Drivers\\DFU_Driver folder of its installation). Each tool needs its "
                 "driver: dfu-util cannot open a device bound to STTub30. Device Manager "
                 "shows a device without a driver under \"Other devices\".",
                 vid, pid, vid, pid);
        return;
    case DFS__HOST_MACOS:
        snprintf(buf, size,
                 "macOS needs no driver for libusb programs: check that the tool looks for "
                 "%04x:%04x (dfu-util -d), that no other program holds the device, and that "
                 "the tool ran at all while the device was there.",
                 vid, pid);
        return;
    case DFS__HOST_BUS:
        snprintf(buf, size,
                 "The host never opened it. On Windows the usual cause is that no driver is "
                 "bound to %04x:%04x (WinUSB with Zadig for dfu-util, ST's STTub30 for "
                 "STM32CubeProgrammer); on Linux that the user may not open the device node "
                 "(a udev rule for %04x:%04x, e.g. dfu-util's doc/40-dfuse.rules).",
                 vid, pid, vid, pid);
        return;
    case DFS__HOST_LINUX:
    default:
        snprintf(buf, size,
                 "On Linux this is usually access rights: the device in DFU mode has a "
                 "VID:PID (here %04x:%04x) of its own and a new device node "
                 "/dev/bus/usb/BUS/DEV that belongs to root, so the tool cannot open it "
                 "(dfu-util: \"Cannot open DFU device\" or \"No DFU capable USB device "
                 "available\"). Add a udev rule for %04x:%04x (dfu-util's doc/40-dfuse.rules, "
                 "or SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"%04x\", ATTRS{idProduct}==\"%04x\", "
                 "TAG+=\"uaccess\"), reload the rules and plug the device in again; also check "
                 "that the tool looks for %04x:%04x (dfu-util -d).",
                 vid, pid, vid, pid, vid, pid, vid, pid);
        return;
    }
}

void dfs__say_never_opened(dfs_decoder *d, const struct dfs__device *dev,
                           const struct dfs__frames *fr, uint8_t ifnum,
                           const struct dfs__device *prev, int64_t quiet_us, int linktype)
{
    char who[48], from[160] = "", remedy[DFS_FINDING_TEXT_SIZE];
    who_words(dev, who, sizeof who);
    if (prev) {
        char pw[48];
        who_words(prev, pw, sizeof pw);
        snprintf(from, sizeof from, " in place of %s, which left the bus%s", pw,
                 prev->gone ? "" : " before");
        if (prev->gone)
            dfs__appendf(from, sizeof from, strlen(from), " at frame %llu",
                         (unsigned long long)prev->gone_frame);
    }
    never_opened_remedy(dfs__host_of(linktype), dev->vid, dev->pid, remedy, sizeof remedy);
    dfs__emit_finding(
        d, DFS_F_DFU_NEVER_OPENED, dev->id, dev->first_frame, fr, remedy,
        "%s enumerated in DFU mode (interface %u, bInterfaceProtocol 2) at frame %llu%s, and "
        "no DFU request reached it in the %.1f s that followed %s (frame %llu), nor any other "
        "request beyond its enumeration: no program used its DFU interface.",
        who, ifnum, (unsigned long long)dev->first_frame, from, (double)quiet_us / 1e6,
        dev->gone ? "until it left the bus" : "until the end of the capture",
        (unsigned long long)dev->last_frame);
}

/* Why a host cancels a control transfer, on the system the capture was made on */
const char *dfs__host_cancel_remedy(enum dfs__host host)
{
    switch (host) {
    case DFS__HOST_WINDOWS:
        return "A cancelled control transfer usually means the host gave up waiting: "
               "libusb on Windows cancels a transfer whose timeout expired (CancelIoEx; "
               "USBPcap shows USBD_STATUS_CANCELED) and reports LIBUSB_ERROR_TIMEOUT; a "
               "program that cancels it itself gets LIBUSB_ERROR_INTERRUPTED. Check that "
               "the device answers within the host's timeout, or raise the timeout.";
    case DFS__HOST_MACOS:
        return "A cancelled control transfer usually means the host gave up waiting: "
               "libusb on macOS aborts a transfer whose timeout expired (kIOReturnAborted) "
               "and reports LIBUSB_ERROR_TIMEOUT. Check that the device answers within the "
               "host's timeout, or raise the timeout.";
    case DFS__HOST_LINUX:
    case DFS__HOST_BUS:
    default:
        return "A cancelled control transfer usually means the host gave up "
               "waiting: libusb cancels a transfer whose timeout expired (usbmon "
               "shows -ECONNRESET), and the kernel kills its own on a timeout "
               "(-ENOENT). Check that the device answers within the host's "
               "timeout, or raise the timeout.";
    }
}
