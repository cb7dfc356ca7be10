/* The points of one fit in log space (zs_fit_data): log loss, weights, and the distinct
 * log N and log D values each point indexes, so the objective raises each model size
 * and token count to its power once per evaluation instead of once per point. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/fit.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts and deduplicates values[0..n) in place; returns the distinct count. */
static size_t unique_sorted(double *values, size_t n) {
    qsort(values, n, sizeof *values, compare_doubles);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || values[i] != values[kept - 1]) values[kept++] = values[i];
    return kept;
}

static uint32_t index_of(const double *sorted, size_t n, double value) {
    const double *hit = bsearch(&value, sorted, n, sizeof *sorted, compare_doubles);
    return (uint32_t)(hit - sorted);
}

zs_status zs_fit_data_init(zs_fit_data *data, const double *n_params, const double *n_tokens,
                           const double *loss_nats, const double *weight, const size_t *rows,
                           size_t n_rows, zs_error *err) {
    memset(data, 0, sizeof *data);
    if (n_rows > UINT32_MAX)
        return zs_fail(err, ZS_ERR_RANGE, "fit of %zu points: at most %u supported", n_rows,
                       UINT32_MAX);
    size_t count = n_rows ? n_rows : 1;
    data->n = n_rows;
    data->log_loss = zs_alloc(count * sizeof(double), "fit points", err);
    data->weight = weight ? zs_alloc(count * sizeof(double), "fit weights", err) : NULL;
    data->n_index = zs_alloc(count * sizeof(uint32_t), "fit points", err);
    data->d_index = zs_alloc(count * sizeof(uint32_t), "fit points", err);
    data->log_n_values = zs_alloc(count * sizeof(double), "fit points", err);
    data->log_d_values = zs_alloc(count * sizeof(double), "fit points", err);
    /* n_log_n + n_log_d + 6 n_rows <= 8 n_rows doubles: the objective's scratch (chinchilla.c) */
    data->scratch = zs_alloc(8 * count * sizeof(double), "fit scratch", err);
    if (!data->log_loss || (weight && !data->weight) || !data->n_index || !data->d_index ||
        !data->log_n_values || !data->log_d_values || !data->scratch) {
        zs_fit_data_free(data);
        return ZS_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_rows; i++) {
        size_t row = rows[i];
        data->log_loss[i] = log(loss_nats[row]);
        if (weight) data->weight[i] = weight[row];
        data->log_n_values[i] = log(n_params[row]);
        data->log_d_values[i] = log(n_tokens[row]);
    }
    data->n_log_n = unique_sorted(data->log_n_values, n_rows);
    data->n_log_d = unique_sorted(data->log_d_values, n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        size_t row = rows[i];
        data->n_index[i] = index_of(data->log_n_values, data->n_log_n, log(n_params[row]));
        data->d_index[i] = index_of(data->log_d_values, data->n_log_d, log(n_tokens[row]));
    }
    return ZS_OK;
}

void zs_fit_data_free(zs_fit_data *data) {
    if (!data) return;
    free(data->log_loss);
    free(data->weight);
    free(data->n_index);
    free(data->d_index);
    free(data->log_n_values);
    free(data->log_d_values);
    free(data->scratch);
    memset(data, 0, sizeof *data);
}
