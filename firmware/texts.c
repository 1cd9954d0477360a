/* The default remedies of the file.* findings (their explanations are in
 * texts.h), and the formatting helpers the texts use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fw_internal.h"

void dfs_fw__catf(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

void dfs_fw__fmt_size(char *buf, size_t size, uint64_t n)
{
    if (n == 1)
        snprintf(buf, size, "1 byte");
    else if (n < 1024)
        snprintf(buf, size, "%llu bytes", (unsigned long long)n);
    else if (n % (1u << 20) == 0)
        snprintf(buf, size, "%llu MiB (%llu bytes)", (unsigned long long)(n >> 20),
                 (unsigned long long)n);
    else if (n % 1024 == 0)
        snprintf(buf, size, "%llu KiB (%llu bytes)", (unsigned long long)(n >> 10),
                 (unsigned long long)n);
    else if (n >= (1u << 20))
        snprintf(buf, size, "%.1f MiB (%llu bytes)", (double)n / (1u << 20),
                 (unsigned long long)n);
    else
        snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

static const struct {
    enum dfs_finding_code code;
    const char *remedy;
} remedies[] = {
    {DFS_F_FILE_EMPTY,
     "Check how the file was made: the build produced no output for this file, or the "
     "conversion (objcopy, srec_cat, dfuse-pack) was given the wrong input."},
    {DFS_F_FILE_TRUNCATED,
     "Get the file again (an interrupted download or copy cuts it short) or build it again; "
     "do not flash a file whose end is missing."},
    {DFS_F_FILE_SUFFIX_CRC,
     "Make the suffix again over the file as it is now: dfu-suffix -D FILE, then dfu-suffix "
     "-v VID -p PID -a FILE (dfu-suffix -c FILE then shows it). If the file was not meant "
     "to change, get it again."},
    {DFS_F_FILE_SUFFIX_LENGTH,
     "Remove the suffix and add it again with dfu-suffix (dfu-suffix -D FILE, then -a), "
     "which writes bLength 16."},
    {DFS_F_FILE_SUFFIX_MISSING,
     "Add a suffix that names the device the file is for: dfu-suffix -v VID -p PID -a FILE "
     "(a DfuSe file: -S 011a as well). dfu-util then refuses to download it to another "
     "device."},
    {DFS_F_FILE_DFUSE_VERSION,
     "A DfuSe file needs a suffix with bcdDFU 0x011A: make it with dfuse-pack, which writes "
     "one, or add it with dfu-suffix -S 011a -v VID -p PID -a FILE. A raw image must not "
     "carry bcdDFU 0x011A: dfu-suffix -D FILE, then add one without -S."},
    {DFS_F_FILE_DFUSE_HEADER,
     "The file is damaged or not a DfuSe file of format 1.1a. Make it again from the "
     "binary or hex file with dfuse-pack (or with the vendor's DfuSe file tool)."},
    {DFS_F_FILE_DFUSE_SIZE,
     "Make the file again with dfuse-pack or the vendor's tool; a DfuSe file whose sizes "
     "disagree was cut, padded or edited by hand, and hosts read it differently."},
    {DFS_F_FILE_DFUSE_NO_TARGETS,
     "Make the file again with at least one image: dfuse-pack -b ADDRESS:FILE.bin -D "
     "VID:PID FILE.dfu."},
    {DFS_F_FILE_ADDRESS_OVERFLOW,
     "Fix the address in the linker script or in the tool that made the file; a DFU device "
     "has a 32-bit address space."},
    {DFS_F_FILE_RECORD_INVALID,
     "The file is damaged or was edited: make it again from the ELF (objcopy -O ihex / "
     "-O srec) rather than repairing it by hand."},
    {DFS_F_FILE_RECORD_CHECKSUM,
     "The file changed after it was written (a transfer in text mode, an edit, a damaged "
     "disk): make it again from the ELF, or get it again. srec_cat -Ignore-Checksums reads "
     "it, but only use that when you know why the checksums are wrong."},
    {DFS_F_FILE_NO_END_RECORD,
     "Get or make the file again: a file cut short loses its last records without any "
     "other sign."},
    {DFS_F_FILE_OVERLAP,
     "Give each part its own addresses: fix the linker script, or the list of -b "
     "ADDRESS:FILE of dfuse-pack, so that no two parts share bytes (or pages, on flash)."},
    {DFS_F_FILE_STRAY_SECTION,
     "Look at the sections of the ELF (arm-none-eabi-objdump -h, or the linker map) and "
     "give the one far away a load address in flash (AT> FLASH), or leave it out of the "
     "image (objcopy -R SECTION, or -j for the ones to keep). Flash a hex or DfuSe file, "
     "which keeps the gap out, rather than the binary."},
    {DFS_F_FILE_HUGE_BINARY,
     "Do not flash it. Make the binary from the flash sections only (objcopy -O binary -j "
     ".isr_vector -j .text -j .rodata -j .data ..., or fix the load address of the section "
     "that pulls the image out), or flash a hex or DfuSe file instead."},
    {DFS_F_FILE_ID_MISMATCH,
     "Use the file made for this device, or, if the file is right and the suffix is not, "
     "make the suffix again with the right IDs (dfu-suffix -D FILE, then dfu-suffix -v VID "
     "-p PID -a FILE). Do not work around the check with another -d."},
    {DFS_F_FILE_RAW_FOR_DFUSE,
     "Give the address with -s, or make a DfuSe file that carries it (dfuse-pack -b "
     "ADDRESS:FILE.bin)."},
    {DFS_F_FILE_DFUSE_FOR_DFU11,
     "Use the raw image for this device (dfuse-pack -d FILE.dfu dumps the images a DfuSe "
     "file holds), or check that you have the right device: a DfuSe bootloader may be "
     "reached another way (BOOT0, DETACH to the ROM bootloader)."},
    {DFS_F_FILE_TARGET_ALT_MISSING,
     "Make the file for the alternate settings this device has (dfu-util -l lists them; "
     "dfuse-pack -b ADDRESS@ALT:FILE.bin sets a target's), or check that the device is "
     "the one the file is for."},
    {DFS_F_FILE_OUTSIDE_LAYOUT,
     "Check the address the image was linked for against the device's memory (dfu-util -l "
     "shows each alternate setting's layout), and that the file is for this device and "
     "alternate setting; fix the linker script or the -b/-s address."},
    {DFS_F_FILE_NOT_WRITABLE,
     "Leave that memory out of the file, or write it through the alternate setting whose "
     "layout makes it writable. A region marked read-only (the first pages of some "
     "bootloaders, a protected area) cannot be written over DFU."},
    {DFS_F_FILE_LARGER_THAN_MEMORY,
     "Check that the file is for this device (the same family often comes with smaller "
     "flash sizes), or make the image smaller; a stray section makes a binary far larger "
     "than the code (see file.stray-section)."},
    {DFS_F_FILE_ERASE_BEYOND,
     "If anything lives in those bytes, keep it out of the pages the file touches: align the "
     "image's parts to page (sector) boundaries in the linker script, or include what must "
     "stay in the file. Nothing to do when those bytes are unused."},
    {DFS_F_FILE_OPTION_BYTES,
     "Only write option bytes on purpose: read them first (dfu-util -a ALT -s ADDRESS:LENGTH "
     "-U ob.bin), change only what you mean to, put them last in the file, and download "
     "with :will-reset. Keep option bytes out of ordinary firmware files."},
    {DFS_F_FILE_OPTION_BYTES_LOCK,
     "Do not flash this file unless the chip is meant to be locked for good: set the "
     "read-protection byte to 0xAA (level 0) or to level 1 (any other value but 0xCC), "
     "which can be undone by a mass erase."},
    {DFS_F_FILE_OTP,
     "Make sure the values are final and that these bytes were never written before; keep "
     "OTP out of ordinary firmware files and write it once, in production."},
    {DFS_F_FILE_SESSION_MISSING,
     "Read the capture's diagnosis (dfuscope diagnose CAPTURE) to see why the session "
     "stopped, fix that, and download the whole file again; then verify (dfu-util -U reads "
     "the memory back)."},
    {DFS_F_FILE_SESSION_MISMATCH,
     "The host sent another image than this file (another file, a file changed since, or a "
     "host that converts it): check which file the host tool was given, and download this "
     "one again."},
    {DFS_F_FILE_SESSION_EXTRA,
     "Check that the session downloaded this file and nothing else (another element, "
     "option bytes, a second file); the extra memory now holds what the session wrote."},
};

const char *dfs_fw__remedy_text(enum dfs_finding_code code)
{
    for (size_t i = 0; i < sizeof remedies / sizeof remedies[0]; i++)
        if (remedies[i].code == code)
            return remedies[i].remedy;
    return "";
}
