/* `zipscale quanta theory`: what the quantization model predicts for a Zipf exponent: the
 * exponents alpha, alpha_N, alpha_D, alpha_S, the normaliser Z and the loss after n learned
 * quanta, exact and approximate; a table on stdout, JSON with --json or -o. A thin client of
 * zipscale/quanta_theory.h (docs/quanta.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/quanta_theory.h"

static struct {
    zs_quanta_model model;
    double gamma;
    const char *output;
    int json;
} a;

/* The library's defaults (zs_quanta_model_init, zs_quanta_sim_opts_init's gamma). */
static void theory_defaults(void) {
    zs_quanta_sim_opts o;
    zs_quanta_sim_opts_init(&o);
    memset(&a, 0, sizeof a);
    a.gamma = o.gamma;
    zs_quanta_model_init(&a.model);
}

static const zs_opt theory_opts[] = {
    {"zipf-exponent", 0, ZS_OPT_DOUBLE, &a.model.zipf_exponent, "E",
     "the whole Zipf exponent of p_k ∝ k^-E (the paper's alpha + 1)", .required = 1},
    {"n-quanta", 0, ZS_OPT_U64, &a.model.n_quanta, "Q", "number of quanta; 0 = infinitely many"},
    {"loss-learned", 0, ZS_OPT_DOUBLE, &a.model.loss_learned_nats, "A",
     "loss in nats on examples whose quantum is learned"},
    {"loss-unlearned", 0, ZS_OPT_DOUBLE, &a.model.loss_unlearned_nats, "B",
     "loss in nats on examples whose quantum is not learned"},
    {"gamma", 0, ZS_OPT_DOUBLE, &a.gamma, "G",
     "convergence exponent: quantum k takes S_k ∝ p_k^-G steps (for alpha_S)"},
    ZS_OPT_JSON(&a.json),
    ZS_OPT_OUTPUT(&a.output, "write the JSON to FILE (the table still goes to stdout)"),
    ZS_OPT_END,
};

static const zs_cli_spec theory_spec = {
    "quanta theory",
    "--zipf-exponent E [--n-quanta Q] [--loss-learned A] [--loss-unlearned B] [--gamma G] "
    "[--json] [-o FILE]",
    "the quantization model's exponents and loss after n quanta, for a Zipf exponent",
    "Quanta k = 1..Q are needed with frequencies p_k = k^-E / Z; learning one lowers the\n"
    "loss on its examples from B to A. Prints alpha = E - 1, the predicted exponents\n"
    "alpha_N = alpha, alpha_D = alpha/(alpha+1) and alpha_S = alpha/(G (alpha+1)), Z, and\n"
    "the loss L_n = A + (B - A) sum_{k>n} p_k after the n most frequent quanta are learned,\n"
    "exactly and in the approximation A + (B - A)/(alpha Z) n^-alpha (its finite-Q form\n"
    "integrates from n to Q), at n = 1, 2, 4, ... up to Q or 2^20. Infinitely many quanta\n"
    "(Q = 0) need E > 1; with E <= 1 (finite Q) there are no exponents. See docs/quanta.md.",
    theory_opts,
    0,
    0,
    .defaults = theory_defaults,
};

static void print_table(FILE *out, const zs_quanta_theory *t) {
    const zs_quanta_model *m = &t->model;
    fprintf(out, "# quanta theory: zipf_exponent %.10g, ", m->zipf_exponent);
    if (m->n_quanta)
        fprintf(out, "%llu quanta", (unsigned long long)m->n_quanta);
    else
        fprintf(out, "infinitely many quanta");
    fprintf(out, ", loss %.10g nats learned / %.10g unlearned, gamma %.10g\n", m->loss_learned_nats,
            m->loss_unlearned_nats, t->gamma);
    fprintf(out, "Z        %.15g\n", t->normaliser);
    if (t->has_exponents) {
        fprintf(out, "alpha    %.15g\n", t->exponents.alpha);
        fprintf(out, "alpha_N  %.15g\n", t->exponents.alpha_n);
        fprintf(out, "alpha_D  %.15g\n", t->exponents.alpha_d);
        fprintf(out, "alpha_S  %.15g\n", t->exponents.alpha_s);
    } else {
        fprintf(out, "alpha    -  (zipf_exponent <= 1: L_n does not fall as a power law)\n");
    }
    fprintf(out, "%10s %22s %22s\n", "n", "L_n exact", "L_n approx");
    for (size_t i = 0; i < t->n_rows; i++)
        fprintf(out, "%10llu %22.15g %22.15g\n", (unsigned long long)t->rows[i].n,
                t->rows[i].loss_nats, t->rows[i].loss_approx_nats);
}

/* The JSON text to stdout (the library never prints). */
static zs_status print_json(const zs_quanta_theory *t, zs_error *err) {
    char *text;
    size_t len;
    zs_status s = zs_quanta_theory_format(t, &text, &len, err);
    if (s) return s;
    if (fwrite(text, 1, len, stdout) != len) s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    free(text);
    return s;
}

static const zs_cli_field theory_fields[] = {
    {"loss_learned_nats", "loss-learned"},
    {"loss_unlearned_nats", "loss-unlearned"},
    {NULL, NULL},
};

static int theory_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&theory_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    zs_quanta_theory t;
    zs_status s = zs_quanta_theory_init(&t, &a.model, a.gamma, &err);
    if (!s && a.output) s = zs_quanta_theory_write(&t, a.output, &err);
    if (!s && a.json)
        s = print_json(&t, &err);
    else if (!s)
        print_table(stdout, &t);
    zs_quanta_theory_free(&t);
    return s ? zs_cli_fail_cmd(&theory_spec, theory_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_theory = {&theory_spec, theory_run};
