/* Tests for the learning-rate schedules (train.h): closed-form values at chosen steps,
 * warm-up, monotonicity, endpoints, names, and every field check's message. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "zipscale/train.h"

/* The closed forms below were evaluated by hand (python3's math module): relative 1e-12. */
static void expect_lr(const zs_lr_schedule *s, uint64_t step, double want) {
    double got = zs_lr_at(s, step);
    cr_assert(fabs(got - want) <= 1e-12 * fabs(want), "%s step %llu: lr %.17g, expected %.17g",
              zs_lr_kind_name(s->kind), (unsigned long long)step, got, want);
}

static zs_lr_schedule sched(zs_lr_kind kind, uint64_t warmup, uint64_t total, uint64_t decay) {
    return (zs_lr_schedule){.kind = kind,
                            .lr_max = 1e-3,
                            .lr_min = 1e-4,
                            .warmup_steps = warmup,
                            .total_steps = total,
                            .decay_steps = decay};
}

Test(schedule, names_round_trip) {
    for (int k = ZS_LR_CONSTANT; k <= ZS_LR_WSD; k++) {
        zs_lr_kind parsed;
        cr_assert_eq(zs_lr_kind_parse(zs_lr_kind_name((zs_lr_kind)k), &parsed, NULL), ZS_OK);
        cr_assert_eq((int)parsed, k);
    }
    cr_assert_str_eq(zs_lr_kind_name(ZS_LR_COSINE), "cosine");
    zs_error err;
    zs_lr_kind parsed;
    cr_assert_eq(zs_lr_kind_parse("linear", &parsed, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "lr schedule 'linear': expected constant, cosine or wsd");
}

Test(schedule, warmup_is_linear_from_lr_over_warmup) {
    zs_lr_schedule s = sched(ZS_LR_COSINE, 10, 110, 0);
    expect_lr(&s, 0, 1e-4);  /* lr_max / 10 */
    expect_lr(&s, 4, 5e-4);  /* lr_max · 5/10 */
    expect_lr(&s, 9, 1e-3);  /* lr_max at step warmup-1 */
    expect_lr(&s, 10, 1e-3); /* cosine starts at lr_max */
    for (uint64_t t = 1; t < 10; t++) cr_assert_gt(zs_lr_at(&s, t), zs_lr_at(&s, t - 1));
}

Test(schedule, constant) {
    zs_lr_schedule s = sched(ZS_LR_CONSTANT, 4, 50, 0);
    expect_lr(&s, 0, 2.5e-4);
    expect_lr(&s, 3, 1e-3);
    expect_lr(&s, 4, 1e-3);
    expect_lr(&s, 49, 1e-3);
    expect_lr(&s, 1000, 1e-3); /* past the end: unchanged */
    s.warmup_steps = 0;
    expect_lr(&s, 0, 1e-3);
}

Test(schedule, cosine_closed_form) {
    zs_lr_schedule s = sched(ZS_LR_COSINE, 10, 110, 0);
    expect_lr(&s, 35, 0.0008681980515339464);   /* p = 1/4 */
    expect_lr(&s, 60, 0.00055);                 /* p = 1/2: the mean of max and min */
    expect_lr(&s, 109, 0.00010022204783542078); /* last step, p = 99/100 */
    expect_lr(&s, 110, 1e-4);                   /* its end, and beyond: lr_min */
    expect_lr(&s, 5000, 1e-4);
    for (uint64_t t = 11; t < 120; t++) {
        cr_assert_leq(zs_lr_at(&s, t), zs_lr_at(&s, t - 1), "step %llu", (unsigned long long)t);
        cr_assert_geq(zs_lr_at(&s, t), s.lr_min);
    }
    s.warmup_steps = 0;
    expect_lr(&s, 0, 1e-3);
}

Test(schedule, wsd_closed_form) {
    zs_lr_schedule s = sched(ZS_LR_WSD, 10, 100, 20);
    expect_lr(&s, 10, 1e-3);
    expect_lr(&s, 79, 1e-3);                   /* the stable phase's last step */
    expect_lr(&s, 80, 1e-3);                   /* the decay's first step, progress 0 */
    expect_lr(&s, 90, 0.00055);                /* half way */
    expect_lr(&s, 99, 0.00014499999999999995); /* progress 19/20 */
    expect_lr(&s, 100, 1e-4);
    for (uint64_t t = 11; t < 105; t++)
        cr_assert_leq(zs_lr_at(&s, t), zs_lr_at(&s, t - 1), "step %llu", (unsigned long long)t);
    /* decay over everything after warm-up: a straight line from lr_max */
    s = sched(ZS_LR_WSD, 0, 4, 4);
    expect_lr(&s, 0, 1e-3);
    expect_lr(&s, 2, 0.00055);
}

static void expect_error(zs_lr_schedule s, const char *msg) {
    zs_error err;
    cr_assert_eq(zs_lr_schedule_check(&s, &err), ZS_ERR_USAGE, "expected: %s", msg);
    cr_assert_str_eq(err.msg, msg);
}

Test(schedule, every_check_names_its_field) {
    zs_lr_schedule ok = sched(ZS_LR_WSD, 10, 100, 20);
    cr_assert_eq(zs_lr_schedule_check(&ok, NULL), ZS_OK);
    zs_lr_schedule s = ok;
    s.kind = (zs_lr_kind)7;
    expect_error(s, "lr schedule: kind = 7: expected constant (0), cosine (1) or wsd (2)");
    s = ok;
    s.lr_max = 0;
    expect_error(s, "lr schedule: lr_max = 0: expected a finite rate > 0");
    s.lr_max = NAN;
    expect_error(s, "lr schedule: lr_max = nan: expected a finite rate > 0");
    s = ok;
    s.lr_min = -1e-5;
    expect_error(s, "lr schedule: lr_min = -1e-05: expected 0 <= lr_min <= lr_max (0.001)");
    s.lr_min = 2e-3;
    expect_error(s, "lr schedule: lr_min = 0.002: expected 0 <= lr_min <= lr_max (0.001)");
    s = ok;
    s.total_steps = 0;
    s.warmup_steps = 0;
    expect_error(s, "lr schedule: total_steps = 0: expected >= 1");
    s = ok;
    s.warmup_steps = 100;
    expect_error(s, "lr schedule: warmup_steps = 100: expected fewer than total_steps (100)");
    s = ok;
    s.decay_steps = 0;
    expect_error(s, "lr schedule: decay_steps = 0: expected 1 .. total_steps - warmup_steps "
                    "(90) for wsd");
    s.decay_steps = 91;
    expect_error(s, "lr schedule: decay_steps = 91: expected 1 .. total_steps - warmup_steps "
                    "(90) for wsd");
    s.kind = ZS_LR_COSINE; /* decay_steps is wsd's alone */
    cr_assert_eq(zs_lr_schedule_check(&s, NULL), ZS_OK);
}
