/* The built-in suites (docs/conformance.md): descriptors, dfu11, dfuse,
 * each a table of checks in a file of its own (suite_*.c). Every check has
 * an id and the clause it comes from. Suites only read, except where a
 * check says it needs a flag; such a check is skipped without it. Checks
 * that cannot apply (a plain DFU device in the dfuse suite) are skipped
 * with the reason. */
#include <string.h>

#include "suite.h"

static const struct dfs_run__suite *const suites[DFS_SUITE__COUNT] = {
    [DFS_SUITE_DESCRIPTORS] = &dfs_run__suite_descriptors,
    [DFS_SUITE_DFU11] = &dfs_run__suite_dfu11,
    [DFS_SUITE_DFUSE] = &dfs_run__suite_dfuse,
};

const char *dfs_suite_name(enum dfs_suite s)
{
    return (unsigned)s < DFS_SUITE__COUNT ? suites[s]->name : NULL;
}

dfs_result dfs_suite_find(const char *name, enum dfs_suite *out)
{
    if (!name || !out)
        return DFS_E_INVAL;
    for (int i = 0; i < DFS_SUITE__COUNT; i++)
        if (strcmp(name, suites[i]->name) == 0) {
            *out = (enum dfs_suite)i;
            return DFS_OK;
        }
    if (strcmp(name, "dfu") == 0 || strcmp(name, "dfu1.1") == 0) {
        *out = DFS_SUITE_DFU11;
        return DFS_OK;
    }
    return DFS_E_NOTFOUND;
}

const struct dfs_check_info *dfs_suite_checks(enum dfs_suite s, size_t *count)
{
    bool known = (unsigned)s < DFS_SUITE__COUNT;
    if (count)
        *count = known ? suites[s]->n : 0;
    return known ? suites[s]->info : NULL;
}

void dfs_run__suite_list_not_run(struct dfs_run__sess *s, enum dfs_suite suite, const char *why)
{
    size_t n;
    const struct dfs_check_info *t = dfs_suite_checks(suite, &n);
    for (size_t i = 0; i < n; i++)
        dfs_run__record_check(s, suites[suite]->name, &t[i], NULL, DFS_VERDICT_ERROR, false,
                              "not run: %s", why);
}

/* Is a check of this id (with or without "[instance]") in the report? */
static bool reported(const dfs_report *r, const char *id)
{
    size_t l = strlen(id);
    for (size_t k = 0; k < dfs_report_check_count(r); k++) {
        const struct dfs_check_result *c = dfs_report_check(r, k);
        if (strncmp(c->id, id, l) == 0 && (c->id[l] == '\0' || c->id[l] == '['))
            return true;
    }
    return false;
}

void dfs_run__suite_run(struct dfs_run__sess *s, enum dfs_suite suite)
{
    if ((unsigned)suite >= DFS_SUITE__COUNT)
        return;
    const struct dfs_run__suite *def = suites[suite];
    struct dfs_run__suite_ctx c = {s, def->name, def, NULL, NULL};
    def->run(&c);
    const char *why = s->fatal ? "not run: the device left the bus"
                               : "not run: the run was interrupted";
    if (s->check >= 0) /* the check that was going on */
        dfs_run__check_end(s, DFS_VERDICT_ERROR, "%s", why + 9);
    if (s->fatal || s->stopping) {
        /* checks of this suite not reached */
        for (size_t i = 0; i < def->n; i++)
            if (!reported(s->rep, def->info[i].id))
                dfs_run__rest_not_run(&c, i, i + 1, DFS_VERDICT_ERROR, why);
    }
}
