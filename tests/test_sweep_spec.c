/* Tests for the sweep spec parser (module sweep): a full spec read back field by field,
 * the defaults, the three dataset kinds, the integer and boolean forms, path joining, and
 * every error, each checked for its FILE:LINE and field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zipscale/sweep.h"

/* A small valid GPT spec; the error tests change one thing in it. */
#define GPT_HEAD                                                                                   \
    "datasets:\n"                                                                                  \
    "  - name: a\n"                                                                                \
    "    pcfg: {nonterminals: 10, terminals: 20, max_options: 3, max_length: 5}\n"                 \
    "    tokens: 100000\n"

#define GPT_MODELS                                                                                 \
    "models:\n"                                                                                    \
    "  - {name: d32, d_model: 32, layers: 2}\n"

#define GPT_SPEC GPT_HEAD GPT_MODELS "budgets: [300000]\n"

/* An MLP spec: parity data, MLP models, budgets in examples (8 per step). */
#define MLP_HEAD                                                                                   \
    "datasets:\n"                                                                                  \
    "  - name: par\n"                                                                              \
    "    parity: {tasks: 100, bits: 50, k: 3, zipf_exponent: 1.4}\n"

static int is_zero(const zs_sweep_spec *spec) {
    static const zs_sweep_spec zero;
    return memcmp(spec, &zero, sizeof zero) == 0;
}

static void parse_ok(const char *text, zs_sweep_spec *spec) {
    zs_error err;
    zs_status st = zs_sweep_spec_parse(text, strlen(text), "t.yaml", "base", spec, &err);
    cr_assert_eq(st, ZS_OK, "%s", err.msg);
}

/* Parsing fails with ZS_ERR_FORMAT, leaves a zeroed spec, and the message holds each
 * of the (up to three) fragments. */
static void parse_fails(const char *text, const char *a, const char *b, const char *c) {
    zs_sweep_spec spec;
    memset(&spec, 0xab, sizeof spec);
    zs_error err;
    zs_status st = zs_sweep_spec_parse(text, strlen(text), "t.yaml", "base", &spec, &err);
    cr_assert_eq(st, ZS_ERR_FORMAT, "expected a format error, got %s", zs_status_name(st));
    cr_assert(is_zero(&spec), "a failed parse must leave a zeroed spec");
    const char *parts[] = {a, b, c};
    for (int i = 0; i < 3; i++)
        if (parts[i]) cr_assert(strstr(err.msg, parts[i]), "'%s' not in: %s", parts[i], err.msg);
    zs_sweep_spec_free(&spec);
}

static const char *write_spec(const char *dir, const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", zs_test_path(dir), name);
    mkdir(zs_test_path(dir), 0755);
    cr_assert_eq(zs_test_write(path, text, strlen(text)), 0);
    return path;
}

/* ---- valid specs --------------------------------------------------------------------- */

static const char FULL[] =
    "name: full-1.x_y\n"
    "datasets:\n"
    "  - name: pcfg-a\n"
    "    pcfg: {nonterminals: 10, terminals: 20, max_options: 3, max_length: 5, seed: 7}\n"
    "    tokens: 3_000_000\n"
    "    val_tokens: 65536\n"
    "  - name: mine\n"
    "    file: data/train.npy\n"
    "    val_file: /abs/val.npy\n"
    "models:\n"
    "  - {name: d32, d_model: 32, layers: 2, heads: 2, mlp_hidden: 96, lr: 0.004}\n"
    "  - name: d64\n"
    "    d_model: 64\n"
    "    layers: 3\n"
    "budgets: [3e5, 1_000_000, 1.5e6]\n"
    "seeds: [0, 18446744073709551615]\n"
    "train:\n"
    "  context: 128\n"
    "  batch: 4\n"
    "  min_steps: 50\n"
    "  precision: bf16\n"
    "  schedule: wsd\n"
    "  lr_rule: {c: 0.01, p: 0.5}\n"
    "  lr_min_ratio: 0.2\n"
    "  warmup_fraction: 0.1\n"
    "  weight_decay: 0.05\n"
    "  grad_clip: 0\n"
    "  eval_tokens: 32768\n"
    "  evals: 6\n"
    "  checkpoint_every: 500\n"
    "  val_fraction: 0.25\n"
    "  parity_test_size: 2000\n"
    "analysis:\n"
    "  n: all\n"
    "  bootstrap: 0\n"
    "  holdout_largest: 1\n"
    "  bound_e: no\n"
    "  fix_e: no\n"
    "  reference_flops: 1e15\n"
    "jobs: 2\n"
    "max_attempts: 5\n";

