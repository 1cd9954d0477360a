/* dfuscope descriptors: the descriptor tree of every device in a capture,
 * laid out like `lsusb -v`, or as JSON. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct desc_ctx {
    dfs_decoder *d;
    const struct dfs_device_info *dev;
    FILE *f;
    bool json;
};

/* String descriptor `index` of the device as safe UTF-8, "" if not captured. */
static const char *dev_string(struct desc_ctx *c, uint8_t index, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!index)
        return buf;
    const uint8_t *raw;
    size_t len;
    if (dfs_decoder_device_string(c->d, c->dev->id, index, c->dev->langid, &raw, &len) != DFS_OK)
        return buf;
    char utf8[512];
    if (dfs_desc_string_utf8(raw, len, utf8, sizeof utf8, NULL) != DFS_OK)
        return buf;
    text_safe(buf, size, utf8);
    return buf;
}

static void field(struct desc_ctx *c, int indent, const char *name, const char *value,
                  const char *extra)
{
    int width = 24 - indent;
    if (width < (int)strlen(name) + 1)
        width = (int)strlen(name) + 1;
    fprintf(c->f, "%*s%-*s%6s%s%s\n", indent, "", width, name, value,
            extra && *extra ? " " : "", extra ? extra : "");
}

static void fu(struct desc_ctx *c, int indent, const char *name, unsigned v, const char *extra)
{
    char b[16];
    snprintf(b, sizeof b, "%u", v);
    field(c, indent, name, b, extra);
}

static void fx(struct desc_ctx *c, int indent, const char *name, unsigned v, int digits,
               const char *extra)
{
    char b[16];
    snprintf(b, sizeof b, "0x%0*x", digits, v);
    field(c, indent, name, b, extra);
}

static void fbcd(struct desc_ctx *c, int indent, const char *name, unsigned v)
{
    char b[16];
    snprintf(b, sizeof b, "%x.%02x", v >> 8, v & 0xff);
    field(c, indent, name, b, NULL);
}

static void problem(struct desc_ctx *c, int indent, const char *msg)
{
    char safe[300];
    text_safe(safe, sizeof safe, msg);
    fprintf(c->f, "%*s** %s\n", indent, "", safe);
}

static void fstr(struct desc_ctx *c, int indent, const char *name, uint8_t index)
{
    char s[300];
    dev_string(c, index, s, sizeof s);
    if (index && !*s)
        snprintf(s, sizeof s, "(not in the capture)");
    fu(c, indent, name, index, s);
    /* what is wrong with the string descriptor, if anything */
    const uint8_t *raw;
    size_t len;
    if (!index ||
        dfs_decoder_device_string(c->d, c->dev->id, index, c->dev->langid, &raw, &len) != DFS_OK)
        return;
    char utf8[512];
    struct dfs_desc_problem pr;
    dfs_desc_string_utf8(raw, len, utf8, sizeof utf8, &pr);
    if (pr.code != DFS_DESC_OK) {
        char m[200];
        snprintf(m, sizeof m, "string %u: %s", index, pr.msg);
        problem(c, indent, m);
    }
    if (dfs_desc_string_8bit(raw, len)) {
        /* what the bytes are: ASCII text (dfs_desc_string_8bit checked) */
        size_t n = raw[0] < len ? raw[0] : len;
        char m[320];
        int k = snprintf(m, sizeof m, "string %u: %zu bytes of 8-bit ASCII text \"%.*s\", not "
                         "UTF-16LE (USB 2.0 9.6.7); shown above as UTF-16LE",
                         index, n - 2, (int)(n - 2), (const char *)raw + 2);
        if (k > 0)
            problem(c, indent, m);
    }
}

static const char *dfu_proto_name(uint8_t cls, uint8_t sub, uint8_t proto)
{
    if (cls != DFS_DFU_CLASS || sub != DFS_DFU_SUBCLASS)
        return "";
    return proto == DFS_DFU_PROTO_RUNTIME ? "Runtime" : proto == DFS_DFU_PROTO_DFU ? "DFU mode" : "";
}

