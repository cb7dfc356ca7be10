/* <out>/metrics.json: what a finished (or diverged, or halted) run amounts to: its sizes
 * N and D, FLOPs, losses, wall time and status, with the options and data sha256 that
 * make it reproducible. Written atomically; the sweep's runs table reads it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "train/train_internal.h"

static json_t *model_json(const zs_model_config *cfg) {
    if (cfg->kind == ZS_MODEL_GPT)
        return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "kind", "gpt", "vocab",
                         (int)cfg->gpt.vocab, "context", (int)cfg->gpt.context, "d_model",
                         (int)cfg->gpt.d_model, "layers", (int)cfg->gpt.layers, "heads",
                         (int)cfg->gpt.heads, "mlp_hidden", (int)cfg->gpt.mlp_hidden);
    return json_pack("{s:s, s:i, s:i, s:i, s:i}", "kind", "mlp", "n_tasks", (int)cfg->mlp.n_tasks,
                     "n_bits", (int)cfg->mlp.n_bits, "width", (int)cfg->mlp.width, "depth",
                     (int)cfg->mlp.depth);
}

zs_status zs_train_metrics_write(const zs_train_ctx *ctx, const zs_train_result *r,
                                 const char *diverged_what, zs_error *err) {
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string(zs_train_status_name(r->status)));
    if (diverged_what) json_object_set_new(j, "diverged", json_string(diverged_what));
    json_object_set_new(j, "n_params", json_integer((json_int_t)r->n_params));
    json_object_set_new(j, "n_params_nonembed", json_integer((json_int_t)r->n_params_nonembed));
    json_object_set_new(j, "steps", json_integer((json_int_t)r->steps));
    json_object_set_new(j, "steps_planned", json_integer((json_int_t)ctx->steps_total));
    json_object_set_new(j, ctx->cfg.kind == ZS_MODEL_GPT ? "tokens" : "examples",
                        json_integer((json_int_t)r->tokens));
    json_object_set_new(j, "flops_6nd", json_real(r->flops_6nd));
    json_object_set_new(j, "flops_exact", json_real(r->flops_exact));
    json_object_set_new(j, "final_val_loss", zs_json_number(r->final_val_loss));
    json_object_set_new(j, "min_val_loss", zs_json_number(r->min_val_loss));
    json_object_set_new(j, "min_val_step", json_integer((json_int_t)r->min_val_step));
    json_object_set_new(
        j, "loss_units",
        json_string(ctx->cfg.kind == ZS_MODEL_GPT ? "nats per token" : "nats per example"));
    if (ctx->cfg.kind == ZS_MODEL_MLP && ctx->subtask_loss && isfinite(r->final_val_loss)) {
        json_t *table = json_array();
        for (uint64_t s = 0; s < ctx->par.task.spec.n_tasks; s++)
            json_array_append_new(table, json_pack("{s:I, s:f, s:o}", "subtask", (json_int_t)s,
                                                   "probability", ctx->par.task.probs[s], "loss",
                                                   zs_json_number(ctx->subtask_loss[s])));
        json_object_set_new(j, "subtasks", table);
    }
    json_object_set_new(j, "wall_s", json_real(r->wall_s));
    json_object_set_new(j, "model", model_json(&ctx->cfg));
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
