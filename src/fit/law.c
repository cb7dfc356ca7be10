/* The Chinchilla law as a value: its loss, its five parameters by number, the published fit. */
#include "zipscale/law.h"

#include <math.h>

double zs_chinchilla_loss(const zs_chinchilla *law, double n_params, double n_tokens) {
    return law->E + law->A * pow(n_params, -law->alpha) + law->B * pow(n_tokens, -law->beta);
}

static const char *const param_names[ZS_LAW_N_PARAMS] = {"E", "A", "B", "alpha", "beta"};

const char *zs_law_param_name(int param) {
    return param >= 0 && param < ZS_LAW_N_PARAMS ? param_names[param] : "?";
}

double zs_law_param_get(const zs_chinchilla *law, int param) {
    const double values[ZS_LAW_N_PARAMS] = {law->E, law->A, law->B, law->alpha, law->beta};
    return values[param];
}

void zs_law_param_set(zs_chinchilla *law, int param, double value) {
    double *slots[ZS_LAW_N_PARAMS] = {&law->E, &law->A, &law->B, &law->alpha, &law->beta};
    *slots[param] = value;
}

zs_chinchilla zs_chinchilla_published(void) {
    return (zs_chinchilla){.E = 1.69, .A = 406.4, .B = 410.7, .alpha = 0.34, .beta = 0.28};
}
