/* The descriptors section: each device's descriptors as a tree, with the
 * DFU functional descriptor, the memory layouts its alternate settings
 * advertise, and the findings about its descriptors inline. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void kv(FILE *o, const char *k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(FILE *o, const char *k, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("<li><span class=\"k\">", o);
    html_text(o, k);
    fputs("</span> <span class=\"v\">", o);
    html_text(o, buf);
    fputs("</span></li>", o);
}

static void kv_str(FILE *o, dfs_decoder *dec, const struct dfs_device_info *info, const char *k,
                   uint8_t idx)
{
    char s[256];
    rp_dev_string(dec, info, idx, s, sizeof s);
    fputs("<li><span class=\"k\">", o);
    html_text(o, k);
    fprintf(o, "</span> <span class=\"v\">%u</span>", idx);
    if (idx && *s) {
        fputs(" <q class=\"str\">", o);
        html_text(o, s);
        fputs("</q>", o);
    } else if (idx) {
        fputs(" <i class=\"note\">not in the capture</i>", o);
    }
    fputs("</li>", o);
}

static void inline_findings(struct rp_page *p, uint32_t device)
{
    FILE *o = p->out;
    for (size_t i = 0; i < p->m->n_f; i++) {
        const struct dfs_finding *f = &p->m->f[i];
        if (f->device != device || strncmp(f->id, "desc.", 5) != 0)
            continue;
        fprintf(o, "<div class=\"inline-finding sev-%s\"><span class=\"badge\">%s</span> "
                   "<a href=\"#finding-%zu\">",
                dfs_severity_name(f->severity),
                f->severity == DFS_SEV_ERROR     ? "ERROR"
                : f->severity == DFS_SEV_WARNING ? "WARNING"
                                                 : "NOTE",
                i + 1);
        html_text(o, f->title);
        fputs("</a>: ", o);
        html_text(o, f->explanation);
        fputs("</div>", o);
    }
}

static void write_layout(FILE *o, const struct dfs_dfu_alt_info *al)
{
    if (al->layout_parsed) {
        fputs("<li><span class=\"k\">memory layout</span> ", o);
        html_text(o, al->layout.name);
        fputs("<ul>", o);
        for (unsigned r = 0; r < al->layout.n_regions; r++) {
            const struct dfs_layout_region *rg = &al->layout.regions[r];
            char a[24], b[24], sz[32];
            rp_addr(a, sizeof a, rg->start);
            rp_addr(b, sizeof b, rg->end - 1);
            rp_bytes(sz, sizeof sz, rg->size);
            kv(o, "region", "%s\xE2\x80\x93%s: %u \xC3\x97 %s, %s%s%s%s", a, b, rg->count, sz,
               (rg->flags & DFS_MEM_READABLE) ? "readable " : "",
               (rg->flags & DFS_MEM_ERASABLE) ? "erasable " : "",
               (rg->flags & DFS_MEM_WRITABLE) ? "writable " : "",
               rg->flags ? "" : "no access");
        }
        fputs("</ul></li>", o);
    } else if (al->layout_error[0]) {
        fputs("<li class=\"prob\">layout does not parse: ", o);
        html_text(o, al->layout_error);
        fputs("</li>", o);
    }
}

static void write_config_tree(struct rp_page *p, const struct dfs_device_info *info,
                              const struct dfs_dfu_info *dfu, const uint8_t *config,
                              size_t config_len, bool config_partial)
{
    FILE *o = p->out;
    struct dfs_desc_walker w;
    dfs_desc_walk_init(&w, config, config_len);
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    int depth = 0; /* 1 inside the configuration, 2 inside an interface */
    int rc;
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        if (it.kind == DFS_DK_INTERFACE) {
            if (depth == 2)
                fputs("</ul></li>", o);
            const struct dfs_desc_interface *in = &it.u.interface;
            fputs("<li><details open><summary>", o);
            html_fmt(o, "Interface %u, alternate setting %u", in->bInterfaceNumber,
                     in->bAlternateSetting);
            fputs("</summary><ul>", o);
            const char *cls = dfs_class_name(in->bInterfaceClass);
            kv(o, "bInterfaceClass", "0x%02x %s", in->bInterfaceClass, cls ? cls : "");
            kv(o, "bInterfaceSubClass", "0x%02x", in->bInterfaceSubClass);
            kv(o, "bInterfaceProtocol", "%u%s", in->bInterfaceProtocol,
               in->bInterfaceClass == DFS_DFU_CLASS && in->bInterfaceSubClass == DFS_DFU_SUBCLASS
                   ? (in->bInterfaceProtocol == 2   ? " (DFU mode)"
                      : in->bInterfaceProtocol == 1 ? " (run-time)"
                                                    : " (not defined by DFU 1.1)")
                   : "");
            kv(o, "bNumEndpoints", "%u", in->bNumEndpoints);
            kv_str(o, p->dec, info, "iInterface", in->iInterface);
            if (dfu && dfu->present && in->bInterfaceNumber == dfu->interface)
                for (unsigned a = 0; a < dfu->n_alts; a++)
                    if (dfu->alts[a].alt == in->bAlternateSetting &&
                        dfu->alts[a].configuration == config[5])
                        write_layout(o, &dfu->alts[a]);
            fputs("</ul></details>", o);
            fputs("<ul>", o);
            depth = 2;
            continue;
        }
        if (it.kind == DFS_DK_CONFIG) {
            const struct dfs_desc_config *c = &it.u.config;
            fputs("<li><details open><summary>", o);
            html_fmt(o, "Configuration %u", c->bConfigurationValue);
            fputs("</summary><ul>", o);
            kv(o, "wTotalLength", "%u", c->wTotalLength);
            kv(o, "bNumInterfaces", "%u", c->bNumInterfaces);
            kv(o, "bmAttributes", "0x%02x%s%s", c->bmAttributes,
               (c->bmAttributes & 0x40) ? " self-powered" : "",
               (c->bmAttributes & 0x20) ? " remote-wakeup" : "");
            kv(o, "bMaxPower", "%u mA", c->bMaxPower * 2u);
            kv_str(o, p->dec, info, "iConfiguration", c->iConfiguration);
            depth = 1;
            continue;
        }
        fputs("<li>", o);
        if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            const struct dfs_desc_dfu_functional *fd = &it.u.dfu;
            fputs("<details open><summary>DFU functional descriptor</summary><ul>", o);
            kv(o, "bLength", "%u", fd->bLength);
            kv(o, "bmAttributes", "0x%02x:%s%s%s%s", fd->bmAttributes,
               (fd->bmAttributes & DFS_DFU_ATTR_WILL_DETACH) ? " will-detach" : "",
               (fd->bmAttributes & DFS_DFU_ATTR_MANIFEST_TOLERANT) ? " manifestation-tolerant"
                                                                   : " manifestation-intolerant",
               (fd->bmAttributes & DFS_DFU_ATTR_CAN_UPLOAD) ? " upload" : "",
               (fd->bmAttributes & DFS_DFU_ATTR_CAN_DNLOAD) ? " download" : "");
            kv(o, "wDetachTimeOut", "%u ms", fd->wDetachTimeOut);
            kv(o, "wTransferSize", "%u bytes", fd->wTransferSize);
            if (fd->has_version)
                kv(o, "bcdDFUVersion", "%x.%02x%s", fd->bcdDFUVersion >> 8,
                   fd->bcdDFUVersion & 0xff,
                   fd->bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? " (ST DfuSe)" : "");
            else
                kv(o, "bcdDFUVersion", "absent (7-byte DFU 1.0 descriptor)");
            fputs("</ul></details>", o);
        } else if (it.kind == DFS_DK_ENDPOINT) {
            const struct dfs_desc_endpoint *e = &it.u.endpoint;
            html_fmt(o, "Endpoint 0x%02x, %s, wMaxPacketSize %u", e->bEndpointAddress,
                     dfs_xfer_type_name(e->bmAttributes & 3) ? dfs_xfer_type_name(e->bmAttributes & 3)
                                                             : "?",
                     e->wMaxPacketSize);
        } else {
            const char *tn = dfs_desc_type_name(it.bDescriptorType);
            html_fmt(o, "Descriptor type 0x%02x%s%s%s, %u bytes", it.bDescriptorType,
                     tn ? " (" : "", tn ? tn : "", tn ? ")" : "", it.bLength);
        }
        if (pr.code != DFS_DESC_OK) {
            fputs(" <span class=\"prob\">", o);
            html_text(o, pr.msg);
            fputs("</span>", o);
        }
        fputs("</li>", o);
    }
    if (depth == 2)
        fputs("</ul></li>", o);
    if (depth >= 1)
        fputs("</ul></details></li>", o);
    if (rc < 0) {
        fputs("<li class=\"prob\">", o);
        html_text(o, pr.msg);
        fputs("</li>", o);
    }
    if (config_partial)
        fputs("<li class=\"prob\">The capture holds only part of the configuration descriptor "
              "set.</li>",
              o);
}

