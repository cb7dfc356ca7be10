/* Tests for the library's iso-FLOP curves (zs_frontier_isoflop_points) and one fit's
 * frontier over budgets (zs_frontier_table), and for the option defaults the commands take
 * from the library: zs_isoflop_opts, zs_predict_opts, zs_powerlaw_opts, zs_runs_columns,
 * ZS_FIGURE_FRONTIER_BUDGETS and zs_pcfg_paper_opts. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/figures.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"
#include "zipscale/pcfg.h"

static const zs_chinchilla law = {1.82, 482.0, 2085.0, 0.3478, 0.3658}; /* Epoch's fit */

static void assert_rel(double got, double expected, double tolerance, const char *what) {
    double scale = fmax(fabs(expected), 1e-300);
    cr_assert_leq(fabs(got - expected) / scale, tolerance, "%s: got %.17g, expected %.17g", what,
                  got, expected);
}

/* ---- iso-FLOP points --------------------------------------------------------------------- */

Test(isoflop, opts_defaults) {
    zs_isoflop_opts o;
    memset(&o, 0xff, sizeof o);
    zs_isoflop_opts_init(&o);
    cr_assert_eq(o.points, 9);
    cr_assert_eq(o.span_decades, 1);
    zs_error err;
    cr_assert_eq(zs_isoflop_opts_check(&o, &err), ZS_OK, "%s", err.msg);
}

/* Every point lies on the budget (6 N D = C) with the law's loss there; N runs
 * log-spaced over N_opt / 10^span .. N_opt * 10^span, N_opt in the middle. */
Test(isoflop, points_lie_on_the_budget_and_span_the_decades) {
    const double budgets[] = {1e17, 3.3e20, 1e24};
    const zs_isoflop_opts cases[] = {{9, 1}, {7, 0.5}, {2, 3}, {101, 2.25}};
    for (size_t b = 0; b < 3; b++)
        for (size_t c = 0; c < 4; c++) {
            const zs_isoflop_opts *o = &cases[c];
            zs_isoflop_point pts[101];
            zs_error err;
            zs_frontier_point opt;
            cr_assert_eq(zs_frontier_point_at(&law, budgets[b], &opt, NULL), ZS_OK);
            cr_assert_eq(zs_frontier_isoflop_points(&law, budgets[b], o, pts, &err), ZS_OK, "%s",
                         err.msg);
            for (size_t i = 0; i < o->points; i++) {
                assert_rel(6 * pts[i].n_params * pts[i].n_tokens, budgets[b], 1e-12, "6 N D");
                cr_assert_eq(pts[i].loss_nats,
                             zs_chinchilla_loss(&law, pts[i].n_params, pts[i].n_tokens));
                cr_assert_geq(pts[i].loss_nats, opt.loss_nats * (1 - 1e-12), "below the optimum");
                double decades =
                    -o->span_decades + 2 * o->span_decades * (double)i / (double)(o->points - 1);
                assert_rel(log10(pts[i].n_params / opt.n_params), decades, 1e-9, "log10 N/N_opt");
                if (i) cr_assert_gt(pts[i].n_params, pts[i - 1].n_params);
            }
            assert_rel(pts[0].n_params, opt.n_params / pow(10, o->span_decades), 1e-12, "first");
            assert_rel(pts[o->points - 1].n_params, opt.n_params * pow(10, o->span_decades), 1e-12,
                       "last");
            if (o->points % 2)
                assert_rel(pts[o->points / 2].n_params, opt.n_params, 1e-12, "middle");
        }
}

Test(isoflop, one_point_is_the_optimum) {
    zs_isoflop_opts o = {1, 2};
    zs_isoflop_point p;
    zs_frontier_point opt;
    cr_assert_eq(zs_frontier_point_at(&law, 1e21, &opt, NULL), ZS_OK);
    cr_assert_eq(zs_frontier_isoflop_points(&law, 1e21, &o, &p, NULL), ZS_OK);
    cr_assert_eq(p.n_params, opt.n_params);
    cr_assert_eq(p.loss_nats, zs_frontier_isoflop_loss(&law, 1e21, opt.n_params));
}

