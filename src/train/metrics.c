/* <out>/metrics.json: what a finished (or diverged, or halted) run amounts to: its sizes
 * N and D, FLOPs, losses, wall time and status, with the options and data sha256 that
 * make it reproducible. Written atomically; the sweep's runs table reads it. */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "train/train_internal.h"

zs_status zs_train_metrics_write(const zs_train_ctx *ctx, const zs_train_result *r,
                                 const char *diverged_what, zs_error *err) {
    const zs_train_model *m = ctx->model;
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string(zs_train_status_name(r->status)));
    if (diverged_what) json_object_set_new(j, "diverged", json_string(diverged_what));
    json_object_set_new(j, "n_params", json_integer((json_int_t)r->n_params));
    json_object_set_new(j, "n_params_nonembed", json_integer((json_int_t)r->n_params_nonembed));
    json_object_set_new(j, "steps", json_integer((json_int_t)r->steps));
    json_object_set_new(j, "steps_planned", json_integer((json_int_t)ctx->steps_total));
    json_object_set_new(j, m->ops->count_key, json_integer((json_int_t)r->tokens));
    json_object_set_new(j, "flops_6nd", json_real(r->flops_6nd));
    json_object_set_new(j, "flops_exact", json_real(r->flops_exact));
    json_object_set_new(j, "final_val_loss", zs_json_number(r->final_val_loss));
    json_object_set_new(j, "min_val_loss", zs_json_number(r->min_val_loss));
    json_object_set_new(j, "min_val_step", json_integer((json_int_t)r->min_val_step));
    if (ctx->opt->early_stop_patience)
        json_object_set_new(j, "stopped_early", json_boolean(r->stopped_early));
    json_object_set_new(j, "loss_units", json_string(m->ops->loss_units));
    if (m->ops->metrics_json) m->ops->metrics_json(m, j, r->final_val_loss);
    json_object_set_new(j, "wall_s", json_real(r->wall_s));
    json_object_set_new(j, "model", m->ops->config_json(m));
    json_object_set_new(j, "options", json_deep_copy(ctx->options));
    json_object_set_new(j, "zipscale_version", json_string(zs_version()));
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(j);
    if (!text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (metrics.json)");
    size_t len = strlen(text);
    text[len] = '\n';
    zs_status s = zs_write_file_atomic(ctx->metrics_path, text, len + 1, err);
    free(text);
    return s;
}
