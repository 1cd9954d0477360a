/* Layout and address rules: DfuSe accesses outside the layout of the
 * alternate setting in use, option-byte writes that do not start at the
 * option-byte base. */
#include "finding_text.h"
#include "rules.h"

/* once per address and kind of access */
DFS__RULE(dfs__rule_outside_layout)
{
    struct dfs__if_rules *r = ev->rules;
    const struct dfs__alt *a = ev->u.access.in_use;
    uint32_t addr = ev->u.access.addr, len = ev->u.access.len;
    uint8_t need = ev->u.access.need;
    if (!a || dfs_layout_allows(&a->layout, addr, len, need))
        return;
    for (unsigned i = 0; i < r->n_outside; i++)
        if (r->outside[i] == addr && r->outside_need[i] == need)
            return;
    if (r->n_outside >= DFS__MAX_OUTSIDE)
        return;
    r->outside_need[r->n_outside] = need;
    r->outside[r->n_outside++] = addr;
    /* another alternate setting that advertises it? */
    const struct dfs__dfu_dev *dd = ev->dd;
    const struct dfs__alt *other = NULL;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == ev->u.access.ifnum && dd->alts[i].layout_ok &&
            &dd->alts[i] != a && dfs_layout_allows(&dd->alts[i].layout, addr, len, need))
            other = &dd->alts[i];
    struct dfs__frames fr = dfs__frame_pair(a->name_frame, ev->frame);
    dfs__say_address_outside_layout(d, ev->dev, &fr, ev->frame, addr, len, need,
                                    ev->u.access.ifnum, a, other,
                                    dfs_layout_find(&a->layout, addr) != NULL,
                                    ev->u.access.refused);
}

/* AN3156: option bytes are written from the start of their area. */
DFS__RULE(dfs__rule_ob_offset_write)
{
    const struct dfs__ob_ref *ob = ev->u.access.ob;
    if (!ob || !ob->is || ev->u.access.addr == ob->start)
        return;
    struct dfs__frames fr = dfs__frame_pair(ev->u.access.ptr_frame, ev->frame);
    dfs__say_option_bytes_offset_write(d, ev->dev, &fr, ev->frame, ev->u.access.addr, ob);
}
