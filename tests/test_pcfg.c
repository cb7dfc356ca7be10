/* Tests for the PCFG module: the generator's knobs, the text form (round trip, NLTK,
 * every parse error), the analysis against closed forms and Monte Carlo, the sampler's
 * documents, labels, determinism, depth bound and non-termination, and the CLI. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/pcfg.h"
#include "zipscale/tokens.h"

#define FIXTURES ZS_SOURCE_DIR "/tests/data/pcfg"

static zs_pcfg *generate(uint32_t nt, uint32_t t, uint32_t o, uint32_t l, uint64_t seed) {
    zs_pcfg_knobs k = {nt, t, o, l, seed};
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_generate(&k, &g, &err), ZS_OK, "%s", err.msg);
    return g;
}

static zs_pcfg *parse(const char *text) {
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_parse(text, strlen(text), "g.pcfg", 0, &g, &err), ZS_OK, "%s", err.msg);
    return g;
}

/* The grammar's text form, as zs_pcfg_print writes it. */
static char *print_to_string(const zs_pcfg *g) {
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    zs_error err;
    cr_assert_eq(zs_pcfg_print(g, f, &err), ZS_OK);
    fclose(f);
    return buf;
}

/* ---- generate ---------------------------------------------------------------------------- */

Test(pcfg_generate, same_seed_same_grammar) {
    zs_pcfg *a = generate(20, 300, 10, 5, 7), *b = generate(20, 300, 10, 5, 7),
            *c = generate(20, 300, 10, 5, 8);
    char *ta = print_to_string(a), *tb = print_to_string(b), *tc = print_to_string(c);
    cr_assert_str_eq(ta, tb);
    cr_assert_str_neq(ta, tc);
    free(ta), free(tb), free(tc);
    zs_pcfg_free(a), zs_pcfg_free(b), zs_pcfg_free(c);
}

/* Every nonterminal has 1..O options, each of 1..L symbols, with probabilities w/sum(w)
 * for integer weights 1..100; the start rule is S -> N_i [1/NT]. Over 3000 nonterminals
 * the option counts are uniform and a symbol is a terminal with probability T/(T+NT). */
Test(pcfg_generate, knob_ranges_and_frequencies) {
    const uint32_t NT = 3000, T = 1000, O = 4, L = 3;
    zs_pcfg *g = generate(NT, T, O, L, 1);
    cr_assert_eq(zs_pcfg_n_nonterminals(g), NT + 1);
    cr_assert_eq(zs_pcfg_n_terminals(g), T);
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, zs_pcfg_start(g)), "S");
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, 1), "N0");
    long options[NT + 1], lengths[L + 1], terminals = 0, symbols = 0;
    memset(options, 0, sizeof options), memset(lengths, 0, sizeof lengths);
    double sum[NT + 1];
    memset(sum, 0, sizeof sum);
    for (uint32_t r = 0; r < zs_pcfg_n_rules(g); r++) {
        zs_pcfg_rule rule = zs_pcfg_rule_get(g, r);
        sum[rule.lhs] += rule.prob;
        options[rule.lhs]++;
        if (rule.lhs == 0) {
            cr_assert_eq(rule.prob, 1.0 / NT);
            cr_assert_eq(rule.length, 1);
            cr_assert_eq(rule.rhs[0], ZS_PCFG_NONTERMINAL | (r + 1));
            continue;
        }
        cr_assert(rule.length >= 1 && rule.length <= L);
        lengths[rule.length]++;
        cr_assert(rule.prob >= 1.0 / (100.0 * O) - 1e-15 && rule.prob <= 1.0);
        for (uint32_t i = 0; i < rule.length; i++) {
            uint32_t s = rule.rhs[i];
            if (s & ZS_PCFG_NONTERMINAL) {
                cr_assert((s & ~ZS_PCFG_NONTERMINAL) >= 1 && (s & ~ZS_PCFG_NONTERMINAL) <= NT);
            } else {
                cr_assert_lt(s, T);
                terminals++;
            }
            symbols++;
        }
    }
    long per_count[O + 1];
    memset(per_count, 0, sizeof per_count);
    for (uint32_t a = 0; a <= NT; a++) {
        cr_assert_lt(fabs(sum[a] - 1.0), 1e-12, "nonterminal %u sums to %.17g", a, sum[a]);
        if (a == 0) continue;
        cr_assert(options[a] >= 1 && options[a] <= O);
        per_count[options[a]]++;
    }
    /* Each of the O counts has probability 1/O: binomial sd sqrt(NT/O (1-1/O)) = 23.7. */
    for (uint32_t k = 1; k <= O; k++)
        cr_assert_lt(fabs(per_count[k] - NT / (double)O), 5 * 23.7, "count %u: %ld", k,
                     per_count[k]);
    double p_terminal = (double)T / (T + NT), n = (double)symbols;
    cr_assert_lt(fabs(terminals - n * p_terminal), 5 * sqrt(n * p_terminal * (1 - p_terminal)));
    zs_pcfg_free(g);
}

Test(pcfg_generate, rejects_zero_knobs) {
    zs_pcfg_knobs k = {3, 0, 2, 2, 0};
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_generate(&k, &g, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "terminals is 0, expected 1.."), "%s", err.msg);
    cr_assert_null(g);
}

/* ---- text form ---------------------------------------------------------------------------- */

static void assert_same_grammar(const zs_pcfg *a, const zs_pcfg *b) {
    cr_assert_eq(zs_pcfg_n_nonterminals(a), zs_pcfg_n_nonterminals(b));
    cr_assert_eq(zs_pcfg_n_terminals(a), zs_pcfg_n_terminals(b));
    cr_assert_eq(zs_pcfg_n_rules(a), zs_pcfg_n_rules(b));
    cr_assert_eq(zs_pcfg_start(a), zs_pcfg_start(b));
    for (uint32_t i = 0; i < zs_pcfg_n_nonterminals(a); i++)
        cr_assert_str_eq(zs_pcfg_nonterminal_name(a, i), zs_pcfg_nonterminal_name(b, i));
    for (uint32_t r = 0; r < zs_pcfg_n_rules(a); r++) {
        zs_pcfg_rule x = zs_pcfg_rule_get(a, r), y = zs_pcfg_rule_get(b, r);
        cr_assert_eq(x.lhs, y.lhs);
        cr_assert_eq(x.prob, y.prob, "rule %u: %.17g vs %.17g", r, x.prob, y.prob);
        cr_assert_eq(x.length, y.length);
        cr_assert_eq(memcmp(x.rhs, y.rhs, x.length * sizeof *x.rhs), 0);
    }
}

