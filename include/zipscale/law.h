/* zipscale fit: scaling laws as values. The Chinchilla law L(N, D) = E + A/N^alpha +
 * B/D^beta [CH], what the fitter produces and the frontier, regression and prediction
 * consume. docs/science.md §7; docs/fitting.md. */
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

/* The five parameters by number, in law.json's order; every array of law parameters in the
 * library (the fitter's vector, bootstrap intervals, regression lines) is indexed by these. */
enum { ZS_LAW_E, ZS_LAW_A, ZS_LAW_B, ZS_LAW_ALPHA, ZS_LAW_BETA, ZS_LAW_N_PARAMS };

/* "E", "A", "B", "alpha", "beta" (the law.json keys; "?" for another number). The get and
 * set need param in ZS_LAW_E .. ZS_LAW_BETA. */
const char *zs_law_param_name(int param);
double zs_law_param_get(const zs_chinchilla *law, int param);
void zs_law_param_set(zs_chinchilla *law, int param, double value);

/* Chinchilla's published fit [CH]: E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28. */
zs_chinchilla zs_chinchilla_published(void);

#ifdef __cplusplus
}
#endif
#endif
