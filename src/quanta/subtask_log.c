/* The per-subtask curves of one parity run, read from its training log (log.jsonl): each
 * evaluation line's "step", "subtask_loss" and "val_loss" become one point of
 * zs_quanta_curves. A bad
 * line fails with "PATH:LINE: ..." naming what was wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/quanta.h"

/* The evaluations read so far, one row of n_subtasks losses each (point-major). */
typedef struct {
    size_t n_points, cap, n_subtasks;
    size_t first_line;       /* the first evaluation's line, which set n_subtasks */
    double *x, *rows, *test; /* test: each evaluation's "val_loss", NAN when absent */
} log_points;

static void points_free(log_points *p) {
    free(p->x);
    free(p->rows);
    free(p->test);
}

static zs_status grow(log_points *p, const char *path, zs_error *err) {
    if (p->n_points < p->cap) return ZS_OK;
    size_t cap = p->cap ? 2 * p->cap : 64;
    double *x = realloc(p->x, cap * sizeof *x);
    if (x) p->x = x;
    double *test = x ? realloc(p->test, cap * sizeof *test) : NULL;
    if (test) p->test = test;
    double *rows = test ? realloc(p->rows, cap * p->n_subtasks * sizeof *rows) : NULL;
    if (!rows) return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", path);
    p->rows = rows;
    p->cap = cap;
    return ZS_OK;
}

/* One evaluation line (obj has "subtask_loss"); `where` is "PATH:LINE". */
static zs_status evaluation(log_points *p, json_t *obj, const char *path, const char *where,
                            size_t line, zs_error *err) {
    zs_json_reader rd = {.path = where, .err = err};
    uint64_t step;
    double test = NAN;
    zs_status s = zs_json_get_uint(&rd, obj, NULL, "step", ZS_JSON_REQUIRED, &step);
    if (!s) s = zs_json_get_number(&rd, obj, NULL, "val_loss", ZS_JSON_OPTIONAL, &test);
    if (!s && !isnan(test) && !(test >= 0))
        s = zs_json_fail(&rd, NULL, "val_loss", "a loss >= 0 (nats)");
    if (s) return s;
    json_t *losses = json_object_get(obj, "subtask_loss");
    if (!json_is_array(losses) || json_array_size(losses) == 0)
        return zs_json_fail(&rd, NULL, "subtask_loss",
                            "a non-empty array of losses (numbers >= 0 or null)");
    size_t n = json_array_size(losses);
    if (p->n_points == 0) {
        p->n_subtasks = n;
        p->first_line = line;
    } else if (n != p->n_subtasks) {
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: subtask_loss has %zu entries, but the first evaluation (line %zu) "
                       "has %zu: expected every evaluation to score the same subtasks",
                       where, n, p->first_line, p->n_subtasks);
    }
    if (p->n_points > 0 && !((double)step > p->x[p->n_points - 1]))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: step %llu: expected a step after the previous evaluation's (%.0f)",
                       where, (unsigned long long)step, p->x[p->n_points - 1]);
    if ((s = grow(p, path, err))) return s;
    double *row = p->rows + p->n_points * p->n_subtasks;
    for (size_t t = 0; t < n; t++) {
        json_t *v = json_array_get(losses, t);
        double l = json_is_null(v) ? NAN : json_is_number(v) ? json_number_value(v) : -1;
        if (!isnan(l) && !(isfinite(l) && l >= 0)) {
            char key[64];
            snprintf(key, sizeof key, "subtask_loss[%zu]", t);
            return zs_json_fail(&rd, NULL, key, "a loss >= 0 (nats) or null");
        }
        row[t] = l;
    }
    p->test[p->n_points] = test;
    p->x[p->n_points++] = (double)step;
    return ZS_OK;
}

static int blank(const char *p, const char *end) {
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r') return 0;
    return 1;
}

static zs_status read_lines(log_points *p, const char *text, size_t len, const char *path,
                            zs_error *err) {
    const char *at = text, *end = text + len;
    zs_status s = ZS_OK;
    for (size_t line = 1; !s && at < end; line++) {
        const char *eol = memchr(at, '\n', (size_t)(end - at));
        if (!eol) eol = end;
        if (!blank(at, eol)) {
            json_error_t jerr;
            json_t *obj = json_loadb(at, (size_t)(eol - at), 0, &jerr);
            char where[1100];
            snprintf(where, sizeof where, "%s:%zu", path, line);
            if (!obj)
                s = zs_fail(err, ZS_ERR_FORMAT, "%s:%d: bad JSON: %s", where, jerr.column,
                            jerr.text);
            else if (!json_is_object(obj))
                s = zs_fail(err, ZS_ERR_FORMAT, "%s: expected a JSON object", where);
            else if (json_object_get(obj, "subtask_loss"))
                s = evaluation(p, obj, path, where, line, err);
            json_decref(obj);
        }
        at = eol + 1;
    }
    if (!s && p->n_points == 0)
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: no evaluation line (none has \"subtask_loss\"): expected the log of a "
                    "parity run (zipscale train --model mlp --task parity)",
                    path);
    return s;
}

zs_status zs_quanta_curves_read_log(zs_quanta_curves *c, const char *path, zs_error *err) {
    *c = (zs_quanta_curves){0};
    char *text;
    size_t len;
    zs_status s = zs_read_file(path, &text, &len, err);
    if (s) return s;
    log_points p = {0};
    s = read_lines(&p, text, len, path, err);
    if (!s) s = zs_quanta_curves_init(c, p.n_subtasks, p.n_points, err);
    if (!s) {
        memcpy(c->x, p.x, p.n_points * sizeof *c->x);
        memcpy(c->test_loss_nats, p.test, p.n_points * sizeof *c->test_loss_nats);
        for (size_t i = 0; i < p.n_points; i++)
            for (size_t t = 0; t < p.n_subtasks; t++)
                c->loss_nats[t * p.n_points + i] = p.rows[i * p.n_subtasks + t];
        snprintf(c->x_name, sizeof c->x_name, "step");
        zs_sha256_hex(text, len, c->sha256);
    }
    points_free(&p);
    free(text);
    return s;
}
