/* The quantization model's experiment result (zipscale/quanta_experiment.h): its memory, its
 * check, and its file quanta.json (format "zipscale-quanta", version 1): one writer, one
 * reader, every number to 17 significant digits so a result reads back exactly. The reader
 * and the writer apply the same check. docs/quanta.md "quanta.json". */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "zipscale/quanta_experiment.h"

#define QUANTA_FORMAT "zipscale-quanta"
#define QUANTA_VERSION 1

void zs_quanta_result_free(zs_quanta_result *r) {
    if (!r) return;
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++) {
        zs_quanta_axis_result *x = &r->axes[a];
        free(x->x);
        free(x->loss_nats);
        free(x->subtask_loss_nats);
        free(x->learning_x);
        free(x->fraction_learned);
    }
    memset(r, 0, sizeof *r);
}

/* ---- the check ----------------------------------------------------------------------------
 * Every message reads "WHO: FIELD: expected WHAT", WHO the file (a read, ZS_ERR_FORMAT) or
 * "quanta result" (a result in memory, ZS_ERR_RANGE); the field is recorded in err->field. */

typedef struct {
    const char *who;
    zs_status code;
    zs_error *err;
} checker;

static zs_status bad(const checker *k, const char *prefix, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static zs_status bad(const checker *k, const char *prefix, const char *key, const char *fmt, ...) {
    char field[160], what[256];
    snprintf(field, sizeof field, "%s%s", prefix ? prefix : "", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return zs_fail_field(k->err, k->code, field, "%s: %s: expected %s", k->who, field, what);
}

/* NAN, or a value in [lo, hi]. */
static int null_or_in(double v, double lo, double hi) {
    return isnan(v) || (v >= lo && v <= hi);
}

static zs_status check_task(const checker *k, const zs_quanta_result *r) {
    if (r->n_tasks < 1) return bad(k, "task.", "n_tasks", "a positive integer");
    if (r->n_bits < 1) return bad(k, "task.", "n_bits", "a positive integer");
    if (r->k < 1 || r->k > r->n_bits)
        return bad(k, "task.", "k", "an integer in 1..n_bits (%llu)",
                   (unsigned long long)r->n_bits);
    if (r->n_tasks >= ((uint64_t)1 << 32) - r->n_bits || r->n_bits >= (uint64_t)1 << 32)
        return bad(k, "task.", "n_tasks", "n_tasks + n_bits below 2^32");
    if (!(isfinite(r->zipf_exponent) && r->zipf_exponent >= 0))
        return bad(k, "task.", "zipf_exponent", "a number >= 0");
    if (!(isfinite(r->threshold_bits) && r->threshold_bits > 0))
        return bad(k, NULL, "threshold_bits", "a positive number");
    if (!(r->level > 0 && r->level < 1)) return bad(k, NULL, "level", "a number in (0, 1)");
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++)
        if (r->axes[a].present) return ZS_OK;
    return bad(k, NULL, "axes", "at least one experiment: params, data or steps");
}

static zs_status check_points(const checker *k, const char *p, const zs_quanta_axis_result *x) {
    char key[64];
    for (size_t i = 0; i < x->n_points; i++) {
        snprintf(key, sizeof key, "x[%zu]", i);
        if (!(isfinite(x->x[i]) && x->x[i] > 0)) return bad(k, p, key, "a positive number");
        if (i > 0 && !(x->x[i] > x->x[i - 1]))
            return bad(k, p, key, "a number > x[%zu] (x strictly increasing)", i - 1);
    }
    for (size_t i = 0; i < x->n_points; i++) {
        snprintf(key, sizeof key, "loss_nats[%zu]", i);
        if (!null_or_in(x->loss_nats[i], 0, INFINITY) || isinf(x->loss_nats[i]))
            return bad(k, p, key, "a number >= 0 or null");
        snprintf(key, sizeof key, "fraction_learned[%zu]", i);
        if (!null_or_in(x->fraction_learned[i], 0, 1))
            return bad(k, p, key, "a number in [0, 1] or null");
    }
    return ZS_OK;
}

static zs_status check_subtasks(const checker *k, const char *p, const zs_quanta_axis_result *x) {
    char key[64];
    for (size_t s = 0; s < x->n_subtasks; s++)
        for (size_t i = 0; i < x->n_points; i++) {
            double v = x->subtask_loss_nats[s * x->n_points + i];
            snprintf(key, sizeof key, "subtask_loss_nats[%zu][%zu]", s, i);
            if (!null_or_in(v, 0, INFINITY) || isinf(v))
                return bad(k, p, key, "a number >= 0 or null");
        }
    double first = x->x[0], last = x->x[x->n_points - 1];
    for (size_t s = 0; s < x->n_subtasks; s++) {
        snprintf(key, sizeof key, "learning_x[%zu]", s);
        if (!null_or_in(x->learning_x[s], first, last))
            return bad(k, p, key, "a number in [x[0], x[%zu]] = [%.17g, %.17g] or null",
                       x->n_points - 1, first, last);
    }
    if (x->n_learned > x->n_subtasks)
        return bad(k, p, "n_learned", "an integer at most n_subtasks (%zu)", x->n_subtasks);
    return ZS_OK;
}

static zs_status check_stats(const checker *k, const char *p, const zs_quanta_axis_result *x) {
    const double rho[3] = {x->rho, x->rho_lo, x->rho_hi};
    static const char *const rho_keys[3] = {"rho", "rho_lo", "rho_hi"};
    for (int i = 0; i < 3; i++)
        if (!null_or_in(rho[i], -1, 1))
            return bad(k, p, rho_keys[i], "a number in [-1, 1] or null");
    if (x->rho_lo > x->rho_hi) return bad(k, p, "rho_hi", "a number >= rho_lo");
    if (x->fit_first > x->n_points)
        return bad(k, p, "fit_first", "an integer at most n_points (%zu)", x->n_points);
    if (x->fit_count > x->n_points - x->fit_first)
        return bad(k, p, "fit_count", "an integer at most n_points - fit_first (%zu)",
                   x->n_points - x->fit_first);
    const double fit[5] = {x->alpha, x->alpha_lo, x->alpha_hi, x->log_a, x->alpha_predicted};
    static const char *const fit_keys[5] = {"alpha", "alpha_lo", "alpha_hi", "log_a",
                                            "alpha_predicted"};
    for (int i = 0; i < 5; i++)
        if (isinf(fit[i])) return bad(k, p, fit_keys[i], "a number or null");
    if (x->alpha_lo > x->alpha_hi) return bad(k, p, "alpha_hi", "a number >= alpha_lo");
    if (!isnan(x->alpha) && x->fit_count < 3)
        return bad(k, p, "fit_count", "at least 3 with a fitted alpha (alpha not null)");
    return ZS_OK;
}

static zs_status check_axis(const checker *k, const zs_quanta_result *r, int a) {
    const zs_quanta_axis_result *x = &r->axes[a];
    char p[32];
    snprintf(p, sizeof p, "axes.%s.", zs_quanta_axis_name((zs_quanta_axis)a));
    if (x->n_points < 1) return bad(k, p, "n_points", "a positive integer");
    if (x->n_subtasks < 1 || x->n_subtasks > r->n_tasks)
        return bad(k, p, "n_subtasks", "an integer in 1..task.n_tasks (%llu)",
                   (unsigned long long)r->n_tasks);
    const double *arrays[5] = {x->x, x->loss_nats, x->fraction_learned, x->subtask_loss_nats,
                               x->learning_x};
    static const char *const names[5] = {"x", "loss_nats", "fraction_learned", "subtask_loss_nats",
                                         "learning_x"};
    static const char *const sizes[5] = {"n_points", "n_points", "n_points",
                                         "n_subtasks * n_points", "n_subtasks"};
    for (int i = 0; i < 5; i++)
        if (!arrays[i]) return bad(k, p, names[i], "%s values (the array is NULL)", sizes[i]);
    zs_status s = check_points(k, p, x);
    if (!s) s = check_subtasks(k, p, x);
    if (!s) s = check_stats(k, p, x);
    return s;
}

static zs_status check(const checker *k, const zs_quanta_result *r) {
    zs_status s = check_task(k, r);
    for (int a = 0; !s && a < ZS_QUANTA_N_AXES; a++)
        if (r->axes[a].present) s = check_axis(k, r, a);
    return s;
}

zs_status zs_quanta_result_check(const zs_quanta_result *r, zs_error *err) {
    checker k = {"quanta result", ZS_ERR_RANGE, err};
    return check(&k, r);
}

/* ---- writer ------------------------------------------------------------------------------- */

static json_t *vector_json(const double *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, zs_json_number(v[i]));
    return a;
}

