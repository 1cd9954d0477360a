/* The explanation texts of the file.* findings, all in one place (the
 * default remedies are in texts.c). Each is a printf format, used where the
 * finding is made with the values it names; the comment over each group
 * says which finding uses it. dfu-util's messages are quoted from dfu-util
 * 0.11 (dfu_file.c, dfuse.c, main.c). */
#ifndef DFS_FW_TEXTS_H
#define DFS_FW_TEXTS_H

/* ---- file.suffix-missing, file.suffix-crc, file.suffix-length (read.c) ---- */
#define TX_SUFFIX_TOO_SHORT                                                                      \
    "the file has %zu bytes, fewer than the 16 of a DFU suffix. dfu-util says \"File too "      \
    "short for DFU suffix\" and downloads it without checking which device it is for."
#define TX_SUFFIX_MISSING                                                                        \
    "bytes %zu-%zu, where a DFU suffix has its signature \"UFD\", hold %02x %02x %02x: the "      \
    "file has no suffix. dfu-util warns \"Invalid DFU suffix signature\" and \"A valid DFU "   \
    "suffix will be required in a future dfu-util release\", then downloads every byte of "    \
    "the file to whatever device it finds, without checking its VID:PID."
#define TX_SUFFIX_CRC                                                                            \
    "the suffix stores dwCRC 0x%08x (byte %zu); the CRC of the %zu bytes before it is "         \
    "0x%08x. The file was changed after the suffix was made, or the suffix was copied from "   \
    "another file. dfu-util does not use a suffix whose CRC is wrong: it warns \"DFU suffix "  \
    "CRC does not match\", checks no VID:PID, and downloads the suffix's %zu bytes as if "     \
    "they were firmware (a DfuSe file is then not taken for one: its bcdDFU 0x011A is in "     \
    "the suffix)."
#define TX_SUFFIX_LENGTH_SHORT                                                                   \
    "the suffix's bLength (byte %zu) is %u; a DFU suffix has at least 16 bytes. dfu-util "     \
    "stops with \"Unsupported DFU suffix length %u\"."
#define TX_SUFFIX_LENGTH_LONG                                                                    \
    "the suffix's bLength (byte %zu) is %u, longer than the whole file (%zu bytes). "          \
    "dfu-util stops with \"Invalid DFU suffix length %u\"."

/* ---- file.empty ---- */
#define TX_EMPTY_BINARY                                                                          \
    "the file has %zu bytes and all of them are its DFU suffix (or it has none at all): "      \
    "there is nothing to download."
#define TX_EMPTY_TEXT                                                                            \
    "this %s file holds no data record in its %u lines: a download would write nothing."
#define TX_EMPTY_DFUSE                                                                           \
    "the DfuSe file's %zu target(s) hold %llu element(s) with no bytes at all: a download "    \
    "writes nothing."

/* ---- file.dfuse-version (read.c) ---- */
#define TX_DFUSE_NO_SUFFIX                                                                       \
    "the file starts with the DfuSe prefix but has no DFU suffix, so it carries no bcdDFU "    \
    "0x011A. dfu-util takes a file for DfuSe only by the suffix: without -s it stops with "    \
    "\"Only DfuSe file version 1.1a is supported\"; with -s ADDRESS it writes the whole "      \
    "file, prefix and headers included, as raw bytes at ADDRESS."
#define TX_DFUSE_BAD_SUFFIX                                                                      \
    "the file starts with the DfuSe prefix, but its suffix (bcdDFU 0x%04x) has a wrong CRC, "  \
    "so dfu-util ignores it and does not see a DfuSe file: without -s it stops with \"Only "   \
    "DfuSe file version 1.1a is supported\"."
#define TX_DFUSE_SUFFIX_VERSION                                                                  \
    "the file starts with the DfuSe prefix, but the suffix's bcdDFU (byte %zu) is 0x%04x, "    \
    "not 0x011A. dfu-util decides by bcdDFU: without -s it stops with \"Only DfuSe file "      \
    "version 1.1a is supported\"; with -s ADDRESS it writes the whole file, prefix and "       \
    "headers included, as raw bytes."
#define TX_DFUSE_VERSION_NO_PREFIX                                                               \
    "the suffix's bcdDFU (byte %zu) is 0x011A, which marks a DfuSe file, but the file does "   \
    "not start with \"DfuSe\" (it starts with %s). dfu-util parses it as DfuSe and stops "     \
    "with \"No valid DfuSe signature\"."

