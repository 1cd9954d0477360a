/* The table of record parsers, one row per link type the decoder reads. */
#include <string.h>

#include "link.h"

static const struct dfs__link links[] = {
    {DFS_LINKTYPE_USB_LINUX, "usbmon (48-byte header)", dfs__usbmon_feed, 0, NULL},
    {DFS_LINKTYPE_USB_LINUX_MMAPPED, "usbmon (64-byte header)", dfs__usbmon_feed, 0, NULL},
    {DFS_LINKTYPE_USBPCAP, "USBPcap", dfs__usbpcap_feed,
     sizeof(struct dfs__usbpcap_state), NULL},
    {DFS_LINKTYPE_USB_DARWIN, "USB_DARWIN", dfs__darwin_feed, 0, NULL},
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

static size_t state_size(size_t i)
{
    return links[i].state_size;
}

dfs_result dfs__links_init(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++) {
        if (!state_size(i))
            continue;
        d->link_state[i] = dfs__calloc(d, 1, state_size(i));
        if (!d->link_state[i])
            return DFS_E_NOMEM;
    }
    return DFS_OK;
}

void dfs__links_reset(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++)
        if (d->link_state[i])
            memset(d->link_state[i], 0, state_size(i));
}

void dfs__links_free(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS; i++) {
        dfs__free(d, d->link_state[i]);
        d->link_state[i] = NULL;
    }
}

dfs_result dfs__links_feed(dfs_decoder *d, const struct dfs_record *rec)
{
    size_t i;
    const struct dfs__link *l = dfs__link_find(rec->linktype, &i);
    if (!l) {
        d->stats.records_skipped++;
        return DFS_E_LINKTYPE;
    }
    l->feed(d, d->link_state[i], rec);
    return d->error;
}

void dfs__links_finish(dfs_decoder *d)
{
    for (size_t i = 0; i < N_LINKS && !d->error; i++)
        if (links[i].finish)
            links[i].finish(d, d->link_state[i]);
}
