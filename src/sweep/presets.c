/* The built-in sweep specs that `zipscale demo --preset NAME` runs and `zipscale sweep
 * preset NAME` prints: the gzip paper's experiment at three sizes. Why these numbers:
 * docs/sweeps.md "Presets". Grammar seeds follow the grammar's place in the paper's main
 * set (seed i for the i-th grammar), as `zipscale pcfg paper` seeds them. */
#include <string.h>

#include "zipscale/sweep.h"

// clang-format off
static const char quick[] =
    "# zipscale demo --preset quick: a smoke test of the whole pipeline (1-2 minutes on\n"
    "# 2 cores). Three of the gzip paper's grammars, three small GPTs, three budgets: too few\n"
    "# runs for laws to trust, enough to see every stage work.\n"
    "name: quick\n"
    "datasets:\n"
    "  - {name: nt3-t20, pcfg: {nonterminals: 3, terminals: 20, max_options: 2, max_length: 2, seed: 0}, tokens: 1048576}\n"
    "  - {name: nt20-t300, pcfg: {nonterminals: 20, terminals: 300, max_options: 10, max_length: 5, seed: 2}, tokens: 1048576}\n"
    "  - {name: nt50-t500, pcfg: {nonterminals: 50, terminals: 500, max_options: 20, max_length: 15, seed: 4}, tokens: 1048576}\n"
    "models:\n"
    "  - {name: d16, d_model: 16, layers: 1, heads: 1}\n"
    "  - {name: d24, d_model: 24, layers: 1, heads: 2}\n"
    "  - {name: d32, d_model: 32, layers: 2, heads: 2}\n"
    "budgets: [200000, 400000, 800000]\n"
    "train:\n"
    "  batch: 4\n"
    "  lr: 0.003\n"
    "  min_steps: 150\n"
    "analysis:\n"
    "  bootstrap: 50\n"
    "  holdout_largest: 1\n";

static const char standard[] =
    "# zipscale demo: the gzip paper's experiment at CPU scale (about 6 minutes on 2 cores).\n"
    "# Four of the paper's main-set grammars spanning H 0.11-0.51, five GPTs of 2.6K-82K\n"
    "# non-embedding parameters, five budgets of 200K-3.2M tokens (195-3125 steps of 4 x 256\n"
    "# tokens). docs/sweeps.md says why these numbers.\n"
    "name: demo\n"
    "datasets:\n"
    "  - {name: nt3-t20, pcfg: {nonterminals: 3, terminals: 20, max_options: 2, max_length: 2, seed: 0}, tokens: 3276800}\n"
    "  - {name: nt10-t150, pcfg: {nonterminals: 10, terminals: 150, max_options: 5, max_length: 3, seed: 1}, tokens: 3276800}\n"
    "  - {name: nt20-t300, pcfg: {nonterminals: 20, terminals: 300, max_options: 10, max_length: 5, seed: 2}, tokens: 3276800}\n"
    "  - {name: nt50-t500, pcfg: {nonterminals: 50, terminals: 500, max_options: 20, max_length: 15, seed: 4}, tokens: 3276800}\n"
    "models:\n"
    "  - {name: d16, d_model: 16, layers: 1, heads: 1}\n"
    "  - {name: d24, d_model: 24, layers: 1, heads: 2}\n"
    "  - {name: d32, d_model: 32, layers: 2, heads: 2}\n"
    "  - {name: d48, d_model: 48, layers: 2, heads: 2}\n"
    "  - {name: d64, d_model: 64, layers: 2, heads: 2}\n"
    "budgets: [200000, 400000, 800000, 1600000, 3200000]\n"
    "train:\n"
    "  batch: 4\n"
    "  lr: 0.003\n"
    "  min_steps: 150\n"
    "analysis:\n"
    "  bootstrap: 200\n"
    "  holdout_largest: 2\n";

static const char paper[] =
    "# zipscale demo --preset paper: the paper's six main-set grammars, its three smallest\n"
    "# GPTs (d_model 64/128/256 with 2/4/6 layers, head size 64) and its budgets of 1M-50M\n"
    "# tokens at its batch of 32 x 256 tokens. About a day of a 2-core machine; `zipscale\n"
    "# sweep plan` prints the estimate measured on yours.\n"
    "name: paper\n"
    "datasets:\n"
    "  - {name: nt3-t20, pcfg: {nonterminals: 3, terminals: 20, max_options: 2, max_length: 2, seed: 0}, tokens: 52428800}\n"
    "  - {name: nt10-t150, pcfg: {nonterminals: 10, terminals: 150, max_options: 5, max_length: 3, seed: 1}, tokens: 52428800}\n"
    "  - {name: nt20-t300, pcfg: {nonterminals: 20, terminals: 300, max_options: 10, max_length: 5, seed: 2}, tokens: 52428800}\n"
    "  - {name: nt30-t400, pcfg: {nonterminals: 30, terminals: 400, max_options: 10, max_length: 8, seed: 3}, tokens: 52428800}\n"
    "  - {name: nt50-t500, pcfg: {nonterminals: 50, terminals: 500, max_options: 20, max_length: 15, seed: 4}, tokens: 52428800}\n"
    "  - {name: nt100-t2000, pcfg: {nonterminals: 100, terminals: 2000, max_options: 100, max_length: 30, seed: 5}, tokens: 52428800}\n"
    "models:\n"
    "  - {name: d64, d_model: 64, layers: 2, heads: 1}\n"
    "  - {name: d128, d_model: 128, layers: 4, heads: 2}\n"
    "  - {name: d256, d_model: 256, layers: 6, heads: 4}\n"
    "budgets: [1000000, 2000000, 5000000, 20000000, 50000000]\n"
    "train:\n"
    "  batch: 32\n"
    "  lr_rule: {c: 0.024, p: 0.5}\n"
    "analysis:\n"
    "  bootstrap: 1000\n"
    "  holdout_largest: 3\n";
// clang-format on

const char *zs_sweep_preset(const char *name) {
    if (strcmp(name, "quick") == 0) return quick;
    if (strcmp(name, "default") == 0) return standard;
    if (strcmp(name, "paper") == 0) return paper;
    return NULL;
}