static json_t *axis_json(const zs_quanta_axis_result *x) {
    json_t *matrix = json_array();
    for (size_t s = 0; matrix && s < x->n_subtasks; s++)
        json_array_append_new(matrix,
                              vector_json(x->subtask_loss_nats + s * x->n_points, x->n_points));
    json_t *o = json_object();
    json_object_set_new(o, "n_points", json_integer((json_int_t)x->n_points));
    json_object_set_new(o, "n_subtasks", json_integer((json_int_t)x->n_subtasks));
    json_object_set_new(o, "x", vector_json(x->x, x->n_points));
    json_object_set_new(o, "loss_nats", vector_json(x->loss_nats, x->n_points));
    json_object_set_new(o, "subtask_loss_nats", matrix);
    json_object_set_new(o, "learning_x", vector_json(x->learning_x, x->n_subtasks));
    json_object_set_new(o, "fraction_learned", vector_json(x->fraction_learned, x->n_points));
    json_object_set_new(o, "n_learned", json_integer((json_int_t)x->n_learned));
    json_object_set_new(o, "rho", zs_json_number(x->rho));
    json_object_set_new(o, "rho_lo", zs_json_number(x->rho_lo));
    json_object_set_new(o, "rho_hi", zs_json_number(x->rho_hi));
    json_object_set_new(o, "fit_first", json_integer((json_int_t)x->fit_first));
    json_object_set_new(o, "fit_count", json_integer((json_int_t)x->fit_count));
    json_object_set_new(o, "alpha", zs_json_number(x->alpha));
    json_object_set_new(o, "alpha_lo", zs_json_number(x->alpha_lo));
    json_object_set_new(o, "alpha_hi", zs_json_number(x->alpha_hi));
    json_object_set_new(o, "log_a", zs_json_number(x->log_a));
    json_object_set_new(o, "alpha_predicted", zs_json_number(x->alpha_predicted));
    return o;
}