Test(pcfg_text, write_read_round_trip_is_identical) {
    zs_pcfg *g = generate(50, 500, 20, 15, 3), *back;
    const char *path = zs_test_path("g.pcfg");
    zs_error err;
    cr_assert_eq(zs_pcfg_write(g, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_pcfg_read(path, 0, &back, &err), ZS_OK, "%s", err.msg);
    assert_same_grammar(g, back);
    zs_pcfg_knobs k;
    cr_assert(zs_pcfg_knobs_get(back, &k));
    cr_assert(k.nonterminals == 50 && k.terminals == 500 && k.max_options == 20 &&
              k.max_length == 15 && k.seed == 3);
    char *t1 = print_to_string(g), *t2 = print_to_string(back);
    cr_assert_str_eq(t1, t2);
    free(t1), free(t2);
    zs_pcfg_free(g), zs_pcfg_free(back);
}

/* The knob comment keeps T even when the largest terminals are never used. */
Test(pcfg_text, knob_comment_sets_terminal_count) {
    zs_pcfg *g = parse("# zipscale pcfg: nonterminals=1 terminals=50 max_options=1 "
                       "max_length=1 seed=0\nS -> N0 [1.0]\nN0 -> '3' [1.0]\n");
    cr_assert_eq(zs_pcfg_n_terminals(g), 50);
    cr_assert_eq(zs_pcfg_vocab_size(g, 0), 51);
    cr_assert_eq(zs_pcfg_vocab_size(g, 1), 50);
    zs_pcfg_free(g);
    g = parse("S -> '3' [1.0]\n");
    cr_assert_eq(zs_pcfg_n_terminals(g), 4, "without knobs: the largest integer + 1");
    zs_pcfg_free(g);
}

/* Word terminals get ids by first appearance; lines with one LHS accumulate; a `\`
 * continues a line; comments are skipped; the start is the first LHS. */
Test(pcfg_text, word_terminals_and_nltk_conventions) {
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_read(FIXTURES "/toy_english.pcfg", 0, &g, &err), ZS_OK, "%s", err.msg);
    cr_assert_not(zs_pcfg_integer_terminals(g));
    const char *order[] = {"John", "the", "a", "dog", "cat", "saw", "chased", "slept"};
    cr_assert_eq(zs_pcfg_n_terminals(g), 8);
    char buf[64];
    for (uint32_t t = 0; t < 8; t++)
        cr_assert_str_eq(zs_pcfg_terminal_name(g, t, buf, sizeof buf), order[t]);
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, zs_pcfg_start(g)), "S");
    cr_assert_eq(zs_pcfg_n_rules(g), 12);
    zs_pcfg_rule last = zs_pcfg_rule_get(g, 11);
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, last.lhs), "V");
    cr_assert_eq(last.prob, 0.25);
    zs_pcfg_free(g);
}

/* ... wherever the line is, without taking part in numbering the nonterminals (first
 * appearance in the rules), and it survives a write/read round trip (the writer once dropped
 * it; then wrote it last, and a %start before the rules still renumbered them). */
Test(pcfg_text, start_directive) {
    const char *texts[] = {"A -> 'a' [1.0]\n%start B\nB -> A A [1.0]\n",
                           "%start B\nA -> 'a' [1.0]\nB -> A A [1.0]\n",
                           "A -> 'a' [1.0]\nB -> A A [1.0]\n%start A\n%start B\n"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        zs_pcfg *g = parse(texts[i]);
        cr_assert_str_eq(zs_pcfg_nonterminal_name(g, zs_pcfg_start(g)), "B", "%s", texts[i]);
        cr_assert_str_eq(zs_pcfg_nonterminal_name(g, 0), "A", "%s", texts[i]);
        char *printed = print_to_string(g);
        zs_pcfg *back = parse(printed);
        assert_same_grammar(g, back);
        free(printed);
        zs_pcfg_free(back);
        zs_pcfg_free(g);
    }
}

Test(pcfg_text, normalise_rescales) {
    zs_pcfg *g;
    zs_error err;
    const char *text = "S -> 'a' [0.2] | 'b' [0.6]\n";
    cr_assert_eq(zs_pcfg_parse(text, strlen(text), "g.pcfg", 1, &g, &err), ZS_OK, "%s", err.msg);
    cr_assert_float_eq(zs_pcfg_rule_get(g, 0).prob, 0.25, 1e-15);
    cr_assert_float_eq(zs_pcfg_rule_get(g, 1).prob, 0.75, 1e-15);
    zs_pcfg_free(g);
}

/* The writer's shortest exact form of a tiny probability (here 3.33e-116 after normalising:
 * 133 decimals; a subnormal needs about 340) reads back, strictly, to the same double. A
 * reader limit on the digits once broke this (fuzz_pcfg's round-trip property). */