static void print_dfu(struct desc_ctx *c, int in, const struct dfs_desc_dfu_functional *fd)
{
    fprintf(c->f, "%*sDevice Firmware Upgrade Interface Descriptor:\n", in, "");
    in += 2;
    fu(c, in, "bLength", fd->bLength, NULL);
    fu(c, in, "bDescriptorType", fd->bDescriptorType, NULL);
    fu(c, in, "bmAttributes", fd->bmAttributes, NULL);
    fprintf(c->f, "%*s%s\n", in + 2, "",
            (fd->bmAttributes & DFS_DFU_ATTR_WILL_DETACH) ? "Will Detach" : "Will Not Detach");
    fprintf(c->f, "%*s%s\n", in + 2, "",
            (fd->bmAttributes & DFS_DFU_ATTR_MANIFEST_TOLERANT) ? "Manifestation Tolerant"
                                                                 : "Manifestation Intolerant");
    fprintf(c->f, "%*s%s\n", in + 2, "",
            (fd->bmAttributes & DFS_DFU_ATTR_CAN_UPLOAD) ? "Upload Supported"
                                                          : "Upload Unsupported");
    fprintf(c->f, "%*s%s\n", in + 2, "",
            (fd->bmAttributes & DFS_DFU_ATTR_CAN_DNLOAD) ? "Download Supported"
                                                          : "Download Unsupported");
    fu(c, in, "wDetachTimeout", fd->wDetachTimeOut, "milliseconds");
    fu(c, in, "wTransferSize", fd->wTransferSize, "bytes");
    if (fd->has_version) {
        char b[16];
        snprintf(b, sizeof b, "%x.%02x", fd->bcdDFUVersion >> 8, fd->bcdDFUVersion & 0xff);
        field(c, in, "bcdDFUVersion", b,
              fd->bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? "(ST DfuSe)" : NULL);
    }
}

/* One configuration descriptor set (config, config_len bytes; partial:
 * shorter than its wTotalLength) */
