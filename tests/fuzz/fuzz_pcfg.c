/* Fuzzes the PCFG text reader (zs_pcfg_parse, from memory): strict, then normalising; what
 * it accepts must print and read back to the same grammar (counts, start, every rule's
 * left-hand side, probability and right-hand side), and (when small) be analysable. */
#include "zipscale/pcfg.h"

#include "fuzz_util.h"

static void check_round_trip(const zs_pcfg *g) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    FUZZ_CHECK(out, "open_memstream");
    zs_error err;
    zs_status s = zs_pcfg_print(g, out, &err);
    FUZZ_CHECK(fclose(out) == 0, "fclose");
    FUZZ_CHECK(s == ZS_OK, "print: %s", err.msg);
    zs_pcfg *back = NULL;
    s = zs_pcfg_parse(text, len, "printed", 0, &back, &err);
    FUZZ_CHECK(s == ZS_OK, "the printed grammar reads back: %s\n%s", err.msg, text);
    FUZZ_CHECK(zs_pcfg_n_rules(back) == zs_pcfg_n_rules(g), "rules");
    FUZZ_CHECK(zs_pcfg_n_nonterminals(back) == zs_pcfg_n_nonterminals(g), "nonterminals");
    FUZZ_CHECK(zs_pcfg_n_terminals(back) == zs_pcfg_n_terminals(g), "terminals");
    FUZZ_CHECK(zs_pcfg_start(back) == zs_pcfg_start(g), "start\n%s", text);
    for (uint32_t r = 0; r < zs_pcfg_n_rules(g); r++) {
        zs_pcfg_rule x = zs_pcfg_rule_get(g, r), y = zs_pcfg_rule_get(back, r);
        FUZZ_CHECK(x.lhs == y.lhs && x.prob == y.prob && x.length == y.length &&
                       !memcmp(x.rhs, y.rhs, x.length * sizeof *x.rhs),
                   "rule %u differs\n%s", r, text);
    }
    zs_pcfg_free(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zs_pcfg *g = NULL;
    zs_error err;
    zs_status s = zs_pcfg_parse((const char *)data, size, "fuzz", 0, &g, &err);
    if (s) s = zs_pcfg_parse((const char *)data, size, "fuzz", 1, &g, &err);
    if (s) return 0;
    check_round_trip(g);
    if (zs_pcfg_n_nonterminals(g) <= 32) {
        zs_pcfg_analysis a;
        if (zs_pcfg_analyse(g, &a, &err) == ZS_OK) zs_pcfg_analysis_free(&a);
    }
    zs_pcfg_free(g);
    return 0;
}
