/* The grammar object: allocation, the per-nonterminal index the sampler and analysis
 * use, and the read-only accessors. Generators and the parser fill the rule arrays. */
#include "data/pcfg_internal.h"

#include <stdio.h>
#include <stdlib.h>

zs_pcfg *zs_pcfg__create(zs_error *err) {
    return zs_calloc(1, sizeof(zs_pcfg), "grammar", err);
}

zs_status zs_pcfg__index(zs_pcfg *g, zs_error *err) {
    uint32_t n = g->n_nonterminals;
    g->nt_rule_offset = zs_calloc((size_t)n + 1, sizeof *g->nt_rule_offset, "grammar index", err);
    g->nt_rules = zs_calloc(g->n_rules, sizeof *g->nt_rules, "grammar index", err);
    g->nt_alias = zs_calloc(n, sizeof *g->nt_alias, "grammar index", err);
    double *weights = zs_calloc(g->n_rules, sizeof *weights, "grammar index", err);
    if (!g->nt_rule_offset || !g->nt_rules || !g->nt_alias || !weights) {
        free(weights);
        return ZS_ERR_NOMEM;
    }
    for (uint32_t r = 0; r < g->n_rules; r++) {
        g->nt_rule_offset[g->rule_lhs[r] + 1]++;
        uint32_t len = g->rule_offset[r + 1] - g->rule_offset[r];
        if (len > g->max_rhs_length) g->max_rhs_length = len;
    }
    for (uint32_t a = 0; a < n; a++) g->nt_rule_offset[a + 1] += g->nt_rule_offset[a];
    /* Counting sort keeps file order within each nonterminal. */
    uint32_t *fill = zs_calloc(n ? n : 1, sizeof *fill, "grammar index", err);
    if (!fill) {
        free(weights);
        return ZS_ERR_NOMEM;
    }
    for (uint32_t r = 0; r < g->n_rules; r++) {
        uint32_t a = g->rule_lhs[r];
        g->nt_rules[g->nt_rule_offset[a] + fill[a]++] = r;
    }
    free(fill);
    zs_status st = ZS_OK;
    for (uint32_t a = 0; a < n && st == ZS_OK; a++) {
        uint32_t first = g->nt_rule_offset[a], count = g->nt_rule_offset[a + 1] - first;
        for (uint32_t k = 0; k < count; k++) weights[k] = g->rule_prob[g->nt_rules[first + k]];
        st = zs_alias_init(&g->nt_alias[a], weights, count, err);
        if (st != ZS_OK)
            zs_fail(err, st, "nonterminal '%s': no rule with a positive probability",
                    g->nonterminal_names[a]);
    }
    free(weights);
    return st;
}

void zs_pcfg_free(zs_pcfg *g) {
    if (!g) return;
    for (uint32_t a = 0; a < g->n_nonterminals; a++) {
        if (g->nonterminal_names) free(g->nonterminal_names[a]);
        if (g->nt_alias) zs_alias_free(&g->nt_alias[a]);
    }
    if (g->terminal_names)
        for (uint32_t t = 0; t < g->n_terminals; t++) free(g->terminal_names[t]);
    free(g->nonterminal_names);
    free(g->terminal_names);
    free(g->rule_lhs);
    free(g->rule_prob);
    free(g->rule_offset);
    free(g->rhs);
    free(g->nt_rule_offset);
    free(g->nt_rules);
    free(g->nt_alias);
    free(g);
}

uint32_t zs_pcfg_n_nonterminals(const zs_pcfg *g) {
    return g->n_nonterminals;
}

uint32_t zs_pcfg_n_terminals(const zs_pcfg *g) {
    return g->n_terminals;
}

uint32_t zs_pcfg_n_rules(const zs_pcfg *g) {
    return g->n_rules;
}

uint32_t zs_pcfg_start(const zs_pcfg *g) {
    return g->start;
}

const char *zs_pcfg_nonterminal_name(const zs_pcfg *g, uint32_t nonterminal) {
    return g->nonterminal_names[nonterminal];
}

int zs_pcfg_integer_terminals(const zs_pcfg *g) {
    return g->integer_terminals;
}

const char *zs_pcfg_terminal_name(const zs_pcfg *g, uint32_t id, char *buf, size_t size) {
    if (g->integer_terminals)
        snprintf(buf, size, "%u", id);
    else
        snprintf(buf, size, "%s", g->terminal_names[id]);
    return buf;
}

int zs_pcfg_knobs_get(const zs_pcfg *g, zs_pcfg_knobs *knobs) {
    if (g->has_knobs && knobs) *knobs = g->knobs;
    return g->has_knobs;
}

zs_pcfg_rule zs_pcfg_rule_get(const zs_pcfg *g, uint32_t rule) {
    zs_pcfg_rule r;
    r.lhs = g->rule_lhs[rule];
    r.prob = g->rule_prob[rule];
    r.length = g->rule_offset[rule + 1] - g->rule_offset[rule];
    r.rhs = g->rhs + g->rule_offset[rule];
    return r;
}
