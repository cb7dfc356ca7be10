/* nn: the double-precision attention (attention.h), the plain loops of attention.inc: the
 * reference the gradient checks and the float attention are tested against. */
#include "nn/attention.h"

#define REAL double
#define FN(name) name##_f64
#include "nn/attention.inc"

void zs_attention_forward_f64(double *out, double *saved, double *scratch, const double *qkv,
                              size_t B, size_t T, size_t C, size_t H) {
    (void)scratch;
    for (size_t bh = 0; bh < B * H; bh++) pair_forward_f64(out, saved, qkv, bh, T, C, H);
}

void zs_attention_backward_f64(double *dqkv, double *scratch, const double *dout, const double *qkv,
                               const double *saved, size_t B, size_t T, size_t C, size_t H) {
    for (size_t bh = 0; bh < B * H; bh++)
        pair_backward_f64(dqkv, scratch, dout, qkv, saved, bh, T, C, H);
}
