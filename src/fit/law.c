/* Evaluating a Chinchilla law. */
#include "zipscale/law.h"

#include <math.h>

double zs_chinchilla_loss(const zs_chinchilla *law, double n_params, double n_tokens) {
    return law->E + law->A * pow(n_params, -law->alpha) + law->B * pow(n_tokens, -law->beta);
}
