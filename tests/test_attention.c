/* Tests for the causal attention kernel (src/nn/attention.h): the double backward against
 * central finite differences, the double forward and backward against torch in float64,
 * the float path against the double one, causal masking and thread-count determinism. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/attention.h"
#include "nn/gpt_internal.h"
#include "testutil.h"

typedef struct {
    size_t B, T, C, H;
} shape;

static size_t qkv_numel(shape s) {
    return s.B * s.T * 3 * s.C;
}
static size_t out_numel(shape s) {
    return s.B * s.T * s.C;
}

/* Uniform values in [-scale, scale) from stream `stream` of seed 7. */
static double *random_doubles(size_t n, double scale, uint64_t stream) {
    zs_rng rng;
    zs_rng_seed(&rng, 7, stream);
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * (2 * zs_rng_uniform(&rng) - 1);
    return x;
}

static float *to_floats(const double *x, size_t n) {
    float *f = malloc(n * sizeof *f);
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

/* The double forward and backward of one problem, with their buffers. */
typedef struct {
    double *out, *saved, *scratch, *dqkv;
} f64_run;

static f64_run run_f64(shape s, const double *qkv, const double *dout) {
    f64_run r;
    r.out = malloc(out_numel(s) * sizeof(double));
    r.saved = malloc(zs_attention_saved_numel(s.B, s.T, s.C, s.H) * sizeof(double));
    r.scratch = malloc(zs_attention_scratch_numel(s.B, s.T, s.C, s.H) * sizeof(double));
    r.dqkv = malloc(qkv_numel(s) * sizeof(double));
    zs_attention_forward_f64(r.out, r.saved, r.scratch, qkv, s.B, s.T, s.C, s.H);
    if (dout) zs_attention_backward_f64(r.dqkv, r.scratch, dout, qkv, r.saved, s.B, s.T, s.C, s.H);
    return r;
}

static void f64_run_free(f64_run *r) {
    free(r->out);
    free(r->saved);
    free(r->scratch);
    free(r->dqkv);
}

/* The float forward and backward on a context of that precision and thread count. */
typedef struct {
    float *out, *dqkv;
} f32_run;

static f32_run run_prec(shape s, const float *qkv, const float *dout, zs_precision precision,
                        int threads) {
    zs_mm *mm;
    zs_error err;
    cr_assert_eq(zs_mm_create(&mm, precision, threads, &err), ZS_OK);
    float *saved = malloc(zs_attention_saved_numel(s.B, s.T, s.C, s.H) * sizeof(float));
    float *scratch = malloc(zs_attention_scratch_numel(s.B, s.T, s.C, s.H) * sizeof(float));
    f32_run r = {malloc(out_numel(s) * sizeof(float)), malloc(qkv_numel(s) * sizeof(float))};
    cr_assert_eq(zs_attention_forward_f32(mm, r.out, saved, scratch, qkv, s.B, s.T, s.C, s.H, &err),
                 ZS_OK, "%s", err.msg);
    cr_assert_eq(
        zs_attention_backward_f32(mm, r.dqkv, scratch, dout, qkv, saved, s.B, s.T, s.C, s.H, &err),
        ZS_OK, "%s", err.msg);
    free(saved);
    free(scratch);
    zs_mm_free(mm);
    return r;
}

static f32_run run_f32(shape s, const float *qkv, const float *dout, int threads) {
    return run_prec(s, qkv, dout, ZS_PRECISION_FP32, threads);
}

/* The loss the gradient checks differentiate: sum(out ⊙ w). */
static double weighted_loss(shape s, const double *qkv, const double *w) {
    f64_run r = run_f64(s, qkv, NULL);
    double loss = 0;
    for (size_t i = 0; i < out_numel(s); i++) loss += r.out[i] * w[i];
    f64_run_free(&r);
    return loss;
}

/* Every entry of dqkv against (L(x+h) - L(x-h)) / 2h with h = 1e-5. The truncation error is
 * O(h²) ≈ 1e-10 and the rounding error ≈ 1e-16 / h ≈ 1e-11 relative to gradients of order
 * 0.1-1, so the largest error must stay below 1e-8 of the largest gradient. Two sequences,
 * two heads of size 4, eight positions. */
Test(attention, f64_backward_matches_finite_differences) {
    const shape s = {2, 8, 8, 2};
    double *qkv = random_doubles(qkv_numel(s), 1.5, 1);
    double *w = random_doubles(out_numel(s), 1.0, 2);
    f64_run r = run_f64(s, qkv, w);
    const double h = 1e-5;
    double max_err = 0, max_grad = 0;
    for (size_t i = 0; i < qkv_numel(s); i++) {
        const double x = qkv[i];
        qkv[i] = x + h;
        const double up = weighted_loss(s, qkv, w);
        qkv[i] = x - h;
        const double down = weighted_loss(s, qkv, w);
        qkv[i] = x;
        const double numeric = (up - down) / (2 * h);
        max_err = fmax(max_err, fabs(numeric - r.dqkv[i]));
        max_grad = fmax(max_grad, fabs(numeric));
    }
    cr_assert_gt(max_grad, 0.1, "the check needs gradients of some size");
    cr_assert_lt(max_err, 1e-8 * max_grad, "max error %g, max gradient %g", max_err, max_grad);
    f64_run_free(&r);
    free(qkv);
    free(w);
}

/* Exact cases: at position 0 the output is v_0 itself; with q = 0 every attended position
 * weighs 1/(t+1), so the output is the running mean of v. */
Test(attention, f64_uniform_weights_give_running_mean) {
    const shape s = {1, 6, 4, 2};
    double *qkv = random_doubles(qkv_numel(s), 1.0, 3);
    for (size_t t = 0; t < s.T; t++) memset(qkv + t * 3 * s.C, 0, s.C * sizeof(double));
    f64_run r = run_f64(s, qkv, NULL);
    for (size_t t = 0; t < s.T; t++)
        for (size_t c = 0; c < s.C; c++) {
            double mean = 0;
            for (size_t u = 0; u <= t; u++) mean += qkv[u * 3 * s.C + 2 * s.C + c];
            mean /= (double)(t + 1);
            cr_assert_lt(fabs(r.out[t * s.C + c] - mean), 1e-15, "t %zu c %zu", t, c);
        }
    f64_run_free(&r);
    free(qkv);
}

/* Changing position t0's keys and values (every head) leaves the outputs before t0 bit for
 * bit the same, in double and in float, and changes the outputs from t0 on. */
Test(attention, causal_mask_hides_the_future) {
    const shape s = {2, 150, 16, 2}; /* the float path's blocks of 64 rows: 3, the last short */
    const size_t t0 = 100;
    double *qkv = random_doubles(qkv_numel(s), 1.0, 4);
    double *dout = random_doubles(out_numel(s), 1.0, 5);
    double *changed = malloc(qkv_numel(s) * sizeof *changed);
    memcpy(changed, qkv, qkv_numel(s) * sizeof *changed);
    for (size_t b = 0; b < s.B; b++)
        for (size_t c = s.C; c < 3 * s.C; c++) changed[(b * s.T + t0) * 3 * s.C + c] += 0.5;
    f64_run a = run_f64(s, qkv, NULL), b = run_f64(s, changed, NULL);
    float *qkv32 = to_floats(qkv, qkv_numel(s)), *changed32 = to_floats(changed, qkv_numel(s));
    float *dout32 = to_floats(dout, out_numel(s));
    f32_run a32 = run_f32(s, qkv32, dout32, 1), b32 = run_f32(s, changed32, dout32, 1);
    for (size_t bt = 0; bt < s.B * s.T; bt++) {
        const size_t t = bt % s.T;
        const int same = memcmp(a.out + bt * s.C, b.out + bt * s.C, s.C * sizeof(double)) == 0;
        const int same32 = memcmp(a32.out + bt * s.C, b32.out + bt * s.C, s.C * sizeof(float)) == 0;
        cr_assert_eq(same, t < t0, "row %zu (t %zu) in double", bt, t);
        cr_assert_eq(same32, t < t0, "row %zu (t %zu) in float", bt, t);
    }
    f64_run_free(&a);
    f64_run_free(&b);
    free(a32.out);
    free(a32.dqkv);
    free(b32.out);
    free(b32.dqkv);
    free(qkv);
    free(changed);
    free(dout);
    free(qkv32);
    free(changed32);
    free(dout32);
}

/* ‖x - ref‖ / ‖ref‖. */
static double rel_err(const float *x, const double *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (x[i] - ref[i]) * (x[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return sqrt(num / den);
}

/* The float path against the double one on a training-like head (hd 64), an odd one
 * (hd 6, T 37) and one over several row blocks: relative error of the norm below 1e-5 (float rounds
 * at 6e-8 per operation; sums of up to T·hd terms grow that by well under 100). */
static void check_f32_against_f64(shape s) {
    double *qkv = random_doubles(qkv_numel(s), 2.0, 6);
    double *dout = random_doubles(out_numel(s), 1.0, 7);
    f64_run ref = run_f64(s, qkv, dout);
    float *qkv32 = to_floats(qkv, qkv_numel(s)), *dout32 = to_floats(dout, out_numel(s));
    f32_run got = run_f32(s, qkv32, dout32, 2);
    /* The float run sees the float-rounded inputs: compare to the double run on those. */
    double *qkv_r = malloc(qkv_numel(s) * sizeof *qkv_r),
           *dout_r = malloc(out_numel(s) * sizeof *dout_r);
    for (size_t i = 0; i < qkv_numel(s); i++) qkv_r[i] = qkv32[i];
    for (size_t i = 0; i < out_numel(s); i++) dout_r[i] = dout32[i];
    f64_run_free(&ref);
    ref = run_f64(s, qkv_r, dout_r);
    const double e_out = rel_err(got.out, ref.out, out_numel(s));
    const double e_dqkv = rel_err(got.dqkv, ref.dqkv, qkv_numel(s));
    cr_assert_lt(e_out, 1e-5, "out: relative error %g (T %zu C %zu H %zu)", e_out, s.T, s.C, s.H);
    cr_assert_lt(e_dqkv, 1e-5, "dqkv: relative error %g (T %zu C %zu H %zu)", e_dqkv, s.T, s.C,
                 s.H);
    f64_run_free(&ref);
    free(got.out);
    free(got.dqkv);
    free(qkv);
    free(dout);
    free(qkv32);
    free(dout32);
    free(qkv_r);
    free(dout_r);
}

Test(attention, f32_matches_f64) {
    check_f32_against_f64((shape){2, 37, 18, 3});
    check_f32_against_f64((shape){1, 150, 12, 2}); /* blocks of 64 rows: 3, the last short */
    /* hd 64 on the oneDNN path (T not a multiple of 32: not the fp32 kernel's) */
    cr_assert(!zs_attention_f32_hd64_fits(150, 64));
    check_f32_against_f64((shape){1, 150, 128, 2});
    if (getenv("ZS_SANITIZED"))
        check_f32_against_f64((shape){1, 64, 128, 2});
    else
        check_f32_against_f64((shape){2, 256, 128, 2});
}

/* In bf16 the products round their operands (qkv, dout, P, dS) to 8 significant bits
 * (unit roundoff u = 2^-9 ≈ 2e-3): against the double path the relative error of the norm
 * must stay within a few u (bound 1e-2 for out, 2e-2 for dqkv, whose chain rounds twice),
 * and be well above fp32's 1e-5 (the operands really are rounded). */
static void check_bf16_against_f64(shape s) {
    double *qkv = random_doubles(qkv_numel(s), 2.0, 12);
    double *dout = random_doubles(out_numel(s), 1.0, 13);
    float *qkv32 = to_floats(qkv, qkv_numel(s)), *dout32 = to_floats(dout, out_numel(s));
    for (size_t i = 0; i < qkv_numel(s); i++) qkv[i] = qkv32[i];
    for (size_t i = 0; i < out_numel(s); i++) dout[i] = dout32[i];
    f64_run ref = run_f64(s, qkv, dout);
    f32_run got = run_prec(s, qkv32, dout32, ZS_PRECISION_BF16, 2);
    const double e_out = rel_err(got.out, ref.out, out_numel(s));
    const double e_dqkv = rel_err(got.dqkv, ref.dqkv, qkv_numel(s));
    cr_assert(e_out < 1e-2 && e_out > 1e-4, "out: relative error %g (T %zu C %zu H %zu)", e_out,
              s.T, s.C, s.H);
    cr_assert(e_dqkv < 2e-2 && e_dqkv > 1e-4, "dqkv: relative error %g (T %zu C %zu H %zu)", e_dqkv,
              s.T, s.C, s.H);
    f64_run_free(&ref);
    free(got.out);
    free(got.dqkv);
    free(qkv);
    free(dout);
    free(qkv32);
    free(dout32);
}

/* The oneDNN path (hd 64, over 3 row blocks) and the fused one (hd 16). */
Test(attention, bf16_within_rounding_of_f64) {
    cr_assert(!zs_attention_fused_fits(150, 64));
    check_bf16_against_f64((shape){1, 150, 128, 2});
    cr_assert(zs_attention_fused_fits(150, 16));
    check_bf16_against_f64((shape){2, 150, 32, 2});
}

/* The fused kernels for small heads (attention_fused.c), on each of their copies: hd 16 (the
 * AVX-512 kernel where the build has it), hd 32 and any other hd (hd 10), at T that leave
 * partial blocks of rows (T mod 8) and of keys (T mod 32). Against the double path, in fp32
 * (relative error below 1e-5, as the oneDNN path) and in bf16 (within its rounding). */
static const shape FUSED_SHAPES[] = {{2, 150, 32, 2}, {1, 260, 64, 2}, {2, 140, 30, 3}};

Test(attention, fused_matches_f64) {
    for (size_t i = 0; i < sizeof FUSED_SHAPES / sizeof *FUSED_SHAPES; i++) {
        const shape s = FUSED_SHAPES[i];
        cr_assert(zs_attention_fused_fits(s.T, s.C / s.H), "T %zu hd %zu", s.T, s.C / s.H);
        check_f32_against_f64(s);
        check_bf16_against_f64(s);
    }
}

/* The bf16 kernel for heads of 64 (attention_bf16.c, AVX512-BF16 builds): at the smallest T it
 * takes, with 2 and 4 heads, and at the training shape (d_model 256, T 256), against the
 * double path within bf16's rounding, and the same bytes on 1 and 2 threads. Where the build
 * has no AVX512-BF16 the oneDNN path runs these shapes, and the test says so. */
static void check_same_bytes_on_1_and_2_threads(shape s, zs_precision precision);
static const shape BF16_SHAPES[] = {{1, 192, 128, 2}, {2, 224, 256, 4}, {1, 256, 256, 4}};

Test(attention, bf16_kernel_matches_f64) {
    if (!zs_attention_bf16_fits(256, 64))
        cr_log_info("attention_bf16: this build has no AVX512-BF16; these shapes test the "
                    "oneDNN path");
    for (size_t i = 0; i < sizeof BF16_SHAPES / sizeof *BF16_SHAPES; i++) {
        const shape s = BF16_SHAPES[i];
        check_bf16_against_f64(s);
    }
    check_same_bytes_on_1_and_2_threads((shape){3, 192, 128, 2}, ZS_PRECISION_BF16);
}

/* The fp32 kernel for heads of 64 (attention_f32_hd64.c, AVX-512 builds): at the smallest T it
 * takes, with 2 and 4 heads, against the double path (relative error below 1e-5, as the oneDNN
 * path), and the same bytes on 1 and 2 threads. Where the build has no AVX-512 the oneDNN path
 * runs these shapes, and the test says so. */
Test(attention, f32_hd64_kernel_matches_f64) {
    if (!zs_attention_f32_hd64_fits(128, 64))
        cr_log_info("attention_f32_hd64: this build has no AVX-512; these shapes test the oneDNN "
                    "path");
    check_f32_against_f64((shape){1, 128, 128, 2});
    check_f32_against_f64((shape){2, 160, 256, 4});
    check_same_bytes_on_1_and_2_threads((shape){3, 128, 128, 2}, ZS_PRECISION_FP32);
}

Test(attention, f32_hd64_kernel_fits_hd_64) {
    if (!zs_attention_f32_hd64_fits(256, 64))
        zs_test_skip("attention_f32_hd64: this build has no AVX-512, so no kernel to check");
    cr_assert(zs_attention_f32_hd64_fits(128, 64));
    cr_assert(zs_attention_f32_hd64_fits(160, 64));
    cr_assert(!zs_attention_f32_hd64_fits(96, 64));
    cr_assert(!zs_attention_f32_hd64_fits(144, 64));
    cr_assert(!zs_attention_f32_hd64_fits(256, 32));
    cr_assert(!zs_attention_f32_hd64_fits(256, 128));
}

static int same_bits(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* RoPE and attention in one kernel (heads of 64 in bf16, heads of 16 in fp32 and bf16) against
 * the separate steps: the same bytes as RoPE, the attention and (bf16) rounding out to bf16 in
 * the forward, and as the attention's backward, RoPE's backward and (bf16) rounding dqkv; qkv is
 * left unrotated. */
static void check_rope_fused(shape s, zs_precision precision, int threads) {
    const size_t hd = s.C / s.H, nq = qkv_numel(s), no = out_numel(s);
    const int bf16 = precision == ZS_PRECISION_BF16;
    double *qkv_d = random_doubles(nq, 2.0, 14), *dout_d = random_doubles(no, 1.0, 15);
    float *qkv = to_floats(qkv_d, nq), *dout = to_floats(dout_d, no);
    float *rotated = malloc(nq * sizeof *rotated), *cs = malloc(s.T * hd * sizeof *cs);
    memcpy(rotated, qkv, nq * sizeof *qkv);
    zs_gpt_rope_table_f32(cs, s.T, hd);
    zs_gpt_rope_forward_f32(rotated, cs, s.B * s.T, s.T, s.C, s.H, threads);
    zs_mm *mm;
    zs_error err;
    cr_assert_eq(zs_mm_create(&mm, precision, threads, &err), ZS_OK);
    cr_assert(zs_attention_rope_fused(mm, s.T, s.C, s.H));
    const size_t ns = zs_attention_saved_numel(s.B, s.T, s.C, s.H),
                 nw = zs_attention_scratch_numel(s.B, s.T, s.C, s.H);
    float *saved[2] = {malloc(ns * sizeof(float)), malloc(ns * sizeof(float))};
    float *scratch = malloc(nw * sizeof(float));
    float *out[2] = {malloc(no * sizeof(float)), malloc(no * sizeof(float))};
    float *dqkv[2] = {malloc(nq * sizeof(float)), malloc(nq * sizeof(float))};
    /* separately */
    cr_assert_eq(
        zs_attention_forward_f32(mm, out[0], saved[0], scratch, rotated, s.B, s.T, s.C, s.H, &err),
        ZS_OK);
    cr_assert_eq(zs_attention_backward_f32(mm, dqkv[0], scratch, dout, rotated, saved[0], s.B, s.T,
                                           s.C, s.H, &err),
                 ZS_OK);
    zs_gpt_rope_backward_f32(dqkv[0], cs, s.B * s.T, s.T, s.C, s.H, threads);
    /* in one */
    zs_attention_rope_forward_f32(mm, out[1], saved[1], scratch, qkv, cs, s.B, s.T, s.C, s.H);
    zs_attention_rope_backward_f32(mm, dqkv[1], scratch, dout, qkv, saved[1], cs, s.B, s.T, s.C,
                                   s.H);
    const uint16_t *out16 = (const uint16_t *)out[1], *dqkv16 = (const uint16_t *)dqkv[1];
    for (size_t i = 0; i < no; i++)
        if (bf16)
            cr_assert_eq(out16[i], zs_bf16_round(out[0][i]), "out element %zu, %d threads", i,
                         threads);
        else
            cr_assert(same_bits(out[1][i], out[0][i]), "out element %zu, %d threads: %.9g vs %.9g",
                      i, threads, out[1][i], out[0][i]);
    for (size_t i = 0; i < nq; i++)
        if (bf16)
            cr_assert_eq(dqkv16[i], zs_bf16_round(dqkv[0][i]),
                         "dqkv element %zu, %d threads: %04x vs %g (%04x)", i, threads, dqkv16[i],
                         dqkv[0][i], zs_bf16_round(dqkv[0][i]));
        else
            cr_assert(same_bits(dqkv[1][i], dqkv[0][i]),
                      "dqkv element %zu, %d threads: %.9g vs %.9g", i, threads, dqkv[1][i],
                      dqkv[0][i]);
    for (size_t i = 0; i < nq; i++) cr_assert_eq(qkv[i], (float)qkv_d[i], "qkv element %zu", i);
    zs_mm_free(mm);
    free(qkv_d), free(dout_d), free(qkv), free(dout), free(rotated), free(cs), free(scratch);
    for (int i = 0; i < 2; i++) free(saved[i]), free(out[i]), free(dqkv[i]);
}

Test(attention, rope_fused_gives_the_separate_steps_bytes) {
    if (!zs_attention_bf16_fits(256, 64))
        zs_test_skip("attention_bf16: this build has no AVX512-BF16, so no fused RoPE kernel");
    check_rope_fused((shape){2, 192, 128, 2}, ZS_PRECISION_BF16, 2);
    check_rope_fused((shape){1, 256, 256, 4}, ZS_PRECISION_BF16, 1);
}

/* The same at heads of 16 (the fused small-head kernel), fp32 and bf16, a T that is not a
 * multiple of the kernel's 8-row blocks or 16-value vectors among them, 1 to 3 threads. */
Test(attention, rope_fused_hd16_gives_the_separate_steps_bytes) {
    if (!zs_attention_fused_rope_fits(256, 16))
        zs_test_skip("attention_fused: this build has no AVX-512, so no fused RoPE at hd 16");
    cr_assert(!zs_attention_fused_rope_fits(256, 32));
    cr_assert(!zs_attention_fused_rope_fits(100, 16));
    for (int bf16 = 0; bf16 <= 1; bf16++) {
        const zs_precision pr = bf16 ? ZS_PRECISION_BF16 : ZS_PRECISION_FP32;
        check_rope_fused((shape){2, 256, 16, 1}, pr, 1);
        check_rope_fused((shape){3, 203, 32, 2}, pr, 2);
        check_rope_fused((shape){1, 160, 48, 3}, pr, 3);
    }
}

/* Which problems the bf16 kernel takes: hd 64, T a multiple of 32 from 192 on. */
Test(attention, bf16_kernel_fits_hd_64) {
#if defined(__AVX512BF16__)
    cr_assert(zs_attention_bf16_fits(192, 64));
    cr_assert(zs_attention_bf16_fits(256, 64));
    cr_assert(!zs_attention_bf16_fits(160, 64));
    cr_assert(!zs_attention_bf16_fits(208, 64));
    cr_assert(!zs_attention_bf16_fits(256, 32));
    cr_assert(!zs_attention_bf16_fits(256, 128));
#else
    cr_assert(!zs_attention_bf16_fits(256, 64));
#endif
}

/* Which problems take the fused path: heads up to 32 values, and T >= 7·hd + 32 (the pair's
 * working copies fit in its T×T share of the scratch). */
Test(attention, fused_fits_small_heads_only) {
    cr_assert(zs_attention_fused_fits(256, 16));
    cr_assert(zs_attention_fused_fits(144, 16));
    cr_assert(!zs_attention_fused_fits(143, 16));
    cr_assert(zs_attention_fused_fits(256, 32));
    cr_assert(!zs_attention_fused_fits(255, 32));
    cr_assert(!zs_attention_fused_fits(256, 33));
    cr_assert(!zs_attention_fused_fits(256, 64));
    cr_assert(!zs_attention_fused_fits(256, 0));
}

/* The same inputs on 1 and on 2 threads give the same bytes: the oneDNN path (T 40) and the
 * fused one (T 150, hd 16), in fp32 and bf16. */
static void check_same_bytes_on_1_and_2_threads(shape s, zs_precision precision) {
    double *qkv = random_doubles(qkv_numel(s), 2.0, 8);
    double *dout = random_doubles(out_numel(s), 1.0, 9);
    float *qkv32 = to_floats(qkv, qkv_numel(s)), *dout32 = to_floats(dout, out_numel(s));
    f32_run one = run_prec(s, qkv32, dout32, precision, 1),
            two = run_prec(s, qkv32, dout32, precision, 2);
    cr_assert(memcmp(one.out, two.out, out_numel(s) * sizeof(float)) == 0, "T %zu", s.T);
    cr_assert(memcmp(one.dqkv, two.dqkv, qkv_numel(s) * sizeof(float)) == 0, "T %zu", s.T);
    free(one.out);
    free(one.dqkv);
    free(two.out);
    free(two.dqkv);
    free(qkv);
    free(dout);
    free(qkv32);
    free(dout32);
}

Test(attention, f32_same_bytes_on_1_and_2_threads) {
    check_same_bytes_on_1_and_2_threads((shape){3, 40, 32, 2}, ZS_PRECISION_FP32);
    check_same_bytes_on_1_and_2_threads((shape){3, 150, 32, 2}, ZS_PRECISION_FP32);
    check_same_bytes_on_1_and_2_threads((shape){3, 150, 32, 2}, ZS_PRECISION_BF16);
}

/* torch in float64, written independently: per head softmax(q kᵀ / sqrt(hd) masked) v, the
 * gradients of sum(out ⊙ dout) by autograd. Forward and backward must agree to 1e-12
 * relative (both are double; the orders of summation differ). */
static const char TORCH_SCRIPT[] =
    "import sys, numpy as np, torch\n"
    "B, T, C, H = map(int, sys.argv[1:5])\n"
    "hd = C // H\n"
    "qkv = torch.tensor(np.fromfile(sys.argv[5], dtype='<f8').reshape(B, T, 3 * C), "
    "requires_grad=True)\n"
    "dout = torch.tensor(np.fromfile(sys.argv[6], dtype='<f8').reshape(B, T, C))\n"
    "q, k, v = [x.reshape(B, T, H, hd).transpose(1, 2) for x in qkv.split(C, dim=2)]\n"
    "s = q @ k.transpose(-1, -2) / hd ** 0.5\n"
    "mask = torch.ones(T, T, dtype=torch.bool).tril()\n"
    "p = torch.softmax(s.masked_fill(~mask, float('-inf')), dim=-1)\n"
    "out = (p @ v).transpose(1, 2).reshape(B, T, C)\n"
    "(out * dout).sum().backward()\n"
    "out.detach().numpy().astype('<f8').tofile(sys.argv[7])\n"
    "qkv.grad.numpy().astype('<f8').tofile(sys.argv[8])\n";

static double rel_err64(const double *x, const double *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (x[i] - ref[i]) * (x[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return sqrt(num / den);
}

Test(attention, f64_matches_torch) {
    zs_test_release_only("numbers only: the Release build runs this");
    const char *py = zs_test_python("torch numpy");
    const shape s = {2, 19, 24, 3};
    double *qkv = random_doubles(qkv_numel(s), 2.0, 10);
    double *dout = random_doubles(out_numel(s), 1.0, 11);
    f64_run r = run_f64(s, qkv, dout);
    char script[4096], in_qkv[4096], in_dout[4096], ref_out[4096], ref_dqkv[4096];
    snprintf(script, sizeof script, "%s", zs_test_path("attention.py"));
    snprintf(in_qkv, sizeof in_qkv, "%s", zs_test_path("qkv.f64"));
    snprintf(in_dout, sizeof in_dout, "%s", zs_test_path("dout.f64"));
    snprintf(ref_out, sizeof ref_out, "%s", zs_test_path("out.f64"));
    snprintf(ref_dqkv, sizeof ref_dqkv, "%s", zs_test_path("dqkv.f64"));
    cr_assert_eq(zs_test_write(script, TORCH_SCRIPT, strlen(TORCH_SCRIPT)), 0);
    cr_assert_eq(zs_test_write(in_qkv, qkv, qkv_numel(s) * sizeof(double)), 0);
    cr_assert_eq(zs_test_write(in_dout, dout, out_numel(s) * sizeof(double)), 0);
    zs_run run = zs_test_sh("%s %s %zu %zu %zu %zu %s %s %s %s", py, script, s.B, s.T, s.C, s.H,
                            in_qkv, in_dout, ref_out, ref_dqkv);
    cr_assert_eq(run.exit_code, 0, "%s", run.err);
    zs_run_free(&run);
    size_t n_out, n_dqkv;
    double *t_out = (double *)zs_test_slurp(ref_out, &n_out);
    double *t_dqkv = (double *)zs_test_slurp(ref_dqkv, &n_dqkv);
    cr_assert_eq(n_out, out_numel(s) * sizeof(double));
    cr_assert_eq(n_dqkv, qkv_numel(s) * sizeof(double));
    const double e_out = rel_err64(r.out, t_out, out_numel(s));
    const double e_dqkv = rel_err64(r.dqkv, t_dqkv, qkv_numel(s));
    cr_assert_lt(e_out, 1e-12, "out: relative error %g against torch", e_out);
    cr_assert_lt(e_dqkv, 1e-12, "dqkv: relative error %g against torch", e_dqkv);
    f64_run_free(&r);
    free(t_out);
    free(t_dqkv);
    free(qkv);
    free(dout);
}