/* Every configuration the capture holds (a device can have several, up to
 * bNumConfigurations): did it hold one? */
static bool write_configs(struct rp_page *p, const struct dfs_device_info *info,
                          const struct dfs_dfu_info *dfu)
{
    bool any = false;
    for (uint8_t i = 0; i < 8; i++) {
        const uint8_t *raw;
        size_t len;
        bool partial;
        if (dfs_decoder_device_config(p->dec, info->id, i, &raw, &len, &partial) != DFS_OK)
            continue;
        write_config_tree(p, info, dfu, raw, len, partial);
        any = true;
    }
    return any;
}

void rp_write_descriptors(struct rp_page *p)
{
    FILE *o = p->out;
    dfs_decoder *dec = p->dec;
    fputs("<section id=\"descriptors\" aria-labelledby=\"h-desc\"><h2 id=\"h-desc\">Descriptors</h2>\n",
          o);
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu) {
        fputs("</section>\n", o);
        return;
    }
    size_t n = dfs_decoder_device_count(dec);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK)
            continue;
        if (p->m->filter && p->m->filter->active &&
            !dev_filter_match(p->m->filter, info.bus, info.devnum, info.id))
            continue;
        if (!info.has_device_desc && !info.config)
            continue;
        bool is_dfu = dfs_decoder_dfu_info(dec, info.id, dfu) == DFS_OK && dfu->present;
        any = true;
        fprintf(o, "<details class=\"tree\" id=\"desc-%u\"%s><summary>", info.id,
                is_dfu ? " open" : "");
        html_fmt(o, "Device %u.%u", info.bus, info.devnum);
        if (info.has_device_desc && info.device_desc_complete)
            html_fmt(o, " %04x:%04x", info.desc.idVendor, info.desc.idProduct);
        char s[256];
        if (info.has_device_desc) {
            rp_dev_string(dec, &info, info.desc.iProduct, s, sizeof s);
            if (*s) {
                fputs(" \xE2\x80\x9C", o);
                html_text(o, s);
                fputs("\xE2\x80\x9D", o);
            }
        }
        if (is_dfu)
            fputs(dfu->dfuse ? " \xC2\xB7 DfuSe" : " \xC2\xB7 DFU", o);
        fputs("</summary>\n", o);
        inline_findings(p, info.id);
        fputs("<ul>", o);
        if (info.has_device_desc) {
            const struct dfs_desc_device *d = &info.desc;
            fputs("<li><details open><summary>Device descriptor</summary><ul>", o);
            kv(o, "bcdUSB", "%x.%02x", d->bcdUSB >> 8, d->bcdUSB & 0xff);
            const char *cls = dfs_class_name(d->bDeviceClass);
            kv(o, "bDeviceClass", "0x%02x %s", d->bDeviceClass, cls ? cls : "");
            kv(o, "bMaxPacketSize0", "%u", d->bMaxPacketSize0);
            if (info.device_desc_complete) {
                kv(o, "idVendor", "0x%04x", d->idVendor);
                kv(o, "idProduct", "0x%04x", d->idProduct);
                kv(o, "bcdDevice", "%x.%02x", d->bcdDevice >> 8, d->bcdDevice & 0xff);
                kv_str(o, dec, &info, "iManufacturer", d->iManufacturer);
                kv_str(o, dec, &info, "iProduct", d->iProduct);
                kv_str(o, dec, &info, "iSerialNumber", d->iSerialNumber);
                kv(o, "bNumConfigurations", "%u", d->bNumConfigurations);
            } else {
                fputs("<li class=\"prob\">only the first 8 bytes are in the capture</li>", o);
            }
            fputs("</ul></details></li>", o);
        }
        if (!write_configs(p, &info, is_dfu ? dfu : NULL))
            fputs("<li class=\"note\">The configuration descriptor is not in the capture.</li>", o);
        if (info.qualifier_stalled)
            fputs("<li>GET_DESCRIPTOR(DEVICE_QUALIFIER) stalled: a full-speed-only device</li>", o);
        fputs("</ul></details>\n", o);
    }
    if (!any)
        fputs("<p>No descriptors in the capture (it starts after the enumeration).</p>\n", o);
    free(dfu);
    fputs("</section>\n", o);
}