/* ---- file.truncated, file.dfuse-header, file.dfuse-size, file.dfuse-no-targets
 * (dfuse.c) ---- */
#define TX_DFUSE_PREFIX_SHORT                                                                    \
    "the file starts with \"DfuSe\" but holds only %zu bytes before its suffix; the DfuSe "    \
    "prefix alone needs 11. dfu-util: \"File too small for a DfuSe file\"."
#define TX_DFUSE_VERSION_BYTE                                                                    \
    "the DfuSe prefix's bVersion (byte 5) is %u; only version 1 (DfuSe file format 1.1a, "     \
    "UM0391) exists. dfu-util stops with \"DFU format revision %u not supported\"."
#define TX_DFUSE_IMAGE_SIZE                                                                      \
    "the prefix's DFUImageSize (byte 6) is %u, but the file has %zu bytes (%zu without its "   \
    "suffix). UM0391 makes it the length of the DFU file; a different value means the file "   \
    "was cut, padded or put together by hand. dfu-util does not read the field; a tool that "  \
    "does stops at the wrong place."
#define TX_DFUSE_NO_TARGETS                                                                      \
    "the prefix's bTargets (byte 10) is 0: the file holds no image at all (%zu bytes follow "  \
    "the prefix). dfu-util reports \"File contains 0 DFU images\" and writes nothing, and "    \
    "the download still ends as a success."
#define TX_DFUSE_TARGET_SHORT                                                                    \
    "target %zu would start at byte %zu, but only %zu bytes are left before the suffix; a "    \
    "target header has %zu. The prefix says %u target%s: the file was cut short, or "          \
    "bTargets is wrong. dfu-util: \"File too small for a DfuSe file\", or a target header "     \
    "read from whatever bytes follow."
#define TX_DFUSE_TARGET_SIGNATURE                                                                \
    "target %zu at byte %zu does not start with \"Target\" (it has %02x %02x %02x %02x %02x "  \
    "%02x): an earlier size is wrong or the file is damaged. dfu-util stops with \"No valid "  \
    "target signature\"."
#define TX_DFUSE_ELEMENT_SHORT                                                                   \
    "element %u of target %zu would start at byte %zu, but only %zu bytes are left before "    \
    "the suffix; an element header has 8. The target (alternate setting %u) says at byte %zu " \
    "that it has %u elements: the file was cut short or the count is wrong."
#define TX_DFUSE_ELEMENT_SIZE                                                                    \
    "element %u of target %zu (header at byte %zu, address 0x%08x) says it has %u bytes, "     \
    "but only %zu bytes follow its header (from byte %zu) before the suffix. dfu-util stops "  \
    "with \"File too small for element size\", after writing the elements before it."
#define TX_DFUSE_TARGET_SIZE                                                                     \
    "target %zu says at byte %zu that its elements take %u bytes (dwTargetSize), but its %u "  \
    "element(s) take %llu bytes with their headers. dfu-util reads the elements one by one "   \
    "and does not use dwTargetSize; a tool that skips from target to target by it lands in "   \
    "the wrong place."
#define TX_DFUSE_LEFTOVER                                                                        \
    "%zu bytes from byte %zu up to the suffix belong to no target (the prefix says %u "       \
    "targets). dfu-util warns \"%zu bytes leftover\" and ignores them: if they are meant to "  \
    "be firmware, it is not written."

/* ---- file.record-invalid, file.record-checksum, file.no-end-record,
 * file.address-overflow of text files (text.c) ---- */
#define TX_RECORD_AGG "%s%s."
#define TX_LINE_NOT_HEX "line %u, column %zu: '%c' (0x%02x) is not a hex digit"
#define TX_LINE_ODD_DIGITS "line %u holds an odd number of hex digits (%zu): a byte is cut in two"
#define TX_LINE_TOO_LONG "line %u holds %zu hex digits, more than a record of %zu bytes can have"
#define TX_LINE_AFTER_END                                                                        \
    "line %u comes after the end record of line %u; objcopy, srec_cat and dfu tools stop at "  \
    "the end record, so what follows it is never written"
#define TX_IHEX_NO_COLON "line %u starts with '%c' (0x%02x), not with ':'"
#define TX_IHEX_COUNT                                                                            \
    "line %u: its byte count 0x%02x makes a record of %d bytes, but the line holds %ld"
#define TX_IHEX_CHECKSUM                                                                         \
    "line %u: the checksum byte is 0x%02x, but the record's other bytes need 0x%02x (the "     \
    "data is used as written)"
