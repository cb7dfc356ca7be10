/* zipscale train: the training loop that grows the models of nn.h — learning-rate
 * schedules, data windows, evaluation, JSONL logs, metrics, checkpoints and exact resume,
 * per-token losses. The sweep calls it as a library; `zipscale train` is one client.
 * Guide: docs/training.md. */
#ifndef ZIPSCALE_TRAIN_H
#define ZIPSCALE_TRAIN_H

#include "zipscale/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- learning-rate schedules ----------------------------------------------------------
 * Steps are counted from 0; zs_lr_at(s, step) is the rate used for update `step`.
 *   constant: lr_max after warm-up.
 *   cosine:   warm-up, then lr_min + (lr_max-lr_min)(1+cos(π p))/2, p = (step-warmup) /
 *             (total-warmup), reaching lr_min at the last step's end.
 *   wsd:      warm-up, stable at lr_max, then a linear decay to lr_min over the last
 *             decay_steps steps (warmup-stable-decay).
 * Warm-up is linear from lr_max/warmup_steps at step 0 to lr_max at step warmup_steps-1.
 * docs/training.md gives the exact formulas. */
typedef enum { ZS_LR_CONSTANT = 0, ZS_LR_COSINE = 1, ZS_LR_WSD = 2 } zs_lr_kind;

typedef struct {
    zs_lr_kind kind;
    double lr_max;
    double lr_min;
    uint64_t warmup_steps;
    uint64_t total_steps;
    uint64_t decay_steps; /* wsd only */
} zs_lr_schedule;

const char *zs_lr_kind_name(zs_lr_kind kind); /* "constant", "cosine", "wsd" */
zs_status zs_lr_kind_parse(const char *text, zs_lr_kind *out, zs_error *err);
/* Checks the fields (errors name the field and range; ZS_ERR_USAGE). */
zs_status zs_lr_schedule_check(const zs_lr_schedule *s, zs_error *err);
double zs_lr_at(const zs_lr_schedule *s, uint64_t step);

#ifdef __cplusplus
}
#endif
#endif