Test(pcfg_text, tiny_probabilities_round_trip) {
    char text[512];
    snprintf(text, sizeof text, "S -> 'a' [0.3] | 'b' [0.%0115d1]\n", 0);
    zs_pcfg *g, *back;
    zs_error err;
    cr_assert_eq(zs_pcfg_parse(text, strlen(text), "g.pcfg", 1, &g, &err), ZS_OK, "%s", err.msg);
    cr_assert_float_eq(zs_pcfg_rule_get(g, 1).prob / (1e-116 / 0.3), 1.0, 1e-15);
    char *printed = print_to_string(g);
    cr_assert_gt(strlen(strchr(printed, '|')), 130, "the short form needs > 127 digits: %s",
                 printed);
    cr_assert_eq(zs_pcfg_parse(printed, strlen(printed), "printed", 0, &back, &err), ZS_OK,
                 "%s\n%s", err.msg, printed);
    assert_same_grammar(g, back);
    zs_pcfg_free(g), zs_pcfg_free(back), free(printed);

    char sub[1024];
    snprintf(sub, sizeof sub, "S -> 'a' [1] | 'b' [0.%0323d5]\n", 0); /* ~ 5e-324 */
    cr_assert_eq(zs_pcfg_parse(sub, strlen(sub), "g.pcfg", 0, &g, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_pcfg_rule_get(g, 1).prob, 4.9406564584124654e-324);
    printed = print_to_string(g);
    cr_assert_eq(zs_pcfg_parse(printed, strlen(printed), "printed", 0, &back, &err), ZS_OK,
                 "%s\n%s", err.msg, printed);
    assert_same_grammar(g, back);
    zs_pcfg_free(g), zs_pcfg_free(back), free(printed);
}

/* Checks one grammar's block of nltk_productions.py output (*cursor: strtok_r's state,
 * the block's first line next): same start, productions in the same order, the same probabilities
 * exactly (NLTK prints repr(), which reads back to the same double). */
static void assert_nltk_agrees(const zs_pcfg *g, char *out, char **cursor) {
    char *line = strtok_r(out, "\n", cursor);
    cr_assert_str_eq(line, zs_pcfg_nonterminal_name(g, zs_pcfg_start(g)));
    char buf[64];
    for (uint32_t i = 0; i < zs_pcfg_n_rules(g); i++) {
        line = strtok_r(NULL, "\n", cursor);
        cr_assert(line && strcmp(line, "="), "NLTK has fewer productions than our %u",
                  zs_pcfg_n_rules(g));
        zs_pcfg_rule rule = zs_pcfg_rule_get(g, i);
        char *lhs = line, *prob = strchr(lhs, '\t') + 1, *rhs = strchr(prob, '\t') + 1;
        prob[-1] = rhs[-1] = '\0';
        cr_assert_str_eq(lhs, zs_pcfg_nonterminal_name(g, rule.lhs));
        cr_assert_eq(strtod(prob, NULL), rule.prob, "rule %u: NLTK %s, ours %.17g", i, prob,
                     rule.prob);
        char ours[4096] = "";
        for (uint32_t k = 0; k < rule.length; k++) {
            uint32_t s = rule.rhs[k];
            char sym[80];
            if (s & ZS_PCFG_NONTERMINAL)
                snprintf(sym, sizeof sym, "%s",
                         zs_pcfg_nonterminal_name(g, s & ~ZS_PCFG_NONTERMINAL));
            else
                snprintf(sym, sizeof sym, "'%s'", zs_pcfg_terminal_name(g, s, buf, sizeof buf));
            strcat(ours, k ? " " : "");
            strcat(ours, sym);
        }
        cr_assert_str_eq(rhs, ours, "rule %u", i);
    }
    line = strtok_r(NULL, "\n", cursor);
    cr_assert(line && !strcmp(line, "="), "NLTK has more productions than our %u",
              zs_pcfg_n_rules(g));
}

/* NLTK reads what we write (the knob comment is skipped): a generated grammar, one with
 * word terminals, `\` continuations and repeated left-hand sides, and one with `%start`. */
Test(pcfg_text, nltk_loads_our_files) {
    const char *py = zs_test_python("nltk");
    zs_pcfg *gen = generate(30, 400, 10, 8, 5), *words;
    zs_error err;
    cr_assert_eq(zs_pcfg_read(FIXTURES "/toy_english.pcfg", 0, &words, &err), ZS_OK);
    const char *p1 = zs_test_path("gen.pcfg"), *p2 = zs_test_path("words.pcfg");
    cr_assert_eq(zs_pcfg_write(gen, p1, &err), ZS_OK);
    cr_assert_eq(zs_pcfg_write(words, p2, &err), ZS_OK);
    zs_pcfg *started = parse("A -> 'a' [0.5] | A A [0.5]\nB -> A 'b' [1.0]\n%start B\n");
    const char *p3 = zs_test_path("started.pcfg");
    cr_assert_eq(zs_pcfg_write(started, p3, &err), ZS_OK);
    zs_run r = zs_test_sh("%s %s/nltk_productions.py '%s' '%s' '%s'", py, FIXTURES, p1, p2, p3);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    char *cursor;
    assert_nltk_agrees(gen, r.out, &cursor);
    assert_nltk_agrees(words, NULL, &cursor);
    assert_nltk_agrees(started, NULL, &cursor);
    zs_run_free(&r);
    zs_pcfg_free(gen), zs_pcfg_free(words), zs_pcfg_free(started);
}

/* ---- parse errors: one test each, with file:line:column ------------------------------------ */

static void expect_error(const char *text, const char *message) {
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_parse(text, strlen(text), "g.pcfg", 0, &g, &err), ZS_ERR_FORMAT,
                 "expected an error for: %s", text);
    cr_assert_null(g);
    cr_assert(strstr(err.msg, message), "message: %s\nexpected: %s", err.msg, message);
}

Test(pcfg_parse_error, start_not_defined) {
    expect_error("S -> 'a' [1.0]\n%start  X\n",
                 "g.pcfg:2:9: nonterminal 'X' has no productions, expected it on some "
                 "left-hand side");
}

Test(pcfg_parse_error, missing_arrow) {
    expect_error("S -> A [1.0]\nA => 'a' [1.0]\n",
                 "g.pcfg:2:3: expected '->' after the left-hand side");
}

Test(pcfg_parse_error, bad_left_hand_side) {
    expect_error("'S' -> 'a' [1.0]\n", "g.pcfg:1:1: expected a nonterminal name");
}

Test(pcfg_parse_error, unterminated_terminal) {
    expect_error("S -> 'a [1.0]\n", "g.pcfg:1:6: unterminated terminal, expected a closing '");
}

Test(pcfg_parse_error, empty_terminal) {
    expect_error("S -> '' [1.0]\n", "g.pcfg:1:6: empty terminal, expected at least one character");
}

Test(pcfg_parse_error, malformed_probability) {
    expect_error("S -> 'a' [0.5x]\n",
                 "g.pcfg:1:10: malformed probability, expected '[' digits ']'");
}

Test(pcfg_parse_error, probability_not_a_number) {
    expect_error("S -> 'a' [0.5.1]\n",
                 "g.pcfg:1:11: '0.5.1' is not a number, expected a probability");
}

Test(pcfg_parse_error, probability_above_one) {
    expect_error("S -> 'a' [1.5]\n",
                 "g.pcfg:1:11: probability 1.5 is above 1, expected one in [0, 1]");
}

