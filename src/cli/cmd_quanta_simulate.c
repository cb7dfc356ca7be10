/* `zipscale quanta simulate`: the quantization model's loss curve against parameters,
 * data or steps, for a Zipf law of quanta or any distribution read from a file; a table
 * (x, loss, quanta learned) on stdout with the slope fitted on it beside the predicted one,
 * CSV with -o. A thin client of zs_quanta_simulate / zs_quanta_simulate_probs
 * (docs/quanta.md "Simulated curves"). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/frontier.h"
#include "zipscale/quanta_experiment.h"
#include "zipscale/quanta_theory.h"

static struct {
    zs_quanta_model model;
    zs_quanta_sim_opts sim;
    const char *probs_path, *axis, *output;
    zs_quanta_sim_range range;
    double zipf_exponent; /* NAN: not given */
} a;

static void simulate_defaults(void) {
    memset(&a, 0, sizeof a);
    zs_quanta_model_init(&a.model);
    zs_quanta_sim_opts_init(&a.sim);
    zs_quanta_sim_range_init(&a.range);
    a.zipf_exponent = NAN;
}

static const zs_opt simulate_opts[] = {
    {"axis", 0, ZS_OPT_STRING, &a.axis, "AXIS", "params (N), data (D) or steps (S)", .required = 1},
    {"zipf-exponent", 0, ZS_OPT_DOUBLE, &a.zipf_exponent, "E",
     "quanta with frequencies p_k ∝ k^-E, the paper's alpha + 1 (default: 1.4 without --probs)"},
    {"probs", 0, ZS_OPT_STRING, &a.probs_path, "FILE",
     "instead of a Zipf law: the quanta's weights, one number a line (# comments)"},
    {"n-quanta", 0, ZS_OPT_U64, &a.model.n_quanta, "Q",
     "Zipf: number of quanta; 0 = infinitely many"},
    {"loss-learned", 0, ZS_OPT_DOUBLE, &a.model.loss_learned_nats, "A",
     "loss in nats on examples whose quantum is learned"},
    {"loss-unlearned", 0, ZS_OPT_DOUBLE, &a.model.loss_unlearned_nats, "B",
     "loss in nats on examples whose quantum is not learned"},
    {"params-per-quantum", 0, ZS_OPT_DOUBLE, &a.sim.params_per_quantum, "C",
     "params: the capacity one quantum takes"},
    {"examples-to-learn", 0, ZS_OPT_DOUBLE, &a.sim.examples_to_learn, "T",
     "data, steps: examples of a quantum seen before it is learned"},
    {"batch", 0, ZS_OPT_U64, &a.sim.batch, "B", "steps: examples per step"},
    {"gamma", 0, ZS_OPT_DOUBLE, &a.sim.gamma, "G",
     "steps: convergence exponent, quantum k takes S_k ∝ p_k^-G steps"},
    {"from", 0, ZS_OPT_DOUBLE, &a.range.from, "X", "the first x (N, D or S), > 0"},
    {"to", 0, ZS_OPT_DOUBLE, &a.range.to, "Y", "the last x, > --from"},
    {"points", 0, ZS_OPT_U64, &a.range.points, "P", "points log-spaced from X to Y, >= 2"},
    ZS_OPT_OUTPUT(&a.output, "also write the table as CSV (x,loss_nats,n_learned) to FILE"),
    ZS_OPT_END,
};

static const zs_cli_spec simulate_spec = {
    "quanta simulate",
    "--axis params|data|steps [--zipf-exponent E | --probs FILE] [--from X] [--to Y] "
    "[--points P] [options] [-o FILE.csv]",
    "the quantization model's loss curve against parameters, data or steps",
    "Quanta k are needed with frequencies p_k (a Zipf law k^-E, or the weights in FILE,\n"
    "normalised, in any order); learning one lowers the loss on its examples from B to A,\n"
    "so L = A + (B - A) (the mass of the quanta not learned). Learned at x are:\n"
    "  params: the floor(N / C) most frequent;\n"
    "  data:   those seen T times, D p_k >= T (many epochs);\n"
    "  steps:  those with S >= (T / (B p_k))^G (one epoch).\n"
    "Prints x, L and the number learned at P points log-spaced from X to Y, then the slope\n"
    "of L - A on x fitted (least squares in log-log) over the points where some but not\n"
    "all quanta are learned, beside the predicted exponent (Zipf: alpha_N = E - 1,\n"
    "alpha_D = (E - 1)/E, alpha_S = (E - 1)/(G E)). See docs/quanta.md.",
    simulate_opts,
    0,
    0,
    .defaults = simulate_defaults,
};