#define TX_IHEX_TYPE "line %u: record type 0x%02x is not one of Intel HEX's 00-05"
#define TX_IHEX_TYPE_LENGTH "line %u: a record of type 0x%02x with %u data bytes (it takes %d)"
#define TX_SREC_START "line %u does not start with 'S' and a record type digit"
#define TX_SREC_S4 "line %u: S4 is a reserved record type"
#define TX_SREC_COUNT                                                                            \
    "line %u: its count 0x%02x makes a record of %d bytes after the type, but the line "       \
    "holds %ld"
#define TX_SREC_SHORT                                                                            \
    "line %u: an S%d record with count %u cannot hold its address and checksum (it needs "     \
    "at least %d)"
#define TX_SREC_CHECKSUM                                                                         \
    "line %u: the checksum byte is 0x%02x, but the record's other bytes need 0x%02x (the "     \
    "data is used as written)"
#define TX_SREC_RECORD_COUNT                                                                     \
    "line %u: the S%d record counts %llu data records, but %llu come before it"
#define TX_TEXT_BEYOND_4G                                                                        \
    "line %u puts data at 0x%llx and beyond (%llu bytes past the last 32-bit address "         \
    "0xffffffff): no DFU device can be given it, and it is left out"
#define TX_NO_END_RECORD                                                                         \
    "the file ends at line %u without its end record (%s): it may have been cut short, and "   \
    "the data that should follow is not there (the Intel HEX format ends every file with it). " \
    "srec_cat and objcopy accept the file as it is."

/* ---- file.address-overflow, file.overlap, file.stray-section, file.huge-binary
 * (filechecks.c) ---- */
#define TX_OVERFLOW                                                                              \
    "%s is at 0x%08x with %llu bytes: it would end at 0x%llx, %llu bytes past the 32-bit "     \
    "address space a DfuSe device has. dfu-util's address arithmetic wraps around to 0."
#define TX_OVERLAP                                                                               \
    "%s (0x%08x-0x%08x) overlaps %s (0x%08x-0x%08x) at 0x%08x-0x%08x (%llu bytes)%s"
#define TX_OVERLAP_TEXT                                                                          \
    ", with different data: which one ends up in the flash depends on the tool (srec_cat "     \
    "stops with \"multiple ... values\", others keep the one they read last)."
#define TX_OVERLAP_DFUSE_DIFF                                                                    \
    ", with different data. dfu-util writes the elements in file order and erases the pages "  \
    "of each one first, so the later element wins and the erase also wipes what the earlier "  \
    "one wrote in the shared pages."
#define TX_OVERLAP_DFUSE_SAME                                                                    \
    ". The bytes are the same, but dfu-util erases the pages of each element before writing "  \
    "it, so the later element's erase wipes what the earlier one wrote in the shared pages "   \
    "outside the overlap."
#define TX_OVERLAP_TEXT_REMEDY                                                                   \
    "Find which input put the two records there (the linker map, or each input of the merge "  \
    "on its own), and fix the linker script or the merge; merging with srec_cat, whose "       \
    "default is to stop on contradictory bytes, catches it in the build."
#define TX_STRAY_TEXT                                                                            \
    "the data spans 0x%08x-0x%08llx (%s), but holds only %llu bytes up to 0x%08x (%s) and, "   \
    "after a gap of %s, more from 0x%08x (%s, %llu bytes up). Converted to a binary (objcopy " \
    "-O binary, srec_cat -o image.bin -binary) it becomes one file of %llu bytes, almost all " \
    "gap filler, which no flash holds. A section was given a load address outside the "        \
    "flash: typically .data or a RAM function without AT> FLASH in the linker script, or "     \
    "an orphan section the script does not place.%s"
#define TX_STRAY_MORE_GAPS " (It is the largest of several gaps that size.)"
#define TX_HUGE_BINARY                                                                           \
    "the binary has %s, more than %s, larger than any flash a DFU bootloader serves "          \
    "(STM32 parts map at most 256 MiB of external flash). A raw binary of this size usually "  \
    "comes from objcopy -O binary over an ELF with a section far from the flash (RAM at "      \
    "0x20000000, or a debug section with an address), which it fills with zeros up to there."