Test(pcfg_parse_error, missing_probability) {
    expect_error("S -> 'a' [0.5] | 'b'\n",
                 "g.pcfg:1:21: missing probability, expected '[p]' at the end of the alternative");
}

Test(pcfg_parse_error, empty_rule) {
    expect_error("S -> [1.0]\n", "g.pcfg:1:6: empty right-hand side, expected at least one symbol");
}

Test(pcfg_parse_error, empty_alternative) {
    expect_error("S -> 'a' [0.5] | | 'b' [0.5]\n",
                 "g.pcfg:1:18: empty right-hand side, expected at least one symbol");
}

Test(pcfg_parse_error, text_after_probability) {
    expect_error("S -> 'a' [0.5] 'b'\n",
                 "g.pcfg:1:16: unexpected text after a probability, expected '|' or the end");
}

Test(pcfg_parse_error, unexpected_character) {
    expect_error("S -> 'a' , [1.0]\n", "g.pcfg:1:10: unexpected ',', expected a nonterminal");
}

Test(pcfg_parse_error, undefined_nonterminal) {
    expect_error(
        "S -> A [0.5] | 'b' [0.5]\n\nA -> B 'c' [1.0]\n",
        "g.pcfg:3:6: nonterminal 'B' has no productions, expected it on some left-hand side");
}

Test(pcfg_parse_error, probabilities_do_not_sum_to_one) {
    expect_error("S -> A [1.0]\nA -> 'a' [0.5]\nA -> 'b' [0.4]\n",
                 "g.pcfg:2:1: probabilities of 'A' sum to 0.9, expected 1 within 1e-06");
}

Test(pcfg_parse_error, no_productions) {
    expect_error("# only a comment\n\n", "g.pcfg: no productions, expected at least one line");
}

Test(pcfg_parse_error, unknown_directive) {
    expect_error("%begin S\nS -> 'a' [1.0]\n", "g.pcfg:1:1: unknown directive '%begin'");
}

Test(pcfg_parse_error, malformed_knob_comment) {
    expect_error("# zipscale pcfg: nonterminals=3\nS -> 'a' [1.0]\n",
                 "g.pcfg:1:1: malformed knob comment, expected '# zipscale pcfg: nonterminals=N");
}

/* Found by fuzzing (issue 14; inputs in tests/fuzz/crashes/pcfg/). */
Test(pcfg_parse_error, nul_byte_in_a_terminal) {
    static const char text[] = "S -> 'a\0b' 'a\0c' [1.0]\n";
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_parse(text, sizeof text - 1, "g.pcfg", 0, &g, &err), ZS_ERR_FORMAT);
    cr_assert_null(g);
    cr_assert_str_eq(err.msg,
                     "g.pcfg:1:8: NUL byte in a terminal, expected none (terminals are C strings)");
}

Test(pcfg_parse_error, continuation_on_the_last_line) {
    expect_error("S -> 'x' [1.0]\nT -> 'y' [0.5] \\",
                 "g.pcfg:2: the last line ends with '\\', expected a line to continue it");
    expect_error("S -> 'x' [1.0]\nT -> 'y' [0.5] \\\n",
                 "g.pcfg:2: the last line ends with '\\', expected a line to continue it");
}

Test(pcfg_parse_error, knob_values_negative_or_too_large) {
    expect_error("# zipscale pcfg: nonterminals=1 terminals=-1 max_options=1 max_length=1 seed=0\n"
                 "S -> '0' [1.0]\n",
                 "g.pcfg:1:1: malformed knob comment, expected '# zipscale pcfg: nonterminals=N "
                 "terminals=T max_options=O max_length=L seed=S' (field 'terminals': an integer "
                 "from 0 to 16777216)");
    expect_error("# zipscale pcfg: nonterminals=4294967296 terminals=1 max_options=1 max_length=1 "
                 "seed=0\nS -> '0' [1.0]\n",
                 "(field 'nonterminals': an integer from 0 to 2^32 - 1)");
    expect_error("# zipscale pcfg: nonterminals=1 terminals=1 max_options=1 max_length=1 "
                 "seed=18446744073709551616\nS -> '0' [1.0]\n",
                 "(field 'seed': an integer from 0 to 2^64 - 1)");
    /* the largest values still read */
    const char *ok = "# zipscale pcfg: nonterminals=4294967295 terminals=16777216 max_options=1 "
                     "max_length=1 seed=18446744073709551615\nS -> '0' [1.0]\n";
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_parse(ok, strlen(ok), "g.pcfg", 0, &g, &err), ZS_OK, "%s", err.msg);
    zs_pcfg_knobs k;
    cr_assert(zs_pcfg_knobs_get(g, &k));
    cr_assert_eq(k.nonterminals, 4294967295u);
    cr_assert_eq(k.seed, UINT64_MAX);
    zs_pcfg_free(g);
}

Test(pcfg_parse_error, terminal_beyond_knob_terminals) {
    expect_error("# zipscale pcfg: nonterminals=1 terminals=5 max_options=1 max_length=2 seed=0\n"
                 "S -> '1' '7' [1.0]\n",
                 "g.pcfg:2:10: terminal '7' is not below the knob comment's terminals=5");
}

Test(pcfg_parse_error, normalise_needs_a_positive_sum) {
    zs_pcfg *g;
    zs_error err;
    const char *text = "S -> 'a' [0.0]\n";
    cr_assert_eq(zs_pcfg_parse(text, strlen(text), "g.pcfg", 1, &g, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "g.pcfg:1:1: probabilities of 'S' sum to 0, expected a positive"),
              "%s", err.msg);
}

Test(pcfg_parse_error, missing_file) {
    zs_pcfg *g;
    zs_error err;
    cr_assert_eq(zs_pcfg_read(zs_test_path("absent.pcfg"), 0, &g, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "absent.pcfg"), "%s", err.msg);
}

/* ---- analysis ----------------------------------------------------------------------------- */

static zs_pcfg_analysis analyse(const zs_pcfg *g) {
    zs_pcfg_analysis a;
    zs_error err;
    cr_assert_eq(zs_pcfg_analyse(g, &a, &err), ZS_OK, "%s", err.msg);
    return a;
}

static zs_pcfg *binary_tree_grammar(double p) { /* A -> A A [p] | 'a' [1-p] */
    char text[128];
    snprintf(text, sizeof text, "A -> A A [%.17f] | 'a' [%.17f]\n", p, 1 - p);
    return parse(text);
}

