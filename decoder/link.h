/* Record parsers: one file per capture link type, and the table that picks
 * the parser of a record's link type (link.c). Internal.
 *
 * A parser turns one record into what it holds and hands it on through the
 * dispatcher's ports: usbmon.c hands each URB event to d->ports.urb, which
 * pairs it with its submit. A parser of another link type is a new file
 * and a row of the table: USBPcap (249) and USB_DARWIN (266) records are
 * URB events too (paired by IRP id and I/O id); a packet-level parser (USB
 * 2.0, 288 and 293-295) keeps the tokens, data packets and handshakes of a
 * transaction in its state and will hand rebuilt control transfers to a
 * port of their own, after URB pairing. */
#ifndef DFS_DECODER_LINK_H
#define DFS_DECODER_LINK_H

#include "state.h"

struct dfs__link {
    int linktype;
    const char *name;
    /* Decode one record. A record that cannot be decoded, or only in part,
     * is a finding naming its frame (and counted in the stats), never an
     * error: decoding goes on with the next one. */
    void (*feed)(dfs_decoder *d, void *state, const struct dfs_record *rec);
    /* What a parser keeps between records: a flat, fixed-size struct, zeroed
     * when the decoder is created and reset (0: none, or the state of the
     * first row with the same feed function when there is one; else state
     * is NULL). */
    size_t state_size;
    /* End of capture: report what is left half done (NULL: nothing to do). */
    void (*finish)(dfs_decoder *d, void *state);
    /* Free what the state points to, before a reset or free (NULL: nothing). */
    void (*release)(dfs_decoder *d, void *state);
};

/* The parser of a link type, or NULL when the decoder does not read it. */
const struct dfs__link *dfs__link_find(int linktype, size_t *index);
/* The parsers' state: allocated with the decoder, zeroed at reset, freed. */
dfs_result dfs__links_init(dfs_decoder *d);
void dfs__links_reset(dfs_decoder *d);
void dfs__links_free(dfs_decoder *d);
/* Feed one record to the parser of its link type: DFS_E_LINKTYPE when
 * there is none (the record is counted as skipped). */
dfs_result dfs__links_feed(dfs_decoder *d, const struct dfs_record *rec);
/* The state of the parser of a link type (NULL: none). */
void *dfs__link_state(dfs_decoder *d, int linktype);
/* End of capture: each parser's finish. */
void dfs__links_finish(dfs_decoder *d);

/* usbmon.c: link types 189 and 220 */
void dfs__usbmon_feed(dfs_decoder *d, void *state, const struct dfs_record *rec);
/* usbpcap.c: link type 249. It keeps the control transfers in flight (the
 * setup a completion answers) and the record before (the old form's parts
 * follow it). */
#define DFS__USBPCAP_INFLIGHT 32
struct dfs__usbpcap_inflight {
    uint64_t irp, seq;
    uint16_t bus, wLength;
    uint8_t endpoint;
    bool control, in, used;
};
struct dfs__usbpcap_state {
    struct dfs__usbpcap_inflight fl[DFS__USBPCAP_INFLIGHT];
    uint64_t seq;
    bool both_ways; /* bulk OUT completions are written (USBPcap 1.5 and later) */
    bool last_valid;
    uint64_t last_irp;
    uint16_t last_bus;
    uint8_t last_stage, last_info;
};
void dfs__usbpcap_feed(dfs_decoder *d, void *state, const struct dfs_record *rec);
/* darwin.c: link type 266 */
void dfs__darwin_feed(dfs_decoder *d, void *state, const struct dfs_record *rec);

#endif