Test(sweep_spec, full_spec_reads_back) {
    const char *path = write_spec("full", "s.yaml", FULL);
    zs_sweep_spec s;
    zs_error err;
    cr_assert_eq(zs_sweep_spec_read(path, &s, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(s.path, path);
    cr_assert_str_eq(s.base_dir, zs_test_path("full"));
    cr_assert_str_eq(s.name, "full-1.x_y");
    cr_assert_eq(s.n_datasets, 2);
    const zs_sweep_dataset *a = &s.datasets[0], *m = &s.datasets[1];
    cr_assert_str_eq(a->name, "pcfg-a");
    cr_assert_eq(a->kind, ZS_SWEEP_DATA_PCFG);
    cr_assert_eq(a->knobs.nonterminals, 10);
    cr_assert_eq(a->knobs.terminals, 20);
    cr_assert_eq(a->knobs.max_options, 3);
    cr_assert_eq(a->knobs.max_length, 5);
    cr_assert_eq(a->knobs.seed, 7);
    cr_assert_eq(a->tokens, 3000000);
    cr_assert_eq(a->val_tokens, 65536);
    cr_assert_eq(a->line, 3);
    cr_assert_null(a->path);
    cr_assert_str_eq(m->name, "mine");
    cr_assert_eq(m->kind, ZS_SWEEP_DATA_FILE);
    char joined[600];
    snprintf(joined, sizeof joined, "%s/data/train.npy", zs_test_path("full"));
    cr_assert_str_eq(m->path, joined);
    cr_assert_str_eq(m->val_path, "/abs/val.npy");
    cr_assert_eq(m->line, 7);
    cr_assert_eq(m->tokens, 0);
    cr_assert_eq(s.n_models, 2);
    const zs_sweep_model *d32 = &s.models[0], *d64 = &s.models[1];
    cr_assert_str_eq(d32->name, "d32");
    cr_assert_eq(d32->model.kind, ZS_MODEL_GPT);
    cr_assert_eq(d32->model.gpt.d_model, 32);
    cr_assert_eq(d32->model.gpt.layers, 2);
    cr_assert_eq(d32->model.gpt.heads, 2);
    cr_assert_eq(d32->model.gpt.mlp_hidden, 96);
    cr_assert_eq(d32->model.gpt.vocab, 0);
    cr_assert_eq(d32->model.gpt.context, 0);
    cr_assert_eq(d32->lr, 0.004);
    cr_assert_eq(d32->line, 11);
    cr_assert_str_eq(d64->name, "d64");
    cr_assert_eq(d64->model.gpt.d_model, 64);
    cr_assert_eq(d64->model.gpt.layers, 3);
    cr_assert_eq(d64->model.gpt.heads, 1);
    cr_assert_eq(d64->model.gpt.mlp_hidden, 128);
    cr_assert_eq(d64->lr, 0);
    cr_assert_eq(d64->line, 12);
    cr_assert_eq(s.n_budgets, 3);
    cr_assert_eq(s.budgets[0], 300000);
    cr_assert_eq(s.budgets[1], 1000000);
    cr_assert_eq(s.budgets[2], 1500000);
    cr_assert_eq(s.n_seeds, 2);
    cr_assert_eq(s.seeds[0], 0);
    cr_assert_eq(s.seeds[1], UINT64_MAX);
    cr_assert_eq(s.context, 128);
    cr_assert_eq(s.batch, 4);
    cr_assert_eq(s.min_steps, 50);
    cr_assert_eq(s.precision, ZS_PRECISION_BF16);
    cr_assert_eq(s.schedule, ZS_LR_WSD);
    cr_assert_eq(s.lr, 0);
    cr_assert_eq(s.lr_c, 0.01);
    cr_assert_eq(s.lr_p, 0.5);
    cr_assert_eq(s.lr_min_ratio, 0.2);
    cr_assert_eq(s.warmup_fraction, 0.1);
    cr_assert_eq(s.weight_decay, 0.05);
    cr_assert_eq(s.grad_clip, 0);
    cr_assert_eq(s.eval_tokens, 32768);
    cr_assert_eq(s.evals, 6);
    cr_assert_eq(s.checkpoint_every, 500);
    cr_assert_eq(s.val_fraction, 0.25);
    cr_assert_eq(s.parity_test_size, 2000);
    cr_assert_eq(s.fit_nonembed, 0);
    cr_assert_eq(s.bootstrap, 0);
    cr_assert_eq(s.holdout_largest, 1);
    cr_assert_eq(s.bound_e, 0);
    cr_assert_eq(s.fix_e, 0);
    cr_assert_eq(s.reference_flops, 1e15);
    cr_assert_eq(s.jobs, 2);
    cr_assert_eq(s.max_attempts, 5);
    zs_sweep_spec_free(&s);
    cr_assert(is_zero(&s));
}

Test(sweep_spec, defaults) {
    zs_sweep_spec s;
    parse_ok(GPT_SPEC, &s);
    cr_assert_null(s.path);
    cr_assert_str_eq(s.base_dir, "base");
    cr_assert_str_eq(s.name, "spec");
    cr_assert_eq(s.datasets[0].knobs.seed, 0);
    cr_assert_eq(s.datasets[0].val_tokens, 131072);
    cr_assert_eq(s.models[0].model.gpt.heads, 1);
    cr_assert_eq(s.models[0].model.gpt.mlp_hidden, 64);
    cr_assert_eq(s.models[0].lr, 0);
    cr_assert_eq(s.n_seeds, 1);
    cr_assert_eq(s.seeds[0], 0);
    cr_assert_eq(s.context, 256);
    cr_assert_eq(s.batch, 8);
    cr_assert_eq(s.min_steps, 100);
    cr_assert_eq(s.precision, ZS_PRECISION_FP32);
    cr_assert_eq(s.schedule, ZS_LR_COSINE);
    cr_assert_eq(s.lr, 0);
    cr_assert_eq(s.lr_c, 3e-3);
    cr_assert_eq(s.lr_p, 0);
    cr_assert_eq(s.lr_min_ratio, 0.1);
    cr_assert_eq(s.warmup_fraction, 0.05);
    cr_assert_eq(s.weight_decay, 0.1);
    cr_assert_eq(s.grad_clip, 1.0);
    cr_assert_eq(s.eval_tokens, 65536);
    cr_assert_eq(s.evals, 4);
    cr_assert_eq(s.checkpoint_every, 0);
    cr_assert_eq(s.val_fraction, 0.05);
    cr_assert_eq(s.parity_test_size, 10000);
    cr_assert_eq(s.fit_nonembed, 1);
    cr_assert_eq(s.bootstrap, 200);
    cr_assert_eq(s.holdout_largest, 2);
    cr_assert_eq(s.bound_e, 1);
    cr_assert_eq(s.fix_e, 1);
    cr_assert_eq(s.reference_flops, 0);
    cr_assert_eq(s.jobs, 0);
    cr_assert_eq(s.max_attempts, 3);
    zs_sweep_spec_free(&s);
}

Test(sweep_spec, one_lr_for_all_models) {
    zs_sweep_spec s;
    parse_ok(GPT_SPEC "train: {lr: 1e-3}\n", &s);
    cr_assert_eq(s.lr, 1e-3);
    cr_assert_eq(s.lr_c, 3e-3);
    zs_sweep_spec_free(&s);
}

Test(sweep_spec, parity_and_mlp_models) {
    zs_sweep_spec s;
    parse_ok(MLP_HEAD "  - name: par2\n"
                      "    parity: {tasks: 10, bits: 20, k: 2, zipf_exponent: 0, seed: 9}\n"
                      "models:\n"
                      "  - {name: w100, width: 100}\n"
                      "  - {name: w200, width: 200, depth: 2, lr: 0.01}\n"
                      "budgets: [800, 1e6]\n",
             &s);
    cr_assert_eq(s.n_datasets, 2);
    const zs_sweep_dataset *p = &s.datasets[0], *q = &s.datasets[1];
    cr_assert_eq(p->kind, ZS_SWEEP_DATA_PARITY);
    cr_assert_eq(p->parity.n_tasks, 100);
    cr_assert_eq(p->parity.n_bits, 50);
    cr_assert_eq(p->parity.k, 3);
    cr_assert_eq(p->parity.zipf_exponent, 1.4);
    cr_assert_eq(p->parity.seed, 0);
    cr_assert_eq(p->val_tokens, 0);
    cr_assert_eq(q->parity.n_tasks, 10);
    cr_assert_eq(q->parity.zipf_exponent, 0);
    cr_assert_eq(q->parity.seed, 9);
    cr_assert_eq(s.models[0].model.kind, ZS_MODEL_MLP);
    cr_assert_eq(s.models[0].model.mlp.width, 100);
    cr_assert_eq(s.models[0].model.mlp.depth, 1);
    cr_assert_eq(s.models[0].model.mlp.n_tasks, 0);
    cr_assert_eq(s.models[1].model.mlp.depth, 2);
    cr_assert_eq(s.models[1].lr, 0.01);
    cr_assert_eq(s.budgets[0], 800);
    zs_sweep_spec_free(&s);
}

Test(sweep_spec, file_paths_join_base_dir) {
    const char *text = "datasets:\n  - {name: f, file: d/t.npy}\n" GPT_MODELS "budgets: [1e6]\n";
    zs_sweep_spec s;
    zs_error err;
    cr_assert_eq(zs_sweep_spec_parse(text, strlen(text), "t", "/x/y/", &s, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_str_eq(s.datasets[0].path, "/x/y/d/t.npy");
    cr_assert_null(s.datasets[0].val_path);
    zs_sweep_spec_free(&s);
    cr_assert_eq(zs_sweep_spec_parse(text, strlen(text), NULL, NULL, &s, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_str_eq(s.base_dir, ".");
    cr_assert_str_eq(s.datasets[0].path, "d/t.npy");
    zs_sweep_spec_free(&s);
}

Test(sweep_spec, name_defaults_to_file_stem) {
    const char *path = write_spec("stem", "my-sweep.v2.yaml", GPT_SPEC);
    zs_sweep_spec s;
    zs_error err;
    cr_assert_eq(zs_sweep_spec_read(path, &s, &err), ZS_OK, "%s", err.msg);
    cr_assert_str_eq(s.name, "my-sweep.v2");
    zs_sweep_spec_free(&s);
}

Test(sweep_spec, bad_file_stem_needs_a_name) {
    const char *path = write_spec("stem2", "my sweep.yaml", GPT_SPEC);
    zs_sweep_spec s;
    zs_error err;
    cr_assert_eq(zs_sweep_spec_read(path, &s, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, "my sweep.yaml:1: name: the file's name 'my sweep'"), "%s", err.msg);
    cr_assert(is_zero(&s));
}

Test(sweep_spec, integer_forms) {
    zs_sweep_spec s;
    parse_ok(GPT_HEAD GPT_MODELS "budgets: [3e5, '400000', 5.0e5, 6_00_000, +700000, 0.8e6]\n", &s);
    const uint64_t want[] = {300000, 400000, 500000, 600000, 700000, 800000};
    cr_assert_eq(s.n_budgets, 6);
    for (int i = 0; i < 6; i++) cr_assert_eq(s.budgets[i], want[i], "budgets[%d]", i);
    zs_sweep_spec_free(&s);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [3.5e5, 1.25]\n", "t.yaml:7: budgets[1]",
                "expected a positive integer, got '1.25'", NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [1e-3]\n", "t.yaml:7: budgets[0]", "got '1e-3'",
                NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [-300000]\n", "t.yaml:7: budgets[0]",
                "expected a positive integer", NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [1e30]\n", "budgets[0]", "got '1e30'", NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [3__00000]\n", "budgets[0]", NULL, NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [0x100000]\n", "budgets[0]", NULL, NULL);
}

Test(sweep_spec, booleans) {
    const char *forms[] = {"true", "True", "yes", "YES"};
    for (int i = 0; i < 4; i++) {
        char text[512];
        snprintf(text, sizeof text, GPT_SPEC "analysis: {bound_e: %s}\n", forms[i]);
        zs_sweep_spec s;
        parse_ok(text, &s);
        cr_assert_eq(s.bound_e, 1, "%s", forms[i]);
        zs_sweep_spec_free(&s);
        snprintf(text, sizeof text, GPT_SPEC "analysis: {bound_e: %s}\n", i % 2 ? "False" : "no");
        parse_ok(text, &s);
        cr_assert_eq(s.bound_e, 0);
        zs_sweep_spec_free(&s);
    }
    parse_fails(GPT_SPEC "analysis:\n  bound_e: 1\n", "t.yaml:9: analysis.bound_e",
                "expected true or false, got '1'", NULL);
}

Test(sweep_spec, free_is_safe_on_zeroed_and_twice) {
    zs_sweep_spec s;
    memset(&s, 0, sizeof s);
    zs_sweep_spec_free(&s);
    zs_sweep_spec_free(NULL);
    parse_ok(GPT_SPEC, &s);
    zs_sweep_spec_free(&s);
    zs_sweep_spec_free(&s);
    cr_assert(is_zero(&s));
}

Test(sweep_spec, data_kind_names) {
    cr_assert_str_eq(zs_sweep_data_kind_name(ZS_SWEEP_DATA_PCFG), "pcfg");
    cr_assert_str_eq(zs_sweep_data_kind_name(ZS_SWEEP_DATA_FILE), "file");
    cr_assert_str_eq(zs_sweep_data_kind_name(ZS_SWEEP_DATA_PARITY), "parity");
}

/* ---- errors ------------------------------------------------------------------------- */

Test(sweep_spec_error, missing_file) {
    zs_sweep_spec s;
    zs_error err;
    const char *path = zs_test_path("no-such-spec.yaml");
    cr_assert_eq(zs_sweep_spec_read(path, &s, &err), ZS_ERR_IO);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_assert_str_eq(err.msg, want);
    cr_assert(is_zero(&s));
}

Test(sweep_spec_error, read_reports_the_path) {
    const char *path = write_spec("err", "bad.yaml", GPT_HEAD GPT_MODELS "budgets: [0]\n");
    zs_sweep_spec s;
    zs_error err;
    cr_assert_eq(zs_sweep_spec_read(path, &s, &err), ZS_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s:7: budgets[0]: expected a positive integer, got '0'", path);
    cr_assert_str_eq(err.msg, want);
    cr_assert(is_zero(&s));
}

Test(sweep_spec_error, yaml_syntax) {
    parse_fails(GPT_HEAD "models: [{name: d32, d_model: 32\n",
                "t.yaml:6:1: YAML syntax error:", "did not find expected ',' or '}'", "line 5");
    parse_fails("datasets:\n  - name: a\n bad: 1\n", "t.yaml:3:2: YAML syntax error", NULL, NULL);
    parse_fails("a: *nope\n", "t.yaml:1:4: YAML syntax error: found undefined alias", NULL, NULL);
}

Test(sweep_spec_error, empty_and_not_a_mapping) {
    parse_fails("", "t.yaml:1: expected a mapping, got an empty spec", NULL, NULL);
    parse_fails("# nothing\n", "t.yaml:1: expected a mapping", NULL, NULL);
    parse_fails("- a\n- b\n", "t.yaml:1: expected a mapping, got a list", NULL, NULL);
}

Test(sweep_spec_error, two_documents) {
    parse_fails(GPT_SPEC "---\nname: x\n", "t.yaml:8: expected one YAML document", NULL, NULL);
}

Test(sweep_spec_error, duplicate_key) {
    parse_fails(GPT_SPEC "train:\n  batch: 8\n  context: 64\n  batch: 4\n",
                "t.yaml:11: train.batch: duplicate key (first on line 9)", NULL, NULL);
    parse_fails(GPT_SPEC "budgets: [1e6]\n", "t.yaml:8: budgets: duplicate key (first on line 7)",
                NULL, NULL);
}

Test(sweep_spec_error, unknown_key) {
    parse_fails(GPT_SPEC "train:\n  bacth: 8\n",
                "t.yaml:9: train.bacth: unknown key; allowed: ", "context, batch, min_steps",
                "parity_test_size");
    parse_fails(GPT_SPEC "budget: [1]\n", "t.yaml:8: budget: unknown key; allowed: name, datasets",
                NULL, NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: w, width: 10, d_model: 3}\nbudgets: [1e6]\n",
                "t.yaml:6: models[0].d_model: unknown key for an MLP model (with width)",
                "allowed: name, width, depth, lr", NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: g, d_model: 32, layers: 2, depth: 3}\n"
                         "budgets: [1e6]\n",
                "t.yaml:6: models[0].depth: unknown key for a GPT model", NULL, NULL);
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 1, terminals: 2, max_options: 1, "
                "max_length: 1, seeds: 3}\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:3: datasets[0].pcfg.seeds: unknown key", NULL, NULL);
}

Test(sweep_spec_error, wrong_types) {
    parse_fails(GPT_SPEC "train: {context: big}\n", "t.yaml:8: train.context",
                "expected an integer in 1..65536, got 'big'", NULL);
    parse_fails(GPT_SPEC "train: {weight_decay: [1]}\n", "t.yaml:8: train.weight_decay",
                "expected a number >= 0, got a list", NULL);
    parse_fails(GPT_SPEC "train: {lr_min_ratio: x}\n", "t.yaml:8: train.lr_min_ratio",
                "expected a number in [0, 1], got 'x'", NULL);
    parse_fails(GPT_HEAD GPT_MODELS "budgets: 300000\n", "t.yaml:7: budgets",
                "expected a list, got a scalar", NULL);
    parse_fails(GPT_SPEC "seeds:\n", "t.yaml:8: seeds", "expected a list", NULL);
    parse_fails(GPT_SPEC "train: 3\n", "t.yaml:8: train: expected a mapping, got a scalar", NULL,
                NULL);
    parse_fails(GPT_HEAD "models:\n  - d32\nbudgets: [1e6]\n",
                "t.yaml:6: models[0]: expected a mapping, got a scalar", NULL, NULL);
    parse_fails(GPT_SPEC "name: [a]\n", "t.yaml:8: name: expected a string, got a list", NULL,
                NULL);
    parse_fails(GPT_SPEC "jobs:\n", "t.yaml:8: jobs: expected an integer in 0..65536, got nothing",
                NULL, NULL);
    parse_fails(GPT_SPEC "{a: 1}: 2\n", "t.yaml:8: expected a plain key, got a mapping", NULL,
                NULL);
}

Test(sweep_spec_error, out_of_range) {
    parse_fails(GPT_SPEC "train: {val_fraction: 1}\n", "t.yaml:8: train.val_fraction",
                "expected a number in (0, 1), got '1'", NULL);
    parse_fails(GPT_SPEC "train: {warmup_fraction: 1.0}\n", "train.warmup_fraction",
                "expected a number in [0, 1), got '1.0'", NULL);
    parse_fails(GPT_SPEC "max_attempts: 0\n", "t.yaml:8: max_attempts",
                "expected an integer in 1..1000, got '0'", NULL);
    parse_fails(GPT_SPEC "analysis: {reference_flops: -1}\n", "t.yaml:8: analysis.reference_flops",
                "expected a number >= 0", NULL);
    parse_fails(GPT_SPEC "train: {evals: 0}\n", "t.yaml:8: train.evals",
                "expected a positive integer, got '0'", NULL);
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 10, terminals: 20, "
                "max_options: 3, max_length: 5}\n    tokens: 0\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:4: datasets[0].tokens", "expected a positive integer, got '0'", NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: m, d_model: 32, layers: 2, lr: 0}\nbudgets: [1e6]\n",
                "t.yaml:6: models[0].lr", "expected a number > 0, got '0'", NULL);
}

Test(sweep_spec_error, empty_lists) {
    parse_fails("datasets: []\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:1: datasets: expected a non-empty list", NULL, NULL);
    parse_fails(GPT_HEAD "models: []\nbudgets: [1e6]\n", "t.yaml:5: models: expected a non-empty",
                NULL, NULL);
    parse_fails(GPT_SPEC "seeds: []\n", "t.yaml:8: seeds: expected a non-empty list", NULL, NULL);
}

Test(sweep_spec_error, missing_required) {
    parse_fails(GPT_HEAD GPT_MODELS, "t.yaml:1: budgets: missing (required)", NULL, NULL);
    parse_fails(GPT_MODELS "budgets: [1e6]\n", "t.yaml:1: datasets: missing (required)", NULL,
                NULL);
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 10, terminals: 20, "
                "max_options: 3, max_length: 5}\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:2: datasets[0].tokens: missing (required for a pcfg dataset)", NULL, NULL);
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 10, max_options: 3, "
                "max_length: 5}\n    tokens: 5\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:3: datasets[0].pcfg.terminals: missing (required)", NULL, NULL);
    parse_fails("datasets:\n  - file: x.npy\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:2: datasets[0].name: missing (required)", NULL, NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: m, d_model: 32}\nbudgets: [1e6]\n",
                "t.yaml:6: models[0].layers: missing (required for a GPT model)", NULL, NULL);
    parse_fails(MLP_HEAD "models:\n  - {name: m, width: 8}\nbudgets: [1e6]\n"
                         "train:\n  lr_rule: {c: 1}\n",
                "t.yaml:8: train.lr_rule.p: missing (required)", NULL, NULL);
    parse_fails("datasets:\n  - name: p\n    parity: {tasks: 10, bits: 20, k: 2}\n"
                "models: [{name: w, width: 8}]\nbudgets: [1e6]\n",
                "t.yaml:3: datasets[0].parity.zipf_exponent: missing (required)", NULL, NULL);
}

