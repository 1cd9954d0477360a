/* dfuscope check-file: shared between the command (cmd_check_file.c), its
 * output (check_file_print.c) and the live device (check_file_usb.c). */
#ifndef DFS_CLI_CHECK_FILE_H
#define DFS_CLI_CHECK_FILE_H

#include "cli.h"
#include "dfuscope/firmware.h"

/* What the file was checked against, for the output. */
struct check_against {
    enum { AGAINST_NONE, AGAINST_LAYOUT, AGAINST_DEVICE, AGAINST_CAPTURE } kind;
    const char *arg;                   /* the option's argument */
    bool has_device;
    struct dfs_fw_device device;
    bool has_session;
    struct dfs_fw_session_info session;
    struct dfs_fw_compare compare;
};

/* Read VID:PID's descriptors and alternate-setting names into *d (after
 * dfs_fw_device_init). Returns 0, or EXIT_USAGE after saying why. */
int check_file_read_device(const char *vid_pid, struct dfs_fw_device *d);

/* The report, as text (color per --color) or JSON. */
void check_file_print_text(FILE *o, const char *path, const dfs_fw_file *f,
                           const struct check_against *ag, const char *color);
void check_file_print_json(FILE *o, const char *path, const dfs_fw_file *f,
                           const struct check_against *ag);

#endif
