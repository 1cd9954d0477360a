/* The names of codes (decoder/names.c) against the tables they come from,
 * written out here from the documents and not from the library's X-macros:
 * DFU 1.1 (requests: table 3.2; states and statuses: section 6.1.2, as
 * listed in shared/reference/dfu-facts.md), ST's AN3156 (DfuSe commands),
 * USB 2.0 chapter 9 (tables 9-4 and 9-5: standard requests, descriptor
 * types), Linux's errno numbers (include/uapi/asm-generic/errno*.h, checked
 * against this host's <errno.h> on Linux) and usbmon's transfer types
 * (Documentation/usb/usbmon.rst), USB-IF's LANGID table and class codes,
 * Microsoft's usb.h (USBD_STATUS codes, the names Wireshark's USBPcap
 * dissector prints) and the public headers' documented fallbacks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/dfuscope.h"

struct named {
    unsigned value;
    const char *name;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* every value 0..255 has the table's name, or none when absent */
static void check_byte_table(const char *(*fn)(uint8_t), const struct named *t, size_t n)
{
    for (unsigned v = 0; v < 256; v++) {
        const char *want = NULL;
        for (size_t i = 0; i < n; i++)
            if (t[i].value == v)
                want = t[i].name;
        const char *got = fn((uint8_t)v);
        if (!want) {
            if (got)
                fail_msg("value %u: expected no name, got \"%s\"", v, got);
            continue;
        }
        if (!got)
            fail_msg("value %u: expected \"%s\", got none", v, want);
        if (strcmp(got, want) != 0)
            fail_msg("value %u: expected \"%s\", got \"%s\"", v, want, got);
    }
}

/* DFU 1.1 table 3.2 */
static void test_dfu_requests(void **state)
{
    (void)state;
    static const struct named t[] = {{0, "DETACH"},    {1, "DNLOAD"},   {2, "UPLOAD"},
                                     {3, "GETSTATUS"}, {4, "CLRSTATUS"}, {5, "GETSTATE"},
                                     {6, "ABORT"}};
    check_byte_table(dfs_dfu_request_name, t, COUNT(t));
}

/* DFU 1.1 section 6.1.2, bState */
static void test_dfu_states(void **state)
{
    (void)state;
    static const struct named t[] = {
        {0, "appIDLE"},          {1, "appDETACH"},        {2, "dfuIDLE"},
        {3, "dfuDNLOAD-SYNC"},   {4, "dfuDNBUSY"},        {5, "dfuDNLOAD-IDLE"},
        {6, "dfuMANIFEST-SYNC"}, {7, "dfuMANIFEST"},      {8, "dfuMANIFEST-WAIT-RESET"},
        {9, "dfuUPLOAD-IDLE"},   {10, "dfuERROR"}};
    check_byte_table(dfs_dfu_state_name, t, COUNT(t));
}

/* DFU 1.1 section 6.1.2, bStatus, with a word of the spec's description */
static void test_dfu_statuses(void **state)
{
    (void)state;
    static const struct named t[] = {
        {0x00, "OK"},          {0x01, "errTARGET"},  {0x02, "errFILE"},
        {0x03, "errWRITE"},    {0x04, "errERASE"},   {0x05, "errCHECK_ERASED"},
        {0x06, "errPROG"},     {0x07, "errVERIFY"},  {0x08, "errADDRESS"},
        {0x09, "errNOTDONE"},  {0x0A, "errFIRMWARE"}, {0x0B, "errVENDOR"},
        {0x0C, "errUSBR"},     {0x0D, "errPOR"},     {0x0E, "errUNKNOWN"},
        {0x0F, "errSTALLEDPKT"}};
    check_byte_table(dfs_dfu_status_name, t, COUNT(t));
    static const struct named words[] = {
        {0x01, "targeted"}, {0x02, "vendor-specific check"}, {0x03, "write"},
        {0x04, "erase"},    {0x05, "erase check"},           {0x06, "program"},
        {0x07, "verif"},    {0x08, "out of range"},          {0x09, "zero-length"},
        {0x0A, "corrupt"},  {0x0B, "iString"},               {0x0C, "USB reset"},
        {0x0D, "power-on reset"}, {0x0E, "unknown"},         {0x0F, "stalled"}};
    for (size_t i = 0; i < COUNT(words); i++) {
        const char *m = dfs_dfu_status_meaning((uint8_t)words[i].value);
        assert_non_null(m);
        if (!strstr(m, words[i].name))
            fail_msg("status 0x%02X: \"%s\" does not say \"%s\"", words[i].value, m,
                     words[i].name);
    }
    assert_non_null(dfs_dfu_status_meaning(0));
    for (unsigned v = 0x10; v < 256; v++)
        assert_null(dfs_dfu_status_meaning((uint8_t)v));
}