Test(sweep_spec_error, dataset_kind) {
    parse_fails("datasets:\n  - name: a\n    tokens: 5\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:2: datasets[0]: expected one of pcfg, file, parity", NULL, NULL);
    parse_fails("datasets:\n  - name: ok\n    file: a.npy\n  - name: a\n    file: a.npy\n"
                "    parity: {tasks: 1, bits: 2, k: 1, zipf_exponent: 0}\n" GPT_MODELS
                "budgets: [1e6]\n",
                "t.yaml:4: datasets[1]: expected exactly one of pcfg, file, parity, got both file "
                "and parity",
                NULL, NULL);
    parse_fails("datasets:\n  - name: a\n    file: a.npy\n    tokens: 5\n" GPT_MODELS
                "budgets: [1e6]\n",
                "t.yaml:4: datasets[0].tokens: only for pcfg datasets, and this is a file dataset",
                NULL, NULL);
    parse_fails(GPT_HEAD "    val_file: v.npy\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:5: datasets[0].val_file: only for file datasets", NULL, NULL);
    parse_fails("datasets:\n  - name: a\n    file: ''\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:3: datasets[0].file: expected a path", NULL, NULL);
}

Test(sweep_spec_error, names) {
    parse_fails(GPT_SPEC "name: a b\n",
                "t.yaml:8: name: expected 1-63 characters of "
                "[A-Za-z0-9._-], got 'a b'",
                NULL, NULL);
    parse_fails(GPT_SPEC "name: ''\n", "t.yaml:8: name: expected 1-63 characters", NULL, NULL);
    char text[1024];
    snprintf(text, sizeof text, "%sname: %064d\n", GPT_SPEC, 0);
    parse_fails(text, "t.yaml:8: name: expected 1-63 characters", NULL, NULL);
    snprintf(text, sizeof text, "%sname: %063d\n", GPT_SPEC, 0);
    zs_sweep_spec s;
    parse_ok(text, &s);
    cr_assert_eq(strlen(s.name), 63);
    zs_sweep_spec_free(&s);
    parse_fails(GPT_HEAD "  - {name: a, file: b.npy}\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:5: datasets[1]: duplicate name 'a' (also datasets[0], line 2)", NULL, NULL);
    parse_fails(GPT_HEAD GPT_MODELS "  - {name: d32, d_model: 64, layers: 1}\nbudgets: [1e6]\n",
                "t.yaml:7: models[1]: duplicate name 'd32' (also models[0], line 6)", NULL, NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: 'd/32', d_model: 32, layers: 2}\nbudgets: [1e6]\n",
                "t.yaml:6: models[0].name", "got 'd/32'", NULL);
}

