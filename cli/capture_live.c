/* capture_launch in the capture helper dfuscope-capture (capture.h): the
 * live capture runs here, with libpcap's live source. */
#include "capture.h"

int capture_launch(char **argv, struct capture_cfg *c)
{
    (void)argv; /* already read by cmd_capture */
    c->open_live = dfs_source_open_live;
    return capture_run(c);
}
