/* The hot loop: documents of token ids from a grammar, docs/science.md §4's document rule.
 * Derivations expand iteratively on an explicit stack of (rule, position, depth) frames,
 * options come from per-nonterminal alias tables, and every document owns an RNG stream
 * (seed, document index), so the ids do not depend on the thread count. */
#include "data/pcfg_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH_LIMIT (1u << 20)
#define SEPARATOR_ID 0u

typedef struct {
    uint32_t rule, pos, end, depth;
} frame;

typedef enum { DERIVED, DROPPED_DEPTH, DROPPED_EXPANSIONS } derive_result;

typedef struct {
    const zs_pcfg *g;
    const zs_pcfg_sample_opts *opts;
    uint32_t terminal_offset; /* token id of terminal t is t + terminal_offset */
    frame *stack;             /* max_depth frames: depths on the stack strictly increase */
    uint64_t sentences, dropped, dropped_depth;
} sampler;

void zs_pcfg_sample_opts_init(zs_pcfg_sample_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->context = 256;
    opts->max_depth = ZS_PCFG_DEFAULT_MAX_DEPTH;
    opts->max_expansions = ZS_PCFG_DEFAULT_MAX_EXPANSIONS;
    opts->max_retries = ZS_PCFG_DEFAULT_MAX_RETRIES;
}

uint64_t zs_pcfg_vocab_size(const zs_pcfg *g, int reference_ids) {
    if (reference_ids) return g->n_terminals ? g->n_terminals : 1;
    return (uint64_t)g->n_terminals + 1;
}

static inline uint32_t pick_rule(const zs_pcfg *g, uint32_t nonterminal, zs_rng *rng) {
    uint32_t first = g->nt_rule_offset[nonterminal];
    if (g->nt_rule_offset[nonterminal + 1] - first == 1) return g->nt_rules[first];
    return g->nt_rules[first + zs_alias_draw(&g->nt_alias[nonterminal], rng)];
}

/* One sentence from the start symbol. Its first `room` tokens (and labels) are written;
 * the rest is still derived, since a sentence counts only if its whole derivation stays
 * within the bounds (as the reference drops it on RecursionError anywhere). The frame
 * being read lives in locals; the stack holds only unfinished parents (a rule's last
 * symbol replaces its frame), whose depths strictly increase: at most max_depth - 1. */
static derive_result derive(sampler *s, zs_rng *rng, uint32_t *out, int32_t *labels, uint32_t room,
                            uint64_t *length) {
    const zs_pcfg *g = s->g;
    const uint32_t *rhs = g->rhs, *offset = g->rule_offset;
    const uint32_t max_depth = s->opts->max_depth, max_expansions = s->opts->max_expansions;
    const uint32_t terminal_offset = s->terminal_offset;
    frame *stack = s->stack;
    uint32_t rule = pick_rule(g, g->start, rng), depth = 1, sp = 0, expansions = 1;
    uint32_t pos = offset[rule], end = offset[rule + 1];
    uint64_t len = 0;
    for (;;) {
        if (pos == end) {
            if (sp == 0) break;
            frame f = stack[--sp];
            rule = f.rule, pos = f.pos, end = f.end, depth = f.depth;
            continue;
        }
        uint32_t sym = rhs[pos++];
        if (!(sym & ZS_PCFG_NONTERMINAL)) {
            if (len < room) {
                out[len] = sym + terminal_offset;
                if (labels) labels[len] = (int32_t)rule;
            }
            len++;
            continue;
        }
        if (depth + 1 > max_depth) return DROPPED_DEPTH;
        if (++expansions > max_expansions) return DROPPED_EXPANSIONS;
        if (pos != end) stack[sp++] = (frame){rule, pos, end, depth};
        rule = pick_rule(g, sym & ~ZS_PCFG_NONTERMINAL, rng);
        pos = offset[rule], end = offset[rule + 1], depth++;
    }
    *length = len;
    return DERIVED;
}

/* Sentences are appended while the row has room; a sentence that fits is followed by a
 * separator (so a sentence that fills the row up to its last slot still gets one); one
 * that does not fit is truncated to the room left. Every row is exactly `context` long. */
