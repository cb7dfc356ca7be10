/* Random grammars from the four knobs, following the gzip paper's reference code
 * (docs/science.md §4) step by step, with zipscale's RNG in place of Python's. */
#include "data/pcfg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integer terminals become token ids, and a right-hand side's symbol count is a uint32. */
#define MAX_TERMINALS (1u << 24)
#define MAX_KNOB (1u << 20)
#define MAX_RHS_SYMBOLS (1ull << 31)

static zs_status check_knob(const char *name, uint32_t value, uint32_t max, zs_error *err) {
    if (value < 1 || value > max)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg generate: %s is %u, expected 1..%u", name, value,
                       max);
    return ZS_OK;
}

static zs_status check_knobs(const zs_pcfg_knobs *k, zs_error *err) {
    zs_status st = check_knob("nonterminals", k->nonterminals, MAX_KNOB, err);
    if (st == ZS_OK) st = check_knob("terminals", k->terminals, MAX_TERMINALS, err);
    if (st == ZS_OK) st = check_knob("max_options", k->max_options, MAX_KNOB, err);
    if (st == ZS_OK) st = check_knob("max_length", k->max_length, MAX_KNOB, err);
    if (st != ZS_OK) return st;
    uint64_t worst = (uint64_t)k->nonterminals * k->max_options * k->max_length + k->nonterminals;
    if (worst >= MAX_RHS_SYMBOLS)
        return zs_fail(err, ZS_ERR_RANGE,
                       "pcfg generate: nonterminals x max_options x max_length = %llu, expected "
                       "fewer than %llu right-hand-side symbols",
                       (unsigned long long)worst, (unsigned long long)MAX_RHS_SYMBOLS);
    return ZS_OK;
}

static zs_status name_nonterminals(zs_pcfg *g, zs_error *err) {
    g->nonterminal_names = zs_calloc(g->n_nonterminals, sizeof(char *), "grammar names", err);
    if (!g->nonterminal_names) return ZS_ERR_NOMEM;
    for (uint32_t a = 0; a < g->n_nonterminals; a++) {
        char name[16];
        if (a == 0)
            snprintf(name, sizeof name, "S");
        else
            snprintf(name, sizeof name, "N%u", a - 1);
        g->nonterminal_names[a] = strdup(name);
        if (!g->nonterminal_names[a])
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory (grammar names)");
    }
    return ZS_OK;
}

/* One nonterminal's options, appended at rule index *r and symbol index *s. Symbols are
 * uniform over N0..N{NT-1} then '0'..'T-1', as random.choice(N + T) in the reference. */
static void generate_options(zs_pcfg *g, uint32_t lhs, const zs_pcfg_knobs *k, zs_rng *rng,
                             uint32_t *r, uint32_t *s) {
    uint32_t n_options = 1 + (uint32_t)zs_rng_below(rng, k->max_options);
    uint32_t first = *r;
    double total = 0;
    for (uint32_t o = 0; o < n_options; o++) {
        uint32_t weight = 1 + (uint32_t)zs_rng_below(rng, 100);
        g->rule_prob[first + o] = weight;
        total += weight;
    }
    uint64_t n_symbols = (uint64_t)k->nonterminals + k->terminals;
    for (uint32_t o = 0; o < n_options; o++) {
        g->rule_prob[first + o] /= total;
        g->rule_lhs[first + o] = lhs;
        g->rule_offset[first + o] = *s;
        uint32_t length = 1 + (uint32_t)zs_rng_below(rng, k->max_length);
        for (uint32_t i = 0; i < length; i++) {
            uint32_t pick = (uint32_t)zs_rng_below(rng, n_symbols);
            g->rhs[(*s)++] =
                pick < k->nonterminals ? ZS_PCFG_NONTERMINAL | (pick + 1) : pick - k->nonterminals;
        }
    }
    *r = first + n_options;
    g->rule_offset[*r] = *s;
}

zs_status zs_pcfg_generate(const zs_pcfg_knobs *knobs, zs_pcfg **out, zs_error *err) {
    *out = NULL;
    zs_status st = check_knobs(knobs, err);
    if (st != ZS_OK) return st;
    zs_pcfg *g = zs_pcfg__create(err);
    if (!g) return ZS_ERR_NOMEM;
    uint32_t nt = knobs->nonterminals;
    uint64_t max_rules = (uint64_t)nt * knobs->max_options + nt;
    uint64_t max_symbols = max_rules * knobs->max_length;
    g->n_nonterminals = nt + 1;
    g->n_terminals = knobs->terminals;
    g->integer_terminals = 1;
    g->has_knobs = 1;
    g->knobs = *knobs;
    g->rule_lhs = zs_calloc(max_rules, sizeof *g->rule_lhs, "grammar rules", err);
    g->rule_prob = zs_calloc(max_rules, sizeof *g->rule_prob, "grammar rules", err);
    g->rule_offset = zs_calloc(max_rules + 1, sizeof *g->rule_offset, "grammar rules", err);
    g->rhs = zs_calloc(max_symbols, sizeof *g->rhs, "grammar rules", err);
    st = !g->rule_lhs || !g->rule_prob || !g->rule_offset || !g->rhs ? ZS_ERR_NOMEM
                                                                     : name_nonterminals(g, err);
    if (st != ZS_OK) {
        zs_pcfg_free(g);
        return st;
    }
    uint32_t r = 0, s = 0;
    for (uint32_t i = 0; i < nt; i++) { /* S -> N0 [1/NT] | ... | N{NT-1} [1/NT] */
        g->rule_lhs[r] = 0;
        g->rule_prob[r] = 1.0 / nt;
        g->rule_offset[r++] = s;
        g->rhs[s++] = ZS_PCFG_NONTERMINAL | (i + 1);
    }
    g->rule_offset[r] = s;
    zs_rng rng;
    zs_rng_seed(&rng, knobs->seed, zs_rng_tag("pcfg.generate"));
    for (uint32_t a = 1; a <= nt; a++) generate_options(g, a, knobs, &rng, &r, &s);
    g->n_rules = r;
    st = zs_pcfg__index(g, err);
    if (st != ZS_OK) {
        zs_pcfg_free(g);
        return st;
    }
    *out = g;
    return ZS_OK;
}
