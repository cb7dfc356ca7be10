/* Fuzzes the quanta.json reader (zs_quanta_result_read on DIR/quanta.json): what it accepts
 * must pass zs_quanta_result_check, write, and read back equal bit for bit (one writer, one
 * reader); every quanta figure of it must build and render, or refuse with ZS_ERR_RANGE. */
#include <math.h>

#include "zipscale/figures.h"
#include "zipscale/quanta_experiment.h"

#include "fuzz_util.h"

static int same(const double *a, const double *b, size_t n) {
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static int same_axis(const zs_quanta_axis_result *x, const zs_quanta_axis_result *y) {
    size_t np = x->n_points, ns = x->n_subtasks;
    const double u[] = {x->rho,      x->rho_lo,   x->rho_hi, x->alpha,
                        x->alpha_lo, x->alpha_hi, x->log_a,  x->alpha_predicted};
    const double v[] = {y->rho,      y->rho_lo,   y->rho_hi, y->alpha,
                        y->alpha_lo, y->alpha_hi, y->log_a,  y->alpha_predicted};
    return x->present == y->present && np == y->n_points && ns == y->n_subtasks &&
           x->n_learned == y->n_learned && x->fit_first == y->fit_first &&
           x->fit_count == y->fit_count && same(u, v, 8) && same(x->x, y->x, np) &&
           same(x->loss_nats, y->loss_nats, np) &&
           same(x->subtask_loss_nats, y->subtask_loss_nats, ns * np) &&
           same(x->learning_x, y->learning_x, ns) &&
           same(x->fraction_learned, y->fraction_learned, np);
}

typedef zs_status (*axis_figure)(const zs_quanta_result *, zs_quanta_axis, const zs_figure_size *,
                                 zs_plot **, zs_error *);

/* A built figure must render; a figure may refuse to build only with ZS_ERR_RANGE. */
static void render(zs_status s, zs_plot *fig, const char *what, const zs_error *why) {
    zs_error err = {0};
    char *svg = NULL;
    size_t len = 0;
    FUZZ_CHECK(s == ZS_OK || s == ZS_ERR_RANGE, "%s: %s", what, why->msg);
    if (s == ZS_OK) {
        s = zs_plot_svg(fig, &svg, &len, &err);
        FUZZ_CHECK(s == ZS_OK || s == ZS_ERR_RANGE, "%s renders: %s", what, err.msg);
    }
    free(svg);
    zs_plot_free(fig);
}

static void figures(const zs_quanta_result *r) {
    static const axis_figure builders[] = {zs_figure_quanta_subtask_losses,
                                           zs_figure_quanta_emergence, zs_figure_quanta_scaling,
                                           zs_figure_quanta_learning_points};
    static const char *const names[] = {"subtask losses", "emergence", "scaling",
                                        "learning points"};
    zs_plot *fig = NULL;
    zs_error err = {0};
    zs_status s;
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) {
        if (!r->axes[k].present) continue;
        for (int f = 0; f < 4; f++) {
            s = builders[f](r, (zs_quanta_axis)k, NULL, &fig, &err);
            render(s, fig, names[f], &err);
        }
    }
    s = zs_figure_quanta_compare(r, NULL, &fig, &err);
    render(s, fig, "compare", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX], again[FUZZ_PATH_MAX];
    fuzz_write(path, "quanta.json", data, size);
    zs_quanta_result r, back;
    zs_error err;
    if (zs_quanta_result_read(&r, path, &err)) return 0;
    FUZZ_CHECK(zs_quanta_result_check(&r, &err) == ZS_OK, "what reads checks: %s", err.msg);
    fuzz_path(again, "again.json");
    FUZZ_CHECK(zs_quanta_result_write(&r, again, &err) == ZS_OK, "write: %s", err.msg);
    FUZZ_CHECK(zs_quanta_result_read(&back, again, &err) == ZS_OK,
               "the written quanta.json reads back: %s", err.msg);
    FUZZ_CHECK(back.n_tasks == r.n_tasks && back.n_bits == r.n_bits && back.k == r.k &&
                   same(&back.zipf_exponent, &r.zipf_exponent, 1) &&
                   same(&back.threshold_bits, &r.threshold_bits, 1) &&
                   same(&back.level, &r.level, 1),
               "the task reads back");
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++)
        FUZZ_CHECK(same_axis(&r.axes[k], &back.axes[k]), "axis %d reads back bit for bit", k);
    figures(&r);
    zs_quanta_result_free(&r);
    zs_quanta_result_free(&back);
    return 0;
}