Test(sweep_spec_error, duplicate_budgets_and_seeds) {
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [1e6, 300000, 1_000_000]\n",
                "t.yaml:7: budgets[2]: 1000000 repeats budgets[0]", NULL, NULL);
    parse_fails(GPT_SPEC "seeds: [0, 1, 1]\n", "t.yaml:8: seeds[2]: 1 repeats seeds[1]", NULL,
                NULL);
}

Test(sweep_spec_error, budget_below_min_steps) {
    /* 8 x 256 = 2048 tokens a step; steps = ceil(budget / 2048) as the trainer counts, so
     * 100 steps need more than 99 x 2048 = 202752 tokens. */
    parse_fails(GPT_HEAD GPT_MODELS "budgets: [1e6,\n  202752]\n",
                "t.yaml:8: budgets[1]: 202752 gives 99 steps of 2048 tokens (batch 8 x context "
                "256), fewer than min_steps 100",
                "the smallest budget allowed is 202753", NULL);
    zs_sweep_spec s;
    parse_ok(GPT_HEAD GPT_MODELS "budgets: [202753]\n", &s);
    zs_sweep_spec_free(&s);
    parse_fails(MLP_HEAD "models: [{name: w, width: 8}]\nbudgets: [792]\n",
                "t.yaml:5: budgets[0]: 792 gives 99 steps of 8 examples (batch)",
                "the smallest budget allowed is 793", NULL);
    /* min_steps 0 still needs one step, which any positive budget gives. */
    parse_ok(GPT_HEAD GPT_MODELS "budgets: [100]\ntrain: {min_steps: 0}\n", &s);
    cr_assert_eq(s.budgets[0], 100);
    zs_sweep_spec_free(&s);
}

