/* Descriptor rules (desc.*): the configuration's descriptors, the DFU
 * interfaces and their functional descriptor, the alternate settings'
 * layout strings. */
#include <string.h>

#include "finding_text.h"
#include "rules.h"

DFS__RULE(dfs__rule_desc_problem)
{
    const struct dfs_desc_problem *pr = ev->u.problem.pr;
    if (ev->u.problem.walk_stopped)
        dfs__say_desc_invalid_length(d, ev->dev, ev->config, ev->frame, pr->msg, true);
    else if (pr->code == DFS_DESC_FUNCTIONAL_SHORT)
        dfs__say_desc_functional_short(d, ev->dev, ev->config, ev->frame, pr->msg);
    else if (pr->code != DFS_DESC_OK)
        dfs__say_desc_invalid_length(d, ev->dev, ev->config, ev->frame, pr->msg, false);
}

/* once per interface and configuration */
DFS__RULE(dfs__rule_dfu_protocol)
{
    uint8_t proto = ev->u.iface->bInterfaceProtocol, bit = (uint8_t)(1u << ev->cfg);
    if (proto == DFS_DFU_PROTO_RUNTIME || proto == DFS_DFU_PROTO_DFU || !ev->rules ||
        (ev->rules->proto_reported & bit))
        return;
    ev->rules->proto_reported |= bit;
    dfs__say_desc_dfu_protocol_invalid(d, ev->dev, ev->config, ev->frame, ev->u.iface);
}

DFS__RULE(dfs__rule_dfu_version)
{
    const struct dfs_desc_dfu_functional *fd = ev->u.functional.desc;
    uint16_t v = fd->bcdDFUVersion;
    if (fd->has_version && v != DFS_DFU_VERSION_1_1 && v != DFS_DFU_VERSION_DFUSE && v != 0x0100)
        dfs__say_desc_dfu_version_unknown(d, ev->dev, ev->config, ev->frame,
                                          ev->u.functional.ifnum, v);
}

DFS__RULE(dfs__rule_functional_transfer_size)
{
    uint16_t size = ev->u.functional.desc->wTransferSize;
    if (size == 0 || size == 0xffff)
        dfs__say_desc_transfer_size_invalid(d, ev->dev, ev->config, ev->frame,
                                            ev->u.functional.ifnum, size);
}

/* a DFU interface of the configuration just parsed without a functional
 * descriptor in it */
DFS__RULE(dfs__rule_functional_missing)
{
    uint8_t bit = (uint8_t)(1u << ev->cfg);
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++) {
        const struct dfs__dfu_if *f = &ev->dd->ifs[i];
        if (f->used && (f->desc_cfgs & bit) && !(f->func_cfgs & bit))
            dfs__say_desc_functional_missing(d, ev->dev, ev->config, ev->frame, f->ifnum,
                                             ev->dev->cfg[ev->cfg].len);
    }
}

DFS__RULE(dfs__rule_layout_invalid)
{
    if (ev->u.named.parsed && !ev->u.named.alt->layout_ok)
        dfs__say_desc_layout_invalid(d, ev->dev, ev->config, ev->u.named.alt);
}

/* Alternate settings of one interface of configuration cfg advertising the
 * same layout string: once all their names are known, or at_end with what
 * the capture holds. */
static void duplicates(dfs_decoder *d, struct dfs__device *dev, const struct dfs__dfu_dev *dd,
                       struct dfs__if_rules *r, uint8_t cfg, uint8_t ifnum, bool at_end)
{
    uint8_t bit = (uint8_t)(1u << cfg);
    if (!r || (r->dup_reported & bit))
        return;
    unsigned n = 0, named = 0;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].cfg == cfg && dd->alts[i].ifnum == ifnum) {
            n++;
            named += dd->alts[i].named;
        }
    if (n < 2 || (named < n && !at_end))
        return;
    /* the first group of alternate settings sharing one string */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        const struct dfs__alt *a = &dd->alts[i];
        if (a->cfg != cfg || a->ifnum != ifnum || !a->named || a->name[0] != '@')
            continue;
        struct dfs__frames fr = {0};
        uint8_t same_alts[DFS__MAX_ALTS];
        unsigned same = 0;
        for (unsigned j = 0; j < dd->n_alts; j++) {
            const struct dfs__alt *b = &dd->alts[j];
            if (b->cfg == cfg && b->ifnum == ifnum && b->named &&
                strcmp(a->name, b->name) == 0) {
                same_alts[same++] = b->alt;
                dfs__frames_add(&fr, b->name_frame);
            }
        }
        if (same < 2)
            continue;
        r->dup_reported |= bit;
        bool ob_missing = true;
        for (unsigned j = 0; j < dd->n_alts; j++)
            if (dd->alts[j].cfg == cfg && dd->alts[j].ifnum == ifnum && dd->alts[j].layout_ok &&
                dfs_ob_area_find(dd->alts[j].layout.regions[0].start))
                ob_missing = false;
        dfs__say_desc_duplicate_alt_layouts(d, dev, dfs__device_config_label(dev, cfg),
                                            fr.n ? fr.v[fr.n - 1] : d->cur_frame, &fr,
                                            ifnum, same_alts, same, a->name, n, named,
                                            ob_missing);
        return;
    }
}

DFS__RULE(dfs__rule_duplicate_layouts)
{
    const struct dfs__alt *a = ev->u.named.alt;
    duplicates(d, ev->dev, ev->dd, ev->rules, a->cfg, a->ifnum, false);
}

DFS__RULE(dfs__rule_duplicate_layouts_final)
{
    for (uint8_t cfg = 0; cfg < DFS__MAX_CONFIGS && !d->error; cfg++)
        duplicates(d, ev->dev, ev->dd, ev->rules, cfg, ev->u.ifnum, true);
}