static void print_config_text(struct desc_ctx *c, const uint8_t *config, size_t config_len,
                              bool config_partial)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    dfs_desc_walk_init(&w, config, config_len);
    int rc;
    int in = 2;
    unsigned interfaces_seen = 0, endpoints_expected = 0, endpoints_seen = 0;
    uint8_t n_ifaces_declared = 0;
    uint16_t total = 0;
    bool have_iface = false;
    uint32_t if_seen_mask[8] = {0};
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        switch (it.kind) {
        case DFS_DK_CONFIG: {
            const struct dfs_desc_config *cf = &it.u.config;
            total = cf->wTotalLength;
            n_ifaces_declared = cf->bNumInterfaces;
            fprintf(c->f, "  Configuration Descriptor:\n");
            in = 4;
            fu(c, in, "bLength", cf->bLength, NULL);
            fu(c, in, "bDescriptorType", cf->bDescriptorType, NULL);
            fx(c, in, "wTotalLength", cf->wTotalLength, 4, NULL);
            fu(c, in, "bNumInterfaces", cf->bNumInterfaces, NULL);
            fu(c, in, "bConfigurationValue", cf->bConfigurationValue, NULL);
            fstr(c, in, "iConfiguration", cf->iConfiguration);
            fx(c, in, "bmAttributes", cf->bmAttributes, 2, NULL);
            if (!(cf->bmAttributes & 0x80))
                fprintf(c->f, "%*s(Missing must-be-set bit!)\n", in + 2, "");
            if (cf->bmAttributes & 0x40)
                fprintf(c->f, "%*sSelf Powered\n", in + 2, "");
            else
                fprintf(c->f, "%*s(Bus Powered)\n", in + 2, "");
            if (cf->bmAttributes & 0x20)
                fprintf(c->f, "%*sRemote Wakeup\n", in + 2, "");
            char mp[16];
            snprintf(mp, sizeof mp, "%umA", cf->bMaxPower * 2);
            field(c, in, "MaxPower", mp, NULL);
            break;
        }
        case DFS_DK_IAD: {
            const struct dfs_desc_iad *a = &it.u.iad;
            fprintf(c->f, "    Interface Association:\n");
            in = 6;
            fu(c, in, "bLength", a->bLength, NULL);
            fu(c, in, "bDescriptorType", a->bDescriptorType, NULL);
            fu(c, in, "bFirstInterface", a->bFirstInterface, NULL);
            fu(c, in, "bInterfaceCount", a->bInterfaceCount, NULL);
            fu(c, in, "bFunctionClass", a->bFunctionClass, dfs_class_name(a->bFunctionClass));
            fu(c, in, "bFunctionSubClass", a->bFunctionSubClass, NULL);
            fu(c, in, "bFunctionProtocol", a->bFunctionProtocol, NULL);
            fstr(c, in, "iFunction", a->iFunction);
            break;
        }
        case DFS_DK_INTERFACE: {
            const struct dfs_desc_interface *i = &it.u.interface;
            if (have_iface && endpoints_seen != endpoints_expected)
                problem(c, 6, "the previous interface declares a different bNumEndpoints "
                              "than it has endpoint descriptors");
            have_iface = true;
            endpoints_expected = i->bNumEndpoints;
            endpoints_seen = 0;
            if (!(if_seen_mask[i->bInterfaceNumber / 32] & (1u << (i->bInterfaceNumber % 32)))) {
                if_seen_mask[i->bInterfaceNumber / 32] |= 1u << (i->bInterfaceNumber % 32);
                interfaces_seen++;
            }
            fprintf(c->f, "    Interface Descriptor:\n");
            in = 6;
            fu(c, in, "bLength", i->bLength, NULL);
            fu(c, in, "bDescriptorType", i->bDescriptorType, NULL);
            fu(c, in, "bInterfaceNumber", i->bInterfaceNumber, NULL);
            fu(c, in, "bAlternateSetting", i->bAlternateSetting, NULL);
            fu(c, in, "bNumEndpoints", i->bNumEndpoints, NULL);
            fu(c, in, "bInterfaceClass", i->bInterfaceClass, dfs_class_name(i->bInterfaceClass));
            fu(c, in, "bInterfaceSubClass", i->bInterfaceSubClass,
               i->bInterfaceClass == DFS_DFU_CLASS && i->bInterfaceSubClass == DFS_DFU_SUBCLASS
                   ? "Device Firmware Update"
                   : NULL);
            fu(c, in, "bInterfaceProtocol", i->bInterfaceProtocol,
               dfu_proto_name(i->bInterfaceClass, i->bInterfaceSubClass, i->bInterfaceProtocol));
            fstr(c, in, "iInterface", i->iInterface);
            break;
        }
        case DFS_DK_ENDPOINT: {
            const struct dfs_desc_endpoint *e = &it.u.endpoint;
            static const char *const tt[] = {"Control", "Isochronous", "Bulk", "Interrupt"};
            endpoints_seen++;
            fprintf(c->f, "      Endpoint Descriptor:\n");
            in = 8;
            fu(c, in, "bLength", e->bLength, NULL);
            fu(c, in, "bDescriptorType", e->bDescriptorType, NULL);
            char ex[32];
            snprintf(ex, sizeof ex, "EP %u %s", e->bEndpointAddress & 0x0f,
                     (e->bEndpointAddress & 0x80) ? "IN" : "OUT");
            fx(c, in, "bEndpointAddress", e->bEndpointAddress, 2, ex);
            fu(c, in, "bmAttributes", e->bmAttributes, NULL);
            fprintf(c->f, "%*sTransfer Type            %s\n", in + 2, "", tt[e->bmAttributes & 3]);
            char mps[48];
            snprintf(mps, sizeof mps, "1x %u bytes", e->wMaxPacketSize & 0x7ff);
            fx(c, in, "wMaxPacketSize", e->wMaxPacketSize, 4, mps);
            fu(c, in, "bInterval", e->bInterval, NULL);
            break;
        }
        case DFS_DK_DFU_FUNCTIONAL:
            print_dfu(c, 6, &it.u.dfu);
            if (pr.code != DFS_DESC_OK)
                problem(c, 8, pr.msg);
            break;
        default: {
            int ind = it.in_interface ? 6 : 4;
            fprintf(c->f, "%*s%s descriptor (type 0x%02x, %u bytes):", ind, "",
                    it.in_interface ? "Class-specific or unknown" : "Unknown", it.bDescriptorType,
                    it.bLength);
            for (unsigned k = 0; k < it.bLength; k++)
                fprintf(c->f, " %02x", it.raw[k]);
            fputc('\n', c->f);
            if (pr.code != DFS_DESC_OK)
                problem(c, ind + 2, pr.msg);
            break;
        }
        }
    }
    if (rc < 0)
        problem(c, 4, pr.msg);
    if (have_iface && endpoints_seen != endpoints_expected)
        problem(c, 6, "the last interface declares a different bNumEndpoints than it has "
                      "endpoint descriptors");
    if (total && total != config_len) {
        char m[160];
        snprintf(m, sizeof m, "wTotalLength is %u but %zu bytes were %s", total, config_len,
                 config_partial ? "captured (the full read is not in the capture)"
                                : "returned");
        problem(c, 4, m);
    }
    if (n_ifaces_declared && interfaces_seen != n_ifaces_declared) {
        char m[160];
        snprintf(m, sizeof m, "bNumInterfaces is %u but %u interface numbers are described",
                 n_ifaces_declared, interfaces_seen);
        problem(c, 4, m);
    }
}

