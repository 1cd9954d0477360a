/* What the capture reader knows about link types: their names, and for the
 * link types dfuscope decodes, what the start of a plausible record looks
 * like (used to find the next record after damage in a classic pcap file,
 * which has no block structure to resynchronise on). A link type the
 * decoder learns to read gets a row here. libc only. */
#include <stddef.h>

#include "cap_internal.h"
#include "dfuscope/usb.h"

/* usbmon (both header forms): event type 'S', 'C' or 'E' at byte 8, transfer
 * type 0..3 at byte 9 (Documentation/usb/usbmon.rst). */
static bool usbmon_plausible(const uint8_t *data, size_t avail, uint32_t caplen)
{
    (void)avail; /* the caller has made sure of usbmon's judge_len bytes */
    if (caplen < DFS_USBMON_HDR_LEN)
        return false;
    uint8_t t = data[8], x = data[9];
    return (t == 'S' || t == 'C' || t == 'E') && x <= 3;
}

/* USB 2.0 packets: a PID byte whose high nibble is the complement of the
 * low one, and a record no longer than the largest data packet. */
static bool usb2_plausible(const uint8_t *data, size_t avail, uint32_t caplen)
{
    (void)avail;
    if (caplen < 1 || caplen > 1027)
        return false;
    return (data[0] >> 4) == (~data[0] & 0x0F);
}

static const struct linktype {
    int linktype;
    const char *name;
    /* bytes of the record needed by plausible(), 0 when there is none */
    size_t judge_len;
    bool (*plausible)(const uint8_t *data, size_t avail, uint32_t caplen);
} LINKTYPES[] = {
    {0, "NULL", 0, NULL},
    {1, "ETHERNET", 0, NULL},
    {101, "RAW", 0, NULL},
    {113, "LINUX_SLL", 0, NULL},
    {127, "IEEE802_11_RADIOTAP", 0, NULL},
    {186, "USB_FREEBSD", 0, NULL},
    {187, "BLUETOOTH_HCI_H4", 0, NULL},
    {DFS_LINKTYPE_USB_LINUX, "USB_LINUX", 10, usbmon_plausible},
    {DFS_LINKTYPE_USB_LINUX_MMAPPED, "USB_LINUX_MMAPPED", 10, usbmon_plausible},
    {249, "USBPCAP", 0, NULL},
    {266, "USB_DARWIN", 0, NULL},
    {276, "LINUX_SLL2", 0, NULL},
    {DFS_LINKTYPE_USB_2_0, "USB_2_0", 1, usb2_plausible},
    {DFS_LINKTYPE_USB_2_0_LOW_SPEED, "USB_2_0_LOW_SPEED", 1, usb2_plausible},
    {DFS_LINKTYPE_USB_2_0_FULL_SPEED, "USB_2_0_FULL_SPEED", 1, usb2_plausible},
    {DFS_LINKTYPE_USB_2_0_HIGH_SPEED, "USB_2_0_HIGH_SPEED", 1, usb2_plausible},
    {DFS_RECORD_USB_EVENT, "USB bus event (Packetry)", 0, NULL},
};

static const struct linktype *find(int linktype)
{
    for (size_t i = 0; i < sizeof LINKTYPES / sizeof LINKTYPES[0]; i++)
        if (LINKTYPES[i].linktype == linktype)
            return &LINKTYPES[i];
    return NULL;
}

const char *dfs_linktype_name(int linktype)
{
    const struct linktype *l = find(linktype);
    return l ? l->name : NULL;
}

size_t dfs_cap__linktype_judge_len(int linktype)
{
    const struct linktype *l = find(linktype);
    return l && l->plausible ? l->judge_len : 0;
}

bool dfs_cap__linktype_plausible(int linktype, const uint8_t *data, size_t avail,
                                 uint32_t caplen)
{
    const struct linktype *l = find(linktype);
    if (!l || !l->plausible)
        return true;
    if (avail < l->judge_len)
        return false;
    return l->plausible(data, avail, caplen);
}
