/* The zs_pcfg layout shared by the pcfg_*.c files: flat arrays, rules in file order,
 * and per-nonterminal rule lists with alias tables for the sampler. Private to data. */
#ifndef ZS_DATA_PCFG_INTERNAL_H
#define ZS_DATA_PCFG_INTERNAL_H

#include "zipscale/pcfg.h"

struct zs_pcfg {
    uint32_t n_nonterminals, n_terminals, n_rules, start;
    char **nonterminal_names; /* n_nonterminals */
    char **terminal_names;    /* n_terminals, or NULL when integer_terminals */
    int integer_terminals;
    int has_knobs;
    zs_pcfg_knobs knobs;

    /* Rule r: lhs rule_lhs[r], probability rule_prob[r], right-hand side
     * rhs[rule_offset[r] .. rule_offset[r+1]). */
    uint32_t *rule_lhs;
    double *rule_prob;
    uint32_t *rule_offset; /* n_rules + 1 */
    uint32_t *rhs;

    /* Filled by zs_pcfg__index: nonterminal a's rules are
     * nt_rules[nt_rule_offset[a] .. nt_rule_offset[a+1]), drawn with nt_alias[a]. */
    uint32_t *nt_rule_offset; /* n_nonterminals + 1 */
    uint32_t *nt_rules;
    zs_alias *nt_alias;
    uint32_t max_rhs_length;
};

/* A zeroed grammar, to be filled by a generator or the parser. */
zs_pcfg *zs_pcfg__create(zs_error *err);
/* Builds the per-nonterminal rule lists and alias tables once the rules are in place.
 * Every nonterminal must have a rule with positive probability. */
zs_status zs_pcfg__index(zs_pcfg *g, zs_error *err);

#endif
