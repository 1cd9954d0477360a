/* lsusb -v / -vvv device blocks: the descriptors rebuilt byte for byte from
 * the fields lsusb prints, handed to the decoder as the GET_DESCRIPTOR
 * transfers that would have read them, so that the descriptor rules judge
 * them as they judge a capture. Each record cites the lines it comes from. */
#include <stdio.h>
#include <string.h>

#include "log_internal.h"

/* Sizes and field offsets of the descriptors lsusb prints */
struct field {
    const char *key;
    uint8_t off, width; /* width 2: little-endian 16 bits */
    char kind;          /* 'n' number, 'b' bcd "x.yy", 's' string index, 'p' power in mA */
};

static const struct field dev_fields[] = {
    {"bLength", 0, 1, 'n'},         {"bDescriptorType", 1, 1, 'n'},
    {"bcdUSB", 2, 2, 'b'},          {"bDeviceClass", 4, 1, 'n'},
    {"bDeviceSubClass", 5, 1, 'n'}, {"bDeviceProtocol", 6, 1, 'n'},
    {"bMaxPacketSize0", 7, 1, 'n'}, {"idVendor", 8, 2, 'n'},
    {"idProduct", 10, 2, 'n'},      {"bcdDevice", 12, 2, 'b'},
    {"iManufacturer", 14, 1, 's'},  {"iProduct", 15, 1, 's'},
    {"iSerial", 16, 1, 's'},        {"bNumConfigurations", 17, 1, 'n'},
    {NULL, 0, 0, 0},
};
static const struct field cfg_fields[] = {
    {"bLength", 0, 1, 'n'},        {"bDescriptorType", 1, 1, 'n'},
    {"wTotalLength", 2, 2, 'n'},   {"bNumInterfaces", 4, 1, 'n'},
    {"bConfigurationValue", 5, 1, 'n'}, {"iConfiguration", 6, 1, 's'},
    {"bmAttributes", 7, 1, 'n'},   {"MaxPower", 8, 1, 'p'},
    {NULL, 0, 0, 0},
};
static const struct field if_fields[] = {
    {"bLength", 0, 1, 'n'},          {"bDescriptorType", 1, 1, 'n'},
    {"bInterfaceNumber", 2, 1, 'n'}, {"bAlternateSetting", 3, 1, 'n'},
    {"bNumEndpoints", 4, 1, 'n'},    {"bInterfaceClass", 5, 1, 'n'},
    {"bInterfaceSubClass", 6, 1, 'n'}, {"bInterfaceProtocol", 7, 1, 'n'},
    {"iInterface", 8, 1, 's'},       {NULL, 0, 0, 0},
};
static const struct field ep_fields[] = {
    {"bLength", 0, 1, 'n'},          {"bDescriptorType", 1, 1, 'n'},
    {"bEndpointAddress", 2, 1, 'n'}, {"bmAttributes", 3, 1, 'n'},
    {"wMaxPacketSize", 4, 2, 'n'},   {"bInterval", 6, 1, 'n'},
    {NULL, 0, 0, 0},
};
static const struct field dfu_fields[] = {
    {"bLength", 0, 1, 'n'},         {"bDescriptorType", 1, 1, 'n'},
    {"bmAttributes", 2, 1, 'n'},    {"wDetachTimeout", 3, 2, 'n'},
    {"wTransferSize", 5, 2, 'n'},   {"bcdDFUVersion", 7, 2, 'b'},
    {NULL, 0, 0, 0},
};