#define TX_HUGE_ELEMENT "%s has %s, more than %s, larger than any flash a DFU bootloader serves."
#define TX_STRAY_BINARY                                                                          \
    "bytes %zu-%zu are all 0x%02x (%s) and data follows at byte %zu, in a binary of %s: "      \
    "that is how objcopy -O binary fills the gap up to a section far from the others (.data "  \
    "in RAM, a section at another memory). The part after the gap is not meant for the "       \
    "flash the first part is for."

/* ---- file.id-mismatch, file.raw-for-dfuse, file.dfuse-for-dfu11,
 * file.target-alt-missing (device.c) ---- */
#define TX_ID_MISMATCH                                                                           \
    "the DFU suffix names the device %04x:%04x (0xffff would match any), but the one checked " \
    "against, %s, has %04x:%04x.%s%s"
#define TX_ID_DFU_UTIL_STOPS                                                                     \
    " dfu-util refuses it: \"Error: File ID ... does not match device\" (with -d it looks "    \
    "only for a device of the file's ID)."
#define TX_ID_CRC_IGNORED                                                                        \
    " dfu-util ignores this suffix because its CRC is wrong, so it will not stop the "         \
    "download: the file goes to whatever device is there."
#define TX_ID_RUNTIME                                                                            \
    " The device was seen in DFU run-time mode; in DFU mode it may have another product ID, "  \
    "which dfu-util accepts too."
#define TX_RAW_WITH_SUFFIX "a raw image with a DFU suffix (bcdDFU 0x%04x)"
#define TX_RAW_PLAIN "a raw binary without a DFU suffix"
#define TX_RAW_FOR_DFUSE                                                                         \
    "the file is %s, but %s is a DfuSe device: it writes to memory addresses, and a raw "      \
    "image does not say at which address it goes. dfu-util refuses it without one: \"Only "    \
    "DfuSe file version 1.1a is supported\" and \"(for raw binary download, use the "          \
    "--dfuse-address option)\"."
#define TX_RAW_FOR_DFUSE_REMEDY                                                                  \
    "Give the address the image is linked for: dfu-util -a %u -s 0x%08x:leave -D FILE. Or "    \
    "make a DfuSe file that carries it: dfuse-pack -b 0x%08x:FILE.bin -D VID:PID FILE.dfu "    \
    "(0x%08x@N for alternate setting N), then check that with dfuscope check-file. (The "      \
    "address here is %s.)"
#define TX_DFUSE_FOR_DFU11                                                                       \
    "the file is a DfuSe file (%zu target%s), but %s is a plain DFU 1.1 device: it has no "    \
    "memory addresses and no DfuSe commands. dfu-util still parses the file as DfuSe and "     \
    "then needs a memory layout in the interface names (\"Failed to parse memory layout\"); " \
    "another host would download the prefix and headers as firmware."
#define TX_TARGET_ALT_MISSING                                                                    \
    "target %zu is for alternate setting %u (byte %zu), but %s has alternate settings %s. "    \
    "dfu-util prints \"No alternate setting %u (skipping elements)\" "  \
    "and goes on: the target's %llu bytes in %zu element%s are not written, and the download " \
    "still ends as a success."

/* ---- file.outside-layout, file.not-writable, file.larger-than-memory,
 * file.erase-beyond (device.c) ---- */
#define TX_VIEW_BINARY "the image (bytes 0-%llu of the file, at 0x%08llx)"
#define TX_VIEW_BINARY_ASSUMED                                                                   \
    "the image (bytes 0-%llu of the file, placed at 0x%08llx, where the layout starts: a "     \
    "binary has no address; give --address if it is meant for another)"
#define TX_DFU_UTIL_LAST_PAGE "dfu-util stops with \"Last page at 0x%08x is not writeable\""
#define TX_DFU_UTIL_PAGE "dfu-util stops with \"Page at 0x%08x is not writeable\" or near it"
#define TX_LARGER_THAN_MEMORY                                                                    \
    "%s has %s from 0x%08llx, but alternate setting %u of %s (\"%s\") has %s writable in "     \
    "all: %s. The image cannot fit; dfu-util checks the last byte first and stops with "      \
    "\"Last page at 0x%08llx is not writeable\" before writing anything."
#define TX_OUTSIDE_LAYOUT                                                                        \
    "%s covers 0x%08llx-0x%08llx; %s of it lie outside the memory of alternate setting %u of " \
    "%s, the first at 0x%08llx. Its layout (\"%s\") has %s. %s; a host that sends it anyway "  \
    "gets errTARGET or errADDRESS from the device."
