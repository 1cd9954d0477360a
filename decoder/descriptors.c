/* USB descriptor parsing over untrusted bytes (USB 2.0 ch. 9.6, DFU 1.1
 * 4.1.3). Every read is checked against the buffer length. */
#include <stdio.h>
#include <string.h>

#include "dfuscope/descriptors.h"
#include "dfuscope/dfu.h"
#include "dfuscope/usb.h"
#include "internal.h"

static void problem_set(struct dfs_desc_problem *p, enum dfs_desc_problem_code code,
                        size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem_set(struct dfs_desc_problem *p, enum dfs_desc_problem_code code,
                        size_t offset, const char *fmt, ...)
{
    if (!p)
        return;
    p->code = code;
    p->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
}

static void problem_clear(struct dfs_desc_problem *p)
{
    if (p) {
        p->code = DFS_DESC_OK;
        p->offset = 0;
        p->msg[0] = '\0';
    }
}

dfs_result dfs_desc_parse_device(const uint8_t *buf, size_t len, struct dfs_desc_device *out,
                                 bool *complete, struct dfs_desc_problem *problem)
{
    problem_clear(problem);
    if (!buf || !out)
        return DFS_E_INVAL;
    if (len < 8) {
        problem_set(problem, DFS_DESC_TRUNCATED, 0,
                    "device descriptor of %zu bytes; at least 8 are needed", len);
        return DFS_E_FORMAT;
    }
    if (buf[1] != DFS_DT_DEVICE) {
        problem_set(problem, DFS_DESC_BAD_TYPE, 1,
                    "bDescriptorType %u where a DEVICE descriptor (1) was expected", buf[1]);
        return DFS_E_FORMAT;
    }
    if (buf[0] < DFS_DEVICE_DESC_LEN) {
        problem_set(problem, DFS_DESC_BAD_LENGTH, 0,
                    "device descriptor bLength %u; it must be 18", buf[0]);
        return DFS_E_FORMAT;
    }
    uint8_t b[DFS_DEVICE_DESC_LEN] = {0};
    size_t n = len < sizeof b ? len : sizeof b;
    memcpy(b, buf, n);
    /* a 16-bit field cut by the end (idVendor, idProduct, bcdDevice at 8,
     * 10, 12) reads as zero like the fields past it, not as its low byte */
    if (n < 14 && (n & 1))
        b[n - 1] = 0;
    struct dfs_desc_device d = {
        .bLength = b[0],
        .bDescriptorType = b[1],
        .bcdUSB = dfs__le16(b + 2),
        .bDeviceClass = b[4],
        .bDeviceSubClass = b[5],
        .bDeviceProtocol = b[6],
        .bMaxPacketSize0 = b[7],
        .idVendor = dfs__le16(b + 8),
        .idProduct = dfs__le16(b + 10),
        .bcdDevice = dfs__le16(b + 12),
        .iManufacturer = b[14],
        .iProduct = b[15],
        .iSerialNumber = b[16],
        .bNumConfigurations = b[17],
    };
    if (buf[0] != DFS_DEVICE_DESC_LEN)
        problem_set(problem, DFS_DESC_BAD_LENGTH, 0,
                    "device descriptor bLength %u; it must be 18", buf[0]);
    *out = d;
    if (complete)
        *complete = len >= DFS_DEVICE_DESC_LEN;
    return DFS_OK;
}

dfs_result dfs_desc_parse_qualifier(const uint8_t *buf, size_t len, struct dfs_desc_qualifier *out,
                                    struct dfs_desc_problem *problem)
{
    problem_clear(problem);
    if (!buf || !out)
        return DFS_E_INVAL;
    if (len < DFS_QUALIFIER_DESC_LEN) {
        problem_set(problem, DFS_DESC_TRUNCATED, 0,
                    "device qualifier of %zu bytes; 10 are needed", len);
        return DFS_E_FORMAT;
    }
    if (buf[1] != DFS_DT_DEVICE_QUALIFIER || buf[0] < DFS_QUALIFIER_DESC_LEN) {
        problem_set(problem, buf[1] != DFS_DT_DEVICE_QUALIFIER ? DFS_DESC_BAD_TYPE
                                                               : DFS_DESC_BAD_LENGTH,
                    0, "not a device qualifier (bLength %u, bDescriptorType %u)", buf[0],
                    buf[1]);
        return DFS_E_FORMAT;
    }
    out->bLength = buf[0];
    out->bDescriptorType = buf[1];
    out->bcdUSB = dfs__le16(buf + 2);
    out->bDeviceClass = buf[4];
    out->bDeviceSubClass = buf[5];
    out->bDeviceProtocol = buf[6];
    out->bMaxPacketSize0 = buf[7];
    out->bNumConfigurations = buf[8];
    out->bReserved = buf[9];
    return DFS_OK;
}

void dfs_desc_walk_init(struct dfs_desc_walker *w, const uint8_t *buf, size_t len)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->len = buf ? len : 0;
}