/* AN3156: the first byte of a DNLOAD with wValue 0 */
static void test_dfuse_commands(void **state)
{
    (void)state;
    static const struct named t[] = {{0x00, "GET_COMMANDS"}, {0x21, "SET_ADDRESS"},
                                     {0x41, "ERASE"}, {0x92, "READ_UNPROTECT"}};
    check_byte_table(dfs_dfuse_cmd_name, t, COUNT(t));
}

/* USB 2.0 table 9-4 (2 and 4 are reserved) */
static void test_std_requests(void **state)
{
    (void)state;
    static const struct named t[] = {
        {0, "GET_STATUS"},        {1, "CLEAR_FEATURE"},     {3, "SET_FEATURE"},
        {5, "SET_ADDRESS"},       {6, "GET_DESCRIPTOR"},    {7, "SET_DESCRIPTOR"},
        {8, "GET_CONFIGURATION"}, {9, "SET_CONFIGURATION"}, {10, "GET_INTERFACE"},
        {11, "SET_INTERFACE"},    {12, "SYNCH_FRAME"}};
    check_byte_table(dfs_std_request_name, t, COUNT(t));
}

/* USB 2.0 table 9-5, the OTG and debug supplements, ECN IAD, USB 3.x BOS,
 * the HID class (0x21, 0x22) and the class-specific types of USB-IF's
 * class specifications (0x24, 0x25) */
static void test_desc_types(void **state)
{
    (void)state;
    static const struct named t[] = {
        {1, "DEVICE"},     {2, "CONFIGURATION"},    {3, "STRING"},
        {4, "INTERFACE"},  {5, "ENDPOINT"},         {6, "DEVICE_QUALIFIER"},
        {7, "OTHER_SPEED_CONFIGURATION"},           {8, "INTERFACE_POWER"},
        {9, "OTG"},        {10, "DEBUG"},           {11, "INTERFACE_ASSOCIATION"},
        {15, "BOS"},       {16, "DEVICE_CAPABILITY"}, {0x21, "HID"},
        {0x22, "REPORT"},  {0x24, "CS_INTERFACE"},  {0x25, "CS_ENDPOINT"},
        {48, "SS_ENDPOINT_COMPANION"}};
    check_byte_table(dfs_desc_type_name, t, COUNT(t));
}

/* Linux's numbers (asm-generic), positive or negated as usbmon gives them */
static void test_errno_names(void **state)
{
    (void)state;
    static const struct named t[] = {
        {1, "EPERM"},        {2, "ENOENT"},     {5, "EIO"},        {12, "ENOMEM"},
        {16, "EBUSY"},       {18, "EXDEV"},     {19, "ENODEV"},    {22, "EINVAL"},
        {32, "EPIPE"},       {62, "ETIME"},     {63, "ENOSR"},     {70, "ECOMM"},
        {71, "EPROTO"},      {75, "EOVERFLOW"}, {84, "EILSEQ"},    {104, "ECONNRESET"},
        {108, "ESHUTDOWN"},  {110, "ETIMEDOUT"}, {115, "EINPROGRESS"},
        {121, "EREMOTEIO"},  {125, "ECANCELED"}};
    for (size_t i = 0; i < COUNT(t); i++) {
        int32_t v = (int32_t)t[i].value;
        assert_non_null(dfs_errno_name(v));
        assert_string_equal(dfs_errno_name(v), t[i].name);
        assert_string_equal(dfs_errno_name(-v), t[i].name);
    }
#ifdef __linux__
    /* the same numbers as the C library of a Linux host */
    assert_int_equal(EPIPE, 32);
    assert_int_equal(EPROTO, 71);
    assert_int_equal(EOVERFLOW, 75);
    assert_int_equal(ECONNRESET, 104);
    assert_int_equal(ESHUTDOWN, 108);
    assert_int_equal(EREMOTEIO, 121);
    assert_string_equal(dfs_errno_name(-ENOSR), "ENOSR");
    assert_string_equal(dfs_errno_name(-EILSEQ), "EILSEQ");
#endif
    assert_null(dfs_errno_name(0));
    assert_null(dfs_errno_name(10)); /* ECHILD: not among usbmon's */
    assert_null(dfs_errno_name(4095));
    assert_null(dfs_errno_name(INT32_MIN)); /* negating it must not overflow */
    assert_null(dfs_errno_name(INT32_MAX));
}