Test(sweep_spec_error, gpt_config) {
    parse_fails(GPT_HEAD GPT_MODELS "  - {name: h3, d_model: 32, layers: 2, heads: 3}\n"
                                    "budgets: [1e6]\n",
                "t.yaml:7: models[1]: GPT config: heads 3: expected a divisor of d_model 32", NULL,
                NULL);
    parse_fails(GPT_HEAD "models:\n  - {name: m, d_model: 1, layers: 2}\nbudgets: [1e6]\n",
                "t.yaml:6: models[0]: GPT config: d_model 1: expected 2..65536", NULL, NULL);
}

Test(sweep_spec_error, mlp_config) {
    parse_fails(MLP_HEAD "models:\n  - {name: w, width: 8, depth: 2000}\nbudgets: [1e6]\n",
                "t.yaml:5: models[0]: mlp config: depth = 2000: expected 1 .. 1024",
                "(on dataset 'par')", NULL);
}

Test(sweep_spec_error, mixed_models) {
    parse_fails(GPT_HEAD GPT_MODELS "  - {name: w, width: 8}\nbudgets: [1e6]\n",
                "t.yaml:7: models[1]: an MLP model among GPT models (models[0])", NULL, NULL);
}

Test(sweep_spec_error, data_for_the_wrong_model) {
    parse_fails(GPT_HEAD "  - name: par\n    parity: {tasks: 1, bits: 2, k: 1, zipf_exponent: "
                         "0}\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:5: datasets[1]: dataset 'par' is a parity dataset, which needs MLP models",
                NULL, NULL);
    parse_fails(MLP_HEAD "  - {name: f, file: x.npy}\nmodels: [{name: w, width: 8}]\n"
                         "budgets: [1e6]\n",
                "t.yaml:4: datasets[1]: dataset 'f' is a file dataset, but the models are MLPs",
                NULL, NULL);
}