static void print_device_text(struct desc_ctx *c)
{
    const struct dfs_device_info *dev = c->dev;
    char prod[300] = "", manu[300] = "";
    if (dev->has_device_desc) {
        dev_string(c, dev->desc.iManufacturer, manu, sizeof manu);
        dev_string(c, dev->desc.iProduct, prod, sizeof prod);
        fprintf(c->f, "Bus %03u Device %03u: ID %04x:%04x%s%s%s%s\n", dev->bus, dev->devnum,
                dev->desc.idVendor, dev->desc.idProduct, *manu ? " " : "", manu,
                *prod ? " " : "", prod);
    } else {
        fprintf(c->f, "Bus %03u Device %03u: (no device descriptor in the capture)\n", dev->bus,
                dev->devnum);
    }
    fprintf(c->f, "  [instance %u, frames %" PRIu64 "-%" PRIu64, dev->id, dev->first_frame,
            dev->last_frame);
    if (dev->previous)
        fprintf(c->f, ", re-enumeration of instance %u", dev->previous);
    if (dev->gone)
        fprintf(c->f, ", left the bus at frame %" PRIu64, dev->gone_frame);
    fprintf(c->f, "]\n");
    if (!dev->has_device_desc) {
        fputc('\n', c->f);
        return;
    }
    const struct dfs_desc_device *dd = &dev->desc;
    fprintf(c->f, "Device Descriptor:\n");
    int in = 2;
    fu(c, in, "bLength", dd->bLength, NULL);
    if (dd->bLength != DFS_DEVICE_DESC_LEN) {
        char m[80];
        snprintf(m, sizeof m, "device descriptor bLength %u; it must be 18", dd->bLength);
        problem(c, in, m);
    }
    fu(c, in, "bDescriptorType", dd->bDescriptorType, NULL);
    fbcd(c, in, "bcdUSB", dd->bcdUSB);
    fu(c, in, "bDeviceClass", dd->bDeviceClass, dfs_class_name(dd->bDeviceClass));
    fu(c, in, "bDeviceSubClass", dd->bDeviceSubClass, NULL);
    fu(c, in, "bDeviceProtocol", dd->bDeviceProtocol, NULL);
    fu(c, in, "bMaxPacketSize0", dd->bMaxPacketSize0, NULL);
    if (!dev->device_desc_complete) {
        problem(c, in, "only the first 8 bytes of the device descriptor are in the capture");
    } else {
        fx(c, in, "idVendor", dd->idVendor, 4, manu);
        fx(c, in, "idProduct", dd->idProduct, 4, prod);
        fbcd(c, in, "bcdDevice", dd->bcdDevice);
        fstr(c, in, "iManufacturer", dd->iManufacturer);
        fstr(c, in, "iProduct", dd->iProduct);
        fstr(c, in, "iSerial", dd->iSerialNumber);
        fu(c, in, "bNumConfigurations", dd->bNumConfigurations, NULL);
    }
    /* every configuration the capture holds, in descriptor-index order, as
     * lsusb prints them */
    bool any_config = false;
    for (uint8_t i = 0; i < 8; i++) {
        const uint8_t *raw;
        size_t len;
        bool partial;
        if (dfs_decoder_device_config(c->d, dev->id, i, &raw, &len, &partial) != DFS_OK)
            continue;
        print_config_text(c, raw, len, partial);
        any_config = true;
    }
    if (!any_config)
        fprintf(c->f, "  (no configuration descriptor in the capture)\n");
    if (dev->langid) {
        const char *ln = dfs_langid_name(dev->langid);
        fprintf(c->f, "  String descriptor 0: LANGID 0x%04x%s%s%s\n", dev->langid,
                ln ? " (" : "", ln ? ln : "", ln ? ")" : "");
    }
    if (dev->qualifier) {
        struct dfs_desc_qualifier q;
        struct dfs_desc_problem pr;
        if (dfs_desc_parse_qualifier(dev->qualifier, dev->qualifier_len, &q, &pr) == DFS_OK) {
            fprintf(c->f, "Device Qualifier (for other device speed):\n");
            fu(c, 2, "bLength", q.bLength, NULL);
            fu(c, 2, "bDescriptorType", q.bDescriptorType, NULL);
            fbcd(c, 2, "bcdUSB", q.bcdUSB);
            fu(c, 2, "bDeviceClass", q.bDeviceClass, dfs_class_name(q.bDeviceClass));
            fu(c, 2, "bDeviceSubClass", q.bDeviceSubClass, NULL);
            fu(c, 2, "bDeviceProtocol", q.bDeviceProtocol, NULL);
            fu(c, 2, "bMaxPacketSize0", q.bMaxPacketSize0, NULL);
            fu(c, 2, "bNumConfigurations", q.bNumConfigurations, NULL);
        } else {
            problem(c, 0, pr.msg);
        }
    } else if (dev->qualifier_stalled) {
        fprintf(c->f, "Device Qualifier: request stalled (a full-speed-only device)\n");
    }
    if (dev->bos) {
        fprintf(c->f, "Binary Object Store Descriptor: %zu bytes:", dev->bos_len);
        for (size_t k = 0; k < dev->bos_len && k < 64; k++)
            fprintf(c->f, " %02x", dev->bos[k]);
        fputc('\n', c->f);
    }
    fputc('\n', c->f);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void jstrfield(struct desc_ctx *c, const char *key, uint8_t index)
{
    char s[300];
    dev_string(c, index, s, sizeof s);
    fprintf(c->f, ",\"%s\":%u,\"%s_string\":", key, index, key);
    if (index && *s)
        json_str(c->f, s);
    else
        fputs("null", c->f);
}

/* One descriptor of a configuration set other than the configuration and
 * interface descriptors. */
static void print_item_json(struct desc_ctx *c, const struct dfs_desc_item *it)
{
    FILE *f = c->f;
    switch (it->kind) {
    case DFS_DK_ENDPOINT:
        fprintf(f, "{\"type\":\"endpoint\",\"bEndpointAddress\":%u,\"bmAttributes\":%u,"
                   "\"wMaxPacketSize\":%u,\"bInterval\":%u}",
                it->u.endpoint.bEndpointAddress, it->u.endpoint.bmAttributes,
                it->u.endpoint.wMaxPacketSize, it->u.endpoint.bInterval);
        break;
    case DFS_DK_DFU_FUNCTIONAL:
        fprintf(f, "{\"type\":\"dfu_functional\",\"bLength\":%u,\"bmAttributes\":%u,"
                   "\"wDetachTimeOut\":%u,\"wTransferSize\":%u,\"bcdDFUVersion\":",
                it->u.dfu.bLength, it->u.dfu.bmAttributes, it->u.dfu.wDetachTimeOut,
                it->u.dfu.wTransferSize);
        if (it->u.dfu.has_version)
            fprintf(f, "%u}", it->u.dfu.bcdDFUVersion);
        else
            fputs("null}", f);
        break;
    case DFS_DK_IAD:
        fprintf(f, "{\"type\":\"interface_association\",\"bFirstInterface\":%u,"
                   "\"bInterfaceCount\":%u,\"bFunctionClass\":%u,\"bFunctionSubClass\":%u,"
                   "\"bFunctionProtocol\":%u",
                it->u.iad.bFirstInterface, it->u.iad.bInterfaceCount, it->u.iad.bFunctionClass,
                it->u.iad.bFunctionSubClass, it->u.iad.bFunctionProtocol);
        jstrfield(c, "iFunction", it->u.iad.iFunction);
        fputc('}', f);
        break;
    default:
        fprintf(f, "{\"type\":\"other\",\"bDescriptorType\":%u,\"raw\":", it->bDescriptorType);
        json_hex(f, it->raw, it->bLength);
        fputc('}', f);
        break;
    }
}

/* One configuration descriptor set as a JSON object */
static void print_config_json(struct desc_ctx *c, const uint8_t *config, size_t config_len,
                              bool config_partial)
{
    FILE *f = c->f;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    dfs_desc_walk_init(&w, config, config_len);
    int rc;
    fputs("{\"raw\":", f);
    json_hex(f, config, config_len);
    fprintf(f, ",\"partial\":%s", config_partial ? "true" : "false");
    fputs(",\"problems\":[", f);
    bool first_pr = true;
    /* problems first, in one pass of their own */
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1)
        if (pr.code != DFS_DESC_OK) {
            fputs(first_pr ? "" : ",", f);
            json_str(f, pr.msg);
            first_pr = false;
        }
    if (rc < 0) {
        fputs(first_pr ? "" : ",", f);
        json_str(f, pr.msg);
    }
    fputc(']', f);
    /* the configuration descriptor's fields, when the set starts with one */
    dfs_desc_walk_init(&w, config, config_len);
    if (dfs_desc_walk_next(&w, &it, NULL) == 1 && it.kind == DFS_DK_CONFIG) {
        fprintf(f, ",\"wTotalLength\":%u,\"bNumInterfaces\":%u,"
                   "\"bConfigurationValue\":%u,\"bmAttributes\":%u,\"bMaxPower\":%u",
                it.u.config.wTotalLength, it.u.config.bNumInterfaces,
                it.u.config.bConfigurationValue, it.u.config.bmAttributes,
                it.u.config.bMaxPower);
        jstrfield(c, "iConfiguration", it.u.config.iConfiguration);
    } else {
        dfs_desc_walk_init(&w, config, config_len);
    }
    /* the descriptors before the first interface, then each interface
     * with the descriptors that follow it: nothing is left out */
    fputs(",\"descriptors\":[", f);
    bool first_item = true, in_iface = false;
    while (dfs_desc_walk_next(&w, &it, NULL) == 1) {
        if (it.kind == DFS_DK_INTERFACE) {
            const struct dfs_desc_interface *i = &it.u.interface;
            fputs(in_iface ? "]}," : "],\"interfaces\":[", f);
            fprintf(f, "{\"bInterfaceNumber\":%u,\"bAlternateSetting\":%u,"
                       "\"bNumEndpoints\":%u,\"bInterfaceClass\":%u,"
                       "\"bInterfaceSubClass\":%u,\"bInterfaceProtocol\":%u",
                    i->bInterfaceNumber, i->bAlternateSetting, i->bNumEndpoints,
                    i->bInterfaceClass, i->bInterfaceSubClass, i->bInterfaceProtocol);
            jstrfield(c, "iInterface", i->iInterface);
            fputs(",\"descriptors\":[", f);
            in_iface = true;
            first_item = true;
            continue;
        }
        fputs(first_item ? "" : ",", f);
        first_item = false;
        print_item_json(c, &it);
    }
    fputs(in_iface ? "]}]}" : "],\"interfaces\":[]}", f);
}

