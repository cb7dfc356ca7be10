/* Private to the quanta module's theory: the pieces zeta.c, theory.c and theory_simulate.c share
 * (unchecked helpers; the public functions check their arguments first). */
#ifndef ZS_QUANTA_THEORY_INTERNAL_H
#define ZS_QUANTA_THEORY_INTERNAL_H

#include "zipscale/quanta_theory.h"

/* integral_a^b x^-s dx with b = a e^span (span = log(b/a) >= 0; INFINITY for b = inf, which
 * needs s > 1), without cancellation when b is near a or s near 1. a > 0. */
double zs_quanta__power_integral(double s, double a, double span);
/* Z of a checked model. */
double zs_quanta__normaliser(const zs_quanta_model *model);
/* sum_{k>n} p_k of a checked model with normaliser z: 1 at n = 0, 0 for n >= Q. */
double zs_quanta__tail(const zs_quanta_model *model, double z, uint64_t n);

#endif