/* Linux Documentation/driver-api/usb/error-codes.rst, in its words */
static void test_status_meaning(void **state)
{
    (void)state;
    static const struct named t[] = {
        {0, "OK"},           {32, "STALL"},       {2, "timeout"},
        {104, "unlink"},     {19, "no device"},   {108, "gone"},
        {71, "protocol"},    {84, "CRC"},         {62, "no response"},
        {75, "babble"},      {121, "short packet"}, {115, "in progress"},
        {22, "invalid"},     {18, "partial"},     {63, "buffer"},
        {70, "overrun"}};
    for (size_t i = 0; i < COUNT(t); i++) {
        const char *m = dfs_status_meaning(-(int32_t)t[i].value);
        if (!strstr(m, t[i].name))
            fail_msg("status -%u: \"%s\" does not say \"%s\"", t[i].value, m, t[i].name);
    }
    assert_string_equal(dfs_status_meaning(-5), "error"); /* EIO: nothing closer */
    assert_string_equal(dfs_status_meaning(INT32_MIN), "error");
    assert_string_equal(dfs_status_meaning(INT32_MAX), "error");
}

/* usbmon's xfer_type: 0 isochronous, 1 interrupt, 2 control, 3 bulk */
static void test_xfer_types(void **state)
{
    (void)state;
    assert_string_equal(dfs_xfer_type_name(0), "iso");
    assert_string_equal(dfs_xfer_type_name(1), "interrupt");
    assert_string_equal(dfs_xfer_type_name(2), "control");
    assert_string_equal(dfs_xfer_type_name(3), "bulk");
    assert_string_equal(dfs_xfer_type_name(4), "unknown");
    assert_string_equal(dfs_xfer_type_name(255), "unknown");
}

/* USB-IF "Language Identifiers (LANGIDs)" */
static void test_langids(void **state)
{
    (void)state;
    static const struct {
        uint16_t id;
        const char *name;
    } t[] = {{0x0409, "English (United States)"}, {0x0809, "English (United Kingdom)"},
             {0x0407, "German (Standard)"},       {0x040c, "French (Standard)"},
             {0x0411, "Japanese"},                {0x0804, "Chinese (PRC)"},
             {0x0404, "Chinese (Taiwan)"},        {0x0419, "Russian"},
             {0x0c0c, "French (Canadian)"},       {0x04ff, "HID (Usage Data Descriptor)"}};
    for (size_t i = 0; i < COUNT(t); i++) {
        assert_non_null(dfs_langid_name(t[i].id));
        assert_string_equal(dfs_langid_name(t[i].id), t[i].name);
    }
    assert_null(dfs_langid_name(0x0000));
    assert_null(dfs_langid_name(0xffff));
    assert_null(dfs_langid_name(0x0400)); /* a primary language alone */
}

/* USB-IF "Defined Class Codes" */
static void test_class_names(void **state)
{
    (void)state;
    static const struct named t[] = {
        {0x00, "(Defined at Interface level)"}, {0x01, "Audio"},
        {0x02, "Communications"},  {0x03, "Human Interface Device"},
        {0x05, "Physical Interface Device"},    {0x06, "Imaging"},
        {0x07, "Printer"},         {0x08, "Mass Storage"},
        {0x09, "Hub"},             {0x0a, "CDC Data"},
        {0x0b, "Chip/SmartCard"},  {0x0d, "Content Security"},
        {0x0e, "Video"},           {0x0f, "Personal Healthcare"},
        {0x10, "Audio/Video"},     {0x11, "Billboard"},
        {0x12, "Type-C Bridge"},   {0xdc, "Diagnostic"},
        {0xe0, "Wireless"},        {0xef, "Miscellaneous Device"},
        {0xfe, "Application Specific Interface"}, {0xff, "Vendor Specific Class"}};
    check_byte_table(dfs_class_name, t, COUNT(t));
}

/* result.h: the enum's name and text, a fixed fallback for other values */
static void test_results(void **state)
{
    (void)state;
    assert_string_equal(dfs_result_name(DFS_OK), "DFS_OK");
    assert_string_equal(dfs_result_name(DFS_E_NOMEM), "DFS_E_NOMEM");
    assert_string_equal(dfs_result_name(DFS_E_UNSUPPORTED), "DFS_E_UNSUPPORTED");
    assert_string_equal(dfs_result_str(DFS_E_NOMEM), "out of memory");
    assert_string_equal(dfs_result_str(DFS_OK), "success");
    for (int r = DFS_OK; r >= DFS_E_UNSUPPORTED; r--) {
        assert_int_equal(strncmp(dfs_result_name((dfs_result)r), "DFS_", 4), 0);
        assert_string_not_equal(dfs_result_name((dfs_result)r), "DFS_E_UNKNOWN");
        assert_string_not_equal(dfs_result_str((dfs_result)r), "unknown error");
    }
    assert_string_equal(dfs_result_name((dfs_result)1), "DFS_E_UNKNOWN");
    assert_string_equal(dfs_result_name((dfs_result)-1000), "DFS_E_UNKNOWN");
    assert_string_equal(dfs_result_str((dfs_result)-1000), "unknown error");
}