/* NULL when out of memory (json_pack fails on a NULL "o"). */
static json_t *result_json(const zs_quanta_result *r) {
    json_t *axes = json_object();
    for (int a = 0; axes && a < ZS_QUANTA_N_AXES; a++)
        if (r->axes[a].present)
            json_object_set_new(axes, zs_quanta_axis_name((zs_quanta_axis)a),
                                axis_json(&r->axes[a]));
    json_t *task = json_pack("{s:I, s:I, s:I, s:o}", "n_tasks", (json_int_t)r->n_tasks, "n_bits",
                             (json_int_t)r->n_bits, "k", (json_int_t)r->k, "zipf_exponent",
                             zs_json_number(r->zipf_exponent));
    return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o, s:o}", "format", QUANTA_FORMAT,
                     "format_version", QUANTA_VERSION, "zipscale_version", zs_version(), "task",
                     task, "threshold_bits", zs_json_number(r->threshold_bits), "level",
                     zs_json_number(r->level), "axes", axes);
}

zs_status zs_quanta_result_write(const zs_quanta_result *r, const char *path, zs_error *err) {
    zs_status s = zs_quanta_result_check(r, err);
    if (s) return s;
    return zs_json_write_file(result_json(r), "quanta.json", path, err);
}

/* ---- reader ------------------------------------------------------------------------------- */

typedef zs_json_reader ctx;

/* a, called WHEREKEY in messages: an array of n numbers (or nulls, read as NAN, when
 * nullable), into out (NULL: the shape only). `size` names n in the message ("n_points"). */
