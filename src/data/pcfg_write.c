/* Writes a grammar in NLTK's PCFG text form: the knob comment, `%start` when the start is not
 * the first left-hand side, then one line per run of consecutive rules with the same
 * left-hand side, so reading it back (here or with nltk.PCFG.fromstring) gives the same
 * grammar, rules in the same order. */
#include "data/pcfg_internal.h"

#include <stdlib.h>
#include <string.h>

/* The fewest decimals (at least one) that read back to exactly p; NLTK's probability
 * syntax is digits and dots only, so no exponent. */
static void format_prob(double p, char *buf, size_t size) {
    for (int decimals = 1; decimals < 400; decimals++) {
        snprintf(buf, size, "%.*f", decimals, p);
        if (strtod(buf, NULL) == p) return;
    }
}

static void print_symbol(const zs_pcfg *g, uint32_t sym, FILE *out) {
    if (sym & ZS_PCFG_NONTERMINAL) {
        fputs(g->nonterminal_names[sym & ~ZS_PCFG_NONTERMINAL], out);
    } else if (g->integer_terminals) {
        fprintf(out, "'%u'", sym);
    } else {
        const char *name = g->terminal_names[sym];
        char quote = strchr(name, '\'') ? '"' : '\'';
        fprintf(out, "%c%s%c", quote, name, quote);
    }
}

zs_status zs_pcfg_print(const zs_pcfg *g, FILE *out, zs_error *err) {
    if (g->has_knobs)
        fprintf(out,
                "# zipscale pcfg: nonterminals=%u terminals=%u max_options=%u max_length=%u "
                "seed=%llu\n",
                g->knobs.nonterminals, g->knobs.terminals, g->knobs.max_options,
                g->knobs.max_length, (unsigned long long)g->knobs.seed);
    /* The start is the first left-hand side unless a %start line says otherwise (which the
     * reader resolves after the rules: it does not change the nonterminals' numbering). */
    if (g->n_rules && g->start != g->rule_lhs[0])
        fprintf(out, "%%start %s\n", g->nonterminal_names[g->start]);
    char prob[512];
    for (uint32_t r = 0; r < g->n_rules; r++) {
        int new_line = r == 0 || g->rule_lhs[r] != g->rule_lhs[r - 1];
        if (new_line) {
            if (r) fputc('\n', out);
            fprintf(out, "%s ->", g->nonterminal_names[g->rule_lhs[r]]);
        } else {
            fputs(" |", out);
        }
        for (uint32_t i = g->rule_offset[r]; i < g->rule_offset[r + 1]; i++) {
            fputc(' ', out);
            print_symbol(g, g->rhs[i], out);
        }
        format_prob(g->rule_prob[r], prob, sizeof prob);
        fprintf(out, " [%s]", prob);
    }
    if (g->n_rules) fputc('\n', out);
    if (ferror(out)) return zs_fail(err, ZS_ERR_IO, "writing the grammar failed");
    return ZS_OK;
}

zs_status zs_pcfg_write(const zs_pcfg *g, const char *path, zs_error *err) {
    zs_atomic_file file;
    zs_status st = zs_atomic_open(&file, path, err);
    if (st != ZS_OK) return st;
    st = zs_pcfg_print(g, file.fp, err);
    if (st != ZS_OK) {
        zs_atomic_abort(&file);
        return zs_fail(err, st, "%s: writing the grammar failed", path);
    }
    return zs_atomic_commit(&file, err);
}