/* findings.h: every code's entry, found again by its id; nothing else */
static void test_findings(void **state)
{
    (void)state;
    for (int c = 0; c < DFS_F__COUNT; c++) {
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
        assert_non_null(fi);
        assert_int_equal(fi->code, c);
        assert_ptr_equal(dfs_finding_lookup(fi->id), fi);
        assert_non_null(strchr(fi->id, '.')); /* "group.name" */
        assert_string_not_equal(dfs_severity_name(fi->severity), "unknown");
        assert_string_not_equal(dfs_group_name(fi->group), "unknown");
    }
    assert_null(dfs_finding_info(DFS_F__COUNT));
    assert_null(dfs_finding_info((enum dfs_finding_code)-1));
    assert_null(dfs_finding_lookup(NULL));
    assert_null(dfs_finding_lookup(""));
    assert_null(dfs_finding_lookup("no.such-finding"));
    assert_string_equal(dfs_severity_name(DFS_SEV_NOTE), "note");
    assert_string_equal(dfs_severity_name(DFS_SEV_WARNING), "warning");
    assert_string_equal(dfs_severity_name(DFS_SEV_ERROR), "error");
    assert_string_equal(dfs_severity_name((enum dfs_severity)99), "unknown");
    assert_string_equal(dfs_group_name(DFS_GROUP_PROTOCOL), "protocol");
    assert_string_equal(dfs_group_name(DFS_GROUP_SEQUENCE), "sequence");
    assert_string_equal(dfs_group_name(DFS_GROUP_MALFORMED), "malformed");
    assert_string_equal(dfs_group_name(DFS_GROUP_RESPONSE_CODE), "response-code");
    assert_string_equal(dfs_group_name(DFS_GROUP_COMMENT), "comment");
    assert_string_equal(dfs_group_name((enum dfs_group)99), "unknown");
}

/* usb.h of the Windows DDK: every USBD_STATUS code by its name; success 0,
 * pending in progress, an error a negative errno */
