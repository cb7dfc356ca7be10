/* The budget options and the frontier tables shared by `zipscale frontier` and
 * `zipscale predict`. */
#include <stdlib.h>
#include <string.h>

#include "cli/frontier_out.h"

/* Splits "a,b,c" and parses each budget. */
static zs_status parse_list(const char *list, double **budgets, size_t *n, zs_error *err) {
    size_t count = 1;
    for (const char *c = list; *c; c++) count += *c == ',';
    char *copy = strdup(list);
    *budgets = malloc(count * sizeof **budgets);
    zs_status s = copy && *budgets ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    size_t i = 0;
    for (char *save = NULL, *item = copy ? strtok_r(copy, ",", &save) : NULL; !s && item;
         item = strtok_r(NULL, ",", &save)) {
        if (zs_cli_parse_double(item, &(*budgets)[i]) || !((*budgets)[i] > 0))
            s = zs_fail(err, ZS_ERR_USAGE, "--compute: '%s' is not a positive number of FLOPs",
                        item);
        i++;
    }
    if (!s && i != count)
        s = zs_fail(err, ZS_ERR_USAGE, "--compute: '%s' has an empty item, expected C[,C...]",
                    list);
    free(copy);
    *n = i;
    return s;
}

static zs_status parse_range(const char *range, double **budgets, size_t *n, zs_error *err) {
    char lo_text[64], hi_text[64], count_text[64];
    const char *c1 = strchr(range, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    double lo, hi;
    uint64_t count;
    if (!c2 || strchr(c2 + 1, ':') || (size_t)(c1 - range) >= sizeof lo_text ||
        (size_t)(c2 - c1 - 1) >= sizeof hi_text || strlen(c2 + 1) >= sizeof count_text)
        return zs_fail(err, ZS_ERR_USAGE, "--compute-range: '%s', expected LO:HI:N", range);
    snprintf(lo_text, sizeof lo_text, "%.*s", (int)(c1 - range), range);
    snprintf(hi_text, sizeof hi_text, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    snprintf(count_text, sizeof count_text, "%s", c2 + 1);
    if (zs_cli_parse_double(lo_text, &lo) || zs_cli_parse_double(hi_text, &hi) ||
        zs_cli_parse_u64(count_text, &count) || count == 0 || count > 100000)
        return zs_fail(err, ZS_ERR_USAGE,
                       "--compute-range: '%s', expected LO:HI:N with numbers LO <= HI and N in "
                       "1..100000",
                       range);
    *budgets = malloc(count * sizeof **budgets);
    if (!*budgets) return zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    *n = count;
    zs_status s = zs_frontier_log_range(lo, hi, count, *budgets, err);
    if (s) {
        zs_error inner = *err;
        s = zs_fail(err, ZS_ERR_USAGE, "--compute-range: %s", inner.msg);
    }
    return s;
}

zs_status zs_cli_budgets(const char *list, const char *range, double **budgets, size_t *n,
                         zs_error *err) {
    *budgets = NULL;
    *n = 0;
    if (!list == !range)
        return zs_fail(err, ZS_ERR_USAGE,
                       "give the budgets with one of --compute C[,C...] and "
                       "--compute-range LO:HI:N");
    zs_status s = list ? parse_list(list, budgets, n, err) : parse_range(range, budgets, n, err);
    if (s) {
        free(*budgets);
        *budgets = NULL;
        *n = 0;
    }
    return s;
}

void zs_cli_print_law(FILE *out, const char *label, const zs_chinchilla *law) {
    fprintf(out, "# %s: E=%.6g A=%.6g B=%.6g alpha=%.6g beta=%.6g\n", label, law->E, law->A, law->B,
            law->alpha, law->beta);
}

void zs_cli_print_frontier(FILE *out, const zs_frontier_point *points,
                           const zs_frontier_interval *intervals, size_t n, double level) {
    fprintf(out, "%12s %12s %12s %13s %10s\n", "compute", "N_opt", "D_opt", "tokens/param", "loss");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%12.4g %12.4g %12.4g %13.4g %10.5f\n", points[i].compute_flops,
                points[i].n_params, points[i].n_tokens, points[i].tokens_per_param,
                points[i].loss_nats);
    if (!intervals) return;
    fprintf(out, "# %g%% percentile intervals over %llu bootstrap laws", 100 * level,
            (unsigned long long)intervals[0].used);
    if (intervals[0].skipped)
        fprintf(out, " (%llu without a frontier left out)",
                (unsigned long long)intervals[0].skipped);
    fprintf(out, "\n%12s %25s %25s %25s %21s\n", "compute", "N_opt", "D_opt", "tokens/param",
            "loss");
    for (size_t i = 0; i < n; i++) {
        const zs_frontier_interval *iv = &intervals[i];
        fprintf(out,
                "%12.4g  [%10.4g, %10.4g]  [%10.4g, %10.4g]  [%10.4g, %10.4g]  [%8.5f, %8.5f]\n",
                points[i].compute_flops, iv->n_params.lo, iv->n_params.hi, iv->n_tokens.lo,
                iv->n_tokens.hi, iv->tokens_per_param.lo, iv->tokens_per_param.hi, iv->loss_nats.lo,
                iv->loss_nats.hi);
    }
}

zs_status zs_cli_emit_text(const char *text, size_t len, const char *path, zs_error *err) {
    if (path) return zs_write_file_atomic(path, text, len, err);
    if (fwrite(text, 1, len, stdout) != len) return zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    return ZS_OK;
}
