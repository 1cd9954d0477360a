/* The table of record parsers, one row per link type the decoder reads. */
#include <string.h>

#include "link.h"
#include "usbll.h"

static const struct dfs__link links[] = {
    {DFS_LINKTYPE_USB_LINUX, "usbmon (48-byte header)", dfs__usbmon_feed, 0, NULL, NULL},
    {DFS_LINKTYPE_USB_LINUX_MMAPPED, "usbmon (64-byte header)", dfs__usbmon_feed, 0, NULL, NULL},
    {DFS_LINKTYPE_USBPCAP, "USBPcap", dfs__usbpcap_feed,
     sizeof(struct dfs__usbpcap_state), NULL, NULL},
    {DFS_LINKTYPE_USB_DARWIN, "USB_DARWIN", dfs__darwin_feed, 0, NULL, NULL},
    {DFS_LINKTYPE_USB_2_0, "USB 2.0 packets", dfs__usbll_feed, sizeof(struct dfs__usbll_state),
     dfs__usbll_finish, dfs__usbll_release},
    /* rows without a state size share the state of the first row with the
     * same parser: packets of every speed and the bus events are one bus */
    {DFS_LINKTYPE_USB_2_0_LOW_SPEED, "USB 2.0 packets, low speed", dfs__usbll_feed, 0, NULL,
     NULL},
    {DFS_LINKTYPE_USB_2_0_FULL_SPEED, "USB 2.0 packets, full speed", dfs__usbll_feed, 0, NULL,
     NULL},
    {DFS_LINKTYPE_USB_2_0_HIGH_SPEED, "USB 2.0 packets, high speed", dfs__usbll_feed, 0, NULL,
     NULL},
    {DFS_RECORD_USB_EVENT, "USB 2.0 bus events", dfs__usbll_feed, 0, NULL, NULL},
};

#define N_LINKS (sizeof links / sizeof links[0])
_Static_assert(N_LINKS <= DFS__MAX_LINKS, "raise DFS__MAX_LINKS in state.h");

const struct dfs__link *dfs__link_find(int linktype, size_t *index)
{
    for (size_t i = 0; i < N_LINKS; i++)
        if (links[i].linktype == linktype) {
            if (index)
                *index = i;
            return &links[i];
        }
    return NULL;
}

bool dfs_decoder_reads_linktype(int linktype)
{
    return dfs__link_find(linktype, NULL) != NULL;
}

dfs_result dfs__links_init(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++) {
        if (!links[i].state_size) {
            for (size_t k = 0; k < i; k++)
                if (links[k].feed == links[i].feed && links[k].state_size)
                    d->link_state[i] = d->link_state[k];
            continue;
        }
        d->link_state[i] = dfs__calloc(d, 1, links[i].state_size);
        if (!d->link_state[i])
            return DFS_E_NOMEM;
    }
    return DFS_OK;
}

void dfs__links_reset(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++)
        if (d->link_state[i] && links[i].state_size) {
            if (links[i].release)
                links[i].release(d, d->link_state[i]);
            memset(d->link_state[i], 0, links[i].state_size);
        }
}

void dfs__links_free(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++) {
        if (!links[i].state_size) {
            d->link_state[i] = NULL; /* shared: freed with its own row */
            continue;
        }
        if (d->link_state[i] && links[i].release)
            links[i].release(d, d->link_state[i]);
        dfs__free(d, d->link_state[i]);
        d->link_state[i] = NULL;
    }
}

dfs_result dfs__links_feed(dfs_decoder *d, const struct dfs_record *rec)
{
    /* the row of the last record's link type, without a search: a
     * capture's records mostly share one */
    size_t i = d->link_row;
    if (i >= N_LINKS || links[i].linktype != rec->linktype) {
        if (!dfs__link_find(rec->linktype, &i)) {
            d->stats.records_skipped++;
            return DFS_E_LINKTYPE;
        }
        d->link_row = i;
    }
    d->linktype = rec->linktype;
    links[i].feed(d, d->link_state[i], rec);
    return d->error;
}

void dfs__links_finish(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS && !d->error; i++)
        if (links[i].finish)
            links[i].finish(d, d->link_state[i]);
}

void *dfs__link_state(dfs_decoder *d, int linktype)
{
    size_t i;
    return dfs__link_find(linktype, &i) ? d->link_state[i] : NULL;
}
