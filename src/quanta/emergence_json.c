/* The emergence file ("zipscale-quanta-emergence", version 1; zipscale/quanta.h): the one
 * writer of an emergence analysis as JSON. docs/quanta.md lists every field. */
#include <math.h>
#include <stdlib.h>

#include "core/json.h"
#include "zipscale/quanta.h"

static json_t *text_or_null(const char *text) {
    return text ? json_string(text) : json_null();
}

static json_t *size_or_null(int present, size_t value) {
    return present ? json_integer((json_int_t)value) : json_null();
}

static json_t *rank_corr_json(const zs_quanta_emergence *e) {
    const zs_quanta_rank_corr *r = &e->rank_corr;
    json_t *interval = json_pack(
        "{s:f, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "level", r->level, "seed", (json_int_t)r->seed,
        "replicates", (json_int_t)r->replicates, "replicates_used", (json_int_t)r->replicates_used,
        "replicates_dropped", (json_int_t)r->replicates_dropped, "lo", zs_json_number(r->lo), "hi",
        zs_json_number(r->hi), "reason", text_or_null(r->interval_reason));
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "method", "spearman", "x",
                     "frequency rank (subtask id + 1)", "y", "learning point", "n_learned",
                     (json_int_t)e->n_learned, "n_subtasks", (json_int_t)e->n_subtasks, "rho",
                     zs_json_number(r->rho), "reason", text_or_null(r->reason), "interval",
                     interval);
}

static json_t *subtasks_json(const zs_quanta_emergence *e) {
    json_t *list = json_array();
    for (size_t s = 0; list && s < e->n_subtasks; s++) {
        const zs_quanta_learning *l = &e->learning[s];
        json_array_append_new(list,
                              json_pack("{s:I, s:I, s:b, s:o, s:o}", "subtask", (json_int_t)s,
                                        "frequency_rank", (json_int_t)(s + 1), "learned",
                                        l->learned, "point", size_or_null(l->learned, l->point),
                                        "x", l->learned ? zs_json_number(l->x) : json_null()));
    }
    return list;
}

static json_t *points_json(const zs_quanta_emergence *e, const zs_quanta_curves *c) {
    json_t *list = json_array();
    for (size_t i = 0; list && i < e->n_points; i++)
        json_array_append_new(list, json_pack("{s:I, s:o, s:I, s:I, s:o, s:I}", "point",
                                              (json_int_t)i, "x", zs_json_number(c->x[i]),
                                              "n_measured", (json_int_t)e->n_measured[i], "n_below",
                                              (json_int_t)e->n_below[i], "fraction_below",
                                              zs_json_number(e->fraction_below[i]), "n_learned_by",
                                              (json_int_t)e->n_learned_by[i]));
    return list;
}

/* loss_nats[s][i], null where not measured. */
static json_t *matrix_json(const zs_quanta_curves *c) {
    json_t *rows = json_array();
    for (size_t s = 0; rows && s < c->n_subtasks; s++) {
        json_t *row = json_array();
        for (size_t i = 0; row && i < c->n_points; i++)
            json_array_append_new(row, zs_json_number(c->loss_nats[s * c->n_points + i]));
        json_array_append_new(rows, row);
    }
    return rows;
}

static json_t *document(const zs_quanta_emergence *e, const zs_quanta_curves *c,
                        const char *input_path, int with_matrix) {
    json_t *x = json_array();
    for (size_t i = 0; x && i < c->n_points; i++) json_array_append_new(x, zs_json_number(c->x[i]));
    json_t *input = json_pack("{s:o, s:o}", "path", text_or_null(input_path), "sha256",
                              c->sha256[0] ? json_string(c->sha256) : json_null());
    json_t *doc = json_pack(
        "{s:s, s:i, s:s, s:o, s:f, s:f, s:I, s:I, s:s, s:o, s:o, s:o, s:o}", "format",
        ZS_QUANTA_EMERGENCE_FORMAT, "format_version", ZS_QUANTA_EMERGENCE_VERSION,
        "zipscale_version", zs_version(), "input", input, "threshold_bits", e->threshold_bits,
        "threshold_nats", e->threshold_nats, "n_subtasks", (json_int_t)e->n_subtasks, "n_points",
        (json_int_t)e->n_points, "x_name", c->x_name, "x", x, "subtasks", subtasks_json(e),
        "points", points_json(e, c), "rank_correlation", rank_corr_json(e));
    if (doc) json_object_set_new(doc, "loss_nats", with_matrix ? matrix_json(c) : json_null());
    return doc;
}

zs_status zs_quanta_emergence_format(const zs_quanta_emergence *e, const zs_quanta_curves *c,
                                     const char *input_path, int with_matrix, char **text,
                                     size_t *len, zs_error *err) {
    return zs_json_text(document(e, c, input_path, with_matrix), "emergence", text, len, err);
}

zs_status zs_quanta_emergence_write(const zs_quanta_emergence *e, const zs_quanta_curves *c,
                                    const char *input_path, int with_matrix, const char *path,
                                    zs_error *err) {
    return zs_json_write_file(document(e, c, input_path, with_matrix), "emergence", path, err);
}