/* Each bad input: ZS_ERR_RANGE, the message, the field, and the output untouched. */
Test(isoflop, errors) {
    struct {
        zs_isoflop_opts opts;
        zs_chinchilla law;
        double compute;
        const char *message, *field;
    } cases[] = {
        {{0, 1}, law, 1e20, "0 points, expected 1..10000", "points"},
        {{10001, 1}, law, 1e20, "10001 points, expected 1..10000", "points"},
        {{9, 0}, law, 1e20, "span 0 decades, expected a number in (0, 10]", "span_decades"},
        {{9, 10.5}, law, 1e20, "span 10.5 decades", "span_decades"},
        {{9, NAN}, law, 1e20, "span nan decades", "span_decades"},
        {{9, 1}, law, -1, "compute -1 FLOPs, expected finite and > 0", NULL},
        {{9, 1}, {1.8, 400, 400, -0.1, 0.3}, 1e20, "expected A, B, alpha and beta", NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        zs_isoflop_point pts[9];
        memset(pts, 0x5a, sizeof pts);
        zs_error err = {0};
        cr_assert_eq(
            zs_frontier_isoflop_points(&cases[c].law, cases[c].compute, &cases[c].opts, pts, &err),
            ZS_ERR_RANGE, "case %zu", c);
        cr_assert(strstr(err.msg, cases[c].message), "case %zu: %s", c, err.msg);
        if (cases[c].field) cr_assert_str_eq(err.field, cases[c].field);
        for (size_t i = 0; i < sizeof pts; i++)
            cr_assert_eq(((unsigned char *)pts)[i], 0x5a, "case %zu wrote its output", c);
    }
}

/* ---- one fit's frontier over budgets ----------------------------------------------------- */

static zs_lawfit lawfit(zs_chinchilla *samples, size_t replicates) {
    zs_lawfit f = {.law = law};
    if (replicates) {
        f.has_bootstrap = 1;
        f.bootstrap = (zs_bootstrap){.replicates = replicates, .level = 0.8, .samples = samples};
    }
    return f;
}

Test(frontier_table, points_intervals_and_curves_as_the_pieces_give_them) {
    zs_chinchilla samples[7];
    for (int i = 0; i < 7; i++) {
        samples[i] = law;
        samples[i].alpha += 0.01 * i;
        samples[i].B *= 1 + 0.1 * (i % 3);
    }
    const double budgets[] = {1e18, 1e20, 4e22};
    zs_isoflop_opts iso = {5, 0.75};
    for (int with_boot = 0; with_boot < 2; with_boot++)
        for (int with_iso = 0; with_iso < 2; with_iso++) {
            zs_lawfit f = lawfit(samples, with_boot ? 7 : 0);
            zs_frontier_table t;
            zs_error err;
            cr_assert_eq(zs_frontier_table_init(&t, &f, budgets, 3, with_iso ? &iso : NULL, &err),
                         ZS_OK, "%s", err.msg);
            zs_frontier_exponents ex;
            cr_assert_eq(zs_frontier_exponents_of(&law, &ex, NULL), ZS_OK);
            cr_assert(!memcmp(&t.exponents, &ex, sizeof ex));
            cr_assert_eq(t.n_budgets, 3);
            cr_assert_eq(!!t.intervals, with_boot);
            cr_assert_eq(!!t.isoflop, with_iso);
            cr_assert_eq(t.isoflop_points, with_iso ? 5 : 0);
            for (size_t b = 0; b < 3; b++) {
                zs_frontier_point p;
                cr_assert_eq(zs_frontier_point_at(&law, budgets[b], &p, NULL), ZS_OK);
                cr_assert(!memcmp(&t.points[b], &p, sizeof p));
                if (with_boot) {
                    zs_frontier_interval iv;
                    cr_assert_eq(zs_frontier_interval_at(samples, 7, budgets[b], 0.8, &iv, NULL),
                                 ZS_OK);
                    cr_assert(!memcmp(&t.intervals[b], &iv, sizeof iv));
                }
                if (with_iso) {
                    zs_isoflop_point curve[5];
                    cr_assert_eq(zs_frontier_isoflop_points(&law, budgets[b], &iso, curve, NULL),
                                 ZS_OK);
                    cr_assert(!memcmp(&t.isoflop[b * 5], curve, sizeof curve));
                }
            }
            zs_frontier_table_free(&t);
            cr_assert_null(t.points);
            zs_frontier_table_free(&t); /* a zeroed table: a no-op */
        }
    zs_frontier_table_free(NULL);
}

/* A failure leaves the table zeroed: a law with no frontier, a bad budget, a bad level,
 * iso-FLOP options out of range. */
Test(frontier_table, failures_leave_it_zeroed) {
    zs_chinchilla samples[2] = {law, law};
    const double good[] = {1e20}, bad[] = {1e20, 0};
    zs_isoflop_opts iso = {0, 1};
    zs_lawfit f = lawfit(samples, 2);
    zs_lawfit no_frontier = lawfit(NULL, 0);
    no_frontier.law.alpha = -1;
    zs_lawfit bad_level = lawfit(samples, 2);
    bad_level.bootstrap.level = 1.5;
    struct {
        const zs_lawfit *fit;
        const double *budgets;
        size_t n;
        const zs_isoflop_opts *iso;
        const char *message;
    } cases[] = {
        {&no_frontier, good, 1, NULL, "expected A, B, alpha and beta finite and > 0"},
        {&f, bad, 2, NULL, "compute 0 FLOPs"},
        {&bad_level, good, 1, NULL, "level 1.5, expected (0, 1)"},
        {&f, good, 1, &iso, "0 points, expected 1..10000"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        zs_frontier_table t;
        memset(&t, 0x5a, sizeof t);
        zs_error err = {0};
        cr_assert_eq(zs_frontier_table_init(&t, cases[c].fit, cases[c].budgets, cases[c].n,
                                            cases[c].iso, &err),
                     ZS_ERR_RANGE, "case %zu", c);
        cr_assert(strstr(err.msg, cases[c].message), "case %zu: %s", c, err.msg);
        zs_frontier_table zero = {0};
        cr_assert(!memcmp(&t, &zero, sizeof t), "case %zu: table not zeroed", c);
    }
}

/* ---- the defaults the commands show ------------------------------------------------------ */

Test(defaults, predict_opts_and_level) {
    zs_predict_opts o;
    zs_predict_opts_init(&o);
    cr_assert_eq(o.epsilon, 1);
    cr_assert_eq(o.level, 0);
    zs_regressfile rf = {0};
    cr_assert_eq(zs_predict_level(&o, &rf), ZS_BOOTSTRAP_LEVEL);
    cr_assert_eq(ZS_BOOTSTRAP_LEVEL, 0.95);
    rf.n_replicates = 10;
    rf.level = 0.9;
    cr_assert_eq(zs_predict_level(&o, &rf), 0.9);
    o.level = 0.5;
    cr_assert_eq(zs_predict_level(&o, &rf), 0.5);
    zs_fit_table_opts fo;
    zs_fit_table_opts_init(&fo);
    cr_assert_eq(fo.level, ZS_BOOTSTRAP_LEVEL);
}

Test(defaults, powerlaw_opts) {
    zs_powerlaw_opts o;
    zs_powerlaw_opts_init(&o);
    cr_assert(o.fit_pure && o.fit_offset);
    cr_assert_eq(o.level, 0.95);
}

/* The default names, the same pointers every time; naming a column by its default name
 * makes it required, leaving it NULL does not. */
Test(defaults, runs_columns) {
    zs_runs_columns a, b;
    zs_runs_columns_init(&a);
    zs_runs_columns_init(&b);
    const char *const expected[] = {"N",     "D",    "loss",   "dataset", "H",
                                    "flops", "seed", "weight", "steps",   "e_max"};
    const char *const got[] = {a.n_params, a.n_tokens, a.loss,   a.dataset, a.h,
                               a.flops,    a.seed,     a.weight, a.steps,   a.e_max};
    for (size_t i = 0; i < 10; i++) cr_assert_str_eq(got[i], expected[i]);
    cr_assert(!memcmp(&a, &b, sizeof a), "the same pointers on every call");
    const char table[] = "N,D,loss\n1e6,1e7,3\n2e6,1e7,2.9\n";
    zs_runs runs;
    zs_error err;
    cr_assert_eq(zs_runs_parse(&runs, table, strlen(table), "t.csv", NULL, 0, &err), ZS_OK, "%s",
                 err.msg);
    zs_runs_free(&runs);
    zs_runs_columns required = {.n_params = a.n_params, .dataset = a.dataset};
    cr_assert_eq(zs_runs_parse(&runs, table, strlen(table), "t.csv", &required, 0, &err),
                 ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "missing column 'dataset'"), "%s", err.msg);
    cr_assert_str_eq(err.field, "columns.dataset");
}

Test(defaults, frontier_figure_budgets) {
    cr_assert_eq(ZS_FIGURE_FRONTIER_BUDGETS, 5);
    cr_assert_leq(ZS_FIGURE_FRONTIER_BUDGETS, ZS_FIGURE_FRONTIER_BUDGETS_MAX);
}

Test(defaults, pcfg_paper_opts) {
    zs_pcfg_paper_opts o;
    zs_pcfg_paper_opts_init(&o);
    cr_assert_eq(o.tokens, 1u << 20);
    cr_assert_eq(o.tokens % ZS_PCFG_PAPER_CONTEXT, 0, "whole documents");
    cr_assert_leq(o.tokens, ZS_PCFG_PAPER_TOKENS_MAX);
    cr_assert_str_eq(o.dir, "zipscale-grammars");
    size_t n, in_set = 0;
    const zs_pcfg_reference_grammar *g = zs_pcfg_reference_grammars(&n);
    for (size_t i = 0; i < n; i++) in_set += strcmp(g[i].set, o.set) == 0;
    cr_assert_gt(in_set, 0, "the default set '%s' is one of the paper's", o.set);
}