Test(sweep_spec_error, pcfg_knobs) {
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 10, terminals: 0, "
                "max_options: 3, max_length: 5}\n    tokens: 5\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:3: datasets[0].pcfg.terminals",
                "expected an integer in 1..16777216, got '0'", NULL);
    parse_fails(
        "datasets:\n  - name: a\n    pcfg: {nonterminals: 10, terminals: 2, "
        "max_options: 2000000, max_length: 5}\n    tokens: 5\n" GPT_MODELS "budgets: [1e6]\n",
        "t.yaml:3: datasets[0].pcfg.max_options", "expected an integer in 1..1048576", NULL);
    parse_fails("datasets:\n  - name: a\n    pcfg: {nonterminals: 1048576, terminals: 2, "
                "max_options: 1024, max_length: 5}\n    tokens: 5\n" GPT_MODELS "budgets: [1e6]\n",
                "t.yaml:3: datasets[0].pcfg: nonterminals x max_options x max_length",
                "fewer than 2^31", NULL);
}

Test(sweep_spec_error, parity_spec) {
    parse_fails("datasets:\n  - name: p\n    parity: {tasks: 10, bits: 4, k: 5, zipf_exponent: 1}\n"
                "models: [{name: w, width: 8}]\nbudgets: [1e6]\n",
                "t.yaml:3: datasets[0].parity: parity spec: k = 5, expected 1 <= k <= n_bits (4)",
                NULL, NULL);
    parse_fails("datasets:\n  - name: p\n    parity: {tasks: 10, bits: 4, k: 2, zipf_exponent: 1}\n"
                "models: [{name: w, width: 8}]\nbudgets: [1e6]\n",
                "t.yaml:3: datasets[0].parity: parity spec: n_tasks = 10, expected at most "
                "C(n_bits, k)",
                NULL, NULL);
    parse_fails("datasets:\n  - name: p\n    parity: {tasks: 10, bits: 4, k: 2, zipf_exponent: "
                "-1}\nmodels: [{name: w, width: 8}]\nbudgets: [1e6]\n",
                "t.yaml:3: datasets[0].parity.zipf_exponent: expected a number >= 0, got '-1'",
                NULL, NULL);
}