#define TX_NOT_WRITABLE                                                                          \
    "%s covers 0x%08llx-0x%08llx; %s of it, from 0x%08llx, lie in the region "                 \
    "0x%08x-0x%08llx, which the layout marks type '%c' (not writable) on alternate setting "   \
    "%u of %s (\"%s\"). %s; the device refuses the write."
#define TX_ERASE_BEYOND                                                                          \
    "before writing, dfu-util erases every page a part of the file touches; on alternate "     \
    "setting %u of %s that wipes %s the file does not write, in %u range%s: %s. Whatever "     \
    "those bytes held (a bootloader, calibration data, emulated EEPROM, another image) reads " \
    "0xFF afterwards."

/* ---- file.option-bytes, file.option-bytes-lock, file.otp (device.c) ---- */
#define TX_OB_LATER                                                                              \
    " %llu bytes come after it in the file: the reset cuts the download, and they are not "    \
    "written."
#define TX_RDP_0 " Its read-protection byte at 0x%08x is 0x%02x: level 0, no protection (%s)."
#define TX_RDP_1                                                                                 \
    " Its read-protection byte at 0x%08x is 0x%02x: level 1 (%s): the flash can no longer be " \
    "read over DFU or SWD, and going back to level 0 mass-erases it."
#define TX_OPTION_BYTES                                                                          \
    "%s writes 0x%08llx-0x%08llx, in %s (0x%08x-0x%08x). The chip reloads option bytes and "   \
    "resets as soon as they are written: the GETSTATUS after the write fails "                 \
    "(LIBUSB_ERROR_PIPE), and dfu-util needs :will-reset. A wrong value locks you out: read "  \
    "or write protection, or a boot selection (nBOOT0, nBOOT1, nBOOT_SEL, BOOT_LOCK) that no " \
    "longer starts the DFU bootloader.%s%s"
#define TX_OB_LOCK                                                                               \
    "%s sets the read-protection byte at 0x%08x to 0x%02x: level 2 on %s. Level 2 is "         \
    "permanent: debug access and the system bootloader (DFU included) are disabled and the "   \
    "option bytes can never be changed again. The chip cannot be reprogrammed over DFU or "    \
    "SWD after this download."
#define TX_OTP                                                                                   \
    "%s writes 0x%08llx-0x%08llx, in %s (0x%08x-0x%08x). Each bit there can be programmed "   \
    "once "                                                                                    \
    "and never erased: a second write to the same bytes fails (errPROG or errWRITE), an "     \
    "erase of that memory fails, and a wrong value stays for the life of the chip."

/* ---- file.session-missing, file.session-mismatch, file.session-extra (compare.c) ---- */
#define TX_SESSION_OFFSETS                                                                       \
    " (a DFU 1.1 session: offsets in the image, the file's lowest address being offset 0)"
#define TX_SESSION_BASE_ASSUMED                                                                  \
    " (the binary placed at 0x%08x, the lowest address the session wrote; give --address "     \
    "otherwise)"
#define TX_SESSION_FULL                                                                          \
    " The capture wrote more than the session limit keeps: the rest was not compared."
#define TX_SESSION_MISSING                                                                       \
    "%s of the file's %s %s not written by the session%s, in %u range%s: %s.%s %s"
#define TX_SESSION_MISMATCH                                                                      \
    "%s %s written with other data than the file holds%s, in %u range%s: %s. The first "      \
    "difference is at 0x%08llx: the file has 0x%02x, the session wrote 0x%02x (frame %llu)."
#define TX_SESSION_EXTRA                                                                         \
    "the session wrote %s the file does not hold%s, in %u range%s: %s."
#define TX_STOPPED_LAST "The session's last confirmed write was frame %llu (%u bytes %s 0x%08x"
#define TX_STOPPED_EXEC ", executed by the GETSTATUS of frame %llu)"
#define TX_STOPPED_NONE "The session has no confirmed write."
#define TX_STOPPED_FAILED                                                                        \
    " %llu write%s failed, the first at frame %llu (%u bytes %s 0x%08x): %s."
#define TX_FAILED_STATUS "the device answered %s, %s"
#define TX_FAILED_BUS "the request or its GETSTATUS failed on the bus"
#define TX_STOPPED_GONE " The device left the bus at frame %llu."
#define TX_STOPPED_ERRORS                                                                        \
    " The capture has %llu error finding%s, the first %s at frame %llu (%s): dfuscope "        \
    "diagnose explains it."

#endif