static const zs_cli_field simulate_fields[] = {
    {"loss_learned_nats", "loss-learned"},
    {"loss_unlearned_nats", "loss-unlearned"},
    {NULL, NULL},
};

/* The weights of --probs: one finite number >= 0 a line; blank lines and '#' comments
 * skipped. Errors name the file and the line. */
static zs_status read_probs(const char *path, double **out, uint64_t *n_out, zs_error *err) {
    FILE *f = fopen(path, "r");
    if (!f) return zs_fail(err, ZS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    double *w = NULL;
    size_t n = 0, cap = 0, line_no = 0;
    char line[512];
    zs_status s = ZS_OK;
    while (!s && fgets(line, sizeof line, f)) {
        line_no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            s = zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: line longer than %zu characters", path,
                        line_no, sizeof line - 2);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        char *end = p + strlen(p);
        while (end > p && strchr(" \t\r\n", end[-1])) *--end = '\0';
        if (!*p) continue;
        double v;
        if (zs_cli_parse_double(p, &v) != 0 || !(v >= 0)) {
            s = zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: '%s': expected a finite weight >= 0", path,
                        line_no, p);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *grown = realloc(w, cap * sizeof *w);
            if (!grown) {
                s = zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            w = grown;
        }
        w[n++] = v;
    }
    if (!s && ferror(f)) s = zs_fail(err, ZS_ERR_IO, "%s: read failed", path);
    fclose(f);
    if (!s && n == 0)
        s = zs_fail(err, ZS_ERR_FORMAT, "%s: no weights (expected one number a line)", path);
    if (s) {
        free(w);
        return s;
    }
    *out = w, *n_out = n;
    return ZS_OK;
}

/* The predicted exponent of the Zipf model on this axis, NAN when there is none. */
static double predicted(const zs_quanta_exponents *e, zs_quanta_axis axis) {
    switch (axis) {
    case ZS_QUANTA_AXIS_PARAMS:
        return e->alpha_n;
    case ZS_QUANTA_AXIS_DATA:
        return e->alpha_d;
    default:
        return e->alpha_s;
    }
}

/* The slope of L - A on x over the points with some but not all quanta learned. */
static void print_slope(const double *x, const double *loss, const uint64_t *learned, size_t n,
                        uint64_t n_quanta, double loss_a, double expected) {
    double *fx = malloc(n * sizeof *fx), *fy = malloc(n * sizeof *fy);
    size_t m = 0;
    for (size_t i = 0; fx && fy && i < n; i++)
        if (learned[i] > 0 && (n_quanta == 0 || learned[i] < n_quanta) && loss[i] - loss_a > 0)
            fx[m] = x[i], fy[m++] = loss[i] - loss_a;
    zs_powerlaw law;
    zs_error err = {0};
    if (!fx || !fy)
        printf("# fitted slope: -  (out of memory)\n");
    else if (m < 3 || zs_powerlaw_fit(fx, fy, m, ZS_POWERLAW_PURE, 0.95, &law, &err))
        printf("# fitted slope of L - A: -  (%zu points with some but not all quanta learned; "
               "3 needed)\n",
               m);
    else if (isfinite(expected))
        printf("# fitted slope of L - A: %.4f over %zu points (x %.6g to %.6g); predicted %.4f\n",
               -law.alpha.value, m, fx[0], fx[m - 1], -expected);
    else
        printf("# fitted slope of L - A: %.4f over %zu points (x %.6g to %.6g); no prediction "
               "(not a Zipf law with E > 1)\n",
               -law.alpha.value, m, fx[0], fx[m - 1]);
    free(fx);
    free(fy);
}