static zs_status sample_document(sampler *s, uint64_t doc, uint32_t *tokens, int32_t *labels,
                                 zs_error *err) {
    const uint32_t context = s->opts->context;
    zs_rng rng;
    zs_rng_seed(&rng, s->opts->seed, zs_rng_mix(zs_rng_tag("pcfg.doc"), doc));
    uint32_t filled = 0;
    while (filled < context) {
        uint32_t room = context - filled, retries = 0;
        uint64_t len;
        derive_result res;
        while ((res = derive(s, &rng, tokens + filled, labels ? labels + filled : NULL, room,
                             &len)) != DERIVED) {
            s->dropped++;
            s->dropped_depth += res == DROPPED_DEPTH;
            if (++retries >= s->opts->max_retries)
                return zs_fail(err, ZS_ERR_NUMERIC,
                               "pcfg sample: document %llu: %u derivations in a row were dropped "
                               "(deeper than %u nonterminals or more than %u expansions): the "
                               "grammar (almost) never terminates; see `zipscale pcfg analyse`",
                               (unsigned long long)doc, retries, s->opts->max_depth,
                               s->opts->max_expansions);
        }
        s->sentences++;
        if (len + 1 <= room) {
            tokens[filled + len] = SEPARATOR_ID;
            if (labels) labels[filled + len] = ZS_PCFG_LABEL_SEPARATOR;
            filled += (uint32_t)len + 1;
        } else {
            filled = context;
        }
    }
    return ZS_OK;
}

static zs_status check_opts(const zs_pcfg *g, const zs_pcfg_sample_opts *o, int labels,
                            zs_error *err) {
    if (o->context < 1)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg sample: context is 0, expected >= 1");
    if (o->max_depth < 1 || o->max_depth > MAX_DEPTH_LIMIT)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg sample: max depth %u, expected 1..%u", o->max_depth,
                       MAX_DEPTH_LIMIT);
    if (o->max_expansions < 1)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg sample: max expansions is 0, expected >= 1");
    if (o->max_retries < 1)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg sample: max retries is 0, expected >= 1");
    if (labels && g->n_rules > INT32_MAX)
        return zs_fail(err, ZS_ERR_RANGE, "pcfg sample: %u rules do not fit int32 labels",
                       g->n_rules);
    return ZS_OK;
}

zs_status zs_pcfg_sample(const zs_pcfg *g, const zs_pcfg_sample_opts *opts, uint64_t first_document,
                         uint64_t documents, uint32_t *tokens, int32_t *labels,
                         zs_pcfg_sample_stats *stats, zs_error *err) {
    zs_status st = check_opts(g, opts, labels != NULL, err);
    if (st != ZS_OK) return st;
    int threads = zs_threads_resolve(opts->threads);
    frame *stacks =
        zs_calloc((size_t)threads * opts->max_depth, sizeof *stacks, "derivation stacks", err);
    if (!stacks) return ZS_ERR_NOMEM;
    uint64_t first_failure = UINT64_MAX; /* lowest failing document: deterministic */
    zs_pcfg_sample_stats total = {0, 0, 0, 0};
    const size_t context = opts->context;
#pragma omp parallel num_threads(threads)
    {
        sampler s = {g, opts, opts->reference_ids ? 0 : 1, NULL, 0, 0, 0};
        s.stack = stacks + (size_t)omp_get_thread_num() * opts->max_depth;
        zs_error local;
#pragma omp for schedule(dynamic, 8)
        for (uint64_t d = 0; d < documents; d++) {
            uint64_t failed_at;
#pragma omp atomic read
            failed_at = first_failure;
            if (d > failed_at) continue; /* lower documents still run: the error is theirs */
            if (sample_document(&s, first_document + d, tokens + d * context,
                                labels ? labels + d * context : NULL, &local) != ZS_OK) {
#pragma omp critical(zs_pcfg_sample_error)
                if (d < first_failure) {
#pragma omp atomic write
                    first_failure = d;
                    if (err) *err = local;
                }
            }
        }
#pragma omp critical(zs_pcfg_sample_stats)
        {
            total.sentences += s.sentences;
            total.dropped += s.dropped;
            total.dropped_depth += s.dropped_depth;
        }
    }
    free(stacks);
    if (first_failure != UINT64_MAX) return err ? err->code : ZS_ERR_NUMERIC;
    uint64_t attempts = total.sentences + total.dropped;
    total.dropped_fraction = attempts ? (double)total.dropped / (double)attempts : 0;
    if (stats) *stats = total;
    return ZS_OK;
}
