/* zipscale fit: scaling laws as values. The Chinchilla law L(N, D) = E + A/N^alpha +
 * B/D^beta [CH], what the fitter produces and the frontier, regression and prediction
 * consume. REFERENCE §7; docs/fitting.md. */
#ifndef ZIPSCALE_LAW_H
#define ZIPSCALE_LAW_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* L(N, D) = E + A / N^alpha + B / D^beta; N parameters, D training tokens, L in nats. */
typedef struct {
    double E, A, B, alpha, beta;
} zs_chinchilla;

double zs_chinchilla_loss(const zs_chinchilla *law, double n_params, double n_tokens);

#ifdef __cplusplus
}
#endif
#endif
