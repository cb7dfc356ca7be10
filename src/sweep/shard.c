/* Shards: which runs a `sweep run --shard i/n` trains (greedy LPT over the runs' exact
 * FLOPs, largest first), and the name of a shard's own ledger. docs/cluster.md "Shards". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"

zs_status zs_sweep_shard_assign(const double *cost, size_t n_items, size_t n_shards,
                                size_t *shard_of, zs_error *err) {
    if (n_shards == 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "shard_count", "shard_count: must be at least 1");
    for (size_t i = 0; i < n_items; i++)
        if (!(isfinite(cost[i]) && cost[i] >= 0))
            return zs_fail(err, ZS_ERR_USAGE, "shard cost of item %zu: %g, expected >= 0", i,
                           cost[i]);
    double *load = zs_calloc(n_shards, sizeof *load, "shard loads", err);
    size_t *count = zs_calloc(n_shards, sizeof *count, "shard loads", err);
    if (!load || !count) {
        free(load);
        free(count);
        return ZS_ERR_NOMEM;
    }
    /* n_items x n_shards: fine for the thousands of runs and shards a sweep has. */
    for (size_t i = 0; i < n_items; i++) {
        size_t best = 0;
        for (size_t k = 1; k < n_shards; k++)
            if (load[k] < load[best] || (load[k] == load[best] && count[k] < count[best])) best = k;
        shard_of[i] = best;
        load[best] += cost[i];
        count[best]++;
    }
    free(load);
    free(count);
    return ZS_OK;
}

void zs_sweep_shard_ledger_name(size_t shard_index, size_t shard_count, const char *run_list,
                                char *name, size_t size) {
    char stem[128] = "";
    if (run_list) {
        const char *base = strrchr(run_list, '/');
        base = base ? base + 1 : run_list;
        size_t n = 0;
        for (; base[n] && n + 1 < sizeof stem; n++) {
            char c = base[n];
            int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '-';
            stem[n] = ok ? c : '_';
        }
        stem[n] = '\0';
        char *dot = strrchr(base, '.');
        if (dot && dot != base && (size_t)(dot - base) < n) stem[dot - base] = '\0';
        if (!stem[0]) snprintf(stem, sizeof stem, "list");
    }
    snprintf(name, size, "sweep.%s%sshard-%zu-of-%zu.db", stem, stem[0] ? "." : "", shard_index,
             shard_count);
}

/* The plan indices a run list names, in plan order (so its order does not matter). */
static zs_status read_run_list(const zs_sweep_plan *plan, const char *path, char *in_list,
                               zs_error *err) {
    char *text = NULL;
    size_t len = 0;
    zs_status s = zs_read_file(path, &text, &len, err);
    if (s) return s;
    int line = 0;
    for (char *p = text, *next; !s && p && *p; p = next) {
        line++;
        next = strchr(p, '\n');
        if (next) *next++ = '\0';
        char *hash = strchr(p, '#');
        if (hash) *hash = '\0';
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) p[--n] = '\0';
        if (!n) continue;
        const zs_sweep_plan_run *r = zs_sweep_plan_find(plan, p);
        if (!r)
            s = zs_fail_field(err, ZS_ERR_USAGE, "run_list",
                              "%s:%d: run '%s' is not in the spec's plan (`zipscale sweep plan` "
                              "lists its ids)",
                              path, line, p);
        else
            in_list[r - plan->runs] = 1;
    }
    free(text);
    return s;
}

zs_status zs_sweep_shard_runs(const zs_sweep_plan *plan, size_t index, size_t count,
                              const char *run_list, size_t **runs, size_t *n, zs_error *err) {
    *runs = NULL;
    *n = 0;
    if (count == 0 || index >= count)
        return zs_fail_field(err, ZS_ERR_USAGE, "shard_index",
                             "shard %zu of %zu: the index must be below the count (0 <= i < n)",
                             index, count);
    size_t m = plan->n_runs ? plan->n_runs : 1;
    char *in_list = zs_calloc(m, 1, "run list", err);
    size_t *items = zs_calloc(m, sizeof *items, "shard runs", err);
    size_t *shard_of = zs_calloc(m, sizeof *shard_of, "shard runs", err);
    double *cost = zs_calloc(m, sizeof *cost, "shard runs", err);
    zs_status s = in_list && items && shard_of && cost ? ZS_OK : ZS_ERR_NOMEM;
    if (!s && run_list) s = read_run_list(plan, run_list, in_list, err);
    size_t k = 0;
    for (size_t i = 0; !s && i < plan->n_runs; i++)
        if (!run_list || in_list[i]) {
            items[k] = i;
            cost[k++] = plan->runs[i].flops_exact;
        }
    if (!s) s = zs_sweep_shard_assign(cost, k, count, shard_of, err);
    for (size_t i = 0; !s && i < k; i++)
        if (shard_of[i] == index) items[(*n)++] = items[i];
    free(in_list);
    free(shard_of);
    free(cost);
    if (s) {
        free(items);
        *n = 0;
        return s;
    }
    *runs = items;
    return ZS_OK;
}