static void print_device_json(struct desc_ctx *c, bool first)
{
    const struct dfs_device_info *dev = c->dev;
    FILE *f = c->f;
    fprintf(f, "%s{\"instance\":%u,\"bus\":%u,\"device\":%u,\"first_frame\":%" PRIu64
               ",\"last_frame\":%" PRIu64,
            first ? "" : ",", dev->id, dev->bus, dev->devnum, dev->first_frame, dev->last_frame);
    fprintf(f, ",\"previous\":%s", dev->previous ? "" : "null");
    if (dev->previous)
        fprintf(f, "%u", dev->previous);
    fprintf(f, ",\"gone_frame\":");
    if (dev->gone)
        fprintf(f, "%" PRIu64, dev->gone_frame);
    else
        fputs("null", f);
    fputs(",\"device_descriptor\":", f);
    if (dev->has_device_desc) {
        const struct dfs_desc_device *dd = &dev->desc;
        fprintf(f, "{\"complete\":%s,\"bLength\":%u,\"bDescriptorType\":%u,\"bcdUSB\":%u,"
                   "\"bDeviceClass\":%u,\"bDeviceSubClass\":%u,\"bDeviceProtocol\":%u,"
                   "\"bMaxPacketSize0\":%u",
                dev->device_desc_complete ? "true" : "false", dd->bLength, dd->bDescriptorType,
                dd->bcdUSB, dd->bDeviceClass, dd->bDeviceSubClass, dd->bDeviceProtocol,
                dd->bMaxPacketSize0);
        if (dev->device_desc_complete) {
            fprintf(f, ",\"idVendor\":%u,\"idProduct\":%u,\"bcdDevice\":%u", dd->idVendor,
                    dd->idProduct, dd->bcdDevice);
            jstrfield(c, "iManufacturer", dd->iManufacturer);
            jstrfield(c, "iProduct", dd->iProduct);
            jstrfield(c, "iSerialNumber", dd->iSerialNumber);
            fprintf(f, ",\"bNumConfigurations\":%u", dd->bNumConfigurations);
        }
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(",\"configuration\":", f);
    if (!dev->config)
        fputs("null", f);
    else
        print_config_json(c, dev->config, dev->config_len, dev->config_partial);
    /* a device with several configurations: the others, by descriptor index */
    bool more = false;
    for (uint8_t i = 1; i < 8; i++) {
        const uint8_t *raw;
        size_t len;
        bool partial;
        if (dfs_decoder_device_config(c->d, dev->id, i, &raw, &len, &partial) != DFS_OK)
            continue;
        fputs(more ? "," : ",\"other_configurations\":[", f);
        print_config_json(c, raw, len, partial);
        more = true;
    }
    if (more)
        fputc(']', f);
    fprintf(f, ",\"langid\":%u,\"qualifier_stalled\":%s}", dev->langid,
            dev->qualifier_stalled ? "true" : "false");
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s descriptors [--json] [--device BUS.DEV|VID:PID] FILE|-\n"
            "\n"
            "Print the descriptors of every device seen in a usbmon capture, laid out like\n"
            "`lsusb -v`, with the problems found in them (lines starting with **).\n"
            "\n"
            "Options:\n"
            "  --json        one JSON object {\"file\", \"devices\": [...]} (docs/json.md)\n"
            "  --device ...  only this device\n"
            "  -h, --help    this help\n"
            "\n"
            "Exit status: 0 printed, 2 unusable input or usage error.\n",
            cli_prog);
}

