/* train: learning-rate schedules (constant, cosine, warmup-stable-decay, each after an
 * optional linear warm-up): the rate of every update as a pure function of the step.
 * The formulas are train.h's, written out in docs/training.md "Schedules". */
#include "zipscale/train.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[] = {"constant", "cosine", "wsd"};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

const char *zs_lr_kind_name(zs_lr_kind kind) {
    return (unsigned)kind < N_KINDS ? kind_names[kind] : "unknown";
}

zs_status zs_lr_kind_parse(const char *text, zs_lr_kind *out, zs_error *err) {
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(text, kind_names[i]) == 0) {
            *out = (zs_lr_kind)i;
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE, "lr schedule '%s': expected constant, cosine or wsd", text);
}

zs_status zs_lr_schedule_check(const zs_lr_schedule *s, zs_error *err) {
    if ((unsigned)s->kind >= N_KINDS)
        return zs_fail(err, ZS_ERR_USAGE,
                       "lr schedule: kind = %d: expected constant (0), cosine (1) or wsd (2)",
                       (int)s->kind);
    if (!(isfinite(s->lr_max) && s->lr_max > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "lr_max",
                             "lr schedule: lr_max = %g: expected a finite rate > 0", s->lr_max);
    if (!(s->lr_min >= 0 && s->lr_min <= s->lr_max))
        return zs_fail_field(err, ZS_ERR_USAGE, "lr_min",
                             "lr schedule: lr_min = %g: expected 0 <= lr_min <= lr_max (%g)",
                             s->lr_min, s->lr_max);
    if (s->total_steps < 1)
        return zs_fail(err, ZS_ERR_USAGE, "lr schedule: total_steps = 0: expected >= 1");
    if (s->warmup_steps >= s->total_steps)
        return zs_fail_field(
            err, ZS_ERR_USAGE, "warmup_steps",
            "lr schedule: warmup_steps = %llu: expected fewer than total_steps (%llu)",
            (unsigned long long)s->warmup_steps, (unsigned long long)s->total_steps);
    if (s->kind == ZS_LR_WSD &&
        (s->decay_steps < 1 || s->decay_steps > s->total_steps - s->warmup_steps))
        return zs_fail_field(
            err, ZS_ERR_USAGE, "decay_steps",
            "lr schedule: decay_steps = %llu: expected 1 .. total_steps - warmup_steps "
            "(%llu) for wsd",
            (unsigned long long)s->decay_steps,
            (unsigned long long)(s->total_steps - s->warmup_steps));
    return ZS_OK;
}

/* Progress in [0, 1] of `step` through a phase of `length` steps that starts at `first`:
 * 0 at the phase's first step, 1 at the end of its last (and beyond). */
static double progress(uint64_t step, uint64_t first, uint64_t length) {
    if (step >= first + length) return 1.0;
    return (double)(step - first) / (double)length;
}

double zs_lr_at(const zs_lr_schedule *s, uint64_t step) {
    if (step < s->warmup_steps) return s->lr_max * (double)(step + 1) / (double)s->warmup_steps;
    const double span = s->lr_max - s->lr_min;
    switch (s->kind) {
    case ZS_LR_COSINE: {
        double p = progress(step, s->warmup_steps, s->total_steps - s->warmup_steps);
        return s->lr_min + span * (1.0 + cos(M_PI * p)) / 2.0;
    }
    case ZS_LR_WSD: {
        uint64_t decay_first = s->total_steps - s->decay_steps;
        if (step < decay_first) return s->lr_max;
        return s->lr_max - span * progress(step, decay_first, s->decay_steps);
    }
    case ZS_LR_CONSTANT:
    default:
        return s->lr_max;
    }
}