static void test_usbd_status(void **state)
{
    (void)state;
    static const struct {
        uint32_t code;
        const char *name;
    } t[] = {
        {0x00000000u, "SUCCESS"},              {0x40000000u, "PENDING"},
        {0x80000200u, "INVALID_URB_FUNCTION"}, {0x80000300u, "INVALID_PARAMETER"},
        {0x80000400u, "ERROR_BUSY"},           {0x80000600u, "INVALID_PIPE_HANDLE"},
        {0x80000700u, "NO_BANDWIDTH"},         {0x80000800u, "INTERNAL_HC_ERROR"},
        {0x80000900u, "ERROR_SHORT_TRANSFER"}, {0xC0000001u, "CRC"},
        {0xC0000002u, "BTSTUFF"},              {0xC0000003u, "DATA_TOGGLE_MISMATCH"},
        {0xC0000004u, "STALL_PID"},            {0xC0000005u, "DEV_NOT_RESPONDING"},
        {0xC0000006u, "PID_CHECK_FAILURE"},    {0xC0000007u, "UNEXPECTED_PID"},
        {0xC0000008u, "DATA_OVERRUN"},         {0xC0000009u, "DATA_UNDERRUN"},
        {0xC000000Cu, "BUFFER_OVERRUN"},       {0xC000000Du, "BUFFER_UNDERRUN"},
        {0xC000000Fu, "NOT_ACCESSED"},         {0xC0000010u, "FIFO"},
        {0xC0000011u, "XACT_ERROR"},           {0xC0000012u, "BABBLE_DETECTED"},
        {0xC0000013u, "DATA_BUFFER_ERROR"},    {0xC0000030u, "ENDPOINT_HALTED"},
        {0xC0000A00u, "BAD_START_FRAME"},      {0xC0000B00u, "ISOCH_REQUEST_FAILED"},
        {0xC0000C00u, "FRAME_CONTROL_OWNED"},  {0xC0000D00u, "FRAME_CONTROL_NOT_OWNED"},
        {0xC0000E00u, "NOT_SUPPORTED"},        {0xC0000F00u, "INVALID_CONFIGURATION_DESCRIPTOR"},
        {0xC0001000u, "INSUFFICIENT_RESOURCES"}, {0xC0002000u, "SET_CONFIG_FAILED"},
        {0xC0003000u, "BUFFER_TOO_SMALL"},     {0xC0004000u, "INTERFACE_NOT_FOUND"},
        {0xC0006000u, "TIMEOUT"},              {0xC0007000u, "DEVICE_GONE"},
        {0xC0008000u, "STATUS_NOT_MAPPED"},    {0xC0009000u, "HUB_INTERNAL_ERROR"},
        {0xC0010000u, "CANCELED"},             {0xC0020000u, "ISO_NOT_ACCESSED_BY_HW"},
        {0xC0030000u, "ISO_TD_ERROR"},         {0xC0040000u, "ISO_NA_LATE_USBPORT"},
        {0xC0050000u, "ISO_NOT_ACCESSED_LATE"}, {0xC0100000u, "BAD_DESCRIPTOR"},
        {0xC0100001u, "BAD_DESCRIPTOR_BLEN"},  {0xC0100002u, "BAD_DESCRIPTOR_TYPE"},
        {0xC0100003u, "BAD_INTERFACE_DESCRIPTOR"}, {0xC0100004u, "BAD_ENDPOINT_DESCRIPTOR"},
        {0xC0100005u, "BAD_INTERFACE_ASSOC_DESCRIPTOR"},
        {0xC0100006u, "BAD_CONFIG_DESC_LENGTH"},
        {0xC0100007u, "BAD_NUMBER_OF_INTERFACES"}, {0xC0100008u, "BAD_NUMBER_OF_ENDPOINTS"},
        {0xC0100009u, "BAD_ENDPOINT_ADDRESS"}};
    for (size_t i = 0; i < COUNT(t); i++) {
        char want[64];
        snprintf(want, sizeof want, "USBD_STATUS_%s", t[i].name);
        const char *got = dfs_usbd_status_name(t[i].code);
        if (!got || strcmp(got, want) != 0)
            fail_msg("0x%08X: expected %s, got %s", (unsigned)t[i].code, want, got ? got : "none");
        int32_t err = dfs_usbd_status_errno(t[i].code);
        if (t[i].code == 0)
            assert_int_equal(err, 0);
        else if (t[i].code >> 30 == 1)
            assert_int_equal(err, -115); /* EINPROGRESS */
        else if (err >= 0)
            fail_msg("%s: error code mapped to %d", want, (int)err);
    }
    /* usb.h spelled 0xC0005000 INAVLID_PIPE_FLAGS for years, INVALID later */
    const char *flags = dfs_usbd_status_name(0xC0005000u);
    assert_non_null(flags);
    assert_int_equal(strncmp(flags, "USBD_STATUS_IN", 14), 0);
    assert_non_null(strstr(flags, "_PIPE_FLAGS"));
    /* the exact mappings that decide findings: a STALL, a halted endpoint,
     * a cancelled request, a device gone */
    assert_int_equal(dfs_usbd_status_errno(0xC0000004u), -32);
    assert_int_equal(dfs_usbd_status_errno(0xC0000030u), -32);
    assert_int_equal(dfs_usbd_status_errno(0xC0010000u), -2);
    assert_int_equal(dfs_usbd_status_errno(0xC0007000u), -19);
    /* codes not in usb.h: no name, the kind from the top two bits */
    assert_null(dfs_usbd_status_name(0x00000001u));
    assert_null(dfs_usbd_status_name(0xC0ABCDEFu));
    assert_int_equal(dfs_usbd_status_errno(0x00000001u), 0);
    assert_int_equal(dfs_usbd_status_errno(0x40000001u), -115);
    assert_int_equal(dfs_usbd_status_errno(0x80ABCDEFu), -5);
    assert_int_equal(dfs_usbd_status_errno(0xC0ABCDEFu), -5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dfu_requests), cmocka_unit_test(test_dfu_states),
        cmocka_unit_test(test_dfu_statuses), cmocka_unit_test(test_dfuse_commands),
        cmocka_unit_test(test_std_requests), cmocka_unit_test(test_desc_types),
        cmocka_unit_test(test_errno_names),  cmocka_unit_test(test_status_meaning),
        cmocka_unit_test(test_xfer_types),   cmocka_unit_test(test_langids),
        cmocka_unit_test(test_class_names),  cmocka_unit_test(test_results),
        cmocka_unit_test(test_findings),     cmocka_unit_test(test_usbd_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