enum { OPT_JSON = 256, OPT_DEVICE };
static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_descriptors_options = {"h", longopts};

int cmd_descriptors(int argc, char **argv)
{
    struct desc_ctx c = {.f = stdout};
    struct dev_filter filter = {0};
    struct run_opts ro = {.cmd = "descriptors"};
    dfs_options_init(&ro.dopt);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_descriptors_options.shortopts, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_JSON: c.json = true; break;
        case OPT_DEVICE:
            if (!parse_device_option(&filter, optarg, "descriptors"))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_err("descriptors", "expected one capture file (or - for standard input)");
        usage(stderr);
        return EXIT_USAGE;
    }
    ro.path = argv[optind];
    ro.filter = &filter;
    struct dfs_sink sink = {0};
    struct run_result res;
    int rc = run_capture(&ro, &sink, &c.d, &res);
    if (rc) {
        dev_filter_free(&filter);
        return rc;
    }
    size_t n = dfs_decoder_device_count(c.d);
    if (c.json) {
        fputs("{\"file\":", c.f);
        json_str(c.f, ro.path);
        fputs(",\"devices\":[", c.f);
    }
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(c.d, i, &info) != DFS_OK)
            continue;
        if (!dev_filter_match(&filter, info.bus, info.devnum, info.id))
            continue;
        c.dev = &info;
        if (c.json)
            print_device_json(&c, first);
        else
            print_device_text(&c);
        first = false;
    }
    /* instances the decoder forgot (re-enumerated ones beyond the latest
     * DFS_DECODER_KEEP_RETIRED) are not listed: say how many */
    uint32_t forgotten = dfs_decoder_stats(c.d)->devices_forgotten;
    if (c.json)
        fprintf(c.f, "],\"devices_forgotten\":%u}\n", forgotten);
    else if (first)
        fprintf(stderr, "%s: no device%s in the capture\n", ro.path,
                filter.active ? " matching --device" : "");
    if (!c.json && forgotten)
        fprintf(c.f, "(%u earlier device instance%s that re-enumerated %s forgotten: the latest "
                "%d are listed)\n",
                forgotten, forgotten == 1 ? "" : "s", forgotten == 1 ? "was" : "were",
                DFS_DECODER_KEEP_RETIRED);
    dfs_decoder_free(c.d);
    dev_filter_free(&filter);
    return 0;
}