static zs_status read_array(const ctx *c, json_t *a, const char *p, const char *key,
                            const char *size, size_t n, int nullable, double *out) {
    char what[128], el[64];
    if (!json_is_array(a) || json_array_size(a) != n) {
        snprintf(what, sizeof what, "an array of %s (%zu) numbers%s", size, n,
                 nullable ? " or nulls" : "");
        return zs_json_fail(c, p, key, what);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (nullable && json_is_null(v)) {
            if (out) out[i] = NAN;
        } else if (json_is_number(v)) {
            if (out) out[i] = json_number_value(v);
        } else {
            snprintf(el, sizeof el, "%s[%zu]", key, i);
            return zs_json_fail(c, p, el, nullable ? "a number or null" : "a number");
        }
    }
    return ZS_OK;
}

static zs_status read_vector(const ctx *c, json_t *obj, const char *p, const char *key,
                             const char *size, size_t n, int nullable, double *out) {
    return read_array(c, zs_json_member(obj, key), p, key, size, n, nullable, out);
}

/* subtask_loss_nats: n_subtasks arrays of n_points numbers or nulls (out NULL: the shape). */
static zs_status read_matrix(const ctx *c, json_t *ax, const char *p, size_t n_subtasks,
                             size_t n_points, double *out) {
    json_t *m = zs_json_member(ax, "subtask_loss_nats");
    char what[128], row[64];
    if (!json_is_array(m) || json_array_size(m) != n_subtasks) {
        snprintf(what, sizeof what, "an array of n_subtasks (%zu) arrays, one per subtask",
                 n_subtasks);
        return zs_json_fail(c, p, "subtask_loss_nats", what);
    }
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < n_subtasks; i++) {
        snprintf(row, sizeof row, "subtask_loss_nats[%zu]", i);
        s = read_array(c, json_array_get(m, i), p, row, "n_points", n_points, 1,
                       out ? out + i * n_points : NULL);
    }
    return s;
}

static double *alloc_vector(const ctx *c, size_t n) {
    double *v = calloc(n ? n : 1, sizeof *v);
    if (!v) zs_json_nomem(c);
    return v;
}

static zs_status read_fit(const ctx *c, json_t *ax, const char *p, zs_quanta_axis_result *x) {
    int nul = ZS_JSON_NULLABLE;
    zs_status s = zs_json_get_size(c, ax, p, "n_learned", 0, &x->n_learned);
    if (!s) s = zs_json_get_number(c, ax, p, "rho", nul, &x->rho);
    if (!s) s = zs_json_get_number(c, ax, p, "rho_lo", nul, &x->rho_lo);
    if (!s) s = zs_json_get_number(c, ax, p, "rho_hi", nul, &x->rho_hi);
    if (!s) s = zs_json_get_size(c, ax, p, "fit_first", 0, &x->fit_first);
    if (!s) s = zs_json_get_size(c, ax, p, "fit_count", 0, &x->fit_count);
    if (!s) s = zs_json_get_number(c, ax, p, "alpha", nul, &x->alpha);
    if (!s) s = zs_json_get_number(c, ax, p, "alpha_lo", nul, &x->alpha_lo);
    if (!s) s = zs_json_get_number(c, ax, p, "alpha_hi", nul, &x->alpha_hi);
    if (!s) s = zs_json_get_number(c, ax, p, "log_a", nul, &x->log_a);
    if (!s) s = zs_json_get_number(c, ax, p, "alpha_predicted", nul, &x->alpha_predicted);
    return s;
}

/* One axis: the sizes, then every array's shape before anything is allocated (so the
 * allocations are bounded by the file), then the values. */