/* Subcritical (p < 1/2): radius 2p, terminates surely, E[len] = (1-p)/(1-2p) leaves,
 * 1/(1-2p) expansions each with entropy h(p), so H = h(p)/(1-2p) and per token h(p)/(1-p). */
Test(pcfg_analyse, binary_tree_subcritical_closed_form) {
    const double p = 0.3, h = -p * log(p) - (1 - p) * log(1 - p);
    zs_pcfg *g = binary_tree_grammar(p);
    zs_pcfg_analysis a = analyse(g);
    cr_assert_float_eq(a.spectral_radius, 2 * p, 1e-12);
    cr_assert(a.subcritical);
    cr_assert_float_eq(a.termination_prob, 1.0, 1e-12);
    cr_assert_float_eq(a.expected_length_tokens, (1 - p) / (1 - 2 * p), 1e-12);
    cr_assert_float_eq(a.entropy_nats_per_sentence, h / (1 - 2 * p), 1e-12);
    cr_assert_float_eq(a.entropy_nats_per_token, h / (1 - p), 1e-12);
    cr_assert_float_eq(a.entropy_nats_per_token_separated, h / (1 - p + 1 - 2 * p), 1e-12);
    cr_assert_eq(a.n_unproductive + a.n_unreachable + a.n_unused_terminals, 0);
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* Supercritical (p > 1/2): extinction probability q = (1-p)/p, lengths unbounded. */
Test(pcfg_analyse, binary_tree_supercritical_closed_form) {
    const double p = 0.7;
    zs_pcfg *g = binary_tree_grammar(p);
    zs_pcfg_analysis a = analyse(g);
    cr_assert_float_eq(a.spectral_radius, 2 * p, 1e-12);
    cr_assert_not(a.subcritical);
    cr_assert_float_eq(a.termination_prob, (1 - p) / p, 1e-12);
    cr_assert(isinf(a.expected_length_tokens));
    cr_assert(isnan(a.entropy_nats_per_token));
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* Critical (p = 1/2): terminates surely. q = 1 is a double root of q = F(q) there, so
 * F(q) - q ~ (1-q)^2 / 2 vanishes in double precision once 1-q ~ 1e-8: the reachable
 * accuracy is about sqrt(machine epsilon). */
Test(pcfg_analyse, binary_tree_critical) {
    zs_pcfg *g = binary_tree_grammar(0.5);
    zs_pcfg_analysis a = analyse(g);
    cr_assert_float_eq(a.spectral_radius, 1.0, 1e-12);
    cr_assert_not(a.subcritical);
    cr_assert_float_eq(a.termination_prob, 1.0, 1e-7);
    cr_assert(isinf(a.expected_length_tokens));
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* A never terminates (unproductive), so S does with probability 1/2; B is unreachable;
 * only 'x' is ever emitted. */
Test(pcfg_analyse, unused_symbols) {
    zs_pcfg *g = parse("S -> A [0.5] | 'x' [0.5]\nA -> A 'y' [1.0]\nB -> 'z' [1.0]\n");
    zs_pcfg_analysis a = analyse(g);
    cr_assert_float_eq(a.termination_prob, 0.5, 1e-12);
    cr_assert_eq(a.n_unproductive, 1);
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, a.unproductive[0]), "A");
    cr_assert_eq(a.n_unreachable, 1);
    cr_assert_str_eq(zs_pcfg_nonterminal_name(g, a.unreachable[0]), "B");
    cr_assert_eq(a.n_unused_terminals, 2);
    cr_assert(a.unused_terminals[0] == 1 && a.unused_terminals[1] == 2); /* 'y', 'z' */
    cr_assert_not(a.subcritical, "A -> A makes the radius 1");
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* ---- sampling ----------------------------------------------------------------------------- */

static zs_pcfg_sample_opts sample_opts(uint32_t context, uint64_t seed, int threads) {
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    o.context = context;
    o.seed = seed;
    o.threads = threads;
    return o;
}

static void sample(const zs_pcfg *g, const zs_pcfg_sample_opts *o, uint64_t docs, uint32_t *tokens,
                   int32_t *labels, zs_pcfg_sample_stats *stats) {
    zs_error err;
    cr_assert_eq(zs_pcfg_sample(g, o, 0, docs, tokens, labels, stats, &err), ZS_OK, "%s", err.msg);
}

static int rule_has_terminal(const zs_pcfg *g, int32_t rule, uint32_t terminal) {
    zs_pcfg_rule r = zs_pcfg_rule_get(g, (uint32_t)rule);
    for (uint32_t i = 0; i < r.length; i++)
        if (r.rhs[i] == terminal) return 1;
    return 0;
}

/* Rows are `context` long; separators (0) carry label -1; every other id is terminal+1
 * and its label is a rule with that terminal on its right-hand side; a row ends either
 * in a separator or in a truncated sentence. */
Test(pcfg_sample, documents_ids_and_labels) {
    const uint32_t context = 64, docs = 200;
    zs_pcfg *g = generate(30, 400, 10, 8, 2);
    zs_pcfg_sample_opts o = sample_opts(context, 11, 2);
    uint32_t *tokens = malloc(docs * context * sizeof *tokens);
    int32_t *labels = malloc(docs * context * sizeof *labels);
    zs_pcfg_sample_stats stats;
    sample(g, &o, docs, tokens, labels, &stats);
    uint64_t separators = 0;
    for (uint32_t i = 0; i < docs * context; i++) {
        if (tokens[i] == 0) {
            cr_assert_eq(labels[i], -1, "token %u", i);
            separators++;
            cr_assert(i % context == 0 || tokens[i - 1] != 0, "no empty sentences");
            continue;
        }
        cr_assert(tokens[i] >= 1 && tokens[i] <= 400);
        cr_assert(labels[i] >= 0 && labels[i] < (int32_t)zs_pcfg_n_rules(g));
        cr_assert(rule_has_terminal(g, labels[i], tokens[i] - 1), "token %u", i);
    }
    cr_assert(separators > 0 && separators <= stats.sentences);
    cr_assert_eq(stats.dropped, 0);
    free(tokens), free(labels);
    zs_pcfg_free(g);
}

Test(pcfg_sample, reference_ids_layout) {
    const uint32_t context = 32, docs = 50;
    zs_pcfg *g = generate(10, 150, 5, 3, 4);
    zs_pcfg_sample_opts o = sample_opts(context, 1, 1), d = o;
    o.reference_ids = 1;
    uint32_t ref[50 * 32], def[50 * 32];
    int32_t labels[50 * 32];
    sample(g, &o, docs, ref, labels, NULL);
    sample(g, &d, docs, def, NULL, NULL);
    for (uint32_t i = 0; i < docs * context; i++) {
        cr_assert_lt(ref[i], 150);
        /* the same derivations: only the id layout differs */
        cr_assert_eq(labels[i] < 0 ? 0u : ref[i] + 1, def[i], "token %u", i);
    }
    zs_pcfg_free(g);
}

/* Same seed => same ids, for 1 or 2 threads and for any split into calls. */
Test(pcfg_sample, identical_for_any_thread_count_and_split) {
    const uint32_t context = 128, docs = 64;
    zs_pcfg *g = generate(50, 500, 20, 15, 9);
    uint32_t *a = malloc(docs * context * 4), *b = malloc(docs * context * 4),
             *c = malloc(docs * context * 4);
    zs_pcfg_sample_opts o1 = sample_opts(context, 5, 1), o2 = sample_opts(context, 5, 2);
    sample(g, &o1, docs, a, NULL, NULL);
    sample(g, &o2, docs, b, NULL, NULL);
    cr_assert_eq(memcmp(a, b, docs * context * 4), 0);
    zs_error err;
    cr_assert_eq(zs_pcfg_sample(g, &o2, 0, 20, c, NULL, NULL, &err), ZS_OK);
    cr_assert_eq(zs_pcfg_sample(g, &o1, 20, docs - 20, c + 20 * context, NULL, NULL, &err), ZS_OK);
    cr_assert_eq(memcmp(a, c, docs * context * 4), 0);
    o1.seed = 6;
    sample(g, &o1, docs, c, NULL, NULL);
    cr_assert_neq(memcmp(a, c, docs * context * 4), 0);
    free(a), free(b), free(c);
    zs_pcfg_free(g);
}

/* S -> C0 [1/2] | 'x' [1/2], C0 -> C1 -> ... -> C9 -> 'y': the C-branch derivation has
 * depth 11 (S, C0..C9). With max_depth 11 it is kept; with 10 it is always dropped, so
 * half the attempts are dropped and no 'y' appears. */
Test(pcfg_sample, depth_bound_drops_and_resamples) {
    char text[1024] = "S -> C0 [0.5] | 'x' [0.5]\n";
    for (int i = 0; i < 9; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "C%d -> C%d [1.0]\n", i, i + 1);
    strcat(text, "C9 -> 'y' [1.0]\n");
    zs_pcfg *g = parse(text);
    const uint32_t context = 256, docs = 40;
    uint32_t tokens[40 * 256];
    zs_pcfg_sample_stats stats;
    zs_pcfg_sample_opts o = sample_opts(context, 3, 2);
    o.max_depth = 11;
    sample(g, &o, docs, tokens, NULL, &stats);
    cr_assert_eq(stats.dropped, 0);
    o.max_depth = 10;
    sample(g, &o, docs, tokens, NULL, &stats);
    for (uint32_t i = 0; i < docs * context; i++) cr_assert_neq(tokens[i], 2u, "'y' (id 2)");
    cr_assert_eq(stats.dropped, stats.dropped_depth);
    /* attempts until success are geometric(1/2): dropped ~ sentences; sd sqrt(2 n) */
    double n = (double)stats.sentences;
    cr_assert_lt(fabs((double)stats.dropped - n), 5 * sqrt(2 * n), "%llu dropped of %g",
                 (unsigned long long)stats.dropped, n);
    cr_assert_float_eq(stats.dropped_fraction, stats.dropped / (stats.dropped + n), 1e-12);
    zs_pcfg_free(g);
}

/* The default bound is the gzip paper generator's measured limit: a chain of depth 995
 * derives, one of depth 996 never does (so sampling stops with the non-termination error). */
static zs_pcfg *chain_grammar(int depth) { /* S -> N0 -> ... -> N{depth-2} -> '0' */
    size_t cap = 32 * (size_t)depth + 64, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "S -> N0 [1.0]\n");
    for (int i = 0; i < depth - 2; i++)
        len += (size_t)snprintf(text + len, cap - len, "N%d -> N%d [1.0]\n", i, i + 1);
    snprintf(text + len, cap - len, "N%d -> '0' [1.0]\n", depth - 2);
    zs_pcfg *g = parse(text);
    free(text);
    return g;
}

Test(pcfg_sample, default_depth_bound_matches_paper) {
    uint32_t tokens[8];
    zs_pcfg_sample_opts o = sample_opts(8, 0, 1);
    zs_error err;
    zs_pcfg *ok = chain_grammar(995), *deep = chain_grammar(996);
    cr_assert_eq(zs_pcfg_sample(ok, &o, 0, 1, tokens, NULL, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(tokens[0], 1u);
    cr_assert_eq(zs_pcfg_sample(deep, &o, 0, 1, tokens, NULL, NULL, &err), ZS_ERR_NUMERIC);
    zs_pcfg_free(ok), zs_pcfg_free(deep);
}

/* The measurement behind the default, redone: the gzip paper's recursive derivation
 * (tests/data/pcfg/paper_depth.py, under Debian's python3 + nltk) derives chains up to
 * depth ZS_PCFG_DEFAULT_MAX_DEPTH and no deeper. */
Test(pcfg_sample, default_depth_bound_is_measured_on_paper_generator) {
    const char *py = zs_test_python("nltk");
    zs_run r = zs_test_sh("%s %s/paper_depth.py", py, FIXTURES);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert_eq(atoi(r.out), (int)ZS_PCFG_DEFAULT_MAX_DEPTH,
                 "the paper's generator tolerates depth %s", r.out);
    zs_run_free(&r);
}

/* A grammar that never terminates fails with a message, not a hang: here each attempt dies
 * at the depth bound, 100 attempts in a row. How long it takes is bench_pcfg's last line. */
Test(pcfg_sample, never_terminating_grammar_fails_with_a_message) {
    zs_pcfg *g = parse("S -> S 'a' [1.0]\n");
    uint32_t tokens[256];
    zs_pcfg_sample_opts o = sample_opts(256, 0, 1);
    zs_error err;
    cr_assert_eq(zs_pcfg_sample(g, &o, 0, 1, tokens, NULL, NULL, &err), ZS_ERR_NUMERIC);
    cr_assert(strstr(err.msg, "document 0: 100 derivations in a row were dropped (deeper than "
                              "995 nonterminals or more than 1048576 expansions)"),
              "%s", err.msg);
    zs_pcfg_free(g);
}

/* Supercritical with termination probability 1/99: derivations blow up; the expansion
 * bound catches them and the retry bound stops the run. */
Test(pcfg_sample, supercritical_grammar_fails) {
    zs_pcfg *g = binary_tree_grammar(0.99);
    uint32_t tokens[4 * 256];
    zs_pcfg_sample_opts o = sample_opts(256, 0, 2);
    o.max_expansions = 20000;
    zs_error err;
    cr_assert_eq(zs_pcfg_sample(g, &o, 0, 4, tokens, NULL, NULL, &err), ZS_ERR_NUMERIC);
    cr_assert(strstr(err.msg, "derivations in a row were dropped"), "%s", err.msg);
    cr_assert(strstr(err.msg, "(almost) never terminates"), "%s", err.msg);
    zs_pcfg_free(g);
}

/* Monte Carlo of the termination probability: for A -> A A [0.6] | 'a' [0.4] the analysis
 * gives q = 2/3, and the sampler drops the other 1/3 of attempts (derivations that do
 * terminate exceed 20000 expansions with negligible probability: conditioned on extinction
 * the process is subcritical). */
Test(pcfg_sample, dropped_fraction_matches_termination_probability) {
    zs_pcfg *g = binary_tree_grammar(0.6);
    zs_pcfg_analysis a = analyse(g);
    cr_assert_float_eq(a.termination_prob, 2.0 / 3.0, 1e-12);
    const uint32_t docs = 40, context = 256;
    uint32_t *tokens = malloc(docs * context * sizeof *tokens);
    zs_pcfg_sample_opts o = sample_opts(context, 8, 2);
    o.max_expansions = 20000;
    zs_pcfg_sample_stats stats;
    sample(g, &o, docs, tokens, NULL, &stats);
    double n = (double)(stats.sentences + stats.dropped), f = 1 - a.termination_prob;
    cr_assert_lt(fabs(stats.dropped_fraction - f), 5 * sqrt(f * (1 - f) / n),
                 "dropped %g of %g attempts, expected %g", stats.dropped_fraction, n, f);
    free(tokens);
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* Sentence lengths (the runs between separators in one long row) against the analysis:
 * the mean within 5 standard errors, and for A -> A A [0.3] | 'a' [0.7] the exact law
 * P(len = n) = Catalan(n-1) p^(n-1) (1-p)^n at n = 1, 2, 3. */
static void sentence_lengths(const zs_pcfg *g, uint32_t context, double *mean, double *sd,
                             double *p_len, int max_len) {
    uint32_t *tokens = malloc(context * sizeof *tokens);
    zs_pcfg_sample_opts o = sample_opts(context, 17, 1);
    sample(g, &o, 1, tokens, NULL, NULL);
    double n = 0, sum = 0, sum2 = 0;
    for (int k = 0; k <= max_len; k++) p_len[k] = 0;
    uint32_t start = 0;
    for (uint32_t i = 0; i < context; i++) {
        if (tokens[i] != 0) continue;
        double len = i - start; /* complete sentences only: the truncated tail is left out */
        n++, sum += len, sum2 += len * len;
        if (len <= max_len) p_len[(int)len]++;
        start = i + 1;
    }
    *mean = sum / n;
    *sd = sqrt((sum2 / n - *mean * *mean) / n);
    for (int k = 0; k <= max_len; k++) p_len[k] /= n;
    free(tokens);
}

Test(pcfg_sample, sentence_lengths_match_analysis) {
    zs_pcfg *g = generate(50, 500, 20, 15, 1);
    zs_pcfg_analysis a = analyse(g);
    cr_assert(a.subcritical);
    double mean, se, p_len[4];
    sentence_lengths(g, 1u << 21, &mean, &se, p_len, 3);
    cr_assert_lt(fabs(mean - a.expected_length_tokens), 5 * se, "mean %g, expected %g (se %g)",
                 mean, a.expected_length_tokens, se);
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);

    const double p = 0.3, q = 0.7;
    g = binary_tree_grammar(p);
    a = analyse(g);
    sentence_lengths(g, 1u << 20, &mean, &se, p_len, 3);
    cr_assert_lt(fabs(mean - a.expected_length_tokens), 5 * se);
    const double exact[4] = {0, q, p * q * q, 2 * p * p * q * q * q};
    for (int k = 1; k <= 3; k++) /* ~3e5 sentences: binomial sd <= 1e-3 */
        cr_assert_lt(fabs(p_len[k] - exact[k]), 5e-3, "P(len=%d) %g vs %g", k, p_len[k], exact[k]);
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
}

/* ---- the command -------------------------------------------------------------------------- */

Test(pcfg_cli, generate_sample_analyse) {
    const char *g = zs_test_path("g.pcfg"), *d1 = zs_test_path("d1.npy"),
               *d2 = zs_test_path("d2.npy"), *lab = zs_test_path("labels.npy");
    zs_run r = zs_test_cli("pcfg generate --nonterminals 10 --terminals 150 --max-options 5 "
                           "--max-length 3 --seed 2 -o %s",
                           g);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    /* --json reports the same grammar, with its knobs. */
    const char *gj = zs_test_path("gj.pcfg");
    r = zs_test_cli("pcfg generate --nonterminals 10 --terminals 150 --max-options 5 "
                    "--max-length 3 --seed 2 -o %s --json",
                    gj);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"nonterminals\": 11") && strstr(r.out, "\"terminals\": 150") &&
                  strstr(r.out, "\"max_options\": 5") && strstr(r.out, "\"seed\": 2"),
              "%s", r.out);
    zs_run_free(&r);
    r = zs_test_sh("cmp %s %s", g, gj);
    cr_assert_eq(r.exit_code, 0, "--json must not change the grammar written");
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s --tokens 10000 --context 100 --seed 4 --threads 1 -o %s "
                    "--labels %s",
                    g, d1, lab);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "100 documents x 100 tokens"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s --tokens 10000 --context 100 --seed 4 --threads 2 -o %s", g,
                    d2);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("cmp %s %s", d1, d2);
    cr_assert_eq(r.exit_code, 0, "1 and 2 threads must write identical bytes");
    zs_run_free(&r);

    zs_tokens t;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&t, d1, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert(t.ndim == 2 && t.shape[0] == 100 && t.shape[1] == 100);
    cr_assert_eq(t.dtype, ZS_DTYPE_U8);
    cr_assert(t.has_sidecar);
    cr_assert_str_eq(t.sidecar.generator, "pcfg");
    cr_assert(t.sidecar.vocab_size == 151 && t.sidecar.separator_id == 0 &&
              t.sidecar.context == 100 && t.sidecar.n_tokens == 10000 && t.sidecar.seed == 4);
    cr_assert(strstr(t.sidecar.params_json, "\"max_depth\":995"), "%s", t.sidecar.params_json);
    cr_assert(strstr(t.sidecar.params_json, "\"dropped_fraction\":0"), "%s", t.sidecar.params_json);
    cr_assert(strstr(t.sidecar.params_json, "\"max_options\":5"), "%s", t.sidecar.params_json);
    zs_tokens_close(&t);

    const char *bin = zs_test_path("ref.bin");
    r = zs_test_cli("pcfg sample %s --tokens 1000 --reference-ids -o %s", g, bin);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(zs_tokens_open(&t, bin, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert(t.format == ZS_FORMAT_BIN && t.n_tokens == 1024 && t.sidecar.vocab_size == 150);
    uint64_t lo, hi;
    cr_assert_eq(zs_tokens_id_range(&t, &lo, &hi, &err), ZS_OK);
    cr_assert_lt(hi, 150);
    cr_assert(strstr(t.sidecar.params_json, "\"reference_ids\":true"), "%s", t.sidecar.params_json);
    zs_tokens_close(&t);

    r = zs_test_cli("pcfg analyse %s --json", g);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"subcritical\": true"), "%s", r.out);
    cr_assert(strstr(r.out, "\"entropy_bits_per_token\""), "%s", r.out);
    zs_run_free(&r);
}