Test(sweep_spec_error, lr_and_lr_rule) {
    parse_fails(GPT_SPEC "train:\n  lr: 1e-3\n  batch: 8\n  lr_rule: {c: 1, p: 0}\n",
                "t.yaml:11: train: expected one of lr and lr_rule, got both", NULL, NULL);
    parse_fails(GPT_SPEC "train: {lr_rule: {c: 0, p: 0}}\n", "t.yaml:8: train.lr_rule.c",
                "expected a number > 0", NULL);
}

Test(sweep_spec_error, library_words) {
    parse_fails(GPT_SPEC "train:\n  precision: fp16\n",
                "t.yaml:9: train.precision: precision 'fp16': expected fp32 or bf16", NULL, NULL);
    parse_fails(GPT_SPEC "train:\n  schedule: linear\n",
                "t.yaml:9: train.schedule: lr schedule 'linear': expected constant, cosine or wsd",
                NULL, NULL);
    parse_fails(GPT_SPEC "analysis:\n  n: total\n",
                "t.yaml:9: analysis.n: expected nonembed or all, got 'total'", NULL, NULL);
}

/* The error contract (core.h): frees accept NULL and zeroed structs; a failed call leaves
 * its outputs zeroed. */
Test(sweep_contract, frees_and_failed_calls) {
    zs_sweep_spec_free(NULL);
    zs_sweep_plan_free(NULL, 0);
    zs_sweep_summary_free(NULL);
    zs_sweep_spec spec = {0};
    zs_sweep_plan plan = {0};
    zs_sweep_summary sum = {0};
    zs_sweep_spec_free(&spec);
    zs_sweep_plan_free(&plan, 0);
    zs_sweep_summary_free(&sum);
    zs_error err;
    memset(&spec, 0xff, sizeof spec);
    cr_assert_eq(zs_sweep_spec_read(zs_test_path("missing.yaml"), &spec, &err), ZS_ERR_IO);
    cr_assert_eq(spec.n_datasets, 0);
    cr_assert_null(spec.datasets);
    const char *dir = zs_test_path("no-sweep-here");
    zs_sweep_counts counts;
    memset(&counts, 0xff, sizeof counts);
    cr_assert_eq(zs_sweep_status(dir, &counts, &err), ZS_ERR_IO);
    cr_assert_eq(counts.total, 0);
    cr_assert_eq(counts.interrupted, 0);
    size_t rows = 7;
    cr_assert_eq(zs_sweep_export(dir, zs_test_path("runs.csv"), &rows, &err), ZS_ERR_IO);
    cr_assert_eq(rows, 0);
    memset(&sum, 0xff, sizeof sum);
    zs_sweep_analyse_opts ao;
    zs_sweep_analyse_opts_init(&ao);
    cr_assert_eq(zs_sweep_analyse(dir, &ao, &sum, &err), ZS_ERR_IO);
    cr_assert_null(sum.rows);
    cr_assert_eq(sum.n_rows, 0);
}