static zs_status read_axis(const ctx *c, json_t *ax, const char *p, zs_quanta_axis_result *x) {
    size_t np = 0, ns = 0;
    zs_status s = zs_json_get_size(c, ax, p, "n_points", 0, &np);
    if (!s) s = zs_json_get_size(c, ax, p, "n_subtasks", 0, &ns);
    if (!s) s = read_vector(c, ax, p, "x", "n_points", np, 0, NULL);
    if (!s) s = read_vector(c, ax, p, "loss_nats", "n_points", np, 1, NULL);
    if (!s) s = read_matrix(c, ax, p, ns, np, NULL);
    if (!s) s = read_vector(c, ax, p, "learning_x", "n_subtasks", ns, 1, NULL);
    if (!s) s = read_vector(c, ax, p, "fraction_learned", "n_points", np, 1, NULL);
    if (s) return s;
    x->present = 1;
    x->n_points = np;
    x->n_subtasks = ns;
    x->x = alloc_vector(c, np);
    x->loss_nats = alloc_vector(c, np);
    x->subtask_loss_nats = alloc_vector(c, ns * np);
    x->learning_x = alloc_vector(c, ns);
    x->fraction_learned = alloc_vector(c, np);
    if (!x->x || !x->loss_nats || !x->subtask_loss_nats || !x->learning_x || !x->fraction_learned)
        return ZS_ERR_NOMEM;
    s = read_vector(c, ax, p, "x", "n_points", np, 0, x->x);
    if (!s) s = read_vector(c, ax, p, "loss_nats", "n_points", np, 1, x->loss_nats);
    if (!s) s = read_matrix(c, ax, p, ns, np, x->subtask_loss_nats);
    if (!s) s = read_vector(c, ax, p, "learning_x", "n_subtasks", ns, 1, x->learning_x);
    if (!s) s = read_vector(c, ax, p, "fraction_learned", "n_points", np, 1, x->fraction_learned);
    if (!s) s = read_fit(c, ax, p, x);
    return s;
}

static zs_status read_axes(const ctx *c, json_t *root, zs_quanta_result *r) {
    json_t *axes;
    zs_status s = zs_json_get_object(c, root, NULL, "axes", NULL, 0, &axes);
    if (s) return s;
    const char *key;
    json_t *value;
    zs_quanta_axis a;
    json_object_foreach(axes, key, value) {
        if (zs_quanta_axis_parse(key, &a, NULL))
            return zs_json_fail(c, "axes.", key, "no other member than params, data and steps");
    }
    for (int i = 0; !s && i < ZS_QUANTA_N_AXES; i++) {
        const char *name = zs_quanta_axis_name((zs_quanta_axis)i);
        char p[32];
        json_t *ax;
        s = zs_json_get_object(c, axes, "axes.", name, NULL, ZS_JSON_OPTIONAL | ZS_JSON_NULLABLE,
                               &ax);
        snprintf(p, sizeof p, "axes.%s.", name);
        if (!s && ax) s = read_axis(c, ax, p, &r->axes[i]);
    }
    return s;
}

static zs_status read_document(const ctx *c, json_t *root, zs_quanta_result *r) {
    zs_status s = zs_json_check_format(c, root, QUANTA_FORMAT, QUANTA_VERSION,
                                       "is this a quanta.json of the quantization model's "
                                       "experiments?",
                                       "this zipscale reads quanta.json version 1");
    json_t *task = NULL;
    if (!s) s = zs_json_get_object(c, root, NULL, "task", NULL, 0, &task);
    if (!s) s = zs_json_get_uint(c, task, "task.", "n_tasks", 0, &r->n_tasks);
    if (!s) s = zs_json_get_uint(c, task, "task.", "n_bits", 0, &r->n_bits);
    if (!s) s = zs_json_get_uint(c, task, "task.", "k", 0, &r->k);
    if (!s) s = zs_json_get_number(c, task, "task.", "zipf_exponent", 0, &r->zipf_exponent);
    if (!s) s = zs_json_get_number(c, root, NULL, "threshold_bits", 0, &r->threshold_bits);
    if (!s) s = zs_json_get_number(c, root, NULL, "level", 0, &r->level);
    if (!s) s = read_axes(c, root, r);
    checker k = {c->path, ZS_ERR_FORMAT, c->err};
    if (!s) s = check(&k, r);
    return s;
}

zs_status zs_quanta_result_read(zs_quanta_result *r, const char *path, zs_error *err) {
    memset(r, 0, sizeof *r);
    json_t *root;
    zs_status s = zs_json_load(path, JSON_REJECT_DUPLICATES, &root, err);
    if (s) return s;
    ctx c = {.path = path, .err = err};
    s = read_document(&c, root, r);
    json_decref(root);
    if (s) zs_quanta_result_free(r);
    return s;
}