Test(pcfg_cli, errors_and_exit_codes) {
    const char *g = zs_test_path("bad.pcfg");
    cr_assert_eq(zs_test_write(g, "S -> 'a' [0.5]\n", 15), 0);
    zs_run r = zs_test_cli("pcfg analyse %s", g);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "zipscale: ") && strstr(r.err, "bad.pcfg:1:1: probabilities of 'S'"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s -o %s", g, zs_test_path("x.npy"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--tokens N is required"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s --tokens 0 -o %s", g, zs_test_path("x.npy"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--tokens is required, expected 1.."), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg generate --nonterminals 3 --terminals 20 --max-options 2 -o %s",
                    zs_test_path("x.pcfg"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--max-length L is required"), "%s", r.err);
    zs_run_free(&r);
    cr_assert_eq(zs_test_write(g, "S -> S 'a' [1.0]\n", 17), 0);
    const char *out = zs_test_path("never.npy");
    r = zs_test_cli("pcfg sample %s --tokens 100 -o %s", g, out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "never terminates"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("test -e %s", out);
    cr_assert_neq(r.exit_code, 0, "a failed sample must leave no output file");
    zs_run_free(&r);
    /* the tokens cannot be written: the labels written before them are removed */
    cr_assert_eq(zs_test_write(g, "S -> 'a' [1.0]\n", 15), 0);
    const char *lab = zs_test_path("orphan_labels.npy");
    r = zs_test_cli("pcfg sample %s --tokens 100 -o /nonexistent-dir/x.npy --labels %s", g, lab);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "/nonexistent-dir/x.npy"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("test -e %s", lab);
    cr_assert_neq(r.exit_code, 0, "labels without their tokens must not be left behind");
    zs_run_free(&r);
}

/* A supercritical grammar still samples (as the reference does, by dropping), but the
 * user is told what the drops mean, and the analysis does not print NaN. */
Test(pcfg_cli, supercritical_grammar_is_flagged) {
    const char *g = zs_test_path("super.pcfg"), *out = zs_test_path("super.npy");
    const char *text = "S -> S S [0.9] | 'a' [0.1]\n";
    cr_assert_eq(zs_test_write(g, text, strlen(text)), 0);
    zs_run r = zs_test_cli("pcfg sample %s --tokens 512 --threads 1 -o %s", g, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "of derivations were dropped, so the sample is the grammar's "
                            "distribution conditioned on derivations within the bounds"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg analyse %s", g);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "critical or supercritical"), "%s", r.out);
    cr_assert(strstr(r.out, "undefined: the expected derivation is infinite"), "%s", r.out);
    cr_assert_null(strstr(r.out, "nan"), "%s", r.out);
    zs_run_free(&r);
}

/* ---- the error contract ------------------------------------------------------------------ */

Test(contract, pcfg_free_accepts_null_and_zeroed) {
    zs_pcfg_free(NULL);
    zs_pcfg_analysis_free(NULL);
    zs_pcfg_analysis a = {0};
    zs_pcfg_analysis_free(&a);
}

Test(pcfg_output, knobs_json_reports_through_status) {
    zs_pcfg *g = generate(2, 3, 4, 5, 6);
    zs_error err;
    char *text = NULL;
    cr_assert_eq(zs_pcfg_knobs_json(g, &text, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(text, "{\"nonterminals\":2,\"terminals\":3,\"max_options\":4,"
                           "\"max_length\":5,\"seed\":6}");
    free(text);
    zs_pcfg_free(g);
    g = parse("S -> 'a' [1.0]\n");
    cr_assert_eq(zs_pcfg_knobs_json(g, &text, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(text, "null");
    free(text);
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    zs_pcfg_sample_stats stats = {0};
    text = (char *)"stale";
    cr_assert_eq(zs_pcfg_sample_provenance(g, NULL, &o, &stats, NULL, &text, &err), ZS_ERR_USAGE);
    cr_assert_null(text);
    cr_assert_eq(zs_pcfg_sample_provenance(g, "g.pcfg", &o, &stats, NULL, &text, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert(strstr(text, "\"grammar\":\"g.pcfg\""), "%s", text);
    free(text);
    zs_pcfg_free(g);
}
