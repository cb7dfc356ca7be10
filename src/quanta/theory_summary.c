/* The theory of one quanta model at a glance: its normaliser, its exponents and the loss
 * after n = 1, 2, 4, ... learned quanta, exact and approximate; what `zipscale quanta
 * theory` prints (docs/quanta.md). */
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta_theory.h"

/* The rows' n: powers of two up to min(Q, ZS_QUANTA_THEORY_MAX_N), then Q itself when it
 * is at most the maximum and not a power of two. Fills ns when non-NULL; returns the count. */
static size_t row_ns(uint64_t n_quanta, uint64_t *ns) {
    uint64_t top =
        n_quanta && n_quanta < ZS_QUANTA_THEORY_MAX_N ? n_quanta : ZS_QUANTA_THEORY_MAX_N;
    size_t count = 0;
    uint64_t n = 1;
    for (; n <= top; n *= 2) {
        if (ns) ns[count] = n;
        count++;
    }
    if (n_quanta && n_quanta <= ZS_QUANTA_THEORY_MAX_N && (n_quanta & (n_quanta - 1))) {
        if (ns) ns[count] = n_quanta;
        count++;
    }
    return count;
}

zs_status zs_quanta_theory_init(zs_quanta_theory *theory, const zs_quanta_model *model,
                                double gamma, zs_error *err) {
    *theory = (zs_quanta_theory){0};
    zs_status s = zs_quanta_model_check(model, err);
    if (s) return s;
    if (!(isfinite(gamma) && gamma > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "gamma",
                             "quanta theory: gamma = %g: expected a finite number > 0", gamma);
    size_t n_rows = row_ns(model->n_quanta, NULL);
    uint64_t *ns = zs_calloc(n_rows, sizeof *ns, "quanta theory rows", err);
    zs_quanta_theory_row *rows = zs_calloc(n_rows, sizeof *rows, "quanta theory rows", err);
    if (!ns || !rows) {
        free(ns);
        free(rows);
        return ZS_ERR_NOMEM;
    }
    row_ns(model->n_quanta, ns);
    zs_quanta_theory t = {.model = *model, .gamma = gamma, .n_rows = n_rows, .rows = rows};
    s = zs_quanta_normaliser(model, &t.normaliser, err);
    for (size_t i = 0; !s && i < n_rows; i++) {
        rows[i].n = ns[i];
        s = zs_quanta_loss_after(model, ns[i], &rows[i].loss_nats, err);
        if (!s) s = zs_quanta_loss_approx(model, (double)ns[i], &rows[i].loss_approx_nats, err);
    }
    if (!s && model->zipf_exponent > 1) {
        t.has_exponents = 1;
        s = zs_quanta_exponents_predict(model->zipf_exponent, gamma, &t.exponents, err);
    }
    free(ns);
    if (s) {
        free(rows);
        return s;
    }
    *theory = t;
    return ZS_OK;
}

void zs_quanta_theory_free(zs_quanta_theory *theory) {
    if (!theory) return;
    free(theory->rows);
    *theory = (zs_quanta_theory){0};
}