static bool parse_bcd(const char *s, size_t len, unsigned long *out)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    unsigned long hi = 0, lo = 0;
    size_t d = 0;
    for (; i < len && d < 2; i++, d++) {
        char c = s[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            break;
        hi = hi * 16 + (unsigned long)x;
    }
    if (!d || i >= len || s[i] != '.')
        return false;
    i++;
    for (d = 0; i < len && d < 2; i++, d++) {
        char c = s[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            return false;
        lo = lo * 16 + (unsigned long)x;
    }
    if (d != 2)
        return false;
    *out = hi << 8 | lo;
    return true;
}

static void close_block(dfs_log *l);
static void send_device(dfs_log *l);
static void flush_config(dfs_log *l);

static void open_block(dfs_log *l, uint16_t bus, uint8_t devnum, uint64_t line)
{
    close_block(l);
    struct dfs_log__lsusb *ls = &l->ls;
    memset(ls, 0, sizeof *ls);
    ls->open = true;
    ls->bus = bus;
    ls->devnum = devnum;
    ls->line_bus = line;
    ls->last_alt = -1;
    l->st.lsusb_devices++;
    dfs_log__tool_seen(l, "lsusb -v");
}

/* Start a descriptor of `size` bytes in the configuration */
static void start_desc(struct dfs_log__lsusb *ls, uint8_t size, uint8_t type)
{
    if (ls->cfg_len + size > sizeof ls->cfg) {
        ls->cur = sizeof ls->cfg; /* no room: fields go nowhere */
        return;
    }
    ls->cur = ls->cfg_len;
    memset(ls->cfg + ls->cur, 0, size);
    ls->cfg[ls->cur] = size;
    ls->cfg[ls->cur + 1] = type;
    ls->cfg_len += size;
}

static void remember_string(struct dfs_log__lsusb *ls, unsigned long idx, const char *s,
                            size_t len, uint64_t line)
{
    while (len && *s == ' ') {
        s++;
        len--;
    }
    if (!idx || idx > 255 || !len)
        return;
    for (unsigned i = 0; i < ls->n_str; i++)
        if (ls->str[i].idx == idx)
            return;
    if (ls->n_str == DFS_LOG__MAX_STRINGS)
        return;
    ls->str[ls->n_str].idx = (uint8_t)idx;
    ls->str[ls->n_str].line = line;
    dfs_log__copy(ls->str[ls->n_str].text, sizeof ls->str[0].text, s, len);
    ls->n_str++;
}

/* One "key value ..." line into the descriptor at buf[0..size) */
static bool set_field(struct dfs_log__lsusb *ls, const struct field *tab, uint8_t *buf,
                      size_t size, const struct dfs_log__line *ln, size_t klen)
{
    for (const struct field *f = tab; f->key; f++) {
        if (strlen(f->key) != klen || memcmp(f->key, ln->s, klen))
            continue;
        const char *v = ln->s + klen;
        size_t vlen = ln->len - klen;
        unsigned long x;
        bool ok = f->kind == 'b' ? parse_bcd(v, vlen, &x) : dfs_log__num(v, vlen, &x);
        if (!ok)
            return false;
        if (f->kind == 'p')
            x /= 2; /* bMaxPower is in 2 mA units on USB 2.0 */
        if (f->kind == 's') {
            size_t i = 0;
            while (i < vlen && v[i] == ' ')
                i++;
            while (i < vlen && v[i] != ' ')
                i++;
            remember_string(ls, x, v + i, vlen - i, ln->no);
        }
        if (f->off == 0 && buf != ls->dev) {
            /* bLength: the descriptor is as long as lsusb says, within reason */
            if (x < 2 || x > 64 || (size_t)(buf - ls->cfg) + x > sizeof ls->cfg)
                return true;
            size_t now = ls->cfg_len - (size_t)(buf - ls->cfg);
            if (x > now)
                memset(buf + now, 0, x - now);
            ls->cfg_len = (size_t)(buf - ls->cfg) + x;
            buf[0] = (uint8_t)x;
            return true;
        }
        if ((size_t)f->off + f->width > size || (f->off == 0 && buf == ls->dev))
            return true;
        buf[f->off] = (uint8_t)x;
        if (f->width == 2)
            buf[f->off + 1] = (uint8_t)(x >> 8);
        if (tab == if_fields && f->off == 3)
            ls->last_alt = (int)x;
        return true;
    }
    return false;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "** UNRECOGNIZED:  09 21 0b ff 00 00 04 1a 01": the raw bytes */
static bool unrecognized(struct dfs_log__lsusb *ls, const struct dfs_log__line *ln)
{
    const char *p = dfs_log__find(ln->s, ln->len, "UNRECOGNIZED:");
    if (!p)
        return false;
    size_t i = (size_t)(p - ln->s) + 13;
    uint8_t raw[255];
    size_t n = 0;
    while (i < ln->len && n < sizeof raw) {
        while (i < ln->len && ln->s[i] == ' ')
            i++;
        unsigned long x;
        if (i + 1 >= ln->len || !is_hex(ln->s[i]) || !is_hex(ln->s[i + 1]))
            break;
        /* two hex digits each */
        char h[5] = {'0', 'x', ln->s[i], ln->s[i + 1], 0};
        if (!dfs_log__num(h, 4, &x))
            break;
        raw[n++] = (uint8_t)x;
        i += 2;
    }
    if (n >= 2 && ls->cfg_len + n <= sizeof ls->cfg) {
        memcpy(ls->cfg + ls->cfg_len, raw, n);
        ls->cfg_len += n;
    }
    ls->sect = LS_OTHER;
    return true;
}

static uint8_t *cur_buf(struct dfs_log__lsusb *ls, size_t *size)
{
    if (ls->cur >= ls->cfg_len) {
        *size = 0;
        return ls->cfg + (ls->cur < sizeof ls->cfg ? ls->cur : 0);
    }
    *size = ls->cfg_len - ls->cur;
    return ls->cfg + ls->cur;
}

static bool lsusb_line(dfs_log *l, const struct dfs_log__line *ln);

bool dfs_log__lsusb_line(dfs_log *l, const struct dfs_log__line *ln)
{
    bool ok = lsusb_line(l, ln);
    if (ok && l->ls.open)
        l->ls.last_line = ln->no;
    return ok;
}

static bool lsusb_line(dfs_log *l, const struct dfs_log__line *ln)
{
    struct dfs_log__lsusb *ls = &l->ls;
    if (dfs_log__starts(ln, "Bus ") && dfs_log__find(ln->s, ln->len, " Device ") &&
        dfs_log__find(ln->s, ln->len, ": ID ")) {
        unsigned long bus = 0, dev = 0;
        dfs_log__num(ln->s + 4, ln->len - 4, &bus);
        const char *d = dfs_log__find(ln->s, ln->len, " Device ");
        dfs_log__num(d + 8, ln->len - (size_t)(d + 8 - ln->s), &dev);
        open_block(l, (uint16_t)(bus && bus < 65536 ? bus : 1), (uint8_t)(dev && dev < 128 ? dev : 1),
                   ln->no);
        /* the block's own findings are about this device */
        bool named = bus && bus < 65536 && dev && dev < 128;
        l->cur_bus = named ? (uint16_t)bus : 0;
        l->cur_devnum = named ? (uint8_t)dev : 0;
        const char *id = dfs_log__find(ln->s, ln->len, ": ID ");
        unsigned long vid, pid;
        char v[7] = "0x", q[7] = "0x";
        if (named && (size_t)(ln->s + ln->len - id) >= 14 && id[9] == ':') {
            memcpy(v + 2, id + 5, 4);
            memcpy(q + 2, id + 10, 4);
            if (dfs_log__num(v, 6, &vid) && dfs_log__num(q, 6, &pid) && vid <= 0xffff &&
                pid <= 0xffff)
                dfs_log__addr_seen(l, (uint16_t)vid, (uint16_t)pid, (uint16_t)bus, (uint8_t)dev);
        }
        return true;
    }
    if (dfs_log__starts(ln, "Device Descriptor:")) {
        if (!ls->open)
            open_block(l, 1, (uint8_t)(1 + l->st.lsusb_devices % 127), ln->no);
        ls->sect = LS_DEVICE;
        ls->line_dev = ln->no;
        ls->have_dev = true;
        ls->dev_sent = false;
        memset(ls->dev, 0, sizeof ls->dev);
        ls->dev[0] = 18;
        ls->dev[1] = 1;
        return true;
    }
    if (!ls->open)
        return false;
    if (dfs_log__starts(ln, "Device Status:") || dfs_log__starts(ln, "$ ") ||
        dfs_log__starts(ln, "dfu-util ")) {
        ls->whole = dfs_log__starts(ln, "Device Status:");
        close_block(l);
        return dfs_log__starts(ln, "Device Status:");
    }
    if (dfs_log__starts(ln, "Configuration Descriptor:")) {
        flush_config(l); /* the configuration before, if any */
        ls->have_cfg = true;
        ls->line_cfg = ln->no;
        ls->sect = LS_CONFIG;
        start_desc(ls, 9, 2);
        return true;
    }
    if (dfs_log__starts(ln, "Interface Descriptor:") && ls->have_cfg) {
        ls->sect = LS_IFACE;
        start_desc(ls, 9, 4);
        return true;
    }
    if (dfs_log__starts(ln, "Endpoint Descriptor:") && ls->have_cfg) {
        ls->sect = LS_ENDPOINT;
        start_desc(ls, 7, 5);
        return true;
    }
    if (dfs_log__starts(ln, "Device Firmware Upgrade Interface Descriptor:") && ls->have_cfg) {
        ls->sect = LS_DFU;
        start_desc(ls, 9, 0x21);
        return true;
    }
    if (dfs_log__find(ln->s, ln->len, "UNRECOGNIZED:") && ls->have_cfg)
        return unrecognized(ls, ln);
    if ((ln->len > 2 && ln->s[ln->len - 1] == ':' && !memchr(ln->s, ' ', ln->len - 1)) ||
        (dfs_log__find(ln->s, ln->len, " Descriptor:") && ln->s[ln->len - 1] == ':')) {
        /* "Hub Descriptor:", "CDC Header:", "HID Device Descriptor:": not
         * rebuilt, so the configuration's bytes fall short of wTotalLength */
        ls->sect = LS_OTHER;
        ls->skipped |= ls->have_cfg;
        return true;
    }
    size_t klen = 0;
    while (klen < ln->len && ln->s[klen] != ' ')
        klen++;
    size_t size;
    uint8_t *buf;
    switch (ls->sect) {
    case LS_DEVICE: return set_field(ls, dev_fields, ls->dev, sizeof ls->dev, ln, klen);
    case LS_CONFIG:
        buf = cur_buf(ls, &size);
        return size && set_field(ls, cfg_fields, buf, size, ln, klen);
    case LS_IFACE:
        buf = cur_buf(ls, &size);
        return size && set_field(ls, if_fields, buf, size, ln, klen);
    case LS_ENDPOINT:
        buf = cur_buf(ls, &size);
        return size && set_field(ls, ep_fields, buf, size, ln, klen);
    case LS_DFU:
        buf = cur_buf(ls, &size);
        return size && set_field(ls, dfu_fields, buf, size, ln, klen);
    case LS_NONE:
    case LS_OTHER: break;
    }
    return false;
}

/* UTF-8 to a string descriptor (UTF-16LE), invalid bytes as U+FFFD */
static size_t string_desc(const char *s, uint8_t *out, size_t max)
{
    size_t n = 2, i = 0, len = strlen(s);
    while (i < len && n + 2 <= max) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = 0xfffd;
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 0;
        if (k && i + k <= len) {
            cp = k == 1 ? c : k == 2 ? (c & 0x1fu) : (c & 0x0fu);
            for (size_t j = 1; j < k; j++) {
                unsigned char d = (unsigned char)s[i + j];
                if ((d & 0xc0) != 0x80) {
                    cp = 0xfffd;
                    k = j;
                    break;
                }
                cp = cp << 6 | (d & 0x3fu);
            }
        }
        i += k ? k : 1;
        out[n++] = (uint8_t)cp;
        out[n++] = (uint8_t)(cp >> 8);
    }
    out[0] = (uint8_t)n;
    out[1] = 3;
    return n;
}

static void get_desc(dfs_log *l, uint8_t type, uint8_t idx, uint16_t lang, const uint8_t *data,
                     size_t len, uint64_t a, uint64_t b)
{
    uint16_t wl = (uint16_t)(len > 0xffff ? 0xffff : len);
    if (type == 3)
        wl = 255;
    uint8_t setup[8] = {0x80, 6, idx, type, (uint8_t)lang, (uint8_t)(lang >> 8), (uint8_t)wl,
                        (uint8_t)(wl >> 8)};
    dfs_log__control(l, l->ls.bus, l->ls.devnum, setup, data, (uint32_t)len, 0, a, b);
}

/* The DFU interfaces' names, for what dfu-util says later */
static void remember_alts(dfs_log *l)
{
    struct dfs_log__lsusb *ls = &l->ls;
    for (size_t o = 0; o + 9 <= ls->cfg_len && ls->cfg[o] >= 2; o += ls->cfg[o]) {
        const uint8_t *d = ls->cfg + o;
        if (d[1] != 4 || d[5] != 0xfe || d[6] != 1 || d[3] >= DFS_LOG__MAX_ALTS || !d[8])
            continue;
        /* the first configuration's names stand; a later one of the same
         * device adds the alternate settings it lacks */
        if (ls->cfg_index > 0 && l->alts.have[d[3]])
            continue;
        for (unsigned i = 0; i < ls->n_str; i++) {
            if (ls->str[i].idx != d[8])
                continue;
            l->alts.have[d[3]] = true;
            /* both arrays are DFS_LOG__NAME_SIZE long and in the same dfs_log:
             * a bounded copy, not snprintf (gcc's -Wrestrict) */
            char *to = l->alts.name[d[3]];
            size_t n = strnlen(ls->str[i].text, sizeof l->alts.name[0] - 1);
            memmove(to, ls->str[i].text, n);
            to[n] = '\0';
            l->alts.line[d[3]] = ls->str[i].line;
        }
    }
}

/* The configuration read so far, as the GET_DESCRIPTOR(CONFIGURATION, i)
 * a host makes for each configuration at enumeration. A configuration cut
 * short (a half block pasted: fewer bytes than the wTotalLength lsusb
 * printed) keeps that wTotalLength, so the decoder sees it partial, as in a
 * capture of a short read, and judges none of what is missing. */
static void flush_config(dfs_log *l)
{
    struct dfs_log__lsusb *ls = &l->ls;
    if (!ls->have_cfg || ls->cfg_len < 9) {
        ls->have_cfg = false;
        ls->cfg_len = ls->cur = 0;
        return;
    }
    unsigned declared = (unsigned)ls->cfg[2] | (unsigned)ls->cfg[3] << 8;
    if (declared > ls->cfg_len && !ls->whole && !ls->skipped) {
        uint64_t lines[2] = {ls->line_cfg, ls->last_line};
        dfs_log__emit(l, DFS_F_LOG_UNREADABLE, false, lines, 2,
                      "Paste the whole lsusb -v block of the device, from its Bus line to "
                      "\"Device Status:\".",
                      "The lsusb -v configuration %u from line %llu gives %zu of the %u bytes "
                      "its wTotalLength says (it ends at line %llu): the block was cut. What "
                      "it holds is kept; what is missing is not judged.",
                      ls->cfg_index + 1u, (unsigned long long)ls->line_cfg, ls->cfg_len,
                      declared, (unsigned long long)ls->last_line);
    } else {
        ls->cfg[2] = (uint8_t)ls->cfg_len;
        ls->cfg[3] = (uint8_t)(ls->cfg_len >> 8);
    }
    send_device(l);
    get_desc(l, 2, ls->cfg_index, 0, ls->cfg, ls->cfg_len, ls->line_cfg, 0);
    remember_alts(l);
    ls->cfg_index++;
    ls->skipped = false;
    ls->have_cfg = false;
    ls->cfg_len = ls->cur = 0;
}

/* The device descriptor, once, before the configurations: a host reads it
 * first, and its bNumConfigurations tells the decoder how many to expect. */
static void send_device(dfs_log *l)
{
    struct dfs_log__lsusb *ls = &l->ls;
    if (!ls->have_dev || ls->dev_sent)
        return;
    ls->dev_sent = true;
    get_desc(l, 1, 0, 0, ls->dev, sizeof ls->dev, ls->line_dev ? ls->line_dev : ls->line_bus, 0);
}

static void close_block(dfs_log *l)
{
    struct dfs_log__lsusb *ls = &l->ls;
    if (!ls->open)
        return;
    ls->open = false;
    send_device(l);
    flush_config(l);
    if (ls->n_str) {
        static const uint8_t langs[4] = {4, 3, 0x09, 0x04};
        get_desc(l, 3, 0, 0, langs, sizeof langs, ls->line_bus, 0);
    }
    for (unsigned i = 0; i < ls->n_str; i++) {
        uint8_t sd[256];
        size_t n = string_desc(ls->str[i].text, sd, 254);
        get_desc(l, 3, ls->str[i].idx, 0x0409, sd, n, ls->str[i].line, 0);
    }
}

void dfs_log__lsusb_end(dfs_log *l)
{
    close_block(l);
}
