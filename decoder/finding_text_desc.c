/* The words of the desc.* findings: the device's descriptors as the capture
 * holds them, a configuration at a time (see finding_text.c). */
#include "finding_text.h"

void dfs__say_desc_invalid_length(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                  uint64_t frame, const char *problem, bool walk_stopped)
{
    dfs__emit_finding(d, DFS_F_DESC_INVALID_LENGTH, dev->id, frame, NULL,
                      walk_stopped ? "Fix the descriptor lengths in the device firmware."
                                   : "Fix the descriptor in the device firmware; hosts may "
                                     "ignore the rest of the configuration.",
                      "%s: configuration descriptor: %s", dfs__who(dev, config).s, problem);
}

void dfs__say_desc_functional_missing(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                      uint64_t frame, uint8_t ifnum, size_t config_len)
{
    dfs__emit_finding(
        d, DFS_F_DESC_FUNCTIONAL_MISSING, dev->id, frame, NULL,
        "Add the 9-byte DFU functional descriptor (type 0x21) after the interface "
        "descriptor(s); without it hosts guess wTransferSize and the DFU version.",
        "%s: DFU interface %u has no DFU functional descriptor in its configuration "
        "(wTotalLength %zu): wTransferSize, the attributes and bcdDFUVersion are unknown.",
        dfs__who(dev, config).s, ifnum, config_len);
}

void dfs__say_desc_functional_short(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                    uint64_t frame, const char *problem)
{
    dfs__emit_finding(d, DFS_F_DESC_FUNCTIONAL_SHORT, dev->id, frame, NULL,
                      "DFU 1.1 hosts read bcdDFUVersion from bytes 7-8; a 7-byte "
                      "descriptor is the DFU 1.0 layout. Make the descriptor 9 bytes "
                      "with bcdDFUVersion 0x0110 (or 0x011A for DfuSe).",
                      "%s: %s", dfs__who(dev, config).s, problem);
}

void dfs__say_desc_transfer_size_invalid(dfs_decoder *d, const struct dfs__device *dev,
                                         uint8_t config, uint64_t frame, uint8_t ifnum,
                                         uint16_t size)
{
    dfs__emit_finding(d, DFS_F_DESC_TRANSFER_SIZE_INVALID, dev->id, frame, NULL,
                      "Set wTransferSize to the largest block the device accepts (for a "
                      "full-speed device typically 64 to 2048).",
                      "%s: interface %u's DFU functional descriptor gives wTransferSize %u: "
                      "hosts cannot size their DNLOAD/UPLOAD blocks from it.",
                      dfs__who(dev, config).s, ifnum, size);
}

void dfs__say_desc_dfu_protocol_invalid(dfs_decoder *d, const struct dfs__device *dev,
                                        uint8_t config, uint64_t frame,
                                        const struct dfs_desc_interface *in)
{
    dfs__emit_finding(d, DFS_F_DESC_DFU_PROTOCOL_INVALID, dev->id, frame, NULL,
                      "Use bInterfaceProtocol 1 for the run-time interface and 2 in DFU mode. "
                      "Hosts that check it (fwupd without its use-protocol-zero quirk) do not "
                      "recognise the interface.",
                      "%s: DFU interface %u alternate setting %u has bInterfaceProtocol %u; DFU "
                      "1.1 defines 1 (run-time) and 2 (DFU mode).",
                      dfs__who(dev, config).s, in->bInterfaceNumber, in->bAlternateSetting,
                      in->bInterfaceProtocol);
}

void dfs__say_desc_dfu_version_unknown(dfs_decoder *d, const struct dfs__device *dev,
                                       uint8_t config, uint64_t frame, uint8_t ifnum,
                                       uint16_t version)
{
    dfs__emit_finding(d, DFS_F_DESC_DFU_VERSION_UNKNOWN, dev->id, frame, NULL,
                      "Report bcdDFUVersion 0x0110 (DFU 1.1) or 0x011A (ST DfuSe). Hosts "
                      "treat other values as DFU 1.1 or need a quirk (dfu-util "
                      "QUIRK_FORCE_DFU11, fwupd DfuForceVersion).",
                      "%s: interface %u's DFU functional descriptor gives bcdDFUVersion "
                      "0x%04x, which is neither DFU 1.0/1.1 nor DfuSe.",
                      dfs__who(dev, config).s, ifnum, version);
}

