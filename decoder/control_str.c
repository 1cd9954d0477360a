/* Text summaries of control transfers: the request and the data in words
 * (dfs_control_request_str, dfs_control_data_str). */
#include <stdio.h>
#include <string.h>

#include "dfuscope/descriptors.h"
#include "internal.h"

static const char *recipient_name(uint8_t bmRequestType)
{
    switch (bmRequestType & DFS_REQTYPE_RECIP_MASK) {
    case DFS_REQTYPE_RECIP_DEVICE: return "device";
    case DFS_REQTYPE_RECIP_INTERFACE: return "interface";
    case DFS_REQTYPE_RECIP_ENDPOINT: return "endpoint";
    default: return "other";
    }
}

static const char *feature_name(uint8_t recip, uint16_t sel)
{
    if (recip == DFS_REQTYPE_RECIP_ENDPOINT && sel == DFS_FEATURE_ENDPOINT_HALT)
        return "ENDPOINT_HALT";
    if (recip == DFS_REQTYPE_RECIP_DEVICE && sel == DFS_FEATURE_DEVICE_REMOTE_WAKEUP)
        return "DEVICE_REMOTE_WAKEUP";
    if (recip == DFS_REQTYPE_RECIP_DEVICE && sel == DFS_FEATURE_TEST_MODE)
        return "TEST_MODE";
    return NULL;
}

size_t dfs_control_request_str(const struct dfs_control *ctl, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!ctl)
        return 0;
    if (!ctl->has_setup)
        return dfs__appendf(buf, size, 0, "(setup not captured)");
    const struct dfs_setup *s = &ctl->setup;
    uint8_t type = s->bmRequestType & DFS_REQTYPE_TYPE_MASK;
    uint8_t recip = s->bmRequestType & DFS_REQTYPE_RECIP_MASK;
    size_t pos = 0;
    if (ctl->dfu && dfs_dfu_request_name(s->bRequest)) {
        pos = dfs__appendf(buf, size, pos, "DFU %s", dfs_dfu_request_name(s->bRequest));
        switch (s->bRequest) {
        case DFS_DFU_DNLOAD:
        case DFS_DFU_UPLOAD:
            pos = dfs__appendf(buf, size, pos, " block %u len %u", s->wValue, s->wLength);
            break;
        case DFS_DFU_DETACH:
            pos = dfs__appendf(buf, size, pos, " timeout %u ms", s->wValue);
            break;
        default:
            break;
        }
        return dfs__appendf(buf, size, pos, " if %u", s->wIndex);
    }
    if (type != DFS_REQTYPE_STANDARD) {
        return dfs__appendf(buf, size, pos, "%s %s %s req 0x%02x wValue 0x%04x wIndex 0x%04x "
                                            "wLength %u",
                            type == DFS_REQTYPE_CLASS ? "CLASS"
                            : type == DFS_REQTYPE_VENDOR ? "VENDOR"
                                                         : "RESERVED",
                            recipient_name(s->bmRequestType),
                            (s->bmRequestType & DFS_REQTYPE_DIR_IN) ? "IN" : "OUT",
                            s->bRequest, s->wValue, s->wIndex, s->wLength);
    }
    const char *name = dfs_std_request_name(s->bRequest);
    if (!name)
        return dfs__appendf(buf, size, pos, "STANDARD req 0x%02x wValue 0x%04x wIndex 0x%04x "
                                            "wLength %u",
                            s->bRequest, s->wValue, s->wIndex, s->wLength);
    pos = dfs__appendf(buf, size, pos, "%s", name);
    switch (s->bRequest) {
    case DFS_REQ_GET_DESCRIPTOR:
    case DFS_REQ_SET_DESCRIPTOR: {
        uint8_t dt = (uint8_t)(s->wValue >> 8), idx = (uint8_t)s->wValue;
        const char *tn = dfs_desc_type_name(dt);
        if (tn)
            pos = dfs__appendf(buf, size, pos, " %s", tn);
        else
            pos = dfs__appendf(buf, size, pos, " type 0x%02x", dt);
        if (dt == DFS_DT_STRING && idx)
            pos = dfs__appendf(buf, size, pos, " %u lang 0x%04x", idx, s->wIndex);
        else if (idx || dt == DFS_DT_CONFIGURATION)
            pos = dfs__appendf(buf, size, pos, " index %u", idx);
        if (recip != DFS_REQTYPE_RECIP_DEVICE)
            pos = dfs__appendf(buf, size, pos, " (%s %u)", recipient_name(s->bmRequestType),
                               s->wIndex);
        pos = dfs__appendf(buf, size, pos, " len %u", s->wLength);
        break;
    }
    case DFS_REQ_SET_ADDRESS:
    case DFS_REQ_SET_CONFIGURATION:
        pos = dfs__appendf(buf, size, pos, " %u", s->wValue);
        break;
    case DFS_REQ_SET_INTERFACE:
        pos = dfs__appendf(buf, size, pos, " if %u alt %u", s->wIndex, s->wValue);
        break;
    case DFS_REQ_GET_INTERFACE:
        pos = dfs__appendf(buf, size, pos, " if %u", s->wIndex);
        break;
    case DFS_REQ_GET_STATUS:
        pos = dfs__appendf(buf, size, pos, " %s", recipient_name(s->bmRequestType));
        if (recip != DFS_REQTYPE_RECIP_DEVICE)
            pos = dfs__appendf(buf, size, pos, " %u", s->wIndex);
        break;
    case DFS_REQ_CLEAR_FEATURE:
    case DFS_REQ_SET_FEATURE: {
        const char *fn = feature_name(recip, s->wValue);
        if (fn)
            pos = dfs__appendf(buf, size, pos, " %s", fn);
        else
            pos = dfs__appendf(buf, size, pos, " feature %u", s->wValue);
        pos = dfs__appendf(buf, size, pos, " %s", recipient_name(s->bmRequestType));
        if (recip != DFS_REQTYPE_RECIP_DEVICE)
            pos = dfs__appendf(buf, size, pos, " 0x%02x", s->wIndex);
        break;
    }
    case DFS_REQ_SYNCH_FRAME:
        pos = dfs__appendf(buf, size, pos, " ep 0x%02x", s->wIndex);
        break;
    default:
        break;
    }
    return pos;
}