static size_t min_length(uint8_t type, bool in_dfu_interface)
{
    switch (type) {
    case DFS_DT_CONFIGURATION:
    case DFS_DT_OTHER_SPEED_CONFIGURATION: return DFS_CONFIG_DESC_LEN;
    case DFS_DT_INTERFACE: return DFS_INTERFACE_DESC_LEN;
    case DFS_DT_ENDPOINT: return DFS_ENDPOINT_DESC_LEN;
    case DFS_DT_INTERFACE_ASSOCIATION: return DFS_IAD_DESC_LEN;
    case DFS_DT_BOS: return DFS_BOS_DESC_LEN;
    case DFS_DT_DEVICE_CAPABILITY: return 3;
    case DFS_DT_DFU_FUNCTIONAL: return in_dfu_interface ? DFS_DFU_FUNC_DESC_LEN_1_0 : 2;
    default: return 2;
    }
}

int dfs_desc_walk_next(struct dfs_desc_walker *w, struct dfs_desc_item *item,
                       struct dfs_desc_problem *problem)
{
    problem_clear(problem);
    if (!w || !item || w->done)
        return 0;
    size_t left = w->len - w->off;
    if (left == 0) {
        w->done = true;
        return 0;
    }
    const uint8_t *p = w->buf + w->off;
    if (left < 2) {
        problem_set(problem, DFS_DESC_TRUNCATED, w->off,
                    "%zu stray byte at offset %zu, too short for a descriptor", left, w->off);
        w->done = true;
        return -1;
    }
    uint8_t blen = p[0], type = p[1];
    if (blen < 2) {
        problem_set(problem, DFS_DESC_BAD_LENGTH, w->off,
                    "descriptor at offset %zu has bLength %u; the rest (%zu bytes) cannot be walked",
                    w->off, blen, left);
        w->done = true;
        return -1;
    }
    if (blen > left) {
        problem_set(problem, DFS_DESC_BAD_LENGTH, w->off,
                    "%s descriptor at offset %zu has bLength %u but only %zu bytes are left",
                    dfs_desc_type_name(type) ? dfs_desc_type_name(type) : "unknown", w->off,
                    blen, left);
        w->done = true;
        return -1;
    }
    bool dfu_iface = w->in_interface && w->iface.bInterfaceClass == DFS_DFU_CLASS &&
                     w->iface.bInterfaceSubClass == DFS_DFU_SUBCLASS;
    memset(item, 0, sizeof *item);
    item->offset = w->off;
    item->raw = p;
    item->bLength = blen;
    item->bDescriptorType = type;
    item->kind = DFS_DK_OTHER;
    size_t need = min_length(type, dfu_iface);
    if (blen < need) {
        problem_set(problem, type == DFS_DT_DFU_FUNCTIONAL && dfu_iface
                                 ? DFS_DESC_FUNCTIONAL_SHORT
                                 : DFS_DESC_BAD_LENGTH,
                    w->off, "%s descriptor at offset %zu has bLength %u; at least %zu expected",
                    dfs_desc_type_name(type) ? dfs_desc_type_name(type) : "unknown", w->off,
                    blen, need);
    } else {
        switch (type) {
        case DFS_DT_CONFIGURATION:
        case DFS_DT_OTHER_SPEED_CONFIGURATION:
            item->kind = DFS_DK_CONFIG;
            item->u.config = (struct dfs_desc_config){
                .bLength = blen,
                .bDescriptorType = type,
                .wTotalLength = dfs__le16(p + 2),
                .bNumInterfaces = p[4],
                .bConfigurationValue = p[5],
                .iConfiguration = p[6],
                .bmAttributes = p[7],
                .bMaxPower = p[8],
            };
            w->in_interface = false;
            break;
        case DFS_DT_INTERFACE:
            item->kind = DFS_DK_INTERFACE;
            item->u.interface = (struct dfs_desc_interface){
                .bLength = blen,
                .bDescriptorType = type,
                .bInterfaceNumber = p[2],
                .bAlternateSetting = p[3],
                .bNumEndpoints = p[4],
                .bInterfaceClass = p[5],
                .bInterfaceSubClass = p[6],
                .bInterfaceProtocol = p[7],
                .iInterface = p[8],
            };
            w->in_interface = true;
            w->iface = item->u.interface;
            break;
        case DFS_DT_ENDPOINT:
            item->kind = DFS_DK_ENDPOINT;
            item->u.endpoint = (struct dfs_desc_endpoint){
                .bLength = blen,
                .bDescriptorType = type,
                .bEndpointAddress = p[2],
                .bmAttributes = p[3],
                .wMaxPacketSize = dfs__le16(p + 4),
                .bInterval = p[6],
            };
            break;
        case DFS_DT_INTERFACE_ASSOCIATION:
            /* starts a function: no longer inside the interface before it */
            w->in_interface = false;
            item->kind = DFS_DK_IAD;
            item->u.iad = (struct dfs_desc_iad){
                .bLength = blen,
                .bDescriptorType = type,
                .bFirstInterface = p[2],
                .bInterfaceCount = p[3],
                .bFunctionClass = p[4],
                .bFunctionSubClass = p[5],
                .bFunctionProtocol = p[6],
                .iFunction = p[7],
            };
            break;
        case DFS_DT_BOS:
            item->kind = DFS_DK_BOS;
            item->u.bos = (struct dfs_desc_bos){
                .bLength = blen,
                .bDescriptorType = type,
                .wTotalLength = dfs__le16(p + 2),
                .bNumDeviceCaps = p[4],
            };
            break;
        case DFS_DT_DEVICE_CAPABILITY:
            item->kind = DFS_DK_DEVICE_CAPABILITY;
            break;
        case DFS_DT_DFU_FUNCTIONAL:
            if (!dfu_iface)
                break;
            item->kind = DFS_DK_DFU_FUNCTIONAL;
            item->u.dfu = (struct dfs_desc_dfu_functional){
                .bLength = blen,
                .bDescriptorType = type,
                .bmAttributes = p[2],
                .wDetachTimeOut = dfs__le16(p + 3),
                .wTransferSize = dfs__le16(p + 5),
                .has_version = blen >= DFS_DFU_FUNC_DESC_LEN,
                .bcdDFUVersion = blen >= DFS_DFU_FUNC_DESC_LEN ? dfs__le16(p + 7) : 0,
            };
            if (blen < DFS_DFU_FUNC_DESC_LEN)
                problem_set(problem, DFS_DESC_FUNCTIONAL_SHORT, w->off,
                            "DFU functional descriptor at offset %zu has bLength %u (the DFU 1.0 "
                            "layout): bcdDFUVersion is missing",
                            w->off, blen);
            break;
        default:
            break;
        }
    }
    item->in_interface = w->in_interface && item->kind != DFS_DK_INTERFACE;
    if (item->in_interface)
        item->iface = w->iface;
    w->off += blen;
    return 1;
}