void dfs__say_desc_layout_invalid(dfs_decoder *d, const struct dfs__device *dev, uint8_t config,
                                  const struct dfs__alt *a)
{
    dfs__emit_finding(d, DFS_F_DESC_LAYOUT_INVALID, dev->id, a->name_frame, NULL,
                      "Fix the string in the device firmware (form "
                      "\"@Name /0xSTART/COUNT*SIZE[ KM]TYPE,...\"). dfu-util parses the layout "
                      "before it looks at any modifier and stops with \"Failed to parse memory "
                      "layout\", so :force does not help; hosts with their own device database "
                      "(STM32CubeProgrammer) do not depend on the string.",
                      "%s: the name \"%s\" of interface %u alternate setting %u (string %u, frame "
                      "%llu) is not a valid DfuSe memory layout: %s.",
                      dfs__who(dev, config).s, a->name, a->ifnum, a->alt, a->iInterface,
                      (unsigned long long)a->name_frame, a->why);
}

void dfs__say_desc_duplicate_alt_layouts(dfs_decoder *d, const struct dfs__device *dev,
                                         uint8_t config, uint64_t frame,
                                         const struct dfs__frames *fr, uint8_t ifnum,
                                         const uint8_t *same, unsigned n_same, const char *name,
                                         unsigned n, unsigned named, bool ob_missing)
{
    char alts[96] = "";
    size_t pos = 0;
    for (unsigned i = 0; i < n_same; i++)
        pos = dfs__appendf(alts, sizeof alts, pos, "%s%u", i ? ", " : "", same[i]);
    dfs__emit_finding(
        d, DFS_F_DESC_DUPLICATE_ALT_LAYOUTS, dev->id, frame, fr,
        "This is a defect of the device's descriptors (on the STM32G0 system bootloader it "
        "is known): the host cannot tell the memories apart. dfu-util checks every address "
        "against the layout of the alternate setting it uses, so reading or writing option "
        "bytes or OTP through it needs the :force modifier (dfu-util 0.10+, e.g. "
        "-s 0x1FFF7800:force:128); take the real addresses from the chip's reference manual "
        "(RM0444 for STM32G0: option bytes 0x1FFF7800-0x1FFF787F, OTP 0x1FFF7000-0x1FFF73FF).",
        "%s: alternate settings %s of interface %u %s advertise \"%s\"%s. Distinct "
        "memories (internal flash, option bytes, OTP) should each have their own layout "
        "string%s.",
        dfs__who(dev, config).s, alts, ifnum, n_same == 2 ? "both" : "all", name,
        n_same == n      ? ""
        : named == n_same ? (n - named == 1
                                 ? " (the name of the other alternate setting is not in the "
                                   "capture)"
                                 : " (the names of the other alternate settings are not in "
                                   "the capture)")
                          : " (other alternate settings advertise other strings)",
        !ob_missing ? ""
        : named == n ? "; no alternate setting advertises an option-byte area"
                     : "; none of those whose name the capture holds advertises an "
                       "option-byte area");
}

void dfs__say_desc_string_not_utf16(dfs_decoder *d, const struct dfs__device *dev, uint64_t frame,
                                    uint8_t index, const char *role, const uint8_t *raw,
                                    size_t len)
{
    size_t n = raw[0] < len ? raw[0] : len;
    char text[260], units[200];
    size_t t = 0, u = 0;
    for (size_t i = 2; i < n && t + 1 < sizeof text; i++)
        text[t++] = (char)raw[i]; /* printable ASCII: dfs_desc_string_8bit checked */
    text[t] = '\0';
    for (size_t i = 2; i + 1 < n; i += 2) {
        size_t was = u;
        u = dfs__appendf(units, sizeof units, u, "%sU+%04X", u ? " " : "", dfs__le16(raw + i));
        if (u == was || u + 8 >= sizeof units) {
            dfs__appendf(units, sizeof units, u, " ...");
            break;
        }
    }
    char odd[64] = "";
    if (raw[0] & 1)
        dfs__appendf(odd, sizeof odd, 0, ", and its bLength %u is odd, which no UTF-16LE string is",
                     raw[0]);
    dfs__emit_finding(
        d, DFS_F_DESC_STRING_NOT_UTF16, dev->id, frame, NULL,
        "Hosts that decode the string as USB requires get other characters (the kernel's "
        "sysfs gives the UTF-8 of those code units; libusb_get_string_descriptor_ascii() a "
        "'?' for each), not the ASCII text the device meant. If you build the device, "
        "encode the string in UTF-16LE: each ASCII character followed by a zero byte.",
        "%s: string descriptor %u%s%s%s holds %zu bytes of ASCII text, \"%s\"; read as "
        "UTF-16LE, as USB 2.0 9.6.7 requires, they are %s, where ASCII text in UTF-16LE has a "
        "zero high byte in every character%s.",
        dfs__who(dev, 0).s, index, role ? " (" : "", role ? role : "", role ? ")" : "", n - 2,
        text, units, odd);
}
