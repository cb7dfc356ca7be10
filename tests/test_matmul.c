/* Tests for the oneDNN matmuls (src/nn/matmul.h): fp32 and bf16 forward and backward
 * against the double plain loops on odd shapes, the += semantics and NULL outputs, the
 * bf16 rounding, batched strided products, repeatability, oneDNN's errors, and the forms
 * that take an input already rounded to bf16, and held (packed) weights. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/matmul.h"

static float *random_floats(size_t n, uint64_t stream) {
    zs_rng rng;
    zs_rng_seed(&rng, 11, stream);
    float *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * zs_rng_uniform(&rng) - 1);
    return x;
}

static zs_mm *make_mm(zs_precision precision, int threads) {
    zs_mm *mm;
    zs_error err;
    cr_assert_eq(zs_mm_create(&mm, precision, threads, &err), ZS_OK, "%s", err.msg);
    return mm;
}

/* x as doubles, rounded to bf16 first when bf16 (by the bit rule: the nearest bf16, ties
 * to the even one, written independently of matmul.c with nextafter-free arithmetic). */
static double *widen(const float *x, size_t n, int bf16) {
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (bf16 && v != 0) {
            /* bf16 keeps 8 significant bits: round v·2^(7-e) to an integer, ties to even. */
            int e;
            frexp(v, &e);
            const double scaled = ldexp(v, 8 - e);
            v = ldexp(nearbyint(scaled), e - 8);
        }
        d[i] = v;
    }
    return d;
}

