/* The quantization model itself [QM]: its parameters and their check, the Zipf frequencies
 * of the quanta, the loss once the n most frequent are learned (exactly and in the
 * continuum approximation) and the scaling exponents the model predicts (docs/quanta.md). */
#include <math.h>

#include "quanta/theory_internal.h"
#include "zipscale/quanta_theory.h"

void zs_quanta_model_init(zs_quanta_model *model) {
    *model = (zs_quanta_model){
        .zipf_exponent = 1.4, .n_quanta = 0, .loss_learned_nats = 0, .loss_unlearned_nats = M_LN2};
}

zs_status zs_quanta_model_check(const zs_quanta_model *model, zs_error *err) {
    const double e = model->zipf_exponent, a = model->loss_learned_nats,
                 b = model->loss_unlearned_nats;
    if (!(isfinite(e) && e >= 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "zipf_exponent",
                             "quanta model: zipf_exponent = %g: expected a finite number >= 0", e);
    if (model->n_quanta == 0 && !(e > 1))
        return zs_fail_field(err, ZS_ERR_USAGE, "zipf_exponent,n_quanta",
                             "quanta model: zipf_exponent = %g with infinitely many quanta "
                             "(n_quanta 0): expected zipf_exponent > 1 (the frequencies k^-%g "
                             "do not sum otherwise), or a finite n_quanta",
                             e, e);
    if (!(isfinite(a) && a >= 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "loss_learned_nats",
                             "quanta model: loss_learned_nats = %g: expected a finite loss >= 0",
                             a);
    if (!isfinite(b))
        return zs_fail_field(err, ZS_ERR_USAGE, "loss_unlearned_nats",
                             "quanta model: loss_unlearned_nats = %g: expected a finite loss", b);
    if (!(a < b))
        return zs_fail_field(err, ZS_ERR_USAGE, "loss_learned_nats,loss_unlearned_nats",
                             "quanta model: loss_learned_nats = %g, loss_unlearned_nats = %g: "
                             "expected learned < unlearned (learning a quantum lowers the loss)",
                             a, b);
    return ZS_OK;
}

double zs_quanta__normaliser(const zs_quanta_model *model) {
    return model->n_quanta ? zs_power_sum(model->zipf_exponent, 1, model->n_quanta)
                           : zs_hurwitz_zeta(model->zipf_exponent, 1);
}

double zs_quanta__tail(const zs_quanta_model *model, double z, uint64_t n) {
    if (n == 0) return 1;
    if (model->n_quanta) {
        if (n >= model->n_quanta) return 0;
        return zs_power_sum(model->zipf_exponent, n + 1, model->n_quanta) / z;
    }
    return zs_hurwitz_zeta(model->zipf_exponent, (double)n + 1) / z;
}

zs_status zs_quanta_normaliser(const zs_quanta_model *model, double *z, zs_error *err) {
    *z = 0;
    zs_status s = zs_quanta_model_check(model, err);
    if (s) return s;
    *z = zs_quanta__normaliser(model);
    return ZS_OK;
}

zs_status zs_quanta_frequencies(const zs_quanta_model *model, uint64_t n, double *p,
                                zs_error *err) {
    zs_status s = zs_quanta_model_check(model, err);
    if (s) return s;
    if (model->n_quanta && n > model->n_quanta)
        return zs_fail_field(err, ZS_ERR_RANGE, "n",
                             "quanta frequencies: n = %llu: expected at most n_quanta = %llu",
                             (unsigned long long)n, (unsigned long long)model->n_quanta);
    double z = zs_quanta__normaliser(model);
    for (uint64_t k = 1; k <= n; k++) p[k - 1] = pow((double)k, -model->zipf_exponent) / z;
    return ZS_OK;
}

zs_status zs_quanta_loss_after(const zs_quanta_model *model, uint64_t n_learned, double *loss_nats,
                               zs_error *err) {
    *loss_nats = 0;
    zs_status s = zs_quanta_model_check(model, err);
    if (s) return s;
    double a = model->loss_learned_nats, b = model->loss_unlearned_nats;
    *loss_nats = a + (b - a) * zs_quanta__tail(model, zs_quanta__normaliser(model), n_learned);
    return ZS_OK;
}

zs_status zs_quanta_loss_approx(const zs_quanta_model *model, double n_learned, double *loss_nats,
                                zs_error *err) {
    *loss_nats = 0;
    zs_status s = zs_quanta_model_check(model, err);
    if (s) return s;
    if (!(isfinite(n_learned) && n_learned > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "n_learned",
                             "quanta loss approximation: n_learned = %g: expected a finite "
                             "number > 0",
                             n_learned);
    double a = model->loss_learned_nats, b = model->loss_unlearned_nats;
    double q = (double)model->n_quanta;
    if (model->n_quanta && n_learned >= q) {
        *loss_nats = a;
        return ZS_OK;
    }
    double span = model->n_quanta ? log(q / n_learned) : INFINITY;
    double integral = zs_quanta__power_integral(model->zipf_exponent, n_learned, span);
    *loss_nats = a + (b - a) * integral / zs_quanta__normaliser(model);
    return ZS_OK;
}

zs_status zs_quanta_exponents_predict(double zipf_exponent, double gamma, zs_quanta_exponents *out,
                                      zs_error *err) {
    *out = (zs_quanta_exponents){0};
    if (!(isfinite(zipf_exponent) && zipf_exponent > 1))
        return zs_fail_field(err, ZS_ERR_USAGE, "zipf_exponent",
                             "quanta exponents: zipf_exponent = %g: expected a finite number > 1 "
                             "(alpha = zipf_exponent - 1 > 0)",
                             zipf_exponent);
    if (!(isfinite(gamma) && gamma > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "gamma",
                             "quanta exponents: gamma = %g: expected a finite number > 0", gamma);
    double alpha = zipf_exponent - 1;
    *out = (zs_quanta_exponents){.alpha = alpha,
                                 .alpha_n = alpha,
                                 .alpha_d = alpha / (alpha + 1),
                                 .alpha_s = alpha / (gamma * (alpha + 1))};
    return ZS_OK;
}