static zs_status write_csv(const char *path, const double *x, const double *loss,
                           const uint64_t *learned, size_t n, zs_error *err) {
    zs_atomic_file f;
    zs_status s = zs_atomic_open(&f, path, err);
    if (s) return s;
    fprintf(f.fp, "x,loss_nats,n_learned\n");
    for (size_t i = 0; i < n; i++) {
        if (learned[i] == UINT64_MAX)
            fprintf(f.fp, "%.17g,%.17g,\n", x[i], loss[i]);
        else
            fprintf(f.fp, "%.17g,%.17g,%llu\n", x[i], loss[i], (unsigned long long)learned[i]);
    }
    return zs_atomic_commit(&f, err);
}

static int simulate_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&simulate_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    zs_quanta_axis axis = ZS_QUANTA_AXIS_PARAMS;
    zs_status s = ZS_OK;
    if (zs_quanta_axis_parse(a.axis, &axis, &err))
        s = zs_fail_field(&err, ZS_ERR_USAGE, "axis", "'%s': expected params, data or steps",
                          a.axis);
    int zipf = a.probs_path == NULL;
    if (!s && !isnan(a.zipf_exponent) && !zipf)
        s = zs_fail(&err, ZS_ERR_USAGE, "give --zipf-exponent E or --probs FILE, not both");
    if (!isnan(a.zipf_exponent)) a.model.zipf_exponent = a.zipf_exponent;
    size_t n = a.range.points >= 2 && a.range.points <= ZS_QUANTA_SIM_MAX_POINTS
                   ? (size_t)a.range.points
                   : 2;
    double *x = NULL, *loss = NULL, *probs = NULL;
    uint64_t *learned = NULL, n_probs = 0;
    if (!s) {
        x = malloc(n * sizeof *x), loss = malloc(n * sizeof *loss);
        learned = malloc(n * sizeof *learned);
        if (!x || !loss || !learned) s = zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
    }
    if (!s) s = zs_quanta_sim_grid(&a.range, x, &err);
    if (!s && !zipf) s = read_probs(a.probs_path, &probs, &n_probs, &err);
    if (!s && zipf)
        s = zs_quanta_simulate(&a.model, axis, &a.sim, x, n, loss, learned, &err);
    else if (!s)
        s = zs_quanta_simulate_probs(probs, n_probs, a.model.loss_learned_nats,
                                     a.model.loss_unlearned_nats, axis, &a.sim, x, n, loss, learned,
                                     &err);
    if (!s && a.output) s = write_csv(a.output, x, loss, learned, n, &err);
    if (!s) {
        if (!zipf)
            printf("# quanta simulate: axis %s, %llu quanta from %s", zs_quanta_axis_name(axis),
                   (unsigned long long)n_probs, a.probs_path);
        else if (a.model.n_quanta == 0)
            printf("# quanta simulate: axis %s, zipf_exponent %.10g, infinitely many quanta",
                   zs_quanta_axis_name(axis), a.model.zipf_exponent);
        else
            printf("# quanta simulate: axis %s, zipf_exponent %.10g, %llu quanta",
                   zs_quanta_axis_name(axis), a.model.zipf_exponent,
                   (unsigned long long)a.model.n_quanta);
        printf(", loss %.10g nats learned / %.10g unlearned\n", a.model.loss_learned_nats,
               a.model.loss_unlearned_nats);
        printf("%22s %22s %12s\n", "x", "loss_nats", "n_learned");
        for (size_t i = 0; i < n; i++) {
            printf("%22.10g %22.15g ", x[i], loss[i]);
            if (learned[i] == UINT64_MAX)
                printf("%12s\n", ">2^64");
            else
                printf("%12llu\n", (unsigned long long)learned[i]);
        }
        double expected = NAN;
        zs_quanta_exponents e;
        zs_error ignored = {0};
        if (zipf &&
            zs_quanta_exponents_predict(a.model.zipf_exponent, a.sim.gamma, &e, &ignored) == ZS_OK)
            expected = predicted(&e, axis);
        print_slope(x, loss, learned, n, zipf ? a.model.n_quanta : n_probs,
                    a.model.loss_learned_nats, expected);
    }
    free(x), free(loss), free(learned), free(probs);
    return s ? zs_cli_fail_cmd(&simulate_spec, simulate_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_simulate = {&simulate_spec, simulate_run};
