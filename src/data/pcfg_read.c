/* Reads NLTK's PCFG text form into a zs_pcfg: comments (and zipscale's knob comment),
 * `\` line continuations, `%start`, alternatives with `[p]`, lines with the same
 * left-hand side accumulating. Errors say "name:line:column: what, expected what". */
#include "data/pcfg_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SUM_TOLERANCE 1e-6
#define MAX_INTEGER_TERMINAL (1u << 24)
static const char KNOB_PREFIX[] = "# zipscale pcfg:";

/* ---- a string -> index table (open addressing, FNV-1a) -------------------------------- */
typedef struct {
    char **names; /* index -> name, in first-appearance order */
    uint32_t count, names_cap;
    uint32_t *slots; /* index + 1, 0 = empty */
    uint32_t slots_cap;
} symtab;

static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

static int grow(void **array, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return 0;
    uint32_t new_cap = *cap ? *cap : 16;
    while (new_cap < need) new_cap *= 2;
    void *p = realloc(*array, (size_t)new_cap * elem);
    if (!p) return -1;
    *array = p;
    *cap = new_cap;
    return 0;
}

static int symtab_rehash(symtab *t) {
    uint32_t cap = t->slots_cap ? t->slots_cap * 2 : 64;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (uint32_t i = 0; i < t->count; i++) {
        uint64_t h = hash_bytes(t->names[i], strlen(t->names[i]));
        uint32_t j = (uint32_t)(h & (cap - 1));
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->slots_cap = cap;
    return 0;
}

/* The slot holding s[0..len), or the empty slot where it would go (slots_cap > 0). */
static uint32_t symtab_slot(const symtab *t, const char *s, size_t len) {
    uint32_t j = (uint32_t)(hash_bytes(s, len) & (t->slots_cap - 1));
    for (; t->slots[j]; j = (j + 1) & (t->slots_cap - 1)) {
        const char *name = t->names[t->slots[j] - 1];
        if (strlen(name) == len && memcmp(name, s, len) == 0) break;
    }
    return j;
}

/* The index of s[0..len), added at the end if new (*added = 1). -1 when out of memory. */
static int64_t symtab_intern(symtab *t, const char *s, size_t len, int *added) {
    *added = 0;
    if ((uint64_t)(t->count + 1) * 2 > t->slots_cap && symtab_rehash(t)) return -1;
    uint32_t j = symtab_slot(t, s, len);
    if (t->slots[j]) return t->slots[j] - 1;
    if (grow((void **)&t->names, &t->names_cap, t->count + 1, sizeof(char *))) return -1;
    char *copy = strndup(s, len);
    if (!copy) return -1;
    t->names[t->count] = copy;
    t->slots[j] = t->count + 1;
    *added = 1;
    return t->count++;
}

/* The index of s (a C string), or -1 when absent. */
static int64_t symtab_find(const symtab *t, const char *s) {
    if (!t->slots_cap) return -1;
    return (int64_t)t->slots[symtab_slot(t, s, strlen(s))] - 1;
}

static void symtab_free(symtab *t) {
    for (uint32_t i = 0; i < t->count; i++) free(t->names[i]);
    free(t->names);
    free(t->slots);
}

/* ---- parser state ---------------------------------------------------------------------- */
typedef struct {
    const char *name;
    int normalise;
    zs_error *err;

    /* The logical line being parsed (continuations joined) and each byte's origin. */
    char *text;
    uint32_t *line_of, *col_of;
    uint32_t text_len, text_cap, line_of_cap, col_of_cap;

    symtab nonterminals, terminals;
    uint32_t *nt_use_line, *nt_use_col, *nt_def_line; /* first use; first definition (0 = none) */
    uint32_t nt_use_cap, nt_def_cap, nt_col_cap;

    uint32_t *rule_lhs, *rule_offset, *rhs;
    double *rule_prob;
    uint32_t n_rules, n_rhs, lhs_cap, prob_cap, offset_cap, rhs_cap;
    uint32_t *terminal_line, *terminal_col; /* first appearance of each terminal */
    uint32_t terminal_line_cap, terminal_col_cap;

    /* the last %start's name and where it was; resolved after the rules, so that a %start
     * line does not take part in numbering the nonterminals (first appearance in rules) */
    char *start_name;
    uint32_t start_line, start_col;
    int has_knobs;
    zs_pcfg_knobs knobs;
    uint32_t knob_line;
} parser;

static zs_status fail_at(parser *p, uint32_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static zs_status fail_at(parser *p, uint32_t pos, const char *fmt, ...) {
    char what[ZS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* pos may be one past the end of the line: point just after its last byte. */
    uint32_t line = pos < p->text_len ? p->line_of[pos] : p->line_of[p->text_len - 1];
    uint32_t col = pos < p->text_len ? p->col_of[pos] : p->col_of[p->text_len - 1] + 1;
    return zs_fail(p->err, ZS_ERR_FORMAT, "%s:%u:%u: %s", p->name, line, col, what);
}

static zs_status out_of_memory(parser *p) {
    return zs_fail(p->err, ZS_ERR_NOMEM, "%s: out of memory while reading the grammar", p->name);
}

static int is_word(unsigned char c) {
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* NLTK's nonterminal syntax: [\w/][\w/^<>-]* */
static uint32_t nonterminal_end(const parser *p, uint32_t i) {
    const unsigned char *s = (const unsigned char *)p->text;
    if (i >= p->text_len || !(is_word(s[i]) || s[i] == '/')) return i;
    i++;
    while (i < p->text_len && (is_word(s[i]) || (s[i] && strchr("/^<>-", s[i])))) i++;
    return i;
}

static uint32_t skip_space(const parser *p, uint32_t i) {
    while (i < p->text_len && isspace((unsigned char)p->text[i])) i++;
    return i;
}

static zs_status intern_nonterminal(parser *p, uint32_t from, uint32_t to, uint32_t *id) {
    int added;
    int64_t k = symtab_intern(&p->nonterminals, p->text + from, to - from, &added);
    if (k < 0) return out_of_memory(p);
    if (added) {
        uint32_t n = p->nonterminals.count;
        if (grow((void **)&p->nt_use_line, &p->nt_use_cap, n, sizeof(uint32_t)) ||
            grow((void **)&p->nt_use_col, &p->nt_col_cap, n, sizeof(uint32_t)) ||
            grow((void **)&p->nt_def_line, &p->nt_def_cap, n, sizeof(uint32_t)))
            return out_of_memory(p);
        p->nt_use_line[k] = p->line_of[from];
        p->nt_use_col[k] = p->col_of[from];
        p->nt_def_line[k] = 0;
    }
    *id = (uint32_t)k;
    return ZS_OK;
}

static zs_status push_symbol(parser *p, uint32_t sym) {
    if (grow((void **)&p->rhs, &p->rhs_cap, p->n_rhs + 1, sizeof(uint32_t)))
        return out_of_memory(p);
    p->rhs[p->n_rhs++] = sym;
    return ZS_OK;
}

static zs_status push_rule(parser *p, uint32_t lhs, double prob, uint32_t first_symbol) {
    uint32_t n = p->n_rules + 1;
    if (grow((void **)&p->rule_lhs, &p->lhs_cap, n, sizeof(uint32_t)) ||
        grow((void **)&p->rule_prob, &p->prob_cap, n, sizeof(double)) ||
        grow((void **)&p->rule_offset, &p->offset_cap, n + 1, sizeof(uint32_t)))
        return out_of_memory(p);
    p->rule_lhs[p->n_rules] = lhs;
    p->rule_prob[p->n_rules] = prob;
    p->rule_offset[p->n_rules] = first_symbol;
    p->n_rules = n;
    p->rule_offset[n] = p->n_rhs;
    return ZS_OK;
}

/* [digits and dots] -> a probability in [0, 1]; *end is just past the ']'. Any number of
 * digits: the writer's shortest exact form of a tiny probability can need 340 decimals. */
static zs_status parse_probability(parser *p, uint32_t i, double *prob, uint32_t *end) {
    uint32_t j = i + 1;
    while (j < p->text_len && (isdigit((unsigned char)p->text[j]) || p->text[j] == '.')) j++;
    if (j == i + 1 || j >= p->text_len || p->text[j] != ']')
        return fail_at(p, i, "malformed probability, expected '[' digits ']' such as [0.25]");
    /* strtod stops at the ']' at the latest: only digits and dots come before it. */
    char *stop;
    double v = strtod(p->text + i + 1, &stop);
    int n = (int)(j - i - 1);
    if (stop != p->text + j)
        return fail_at(p, i + 1, "'%.*s' is not a number, expected a probability", n,
                       p->text + i + 1);
    if (v > 1.0)
        return fail_at(p, i + 1, "probability %.*s is above 1, expected one in [0, 1]", n,
                       p->text + i + 1);
    *prob = v;
    *end = j + 1;
    return ZS_OK;
}

static zs_status parse_terminal(parser *p, uint32_t i, uint32_t *end) {
    char quote = p->text[i];
    const char *close = memchr(p->text + i + 1, quote, p->text_len - i - 1);
    if (!close) return fail_at(p, i, "unterminated terminal, expected a closing %c", quote);
    uint32_t j = (uint32_t)(close - p->text);
    if (j == i + 1)
        return fail_at(p, i, "empty terminal, expected at least one character between the quotes");
    const char *nul = memchr(p->text + i + 1, '\0', j - i - 1);
    if (nul)
        return fail_at(p, (uint32_t)(nul - p->text),
                       "NUL byte in a terminal, expected none (terminals are C strings)");
    int added;
    int64_t k = symtab_intern(&p->terminals, p->text + i + 1, j - i - 1, &added);
    if (k < 0) return out_of_memory(p);
    if (added) {
        uint32_t n = p->terminals.count;
        if (grow((void **)&p->terminal_line, &p->terminal_line_cap, n, sizeof(uint32_t)) ||
            grow((void **)&p->terminal_col, &p->terminal_col_cap, n, sizeof(uint32_t)))
            return out_of_memory(p);
        p->terminal_line[k] = p->line_of[i];
        p->terminal_col[k] = p->col_of[i];
    }
    *end = j + 1;
    return push_symbol(p, (uint32_t)k);
}

/* Closes the alternative that started at rhs index `first` (its probability at pos). */
static zs_status close_alternative(parser *p, uint32_t lhs, uint32_t first, int has_prob,
                                   double prob, uint32_t pos) {
    if (p->n_rhs == first)
        return fail_at(p, pos, "empty right-hand side, expected at least one symbol");
    if (!has_prob)
        return fail_at(p, pos, "missing probability, expected '[p]' at the end of the alternative");
    return push_rule(p, lhs, prob, first);
}

static zs_status parse_production(parser *p) {
    uint32_t i = nonterminal_end(p, 0), lhs;
    if (i == 0)
        return fail_at(p, 0,
                       "expected a nonterminal name (letters, digits, '_' or '/') on the left");
    zs_status st = intern_nonterminal(p, 0, i, &lhs);
    if (st != ZS_OK) return st;
    if (!p->nt_def_line[lhs]) p->nt_def_line[lhs] = p->line_of[0];
    i = skip_space(p, i);
    if (i + 1 >= p->text_len || p->text[i] != '-' || p->text[i + 1] != '>')
        return fail_at(p, i, "expected '->' after the left-hand side");
    i = skip_space(p, i + 2);
    uint32_t first = p->n_rhs;
    int has_prob = 0;
    double prob = 0;
    while (i < p->text_len) {
        char c = p->text[i];
        if (c == '|') {
            st = close_alternative(p, lhs, first, has_prob, prob, i);
            first = p->n_rhs;
            has_prob = 0;
            i++;
        } else if (has_prob) {
            return fail_at(
                p, i, "unexpected text after a probability, expected '|' or the end of the line");
        } else if (c == '[') {
            if (p->n_rhs == first)
                return fail_at(
                    p, i,
                    "empty right-hand side, expected at least one symbol before the probability");
            st = parse_probability(p, i, &prob, &i);
            has_prob = 1;
        } else if (c == '\'' || c == '"') {
            st = parse_terminal(p, i, &i);
        } else {
            uint32_t end = nonterminal_end(p, i), nt;
            if (c == '\0') return fail_at(p, i, "unexpected NUL byte, expected a symbol");
            if (end == i)
                return fail_at(
                    p, i,
                    "unexpected '%c', expected a nonterminal, a quoted terminal, '|' or '[p]'", c);
            st = intern_nonterminal(p, i, end, &nt);
            if (st == ZS_OK) st = push_symbol(p, ZS_PCFG_NONTERMINAL | nt);
            i = end;
        }
        if (st != ZS_OK) return st;
        i = skip_space(p, i);
    }
    return close_alternative(p, lhs, first, has_prob, prob, p->text_len);
}

static zs_status parse_directive(parser *p) {
    uint32_t i = 1;
    while (i < p->text_len && !isspace((unsigned char)p->text[i])) i++;
    if (i - 1 != 5 || strncmp(p->text + 1, "start", 5) != 0)
        return fail_at(p, 0, "unknown directive '%.*s', expected '%%start NONTERMINAL'", (int)i,
                       p->text);
    uint32_t from = skip_space(p, i), to = nonterminal_end(p, from);
    if (to == from || to != p->text_len)
        return fail_at(p, to, "expected one nonterminal name after %%start");
    char *name = strndup(p->text + from, to - from);
    if (!name) return out_of_memory(p);
    free(p->start_name);
    p->start_name = name;
    p->start_line = p->line_of[from];
    p->start_col = p->col_of[from];
    return ZS_OK;
}

/* "KEY=DIGITS" at *s (after any spaces), at most max; *s moves past it. */
static int knob_field(const char **s, const char *key, uint64_t max, uint64_t *out) {
    const char *c = *s;
    while (*c == ' ' || *c == '\t') c++;
    size_t k = strlen(key);
    if (strncmp(c, key, k) != 0 || c[k] != '=' || !isdigit((unsigned char)c[k + 1])) return 0;
    uint64_t v = 0;
    for (c += k + 1; isdigit((unsigned char)*c); c++) {
        uint64_t digit = (uint64_t)(*c - '0');
        if (v > (max - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *out = v;
    *s = c;
    return 1;
}

/* The knob comment; every value a decimal integer, terminals at most MAX_INTEGER_TERMINAL
 * (it sizes the vocabulary; 16777216), the others below 2^32, the seed below 2^64. */
static zs_status parse_knobs(parser *p, const char *line, size_t len, uint32_t line_no) {
    static const char *const keys[5] = {"nonterminals", "terminals", "max_options", "max_length",
                                        "seed"};
    const uint64_t max[5] = {UINT32_MAX, MAX_INTEGER_TERMINAL, UINT32_MAX, UINT32_MAX, UINT64_MAX};
    char buf[256];
    uint64_t v[5] = {0};
    int k = 0;
    if (len < sizeof buf) {
        memcpy(buf, line, len);
        buf[len] = '\0';
        const char *c = buf + sizeof KNOB_PREFIX - 1;
        while (k < 5 && knob_field(&c, keys[k], max[k], &v[k])) k++;
        if (k == 5 && *c != '\0') k = 4; /* trailing text: blame the last field */
    }
    if (k < 5)
        return zs_fail(p->err, ZS_ERR_FORMAT,
                       "%s:%u:1: malformed knob comment, expected '%s nonterminals=N "
                       "terminals=T max_options=O max_length=L seed=S' (field '%s': %s)",
                       p->name, line_no, KNOB_PREFIX, keys[k],
                       k == 1   ? "an integer from 0 to 16777216"
                       : k == 4 ? "an integer from 0 to 2^64 - 1"
                                : "an integer from 0 to 2^32 - 1");
    p->has_knobs = 1;
    p->knob_line = line_no;
    p->knobs =
        (zs_pcfg_knobs){(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3], v[4]};
    return ZS_OK;
}

/* Appends a stripped physical line to the logical line, remembering where bytes came from. */
static zs_status append_text(parser *p, const char *s, uint32_t len, uint32_t line_no,
                             uint32_t col0) {
    uint32_t n = p->text_len + len + 1;
    if (grow((void **)&p->text, &p->text_cap, n, 1) ||
        grow((void **)&p->line_of, &p->line_of_cap, n, sizeof(uint32_t)) ||
        grow((void **)&p->col_of, &p->col_of_cap, n, sizeof(uint32_t)))
        return out_of_memory(p);
    for (uint32_t k = 0; k < len; k++) {
        p->text[p->text_len] = s[k];
        p->line_of[p->text_len] = line_no;
        p->col_of[p->text_len++] = col0 + k;
    }
    p->text[p->text_len] = '\0';
    return ZS_OK;
}

/* Splits into lines the way nltk.grammar.read_grammar does and parses each logical line. */
static zs_status parse_lines(parser *p, const char *text, size_t len) {
    size_t pos = 0;
    uint32_t line_no = 0;
    int continuing = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        pos += line_len + 1;
        line_no++;
        size_t a = 0, b = line_len;
        while (a < b && isspace((unsigned char)line[a])) a++;
        while (b > a && isspace((unsigned char)line[b - 1])) b--;
        if (!continuing) p->text_len = 0;
        if (b - a > UINT32_MAX / 2)
            return zs_fail(p->err, ZS_ERR_FORMAT, "%s:%u: line too long", p->name, line_no);
        zs_status st = append_text(p, line + a, (uint32_t)(b - a), line_no, (uint32_t)a + 1);
        if (st != ZS_OK) return st;
        if (p->text_len == 0 || p->text[0] == '#') {
            if (!continuing && b - a >= sizeof KNOB_PREFIX - 1 &&
                memcmp(line + a, KNOB_PREFIX, sizeof KNOB_PREFIX - 1) == 0) {
                st = parse_knobs(p, line + a, b - a, line_no);
                if (st != ZS_OK) return st;
            }
            continuing = 0;
            continue;
        }
        if (p->text[p->text_len - 1] == '\\') {
            p->text_len--;
            while (p->text_len && isspace((unsigned char)p->text[p->text_len - 1])) p->text_len--;
            st = append_text(p, " ", 1, line_no, (uint32_t)b);
            if (st != ZS_OK) return st;
            continuing = 1;
            continue;
        }
        continuing = 0;
        st = p->text[0] == '%' ? parse_directive(p) : parse_production(p);
        if (st != ZS_OK) return st;
    }
    if (continuing)
        return zs_fail(p->err, ZS_ERR_FORMAT,
                       "%s:%u: the last line ends with '\\', expected a line to continue it",
                       p->name, line_no);
    return ZS_OK;
}

static zs_status undefined_nonterminal(parser *p, uint32_t line, uint32_t col, const char *name) {
    return zs_fail(p->err, ZS_ERR_FORMAT,
                   "%s:%u:%u: nonterminal '%s' has no productions, expected it on some "
                   "left-hand side",
                   p->name, line, col, name);
}

static zs_status check_definitions(parser *p) {
    if (p->n_rules == 0)
        return zs_fail(p->err, ZS_ERR_FORMAT,
                       "%s: no productions, expected at least one line 'A -> ... [p]'", p->name);
    for (uint32_t a = 0; a < p->nonterminals.count; a++)
        if (!p->nt_def_line[a])
            return undefined_nonterminal(p, p->nt_use_line[a], p->nt_use_col[a],
                                         p->nonterminals.names[a]);
    return ZS_OK;
}

static zs_status check_sums(parser *p) {
    uint32_t n = p->nonterminals.count;
    double *sum = calloc(n, sizeof *sum);
    if (!sum) return out_of_memory(p);
    for (uint32_t r = 0; r < p->n_rules; r++) sum[p->rule_lhs[r]] += p->rule_prob[r];
    zs_status st = ZS_OK;
    for (uint32_t a = 0; a < n && st == ZS_OK; a++) {
        if (fabs(sum[a] - 1.0) <= SUM_TOLERANCE) continue;
        if (!p->normalise)
            st = zs_fail(p->err, ZS_ERR_FORMAT,
                         "%s:%u:1: probabilities of '%s' sum to %.9g, expected 1 within %g (or "
                         "normalise)",
                         p->name, p->nt_def_line[a], p->nonterminals.names[a], sum[a],
                         SUM_TOLERANCE);
        else if (!(sum[a] > 0))
            st = zs_fail(p->err, ZS_ERR_FORMAT,
                         "%s:%u:1: probabilities of '%s' sum to 0, expected a positive sum to "
                         "normalise",
                         p->name, p->nt_def_line[a], p->nonterminals.names[a]);
    }
    if (st == ZS_OK && p->normalise)
        for (uint32_t r = 0; r < p->n_rules; r++) p->rule_prob[r] /= sum[p->rule_lhs[r]];
    free(sum);
    return st;
}

/* "0" or [1-9][0-9]* below MAX_INTEGER_TERMINAL. */
static int integer_value(const char *s, uint32_t *value) {
    if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1])) return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v >= MAX_INTEGER_TERMINAL) return 0;
    }
    *value = (uint32_t)v;
    return 1;
}

/* Integer terminals keep their values as ids; otherwise ids go by first appearance. */
static zs_status assign_terminal_ids(parser *p, zs_pcfg *g) {
    uint32_t n = p->terminals.count;
    uint32_t *value = malloc((n ? n : 1) * sizeof *value);
    if (!value) return out_of_memory(p);
    int integers = 1;
    uint32_t max_value = 0, max_at = 0;
    for (uint32_t k = 0; k < n && integers; k++) {
        integers = integer_value(p->terminals.names[k], &value[k]);
        if (integers && value[k] >= max_value) max_value = value[k], max_at = k;
    }
    zs_status st = ZS_OK;
    if (n > 0 && integers) {
        g->integer_terminals = 1;
        g->n_terminals = max_value + 1;
        if (p->has_knobs && p->knobs.terminals > max_value)
            g->n_terminals = p->knobs.terminals;
        else if (p->has_knobs)
            st = zs_fail(p->err, ZS_ERR_FORMAT,
                         "%s:%u:%u: terminal '%u' is not below the knob comment's terminals=%u "
                         "(line %u), expected ids 0..%u",
                         p->name, p->terminal_line[max_at], p->terminal_col[max_at], max_value,
                         p->knobs.terminals, p->knob_line, p->knobs.terminals - 1);
        for (uint32_t s = 0; s < p->n_rhs; s++)
            if (!(p->rhs[s] & ZS_PCFG_NONTERMINAL)) p->rhs[s] = value[p->rhs[s]];
    } else {
        g->n_terminals = n;
        g->terminal_names = p->terminals.names;
        p->terminals.names = NULL;
        p->terminals.count = 0;
    }
    free(value);
    return st;
}

/* The start: the %start nonterminal, else the first left-hand side. */
static zs_status resolve_start(parser *p, uint32_t *start) {
    *start = p->rule_lhs[0];
    if (!p->start_name) return ZS_OK;
    int64_t k = symtab_find(&p->nonterminals, p->start_name);
    if (k < 0) return undefined_nonterminal(p, p->start_line, p->start_col, p->start_name);
    *start = (uint32_t)k;
    return ZS_OK;
}

static zs_status build(parser *p, zs_pcfg **out) {
    zs_status st = check_definitions(p);
    uint32_t start = 0;
    if (st == ZS_OK) st = resolve_start(p, &start);
    if (st == ZS_OK) st = check_sums(p);
    if (st != ZS_OK) return st;
    zs_pcfg *g = zs_pcfg__create(p->err);
    if (!g) return ZS_ERR_NOMEM;
    st = assign_terminal_ids(p, g);
    if (st != ZS_OK) {
        zs_pcfg_free(g);
        return st;
    }
    g->n_nonterminals = p->nonterminals.count;
    g->nonterminal_names = p->nonterminals.names;
    p->nonterminals.names = NULL;
    p->nonterminals.count = 0;
    g->n_rules = p->n_rules;
    g->start = start;
    g->rule_lhs = p->rule_lhs, p->rule_lhs = NULL;
    g->rule_prob = p->rule_prob, p->rule_prob = NULL;
    g->rule_offset = p->rule_offset, p->rule_offset = NULL;
    g->rhs = p->rhs, p->rhs = NULL;
    g->has_knobs = p->has_knobs;
    g->knobs = p->knobs;
    st = zs_pcfg__index(g, p->err);
    if (st != ZS_OK) {
        zs_pcfg_free(g);
        return st;
    }
    *out = g;
    return ZS_OK;
}

zs_status zs_pcfg_parse(const char *text, size_t len, const char *name, int normalise,
                        zs_pcfg **out, zs_error *err) {
    *out = NULL;
    parser p;
    memset(&p, 0, sizeof p);
    p.name = name ? name : "<grammar>";
    p.normalise = normalise;
    p.err = err;
    zs_status st = parse_lines(&p, text, len);
    if (st == ZS_OK) st = build(&p, out);
    free(p.text);
    free(p.line_of);
    free(p.col_of);
    symtab_free(&p.nonterminals);
    symtab_free(&p.terminals);
    free(p.nt_use_line);
    free(p.nt_use_col);
    free(p.nt_def_line);
    free(p.rule_lhs);
    free(p.rule_offset);
    free(p.rhs);
    free(p.rule_prob);
    free(p.terminal_line);
    free(p.terminal_col);
    free(p.start_name);
    return st;
}

zs_status zs_pcfg_read(const char *path, int normalise, zs_pcfg **out, zs_error *err) {
    char *text;
    size_t len;
    *out = NULL;
    zs_status st = zs_read_file(path, &text, &len, err);
    if (st != ZS_OK) return st;
    st = zs_pcfg_parse(text, len, path, normalise, out, err);
    free(text);
    return st;
}