static size_t hex_bytes(char *buf, size_t size, size_t pos, const uint8_t *p, uint32_t n,
                        uint32_t max)
{
    for (uint32_t i = 0; i < n && i < max; i++)
        pos = dfs__appendf(buf, size, pos, i ? " %02x" : "%02x", p[i]);
    if (n > max)
        pos = dfs__appendf(buf, size, pos, " ...");
    return pos;
}

size_t dfs_control_data_str(const struct dfs_control *ctl, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    if (!ctl || !ctl->data_len)
        return 0;
    const uint8_t *p = ctl->data;
    uint32_t n = ctl->data_len;
    size_t pos = 0;
    bool in = ctl->has_setup ? (ctl->setup.bmRequestType & DFS_REQTYPE_DIR_IN) != 0
                             : (ctl->endpoint & DFS_ENDPOINT_DIR_IN) != 0;
    if (ctl->has_setup && in &&
        (ctl->setup.bmRequestType & DFS_REQTYPE_TYPE_MASK) == DFS_REQTYPE_STANDARD &&
        ctl->setup.bRequest == DFS_REQ_GET_DESCRIPTOR && n >= 2) {
        uint8_t dt = (uint8_t)(ctl->setup.wValue >> 8);
        if (dt == DFS_DT_DEVICE && p[1] == DFS_DT_DEVICE) {
            struct dfs_desc_device dd;
            bool complete;
            if (dfs_desc_parse_device(p, n, &dd, &complete, NULL) == DFS_OK) {
                pos = dfs__appendf(buf, size, pos, "USB %x.%02x ep0 %u", dd.bcdUSB >> 8,
                                   dd.bcdUSB & 0xff, dd.bMaxPacketSize0);
                if (complete)
                    pos = dfs__appendf(buf, size, pos, " %04x:%04x rev %x.%02x", dd.idVendor,
                                       dd.idProduct, dd.bcdDevice >> 8, dd.bcdDevice & 0xff);
                return pos;
            }
        } else if ((dt == DFS_DT_CONFIGURATION || dt == DFS_DT_OTHER_SPEED_CONFIGURATION) &&
                   n >= DFS_CONFIG_DESC_LEN && p[1] == dt) {
            return dfs__appendf(buf, size, pos, "wTotalLength %u, %u interface%s, config %u",
                                dfs__le16(p + 2), p[4], p[4] == 1 ? "" : "s", p[5]);
        } else if (dt == DFS_DT_STRING && p[1] == DFS_DT_STRING) {
            if ((uint8_t)ctl->setup.wValue == 0) {
                uint16_t ids[8];
                size_t k = dfs_desc_langids(p, n, ids, 8);
                pos = dfs__appendf(buf, size, pos, "LANGID");
                for (size_t i = 0; i < k; i++)
                    pos = dfs__appendf(buf, size, pos, " 0x%04x", ids[i]);
                return pos;
            }
            char s[512]; /* 126 UTF-16 units of up to 3 UTF-8 bytes each */
            if (dfs_desc_string_utf8(p, n, s, sizeof s, NULL) == DFS_OK)
                return dfs__appendf(buf, size, pos, "\"%s\"", s);
        }
    }
    return hex_bytes(buf, size, pos, p, n, 16);
}