static double rel_norm_err(const float *got, const double *ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (got[i] - ref[i]) * (got[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* Forward, then backward into dinp and dweight that start from random values (+=), against
 * the double loops on the same (bf16-rounded when bf16) operands: relative error of the
 * norm below 1e-5 (fp32 accumulation over K ≤ 301 terms errs by ~sqrt(K)·6e-8). */
static void check_shape(zs_mm *mm, size_t M, size_t K, size_t N) {
    const int bf16 = zs_mm_precision(mm) == ZS_PRECISION_BF16;
    float *inp = random_floats(M * K, 1), *weight = random_floats(N * K, 2);
    float *dout = random_floats(M * N, 3), *dinp = random_floats(M * K, 4);
    float *dweight = random_floats(N * K, 5), *out = random_floats(M * N, 6);
    double *inp_d = widen(inp, M * K, bf16), *weight_d = widen(weight, N * K, bf16);
    double *dout_d = widen(dout, M * N, bf16), *dinp_d = widen(dinp, M * K, 0);
    double *dweight_d = widen(dweight, N * K, 0), *out_d = widen(out, M * N, 0);
    zs_error err;
    cr_assert_eq(zs_mm_forward(mm, out, inp, weight, M, K, N, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_mm_backward(mm, dinp, dweight, dout, inp, weight, M, K, N, &err), ZS_OK, "%s",
                 err.msg);
    zs_mm_forward_f64(out_d, inp_d, weight_d, M, K, N);
    zs_mm_backward_f64(dinp_d, dweight_d, dout_d, inp_d, weight_d, M, K, N);
    const double e_out = rel_norm_err(out, out_d, M * N);
    const double e_dinp = rel_norm_err(dinp, dinp_d, M * K);
    const double e_dweight = rel_norm_err(dweight, dweight_d, N * K);
    cr_assert_lt(e_out, 1e-5, "%s out M=%zu K=%zu N=%zu: %g", bf16 ? "bf16" : "fp32", M, K, N,
                 e_out);
    cr_assert_lt(e_dinp, 1e-5, "%s dinp M=%zu K=%zu N=%zu: %g", bf16 ? "bf16" : "fp32", M, K, N,
                 e_dinp);
    cr_assert_lt(e_dweight, 1e-5, "%s dweight M=%zu K=%zu N=%zu: %g", bf16 ? "bf16" : "fp32", M, K,
                 N, e_dweight);
    free(inp);
    free(weight);
    free(dout);
    free(dinp);
    free(dweight);
    free(out);
    free(inp_d);
    free(weight_d);
    free(dout_d);
    free(dinp_d);
    free(dweight_d);
    free(out_d);
}

static void check_batched_strided(zs_precision precision, int force_widen);

static void check_odd_shapes(zs_precision precision, int force_widen) {
    static const size_t sizes[] = {1, 3, 17, 301};
    zs_mm *mm = make_mm(precision, 1);
    if (force_widen)
        zs_mm_force_widen(mm);
    else if (zs_mm_widens_bf16(mm))
        cr_log_info("matmul: oneDNN has no bf16 kernels on this CPU; the bf16 products run "
                    "widened to fp32 (src/nn/matmul.c)");
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 4; k++) check_shape(mm, sizes[i], sizes[j], sizes[k]);
    /* A training shape, and the first shape again from the cache. */
    check_shape(mm, 512, 64, 192);
    check_shape(mm, 1, 1, 1);
    zs_mm_free(mm);
}

Test(matmul, fp32_matches_f64_on_odd_shapes) {
    check_odd_shapes(ZS_PRECISION_FP32, 0);
}

Test(matmul, bf16_matches_f64_on_rounded_operands) {
    check_odd_shapes(ZS_PRECISION_BF16, 0);
}

/* The widening path (CPUs without oneDNN bf16 kernels) on any CPU: the same shapes, and a
 * batched strided product of bf16 operands (widened over their whole span) against the double
 * product of the rounded values. */
Test(matmul, bf16_widened_matches_f64_on_rounded_operands) {
    check_odd_shapes(ZS_PRECISION_BF16, 1);
    check_batched_strided(ZS_PRECISION_BF16, 1);
}

/* Against the exact product of the unrounded operands, each bf16 product a·b errs by at most
 * |a·b|·(2u + u²), u = 2^-9 (bf16's unit roundoff), so |out - exact| ≤ (2u + u²)·Σ|a||b|
 * plus fp32 accumulation (≤ K·2^-24·Σ|a||b|). And the rounding is to nearest: truncating
 * would exceed half of this bound on average, so the mean error must stay below 0.3 of it. */
Test(matmul, bf16_error_within_rounding_bound) {
    const size_t M = 64, K = 301, N = 48;
    zs_mm *mm = make_mm(ZS_PRECISION_BF16, 1);
    float *inp = random_floats(M * K, 7), *weight = random_floats(N * K, 8);
    float *out = malloc(M * N * sizeof *out);
    zs_error err;
    cr_assert_eq(zs_mm_forward(mm, out, inp, weight, M, K, N, &err), ZS_OK, "%s", err.msg);
    const double u = ldexp(1, -9);
    double ratio_sum = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double exact = 0, abs_sum = 0;
            for (size_t k = 0; k < K; k++) {
                exact += (double)inp[i * K + k] * weight[j * K + k];
                abs_sum += fabs((double)inp[i * K + k] * weight[j * K + k]);
            }
            const double bound = (2 * u + u * u + K * ldexp(1, -24)) * abs_sum;
            const double e = fabs(out[i * N + j] - exact);
            cr_assert_leq(e, bound, "(%zu,%zu): error %g over the bound %g", i, j, e, bound);
            ratio_sum += e / bound;
        }
    cr_assert_lt(ratio_sum / (double)(M * N), 0.3, "mean error / bound %g",
                 ratio_sum / (double)(M * N));
    free(inp);
    free(weight);
    free(out);
    zs_mm_free(mm);
}

/* dinp NULL leaves it alone and still accumulates dweight, and the other way round. */
Test(matmul, backward_null_outputs) {
    const size_t M = 17, K = 3, N = 5;
    zs_mm *mm = make_mm(ZS_PRECISION_FP32, 1);
    float *inp = random_floats(M * K, 1), *weight = random_floats(N * K, 2);
    float *dout = random_floats(M * N, 3);
    float *dinp = calloc(M * K, sizeof *dinp), *dweight = calloc(N * K, sizeof *dweight);
    double *dinp_d = calloc(M * K, sizeof *dinp_d), *dweight_d = calloc(N * K, sizeof *dweight_d);
    double *inp_d = widen(inp, M * K, 0), *weight_d = widen(weight, N * K, 0);
    double *dout_d = widen(dout, M * N, 0);
    zs_mm_backward_f64(dinp_d, dweight_d, dout_d, inp_d, weight_d, M, K, N);
    zs_error err;
    cr_assert_eq(zs_mm_backward(mm, NULL, dweight, dout, inp, weight, M, K, N, &err), ZS_OK);
    cr_assert_lt(rel_norm_err(dweight, dweight_d, N * K), 1e-6);
    cr_assert_eq(zs_mm_backward(mm, dinp, NULL, dout, inp, weight, M, K, N, &err), ZS_OK);
    cr_assert_lt(rel_norm_err(dinp, dinp_d, M * K), 1e-6);
    cr_assert_lt(rel_norm_err(dweight, dweight_d, N * K), 1e-6, "dweight must not change");
    free(inp);
    free(weight);
    free(dout);
    free(dinp);
    free(dweight);
    free(dinp_d);
    free(dweight_d);
    free(inp_d);
    free(weight_d);
    free(dout_d);
    zs_mm_free(mm);
}

/* K = 0: the product is empty, the forward writes zeros and the backward adds nothing. */
/* Empty reductions, in fp32, in bf16 and in a widening bf16 context: K = 0 (the forward writes
 * zeros) and M = 0 (dweight's sum over no rows leaves it as it was). */
static void check_empty(zs_precision precision, int force_widen) {
    zs_mm *mm = make_mm(precision, 1);
    if (force_widen) zs_mm_force_widen(mm);
    float out[6] = {1, 2, 3, 4, 5, 6}, dout[6] = {1, 1, 1, 1, 1, 1}, dweight[6] = {7};
    float inp[2] = {1, 2}, weight[6] = {1, 2, 3, 4, 5, 6};
    zs_error err;
    cr_assert_eq(zs_mm_forward(mm, out, NULL, NULL, 2, 0, 3, &err), ZS_OK);
    for (int i = 0; i < 6; i++) cr_assert_eq(out[i], 0.0f);
    cr_assert_eq(zs_mm_backward(mm, NULL, dweight, dout, NULL, NULL, 2, 0, 3, &err), ZS_OK);
    cr_assert_eq(dweight[0], 7.0f);
    cr_assert_eq(zs_mm_backward(mm, NULL, dweight, dout, inp, weight, 0, 2, 3, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(dweight[0], 7.0f);
    for (int i = 1; i < 6; i++) cr_assert_eq(dweight[i], 0.0f);
    zs_mm_free(mm);
}

Test(matmul, empty_inner_dimension) {
    check_empty(ZS_PRECISION_FP32, 0);
    check_empty(ZS_PRECISION_BF16, 0);
    check_empty(ZS_PRECISION_BF16, 1);
}

/* The same call twice (and on a second context) gives the same bytes, at 2 threads. */
Test(matmul, repeats_are_bit_identical) {
    const size_t M = 256, K = 128, N = 301;
    float *inp = random_floats(M * K, 1), *weight = random_floats(N * K, 2);
    float *dout = random_floats(M * N, 3);
    for (int precision = 0; precision < 2; precision++) {
        float *out[3], *dw[3];
        for (int r = 0; r < 3; r++) {
            zs_mm *mm = make_mm((zs_precision)precision, 2);
            out[r] = malloc(M * N * sizeof(float));
            dw[r] = calloc(N * K, sizeof(float));
            zs_error err;
            cr_assert_eq(zs_mm_forward(mm, out[r], inp, weight, M, K, N, &err), ZS_OK);
            cr_assert_eq(zs_mm_backward(mm, NULL, dw[r], dout, inp, weight, M, K, N, &err), ZS_OK);
            zs_mm_free(mm);
        }
        for (int r = 1; r < 3; r++) {
            cr_assert(memcmp(out[0], out[r], M * N * sizeof(float)) == 0, "precision %d",
                      precision);
            cr_assert(memcmp(dw[0], dw[r], N * K * sizeof(float)) == 0, "precision %d", precision);
        }
        for (int r = 0; r < 3; r++) {
            free(out[r]);
            free(dw[r]);
        }
    }
    free(inp);
    free(weight);
    free(dout);
}

/* A batched strided product (the shape attention uses: per (sequence, head), q·kᵀ read
 * straight out of a (B, T, 3C) buffer, scaled and added to c) against plain loops in double: in
 * fp32, or in bf16 (operands rounded by zs_mm_to_bf16, the reference's by the test's own
 * rounding; widened over their whole span when force_widen). */
static void check_batched_strided(zs_precision precision, int force_widen) {
    const int bf16 = precision == ZS_PRECISION_BF16;
    const size_t B = 2, H = 3, T = 19, hd = 8, C = H * hd, n = B * T * 3 * C;
    float *qkv = random_floats(n, 9), *c = random_floats(B * H * T * T, 10);
    uint16_t *qkv16 = malloc(n * sizeof *qkv16);
    double *ref = widen(c, B * H * T * T, 0), *q = widen(qkv, n, bf16);
    const float alpha = 0.25f;
    const zs_mm_problem p = {
        .batch = {B, H},
        .M = T,
        .K = hd,
        .N = T,
        .a_strides = {T * 3 * C, hd, 3 * C, 1},
        .b_strides = {T * 3 * C, hd, 1, 3 * C},
        .c_strides = {H * T * T, T * T, T, 1},
        .a_bf16 = bf16,
        .b_bf16 = bf16,
        .alpha = alpha,
        .accumulate = 1,
    };
    zs_mm *mm = make_mm(precision, 2);
    if (force_widen) {
        zs_mm_force_widen(mm);
        cr_assert(zs_mm_widens_bf16(mm));
    }
    zs_error err;
    if (bf16) zs_mm_to_bf16(mm, qkv16, qkv, n);
    const void *x = bf16 ? (const void *)qkv16 : (const void *)qkv;
    const void *y = bf16 ? (const void *)(qkv16 + C) : (const void *)(qkv + C);
    cr_assert_eq(zs_mm_run(mm, &p, x, y, c, &err), ZS_OK, "%s", err.msg);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < H; h++)
            for (size_t t = 0; t < T; t++)
                for (size_t u = 0; u < T; u++) {
                    double s = 0;
                    for (size_t i = 0; i < hd; i++)
                        s += q[(b * T + t) * 3 * C + h * hd + i] *
                             q[(b * T + u) * 3 * C + C + h * hd + i];
                    ref[((b * H + h) * T + t) * T + u] += alpha * s;
                }
    cr_assert_lt(rel_norm_err(c, ref, B * H * T * T), 1e-6);
    free(qkv), free(c), free(qkv16), free(ref), free(q);
    zs_mm_free(mm);
}

Test(matmul, batched_strided_product) {
    check_batched_strided(ZS_PRECISION_FP32, 0);
}

/* A problem oneDNN has no implementation for (a bf16 operand times an f32 one) is an error
 * naming oneDNN's status and the shape. */
Test(matmul, onednn_error_names_the_shape) {
    zs_mm *mm = make_mm(ZS_PRECISION_FP32, 1);
    zs_mm_problem p = {
        .batch = {1, 1},
        .M = 5,
        .K = 2,
        .N = 3,
        .a_strides = {0, 0, 2, 1},
        .b_strides = {0, 0, 3, 1},
        .c_strides = {0, 0, 3, 1},
        .a_bf16 = 1,
        .alpha = 1.0f,
    };
    float x[15] = {0};
    zs_error err;
    cr_assert_eq(zs_mm_run(mm, &p, x, x, x, &err), ZS_ERR_INTERNAL);
    cr_assert_str_eq(err.msg,
                     "oneDNN matmul primitive descriptor failed (unimplemented) for a matmul of "
                     "batch 1x1, M=5 K=2 N=3, operands bf16·f32",
                     "%s", err.msg);
    zs_mm_free(mm);
}

/* Sizes beyond int64 are refused before oneDNN sees them. */
Test(matmul, size_beyond_int64_is_refused) {
    zs_mm *mm = make_mm(ZS_PRECISION_FP32, 1);
    zs_mm_problem p = {
        .batch = {1, 1},
        .M = (size_t)1 << 63,
        .K = 2,
        .N = 3,
        .a_strides = {0, 0, 2, 1},
        .b_strides = {0, 0, 3, 1},
        .c_strides = {0, 0, 3, 1},
        .alpha = 1.0f,
    };
    float x = 0;
    zs_error err;
    cr_assert_eq(zs_mm_run(mm, &p, &x, &x, &x, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg,
                     "matmul of batch 1x1, M=9223372036854775808 K=2 N=3: a size or stride beyond "
                     "oneDNN's int64 dimensions");
    zs_mm_free(mm);
}

/* zs_mm_backward_write overwrites dinp (here first filled with NaN) and still accumulates
 * dweight, in both precisions; with an empty inner dimension it writes zeros. */
Test(matmul, backward_write_overwrites_dinp) {
    const size_t M = 33, K = 17, N = 301;
    for (int precision = 0; precision < 2; precision++) {
        const int bf16 = precision == ZS_PRECISION_BF16;
        zs_mm *mm = make_mm((zs_precision)precision, 1);
        float *inp = random_floats(M * K, 1), *weight = random_floats(N * K, 2);
        float *dout = random_floats(M * N, 3), *dweight = random_floats(N * K, 4);
        float *dinp = malloc(M * K * sizeof *dinp);
        for (size_t i = 0; i < M * K; i++) dinp[i] = NAN;
        double *inp_d = widen(inp, M * K, bf16), *weight_d = widen(weight, N * K, bf16);
        double *dout_d = widen(dout, M * N, bf16), *dweight_d = widen(dweight, N * K, 0);
        double *dinp_d = calloc(M * K, sizeof *dinp_d);
        zs_mm_backward_f64(dinp_d, dweight_d, dout_d, inp_d, weight_d, M, K, N);
        zs_error err;
        cr_assert_eq(zs_mm_backward_write(mm, dinp, dweight, dout, inp, weight, M, K, N, &err),
                     ZS_OK, "%s", err.msg);
        cr_assert_lt(rel_norm_err(dinp, dinp_d, M * K), 1e-5, "precision %d", precision);
        cr_assert_lt(rel_norm_err(dweight, dweight_d, N * K), 1e-5, "precision %d", precision);
        for (size_t i = 0; i < M * K; i++) dinp[i] = NAN;
        cr_assert_eq(zs_mm_backward_write(mm, dinp, NULL, dout, inp, weight, M, K, 0, &err), ZS_OK);
        for (size_t i = 0; i < M * K; i++) cr_assert_eq(dinp[i], 0.0f);
        free(inp);
        free(weight);
        free(dout);
        free(dweight);
        free(dinp);
        free(inp_d);
        free(weight_d);
        free(dout_d);
        free(dweight_d);
        free(dinp_d);
        zs_mm_free(mm);
    }
}

/* zs_mm_forward_rounded and zs_mm_backward_write_rounded (and ..._rounded2, dout rounded too),
 * given the input already rounded to bf16, produce the same bytes as the float-input forms, which
 * round it themselves; the float-input forms are checked against the double loops above. In an fp32
 * context both refuse with a message naming them. */
Test(matmul, rounded_inputs_give_the_same_bytes) {
    const size_t M = 67, K = 40, N = 301;
    zs_mm *mm = make_mm(ZS_PRECISION_BF16, 2);
    float *inp = random_floats(M * K, 1), *weight = random_floats(N * K, 2);
    float *dout = random_floats(M * N, 3);
    float *dweight[2] = {random_floats(N * K, 4), random_floats(N * K, 4)};
    float *out[2] = {malloc(M * N * sizeof(float)), malloc(M * N * sizeof(float))};
    float *dinp[2] = {malloc(M * K * sizeof(float)), malloc(M * K * sizeof(float))};
    uint16_t *inp16 = malloc(M * K * sizeof *inp16);
    zs_mm_to_bf16(mm, inp16, inp, M * K);
    zs_error err;
    cr_assert_eq(zs_mm_forward(mm, out[0], inp, weight, M, K, N, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_mm_forward_rounded(mm, out[1], inp16, weight, M, K, N, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(memcmp(out[0], out[1], M * N * sizeof(float)), 0);
    cr_assert_eq(zs_mm_backward_write(mm, dinp[0], dweight[0], dout, inp, weight, M, K, N, &err),
                 ZS_OK, "%s", err.msg);
    cr_assert_eq(
        zs_mm_backward_write_rounded(mm, dinp[1], dweight[1], dout, inp16, weight, M, K, N, &err),
        ZS_OK, "%s", err.msg);
    cr_assert_eq(memcmp(dinp[0], dinp[1], M * K * sizeof(float)), 0);
    cr_assert_eq(memcmp(dweight[0], dweight[1], N * K * sizeof(float)), 0);
    /* dout rounded too: the same bytes again (dweight accumulates: from the same start) */
    uint16_t *dout16 = malloc(M * N * sizeof *dout16);
    zs_mm_to_bf16(mm, dout16, dout, M * N);
    float *dweight2 = random_floats(N * K, 4), *dinp2 = malloc(M * K * sizeof(float));
    cr_assert_eq(
        zs_mm_backward_write_rounded2(mm, dinp2, dweight2, dout16, inp16, weight, M, K, N, &err),
        ZS_OK, "%s", err.msg);
    cr_assert_eq(memcmp(dinp[0], dinp2, M * K * sizeof(float)), 0);
    cr_assert_eq(memcmp(dweight[0], dweight2, N * K * sizeof(float)), 0);
    /* and the values are the product's: against the double loops on the rounded operands */
    double *inp_d = widen(inp, M * K, 1), *weight_d = widen(weight, N * K, 1);
    double *ref = calloc(M * N, sizeof *ref);
    zs_mm_forward_f64(ref, inp_d, weight_d, M, K, N);
    cr_assert_lt(rel_norm_err(out[1], ref, M * N), 1e-5);
    zs_mm_free(mm);

    mm = make_mm(ZS_PRECISION_FP32, 1);
    cr_assert_eq(zs_mm_forward_rounded(mm, out[1], inp16, weight, M, K, N, &err), ZS_ERR_INTERNAL);
    cr_assert_str_eq(err.msg, "zs_mm_forward_rounded: bf16 operands in an fp32 matmul context");
    cr_assert_eq(
        zs_mm_backward_write_rounded(mm, dinp[1], dweight[1], dout, inp16, weight, M, K, N, &err),
        ZS_ERR_INTERNAL);
    cr_assert_str_eq(err.msg,
                     "zs_mm_backward_write_rounded: bf16 operands in an fp32 matmul context");
    cr_assert_eq(
        zs_mm_backward_write_rounded2(mm, dinp2, dweight2, dout16, inp16, weight, M, K, N, &err),
        ZS_ERR_INTERNAL);
    cr_assert_str_eq(err.msg,
                     "zs_mm_backward_write_rounded2: bf16 operands in an fp32 matmul context");
    zs_mm_free(mm);
    free(dout16), free(dweight2), free(dinp2);
    free(inp), free(weight), free(dout), free(inp16), free(inp_d), free(weight_d), free(ref);
    for (int i = 0; i < 2; i++) free(dweight[i]), free(out[i]), free(dinp[i]);
}

/* Held weights (zs_mm_hold_weights: packed once per hold into oneDNN's own layout, found again
 * by address) give the bytes of the plain products, for two weights of one shape (one packing
 * each) and after a weight changes and the hold is renewed; without a renewed hold the packed
 * copy is what a product reads, which shows it is reused. bf16 on 2 threads and fp32 (which
 * does not pack) on 1, at an odd shape and a GPT-like one. On a CPU without oneDNN bf16 kernels
 * the bf16 context widens and does not pack either (zs_mm_packs_weights). */
static void check_held(zs_precision precision, int threads, size_t M, size_t K, size_t N) {
    zs_mm *plain = make_mm(precision, threads), *held = make_mm(precision, threads);
    const int bf16 = precision == ZS_PRECISION_BF16;
    float *inp = random_floats(M * K, 5), *dout = random_floats(M * N, 6);
    float *w[2] = {random_floats(N * K, 7), random_floats(N * K, 8)};
    float *a = malloc(M * N * sizeof *a), *b = malloc(M * N * sizeof *b);
    float *da = malloc(M * K * sizeof *da), *db = malloc(M * K * sizeof *db);
    uint16_t *inp16 = malloc(M * K * sizeof *inp16);
    zs_mm_to_bf16(plain, inp16, inp, M * K);
    zs_error err;
    for (int round = 0; round < 2; round++) {
        zs_mm_hold_weights(held);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(zs_mm_forward(plain, a, inp, w[i], M, K, N, &err), ZS_OK, "%s", err.msg);
            cr_assert_eq(zs_mm_forward(held, b, inp, w[i], M, K, N, &err), ZS_OK, "%s", err.msg);
            cr_assert_eq(memcmp(a, b, M * N * sizeof *a), 0, "forward, weight %d, round %d", i,
                         round);
            if (bf16) {
                cr_assert_eq(zs_mm_forward_rounded(held, b, inp16, w[i], M, K, N, &err), ZS_OK,
                             "%s", err.msg);
                cr_assert_eq(memcmp(a, b, M * N * sizeof *a), 0, "forward_rounded, weight %d", i);
            }
            cr_assert_eq(zs_mm_backward_write(plain, da, NULL, dout, inp, w[i], M, K, N, &err),
                         ZS_OK, "%s", err.msg);
            cr_assert_eq(zs_mm_backward_write(held, db, NULL, dout, inp, w[i], M, K, N, &err),
                         ZS_OK, "%s", err.msg);
            cr_assert_eq(memcmp(da, db, M * K * sizeof *da), 0, "dinp, weight %d, round %d", i,
                         round);
        }
        for (size_t j = 0; j < N * K; j++) w[0][j] = 0.5f * w[0][j] + 0.25f;
    }
    /* w[0] changed again, the hold not renewed: a packing context still reads the old copy */
    cr_assert_eq(zs_mm_forward(plain, a, inp, w[0], M, K, N, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_mm_forward(held, b, inp, w[0], M, K, N, &err), ZS_OK, "%s", err.msg);
    if (zs_mm_packs_weights(held))
        cr_assert_neq(memcmp(a, b, M * N * sizeof *a), 0, "the packed weight was not reused");
    else
        cr_assert_eq(memcmp(a, b, M * N * sizeof *a), 0, "%s reads the weight as given",
                     bf16 ? "a widening bf16 context" : "fp32");
    zs_mm_free(plain);
    zs_mm_free(held);
    free(inp), free(dout), free(w[0]), free(w[1]), free(a), free(b), free(da), free(db);
    free(inp16);
}

Test(matmul, held_weights_give_the_same_bytes) {
    check_held(ZS_PRECISION_BF16, 2, 67, 40, 301);
    check_held(ZS_PRECISION_BF16, 2, 512, 64, 192);
    check_held(ZS_PRECISION_FP32, 1, 67, 40, 301);
}
