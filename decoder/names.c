/* Names of codes: results, requests, descriptor types, errno values,
 * LANGIDs, classes, DFU states and statuses, findings. All tables are built
 * from the X-macros in the public headers so they cannot drift apart. */
#include <string.h>

#include "dfuscope/dfu.h"
#include "dfuscope/findings.h"
#include "dfuscope/result.h"
#include "dfuscope/usb.h"

const char *dfs_result_name(dfs_result r)
{
    switch (r) {
#define X(name, value, desc)                                                  \
    case DFS_##name:                                                          \
        return "DFS_" #name;
        DFS_RESULT_MAP(X)
#undef X
    }
    return "DFS_E_UNKNOWN";
}

const char *dfs_result_str(dfs_result r)
{
    switch (r) {
#define X(name, value, desc)                                                  \
    case DFS_##name:                                                          \
        return desc;
        DFS_RESULT_MAP(X)
#undef X
    }
    return "unknown error";
}

const char *dfs_std_request_name(uint8_t bRequest)
{
    switch (bRequest) {
#define X(name, value)                                                        \
    case value:                                                               \
        return #name;
        DFS_STD_REQUEST_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_desc_type_name(uint8_t type)
{
    switch (type) {
#define X(name, value)                                                        \
    case value:                                                               \
        return #name;
        DFS_DESC_TYPE_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_errno_name(int32_t err)
{
    switch (err < 0 ? -(int64_t)err : err) { /* 64 bits: err may be INT32_MIN */
#define X(name, value)                                                        \
    case value:                                                               \
        return #name;
        DFS_ERRNO_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_xfer_type_name(uint8_t xfer_type)
{
    static const char *const names[] = {"iso", "interrupt", "control", "bulk"};
    return xfer_type < 4 ? names[xfer_type] : "unknown";
}

const char *dfs_status_meaning(int32_t status)
{
    switch (-(int64_t)status) {
    case 0: return "OK";
    case DFS_LINUX_EPIPE: return "STALL";
    case DFS_LINUX_ENOENT: return "killed (synchronous timeout or unlink)";
    case DFS_LINUX_ECONNRESET: return "unlinked (cancelled)";
    case DFS_LINUX_ENODEV: return "no device";
    case DFS_LINUX_ESHUTDOWN: return "device or host controller gone";
    case DFS_LINUX_EPROTO: return "protocol error (bitstuff, no response)";
    case DFS_LINUX_EILSEQ: return "CRC mismatch or no response";
    case DFS_LINUX_ETIME: return "no response in time";
    case DFS_LINUX_EOVERFLOW: return "babble (more data than expected)";
    case DFS_LINUX_EREMOTEIO: return "short packet not allowed";
    case DFS_LINUX_EINPROGRESS: return "in progress";
    case DFS_LINUX_EINVAL: return "invalid URB";
    case DFS_LINUX_EXDEV: return "partial isochronous transfer";
    case DFS_LINUX_ENOSR: return "buffer error";
    case DFS_LINUX_ECOMM: return "receive overrun";
    default: return "error";
    }
}

/* USB-IF "Language Identifiers (LANGIDs)", the common subset. */
static const struct {
    uint16_t id;
    const char *name;
} langids[] = {
    {0x0401, "Arabic (Saudi Arabia)"},   {0x0402, "Bulgarian"},
    {0x0403, "Catalan"},                 {0x0404, "Chinese (Taiwan)"},
    {0x0405, "Czech"},                   {0x0406, "Danish"},
    {0x0407, "German (Standard)"},       {0x0408, "Greek"},
    {0x0409, "English (United States)"}, {0x040a, "Spanish (Traditional Sort)"},
    {0x040b, "Finnish"},                 {0x040c, "French (Standard)"},
    {0x040d, "Hebrew"},                  {0x040e, "Hungarian"},
    {0x040f, "Icelandic"},               {0x0410, "Italian (Standard)"},
    {0x0411, "Japanese"},                {0x0412, "Korean"},
    {0x0413, "Dutch (Netherlands)"},     {0x0414, "Norwegian (Bokmal)"},
    {0x0415, "Polish"},                  {0x0416, "Portuguese (Brazil)"},
    {0x0418, "Romanian"},                {0x0419, "Russian"},
    {0x041a, "Croatian"},                {0x041b, "Slovak"},
    {0x041d, "Swedish"},                 {0x041e, "Thai"},
    {0x041f, "Turkish"},                 {0x0421, "Indonesian"},
    {0x0422, "Ukrainian"},               {0x0424, "Slovenian"},
    {0x0425, "Estonian"},                {0x0426, "Latvian"},
    {0x0427, "Lithuanian"},              {0x042a, "Vietnamese"},
    {0x0804, "Chinese (PRC)"},           {0x0807, "German (Switzerland)"},
    {0x0809, "English (United Kingdom)"},{0x080a, "Spanish (Mexican)"},
    {0x080c, "French (Belgian)"},        {0x0816, "Portuguese (Standard)"},
    {0x0c09, "English (Australian)"},    {0x0c0a, "Spanish (Modern Sort)"},
    {0x0c0c, "French (Canadian)"},       {0x1009, "English (Canadian)"},
    {0x04ff, "HID (Usage Data Descriptor)"},
};

const char *dfs_langid_name(uint16_t langid)
{
    for (size_t i = 0; i < sizeof langids / sizeof langids[0]; i++)
        if (langids[i].id == langid)
            return langids[i].name;
    return NULL;
}

const char *dfs_class_name(uint8_t cls)
{
    switch (cls) {
    case 0x00: return "(Defined at Interface level)";
    case 0x01: return "Audio";
    case 0x02: return "Communications";
    case 0x03: return "Human Interface Device";
    case 0x05: return "Physical Interface Device";
    case 0x06: return "Imaging";
    case 0x07: return "Printer";
    case 0x08: return "Mass Storage";
    case 0x09: return "Hub";
    case 0x0a: return "CDC Data";
    case 0x0b: return "Chip/SmartCard";
    case 0x0d: return "Content Security";
    case 0x0e: return "Video";
    case 0x0f: return "Personal Healthcare";
    case 0x10: return "Audio/Video";
    case 0x11: return "Billboard";
    case 0x12: return "Type-C Bridge";
    case 0xdc: return "Diagnostic";
    case 0xe0: return "Wireless";
    case 0xef: return "Miscellaneous Device";
    case 0xfe: return "Application Specific Interface";
    case 0xff: return "Vendor Specific Class";
    }
    return NULL;
}

const char *dfs_dfu_request_name(uint8_t bRequest)
{
    switch (bRequest) {
#define X(name, value)                                                        \
    case value:                                                               \
        return #name;
        DFS_DFU_REQUEST_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_dfu_state_name(uint8_t state)
{
    switch (state) {
#define X(name, value, text)                                                  \
    case value:                                                               \
        return text;
        DFS_DFU_STATE_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_dfu_status_name(uint8_t status)
{
    switch (status) {
#define X(name, value, text, meaning)                                         \
    case value:                                                               \
        return text;
        DFS_DFU_STATUS_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_dfu_status_meaning(uint8_t status)
{
    switch (status) {
#define X(name, value, text, meaning)                                         \
    case value:                                                               \
        return meaning;
        DFS_DFU_STATUS_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_dfuse_cmd_name(uint8_t cmd)
{
    switch (cmd) {
#define X(name, value, text)                                                  \
    case value:                                                               \
        return text;
        DFS_DFUSE_CMD_MAP(X)
#undef X
    }
    return NULL;
}

const char *dfs_flip_cmd_name(int cmd)
{
    switch (cmd) {
    case DFS_FLIP_PROGRAM_FLASH: return "program flash";
    case DFS_FLIP_PROGRAM_EEPROM: return "program EEPROM";
    case DFS_FLIP_READ_FLASH: return "read flash";
    case DFS_FLIP_BLANK_CHECK: return "blank check";
    case DFS_FLIP_READ_EEPROM: return "read EEPROM";
    case DFS_FLIP_CHIP_ERASE: return "chip erase";
    case DFS_FLIP_START_RESET: return "start application (reset)";
    case DFS_FLIP_START_JUMP: return "start application (jump)";
    case DFS_FLIP_READ_INFO: return "read";
    case DFS_FLIP_SELECT_PAGE: return "select page";
    case DFS_FLIP_UNKNOWN: return "unknown command";
    default: return NULL;
    }
}

static const struct dfs_finding_info finding_table[] = {
#define X(name, id, sev, group, title)                                        \
    {DFS_F_##name, id, DFS_SEV_##sev, DFS_GROUP_##group, title},
    DFS_FINDING_MAP(X)
#undef X
};

const struct dfs_finding_info *dfs_finding_info(enum dfs_finding_code code)
{
    if ((unsigned)code >= DFS_F__COUNT)
        return NULL;
    return &finding_table[code];
}

const struct dfs_finding_info *dfs_finding_lookup(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < DFS_F__COUNT; i++)
        if (strcmp(finding_table[i].id, id) == 0)
            return &finding_table[i];
    return NULL;
}

const char *dfs_severity_name(enum dfs_severity sev)
{
    switch (sev) {
    case DFS_SEV_NOTE: return "note";
    case DFS_SEV_WARNING: return "warning";
    case DFS_SEV_ERROR: return "error";
    }
    return "unknown";
}

const char *dfs_group_name(enum dfs_group group)
{
    switch (group) {
    case DFS_GROUP_PROTOCOL: return "protocol";
    case DFS_GROUP_SEQUENCE: return "sequence";
    case DFS_GROUP_MALFORMED: return "malformed";
    case DFS_GROUP_RESPONSE_CODE: return "response-code";
    case DFS_GROUP_COMMENT: return "comment";
    }
    return "unknown";
}