/* The quantization-model experiments' keys: a fixed parity training set, the per-subtask
 * evaluation size and early stopping; each enters a run's identity only when set, so the
 * ids of sweeps written before these keys existed do not change. */
Test(sweep_spec, parity_train_size_and_early_stopping) {
    static const char base[] = MLP_HEAD "models:\n  - {name: w100, width: 100}\n"
                                        "budgets: [80000]\n";
    static const char with[] = "datasets:\n"
                               "  - name: par\n"
                               "    parity: {tasks: 100, bits: 50, k: 3, zipf_exponent: 1.4}\n"
                               "    train_size: 5_000\n"
                               "models:\n  - {name: w100, width: 100}\n"
                               "budgets: [80000]\n"
                               "train: {parity_eval_per_subtask: 200, early_stop_patience: 10,"
                               " early_stop_after: 4000}\n";
    zs_sweep_spec a, b;
    parse_ok(base, &a);
    parse_ok(with, &b);
    cr_assert_eq(a.datasets[0].train_size, 0);
    cr_assert_eq(a.parity_eval_per_subtask, 1000);
    cr_assert_eq(a.early_stop_patience, 0);
    cr_assert_eq(b.datasets[0].train_size, 5000);
    cr_assert_eq(b.parity_eval_per_subtask, 200);
    cr_assert_eq(b.early_stop_patience, 10);
    cr_assert_eq(b.early_stop_after, 4000);
    zs_sweep_plan pa, pb;
    zs_error err;
    cr_assert_eq(zs_sweep_plan_build(&a, &pa, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_sweep_plan_build(&b, &pb, &err), ZS_OK, "%s", err.msg);
    cr_assert_null(strstr(pa.runs[0].identity, "train_size"), "%s", pa.runs[0].identity);
    cr_assert_null(strstr(pa.runs[0].identity, "early_stop"), "%s", pa.runs[0].identity);
    cr_assert_null(strstr(pa.runs[0].identity, "eval_per_subtask"), "%s", pa.runs[0].identity);
    cr_assert(strstr(pb.runs[0].identity, "\"train_size\":5000"), "%s", pb.runs[0].identity);
    cr_assert(strstr(pb.runs[0].identity, "\"early_stop_patience\":10"), "%s", pb.runs[0].identity);
    cr_assert(strstr(pb.runs[0].identity, "\"eval_per_subtask\":200"), "%s", pb.runs[0].identity);
    zs_sweep_run_paths paths;
    zs_train_opts o;
    cr_assert_eq(zs_sweep_run_train_opts(&b, &pb, 0, "/tmp/x", &paths, &o, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(o.train_size, 5000);
    cr_assert_eq(o.eval_per_subtask, 200);
    cr_assert_eq(o.early_stop_patience, 10);
    cr_assert_eq(o.early_stop_after, 4000);
    zs_sweep_plan_free(&pa, a.n_datasets);
    zs_sweep_plan_free(&pb, b.n_datasets);
    zs_sweep_spec_free(&a);
    zs_sweep_spec_free(&b);
    parse_fails(GPT_HEAD "    train_size: 10\n" GPT_MODELS "budgets: [300000]\n",
                "datasets[0].train_size: only for parity datasets", NULL, NULL);
    parse_fails(MLP_HEAD "    train_size: 0\n"
                         "models:\n  - {name: w100, width: 100}\nbudgets: [80000]\n",
                "datasets[0].train_size", NULL, NULL);
}

/* zs_sweep_write_spec: DIR/spec.yaml written (DIR created), read back as written; a folder
 * whose parent is missing, or a path that does not fit, is refused naming it. */
Test(sweep_spec, write_spec_into_a_directory) {
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/spec-dir", zs_test_tmpdir());
    zs_error err = {0};
    cr_assert_eq(zs_sweep_write_spec(dir, "name: x\n", path, sizeof path, &err), ZS_OK, "%s",
                 err.msg);
    size_t len;
    char *text = zs_test_slurp(path, &len);
    cr_assert_str_eq(text, "name: x\n");
    free(text);
    snprintf(dir, sizeof dir, "%s/missing/deeper", zs_test_tmpdir());
    cr_assert_eq(zs_sweep_write_spec(dir, "name: x\n", path, sizeof path, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "missing/deeper: cannot create the directory"), "%s", err.msg);
    char small[8];
    cr_assert_eq(zs_sweep_write_spec(dir, "name: x\n", small, sizeof small, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "the path is too long"), "%s", err.msg);
}
