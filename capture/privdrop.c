/* Dropping root privileges once the capture handle is open, when dfuscope
 * was started through sudo (as tcpdump -Z does with its user). POSIX. */
#define _DEFAULT_SOURCE /* initgroups, setgroups */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfuscope/live.h"

static bool parse_id(const char *s, unsigned long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0x7fffffffUL)
        return false;
    *out = v;
    return true;
}

dfs_result dfs_privdrop_plan(uid_t euid, const char *sudo_uid, const char *sudo_gid,
                             struct dfs_privdrop *out, char *err, size_t err_size)
{
    if (!out || !err)
        return DFS_E_INVAL;
    memset(out, 0, sizeof *out);
    if (euid != 0 || !sudo_uid)
        return DFS_OK;
    unsigned long uid, gid;
    if (!parse_id(sudo_uid, &uid)) {
        snprintf(err, err_size,
                 "SUDO_UID is '%.40s', not a user id: cannot tell which user to drop root "
                 "privileges to (unset it to keep running as root)",
                 sudo_uid);
        return DFS_E_INVAL;
    }
    if (uid == 0)
        return DFS_OK; /* sudo run by root itself */
    if (!sudo_gid || !parse_id(sudo_gid, &gid)) {
        snprintf(err, err_size,
                 "SUDO_UID is set but SUDO_GID is %s%.40s%s: cannot tell which group to "
                 "drop root privileges to",
                 sudo_gid ? "'" : "", sudo_gid ? sudo_gid : "unset", sudo_gid ? "'" : "");
        return DFS_E_INVAL;
    }
    out->drop = true;
    out->uid = (uid_t)uid;
    out->gid = (gid_t)gid;
    return DFS_OK;
}

dfs_result dfs_privdrop_apply(const struct dfs_privdrop *p, char *err, size_t err_size)
{
    if (!p || !err)
        return DFS_E_INVAL;
    if (!p->drop)
        return DFS_OK;
    struct passwd *pw = getpwuid(p->uid);
    int rc = pw ? initgroups(pw->pw_name, p->gid) : setgroups(1, &p->gid);
    if (rc != 0) {
        snprintf(err, err_size, "cannot drop root privileges: setting the groups of uid %u: %s",
                 (unsigned)p->uid, strerror(errno));
        return DFS_E_IO;
    }
    if (setgid(p->gid) != 0) {
        snprintf(err, err_size, "cannot drop root privileges: setgid(%u): %s",
                 (unsigned)p->gid, strerror(errno));
        return DFS_E_IO;
    }
    if (setuid(p->uid) != 0) {
        snprintf(err, err_size, "cannot drop root privileges: setuid(%u): %s",
                 (unsigned)p->uid, strerror(errno));
        return DFS_E_IO;
    }
    if (setuid(0) == 0 || geteuid() == 0) {
        snprintf(err, err_size, "dropping root privileges failed: root could be regained");
        return DFS_E_IO;
    }
    return DFS_OK;
}