/* Append one code point as UTF-8 at *pos, keeping room for the NUL;
 * false (and nothing written) when it does not fit whole. */
static bool put_utf8(char *out, size_t size, size_t *pos, uint32_t cp)
{
    uint8_t tmp[4];
    size_t n;
    if (cp < 0x80) {
        tmp[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (uint8_t)(0xC0 | (cp >> 6));
        tmp[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (uint8_t)(0xE0 | (cp >> 12));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        tmp[0] = (uint8_t)(0xF0 | (cp >> 18));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (*pos + n >= size)
        return false; /* no room: never a partial sequence */
    memcpy(out + *pos, tmp, n);
    *pos += n;
    return true;
}

dfs_result dfs_desc_string_utf8(const uint8_t *buf, size_t len, char *out, size_t out_size,
                                struct dfs_desc_problem *problem)
{
    problem_clear(problem);
    if (!buf || !out || out_size == 0)
        return DFS_E_INVAL;
    out[0] = '\0';
    if (len < 2) {
        problem_set(problem, DFS_DESC_TRUNCATED, 0, "string descriptor of %zu bytes", len);
        return DFS_E_FORMAT;
    }
    if (buf[1] != DFS_DT_STRING) {
        problem_set(problem, DFS_DESC_BAD_TYPE, 1,
                    "bDescriptorType %u where a STRING descriptor (3) was expected", buf[1]);
        return DFS_E_FORMAT;
    }
    size_t n = buf[0] < len ? buf[0] : len;
    if (buf[0] < 2)
        problem_set(problem, DFS_DESC_BAD_LENGTH, 0,
                    "string descriptor bLength %u; at least 2 expected", buf[0]);
    else if (buf[0] > len)
        problem_set(problem, DFS_DESC_TRUNCATED, 0,
                    "string descriptor bLength %u but only %zu bytes were returned", buf[0], len);
    else if (buf[0] & 1)
        problem_set(problem, DFS_DESC_ODD_LENGTH, 0, "string descriptor of odd length %u",
                    buf[0]);
    size_t pos = 0;
    bool full = false;
    for (size_t i = 2; i + 1 < n; i += 2) {
        uint32_t cu = dfs__le16(buf + i);
        uint32_t cp = cu;
        bool bad = false;
        if (cu >= 0xD800 && cu <= 0xDBFF) {
            uint32_t lo = i + 3 < n ? dfs__le16(buf + i + 2) : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            } else {
                bad = true; /* unpaired high surrogate */
            }
        } else if (cu >= 0xDC00 && cu <= 0xDFFF) {
            bad = true; /* unpaired low surrogate */
        } else if (cu == 0) {
            bad = true; /* an embedded NUL would cut the C string */
        }
        if (bad) {
            cp = 0xFFFD;
            if (!problem || problem->code == DFS_DESC_OK)
                problem_set(problem, DFS_DESC_BAD_ENCODING, i,
                            "invalid UTF-16 code unit 0x%04x at offset %zu", cu, i);
        }
        /* once a character does not fit, stop writing (at a whole
         * character) but keep checking the rest */
        if (!full && !put_utf8(out, out_size, &pos, cp))
            full = true;
    }
    out[pos] = '\0';
    return DFS_OK;
}

bool dfs_desc_string_8bit(const uint8_t *buf, size_t len)
{
    if (!buf || len < 4 || buf[1] != DFS_DT_STRING || buf[0] < 4)
        return false;
    size_t n = buf[0] < len ? buf[0] : len;
    for (size_t i = 2; i < n; i++)
        if (buf[i] < 0x20 || buf[i] > 0x7E)
            return false;
    if (buf[0] & 1)
        return true;
    for (size_t i = 2; i + 1 < n; i += 2) {
        uint16_t cu = dfs__le16(buf + i);
        bool cjk = cu >= 0x4E00 && cu <= 0x9FFF, kana = cu >= 0x3040 && cu <= 0x30FF;
        if (!cjk && !kana)
            return true;
    }
    return false;
}

size_t dfs_desc_langids(const uint8_t *buf, size_t len, uint16_t *ids, size_t max)
{
    if (!buf || len < 2 || buf[1] != DFS_DT_STRING)
        return 0;
    size_t n = buf[0] < len ? buf[0] : len;
    size_t count = 0;
    for (size_t i = 2; i + 1 < n && count < max; i += 2)
        ids[count++] = dfs__le16(buf + i);
    return count;
}

size_t dfs_desc_find_dfu(const uint8_t *config, size_t len, struct dfs_dfu_interface *out,
                         size_t max)
{
    if (!config || (!out && max))
        return 0;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, config, len);
    size_t count = 0;
    uint8_t config_value = 0;
    while (dfs_desc_walk_next(&w, &it, NULL) == 1) {
        if (it.kind == DFS_DK_CONFIG) {
            config_value = it.u.config.bConfigurationValue;
        } else if (it.kind == DFS_DK_INTERFACE &&
                   it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
                   it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
            if (count < max) {
                struct dfs_dfu_interface *e = &out[count];
                memset(e, 0, sizeof *e);
                e->bConfigurationValue = config_value;
                e->iface = it.u.interface;
                e->offset = it.offset;
            }
            count++;
        } else if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            /* every alternate setting of its interface, before and after it */
            for (size_t i = 0; i < count && i < max; i++)
                if (out[i].iface.bInterfaceNumber == it.iface.bInterfaceNumber &&
                    !out[i].has_functional) {
                    out[i].has_functional = true;
                    out[i].functional = it.u.dfu;
                }
        }
    }
    /* alternate settings after the functional descriptor share it too */
    for (size_t i = 0; i < count && i < max; i++) {
        if (out[i].has_functional)
            continue;
        for (size_t j = 0; j < count && j < max; j++)
            if (out[j].has_functional &&
                out[j].iface.bInterfaceNumber == out[i].iface.bInterfaceNumber) {
                out[i].has_functional = true;
                out[i].functional = out[j].functional;
                break;
            }
    }
    return count;
}
