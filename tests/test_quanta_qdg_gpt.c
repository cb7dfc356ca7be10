/* QDG on a GPT: the sample selection (zs_qdg_select: the threshold, the evenly spaced
 * subsample, the seed), and `zipscale quanta qdg RUN DATA` end to end on a tiny GPT trained
 * here on a labelled PCFG: the JSON, the arrays against the labels file and rescored by
 * scikit-learn, the truth found through the data's sidecar, determinism across seeds and
 * threads, and the errors for a truth of the wrong dtype or length. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/quanta_qdg.h"

/* ---- the selection ------------------------------------------------------------------------ */

static float *synthetic_losses(size_t count, uint64_t seed) {
    float *loss = malloc(count * sizeof *loss);
    zs_rng rng;
    zs_rng_seed(&rng, seed, 1);
    for (size_t i = 0; i < count; i++) loss[i] = (float)(2.0 * zs_rng_uniform(&rng));
    loss[3] = NAN; /* never below */
    return loss;
}

Test(qdg_select, threshold_and_even_spacing) {
    size_t count = 5000, n = 300, nb = 0;
    float *loss = synthetic_losses(count, 7);
    size_t *below = malloc(count * sizeof *below), n_below = 0;
    for (size_t i = 0; i < count; i++)
        if (loss[i] < 0.5) below[n_below++] = i;
    size_t *pick = malloc(n * sizeof *pick);
    size_t m = zs_qdg_select(loss, count, 0.5, n, 11, pick, &nb);
    cr_assert_eq(nb, n_below);
    cr_assert_eq(m, n);
    double stride = (double)n_below / (double)n;
    /* each pick is below the threshold; its rank among those below is floor((i + u)·stride)
     * for one u in [0, 1): the ranks pin u to an interval that must stay non-empty */
    double u_lo = 0.0, u_hi = 1.0;
    size_t r = 0;
    for (size_t i = 0; i < m; i++) {
        cr_assert(loss[pick[i]] < 0.5, "pick %zu: loss %g", i, loss[pick[i]]);
        while (r < n_below && below[r] != pick[i]) r++;
        cr_assert_lt(r, n_below, "pick %zu is not among those below", i);
        /* r <= (i + u)·stride < r + 1 */
        double lo = (double)r / stride - (double)i, hi = (double)(r + 1) / stride - (double)i;
        if (lo > u_lo) u_lo = lo;
        if (hi < u_hi) u_hi = hi;
    }
    cr_assert_lt(u_lo, u_hi + 1e-9, "no offset u explains the picks: [%g, %g)", u_lo, u_hi);
    /* the same seed: the same picks; other seeds: other offsets */
    size_t *again = malloc(n * sizeof *again);
    cr_assert_eq(zs_qdg_select(loss, count, 0.5, n, 11, again, NULL), n);
    cr_assert_eq(memcmp(pick, again, n * sizeof *pick), 0);
    int differs = 0;
    for (uint64_t seed = 12; seed < 16; seed++) {
        zs_qdg_select(loss, count, 0.5, n, seed, again, NULL);
        differs |= memcmp(pick, again, n * sizeof *pick) != 0;
    }
    cr_assert(differs, "the seed does not move the subsample");
    /* n above the number below: every one of them, in order */
    size_t *all = malloc(count * sizeof *all);
    cr_assert_eq(zs_qdg_select(loss, count, 0.5, count, 3, all, NULL), n_below);
    cr_assert_eq(memcmp(all, below, n_below * sizeof *all), 0);
    cr_assert_eq(zs_qdg_select(loss, count, -1.0, n, 3, all, &nb), 0);
    cr_assert_eq(nb, 0);
    free(all);
    free(again);
    free(pick);
    free(below);
    free(loss);
}

/* ---- the command on a tiny GPT -------------------------------------------------------------- */

/* Made once for the whole test program (zs_test_shared_dir; each test writes only its own
 * outputs in it): a labelled PCFG sample (train and held-out) and a GPT trained on it. */
static void fill(const char *d) {
    const char *steps[] = {
        "pcfg generate --nonterminals 6 --terminals 12 --max-options 3 --max-length 3 --seed 2 "
        "-o '%s/g.pcfg'",
        "pcfg sample '%s/g.pcfg' --tokens 65536 --context 32 --seed 1 -o '%s/train.npy' "
        "--labels '%s/train_rules.npy'",
        "pcfg sample '%s/g.pcfg' --tokens 8192 --context 32 --seed 2 -o '%s/held.npy' "
        "--labels '%s/held_rules.npy'",
        "train --data '%s/train.npy' --d-model 16 --layers 2 --heads 2 --context 32 --steps 300 "
        "--batch 16 --lr 5e-3 --eval-every 300 --log-every 300 -o '%s/run'",
    };
    for (size_t i = 0; i < 4; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        zs_run r = zs_test_cli(steps[i], d, d, d);
#pragma GCC diagnostic pop
        cr_assert_eq(r.exit_code, 0, "setup step %zu: %s%s", i, r.out, r.err);
        zs_run_free(&r);
    }
}

static const char *dir(void) {
    return zs_test_shared_dir("gptqdg", fill);
}

ZS_TEST_SHARED_CLEANUP

static json_t *load_json(const char *out) {
    char path[1200];
    snprintf(path, sizeof path, "%s/qdg.json", out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s: %s", path, jerr.text);
    return doc;
}

static const char *const check_py =
    "import sys, json\n"
    "import numpy as np\n"
    "from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score\n"
    "from sklearn.metrics import mutual_info_score\n"
    "d, out = sys.argv[1], sys.argv[2]\n"
    "doc = json.load(open(out + '/qdg.json'))\n"
    "tok = np.load(out + '/tokens.npy'); truth = np.load(out + '/truth.npy')\n"
    "rules = np.load(d + '/held_rules.npy').reshape(-1)\n"
    "sel = doc['selection']; T = sel['context']\n"
    "if tok.dtype != np.int64 or truth.dtype != np.int32: raise SystemExit('dtypes')\n"
    "if tok.shape != (sel['n'],) or truth.shape != tok.shape: raise SystemExit('shapes')\n"
    "if not (np.diff(tok) > 0).all(): raise SystemExit('tokens not increasing')\n"
    "if tok.min() < 1 or tok.max() > sel['windows'] * T: raise SystemExit('token out of range')\n"
    "if not (truth == rules[tok]).all(): raise SystemExit('truth is not the labels of the "
    "tokens')\n"
    "if sel['classes_present'] != len(np.unique(truth)): raise SystemExit('classes')\n"
    "target = np.load(d + '/held.npy').reshape(-1)[tok]\n"
    "if abs(adjusted_rand_score(truth, target) - sel['target_ari']) >= 1e-12 or \\\n"
    "   abs(normalized_mutual_info_score(truth, target) - sel['target_nmi']) >= 1e-12:\n"
    "    raise SystemExit('the predicted-token baseline')\n"
    "def H(*cols):\n"
    "    _, c = np.unique(np.stack(cols, 1), axis=0, return_counts=True)\n"
    "    p = c / c.sum()\n"
    "    return -(p * np.log(p)).sum()\n"
    "if abs(H(truth, target) - H(target) - sel['truth_entropy_given_target_nats']) >= 1e-9:\n"
    "    raise SystemExit('H(truth | target)')\n"
    "pc = {c['class']: c['count'] for c in sel['per_class']}\n"
    "u, cnt = np.unique(truth, return_counts=True)\n"
    "if pc != dict(zip(u.tolist(), cnt.tolist())): raise SystemExit(f'per_class {pc}')\n"
    "for v in doc['variants']:\n"
    "    lab = np.load(out + '/labels_' + v['name'] + '.npy')\n"
    "    if lab.dtype != np.int32 or lab.shape != truth.shape: raise SystemExit('labels')\n"
    "    ari, nmi = adjusted_rand_score(truth, lab), normalized_mutual_info_score(truth, lab)\n"
    "    if abs(ari - v['ari']) >= 1e-12: raise SystemExit(f\"{v['name']} ARI {ari} {v['ari']}\")\n"
    "    if abs(nmi - v['nmi']) >= 1e-12: raise SystemExit(f\"{v['name']} NMI {nmi} {v['nmi']}\")\n"
    "    if v['k'] != sel['classes_present']: raise SystemExit('k')\n"
    "    if abs(adjusted_rand_score(target, lab) - v['ari_target']) >= 1e-12: raise "
    "SystemExit('ari_target')\n"
    "    groups = [target == t for t in np.unique(target)]\n"
    "    cmi = sum(g.mean() * mutual_info_score(truth[g], lab[g]) for g in groups)\n"
    "    if abs(cmi - v['cmi_given_target_nats']) >= 1e-9:\n"
    "        raise SystemExit(f\"{v['name']} CMI {cmi} {v['cmi_given_target_nats']}\")\n"
    "    for c in v['clusters']:\n"
    "        ex = [i for i in range(len(lab)) if lab[i] == c['cluster']][:3]\n"
    "        if [e['token'] for e in c['examples']] != tok[ex].tolist() or \\\n"
    "           [e['target'] for e in c['examples']] != target[ex].tolist():\n"
    "            raise SystemExit(f\"examples of cluster {c['cluster']}\")\n"
    "print('ok')\n";

Test(quanta_qdg_gpt, json_arrays_and_truth) {
    const char *d = dir();
    char out[1100], out1[1100];
    snprintf(out, sizeof out, "%s/q", d);
    snprintf(out1, sizeof out1, "%s/q1", d);
    zs_run r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 150 --restarts 4 "
                           "--variants signed,abs,first,last-abs,mlp,attn-abs:p2 --k-sweep 3,6 "
                           "--threads 2 -o '%s'",
                           d, d, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    cr_assert(strstr(r.out, "classes of"), "%s", r.out);
    zs_run_free(&r);
    json_t *doc = load_json(out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "model")), "gpt");
    /* --truth auto found the labels the sidecar names */
    const char *truth = json_string_value(json_object_get(doc, "truth"));
    cr_assert(truth && strstr(truth, "held_rules.npy"), "truth %s", truth ? truth : "null");
    json_t *opt = json_object_get(doc, "options"), *sel = json_object_get(doc, "selection");
    cr_assert_float_eq(json_real_value(json_object_get(opt, "max_loss_nats")), 0.693, 1e-12);
    cr_assert_eq(json_integer_value(json_object_get(sel, "n")), 150);
    cr_assert_eq(json_integer_value(json_object_get(sel, "context")), 32);
    /* every token of 256 windows of 32 (8192 tokens: (8192 - 1) / 32 = 255 windows) */
    cr_assert_eq(json_integer_value(json_object_get(sel, "windows")), 255);
    cr_assert_eq(json_integer_value(json_object_get(sel, "pool")), 255 * 32);
    json_int_t below = json_integer_value(json_object_get(sel, "below_threshold"));
    cr_assert(below >= 150 && below <= 255 * 32, "below %lld", (long long)below);
    /* the gradient: every block's attention and MLP matrices, no embedding or norm:
     * per block 3·16·16 + 16·16 + 2·32·16 + 16·32 = 2560 (mlp_hidden 32) */
    cr_assert_eq(json_integer_value(json_object_get(sel, "gradient_dim")), 2 * 2560);
    json_t *vars = json_object_get(doc, "variants");
    cr_assert_eq(json_array_size(vars), 6);
    const size_t dims[] = {5120, 5120, 2560, 2560, 2 * 1536, 2 * 1024};
    const char *parts[] = {"all", "all", "all", "all", "mlp", "attention"};
    for (size_t v = 0; v < 6; v++) {
        json_t *x = json_array_get(vars, v);
        cr_assert_eq(json_integer_value(json_object_get(x, "dim")), (json_int_t)dims[v], "%zu", v);
        cr_assert_str_eq(json_string_value(json_object_get(x, "parameters")), parts[v]);
        cr_assert_eq(json_array_size(json_object_get(x, "sweep")), 2);
        json_t *c0 = json_array_get(json_object_get(x, "clusters"), 0);
        cr_assert(json_array_size(json_object_get(c0, "top_classes")) >= 1);
    }
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(vars, 3), "first_layer")), 1);
    json_decref(doc);
    const char *py = zs_test_python("sklearn numpy");
    const char *script = zs_test_path("gpt_qdg_check.py");
    cr_assert_eq(zs_test_write(script, check_py, strlen(check_py)), 0);
    r = zs_test_sh("'%s' '%s' '%s' '%s'", py, script, d, out);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
    /* one thread and the truth given explicitly: the same bytes */
    r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 150 --restarts 4 "
                    "--variants signed,abs,first,last-abs,mlp,attn-abs:p2 --k-sweep 3,6 "
                    "--threads 1 --truth '%s/held_rules.npy' -o '%s'",
                    d, d, d, out1);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    const char *names[] = {"tokens",       "truth",           "labels_signed",
                           "labels_first", "labels_last-abs", "labels_attn-abs:p2"};
    for (size_t i = 0; i < 6; i++) {
        r = zs_test_sh("cmp '%s/%s.npy' '%s/%s.npy'", out, names[i], out1, names[i]);
        cr_assert_eq(r.exit_code, 0, "%s differs between 2 threads and 1", names[i]);
        zs_run_free(&r);
    }
    /* another seed: another subsample */
    r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 150 --restarts 2 --seed 9 -o '%s'", d, d,
                    out1);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("cmp -s '%s/tokens.npy' '%s/tokens.npy'", out, out1);
    cr_assert_neq(r.exit_code, 0, "seed 9 chose the same tokens as seed 0");
    zs_run_free(&r);
}

Test(quanta_qdg_gpt, truth_beside_or_none) {
    const char *d = dir();
    char out[1100];
    snprintf(out, sizeof out, "%s/qn", d);
    /* labels named relatively at sampling time: found beside the data from elsewhere */
    zs_run r = zs_test_sh("mkdir -p '%s/rel' && cd '%s/rel' && '%s' pcfg sample ../g.pcfg "
                          "--tokens 4096 --context 32 --seed 5 -o h.npy --labels h_rules.npy "
                          "2>/dev/null",
                          d, d, ZS_CLI_PATH);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char outb[1100];
    snprintf(outb, sizeof outb, "%s/qb", d);
    r = zs_test_cli("quanta qdg '%s/run' '%s/rel/h.npy' -n 60 --restarts 1 -o '%s'", d, d, outb);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    json_t *doc = load_json(outb);
    char want[1200];
    snprintf(want, sizeof want, "%s/rel/h_rules.npy", d);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "truth")), want);
    json_decref(doc);
    /* no truth */
    r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 100 --restarts 2 --truth none", d, d);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "no ground truth for") && strstr(r.err, "expected a cluster count k"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 100 --restarts 2 --truth none -k 4 "
                    "-o '%s'",
                    d, d, out);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "no ground truth"), "%s", r.out);
    zs_run_free(&r);
    doc = load_json(out);
    cr_assert(json_is_null(json_object_get(doc, "truth")));
    json_t *v0 = json_array_get(json_object_get(doc, "variants"), 0);
    cr_assert(json_is_null(json_object_get(v0, "ari")), "ARI without a truth: expected null");
    cr_assert_eq(json_integer_value(json_object_get(v0, "k")), 4);
    json_decref(doc);
    char path[1200];
    snprintf(path, sizeof path, "%s/truth.npy", out);
    cr_assert_null(fopen(path, "rb"), "truth.npy written without a truth");
}

static void fails(int code, const char *message, const char *extra) {
    const char *d = dir();
    zs_run r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 100 --restarts 2 %s", d, d, extra);
    cr_assert_eq(r.exit_code, code, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, message), "stderr '%s' lacks '%s'", r.err, message);
    zs_run_free(&r);
}

Test(quanta_qdg_gpt, errors) {
    const char *d = dir();
    char extra[1200], msg[2400];
    /* the token file itself as the truth: not int32 */
    snprintf(extra, sizeof extra, "--truth '%s/held.npy'", d);
    snprintf(msg, sizeof msg,
             "%s/held.npy: uint8 truth of 8192 values: expected int32, one class "
             "per token of",
             d);
    fails(1, msg, extra);
    /* the training data's labels: int32 but another length */
    snprintf(extra, sizeof extra, "--truth '%s/train_rules.npy'", d);
    snprintf(msg, sizeof msg,
             "%s/train_rules.npy: int32 truth of 65536 values: expected int32, one class per "
             "token of %s/held.npy (8192 tokens",
             d, d);
    fails(1, msg, extra);
    fails(2, "QDG variant first-bias: a GPT has no biases", "--variants first-bias");
    fails(2, "QDG: 0 of 8160 tokens have a loss below 1e-30 nats: expected at least 2",
          "--max-loss 1e-30");
    /* a parity checkpoint given data, and the truth options of a parity run */
    zs_run r = zs_test_cli("quanta qdg '%s/run' --truth none", d);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "need a GPT and its DATA"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta qdg '%s/run'", d);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "expected a sparse-parity MLP checkpoint"), "%s", r.err);
    zs_run_free(&r);
}

/* PyTorch (float64) from the checkpoint's safetensors: the scored losses, the tokens below
 * the threshold and the subsample's even spacing, and each chosen token's own gradient,
 * through the dumped angular affinity (tests/data/quanta/qdg_gpt_ref.py). */
Test(quanta_qdg_gpt, torch_reference) {
    zs_test_release_only("torch cross-check left to the Release run");
    const char *d = dir();
    const char *py = zs_test_python("torch numpy");
    char out[1100], aff[1100];
    snprintf(out, sizeof out, "%s/qt", d);
    snprintf(aff, sizeof aff, "%s/aff.f32", d);
    zs_run r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 120 --pool 4000 --restarts 2 "
                           "--seed 3 --dump-affinity '%s' -o '%s'",
                           d, d, aff, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    r = zs_test_sh("'%s' '%s/tests/data/quanta/qdg_gpt_ref.py' '%s/run/checkpoint.safetensors' "
                   "'%s/held.npy' '%s' '%s'",
                   py, ZS_SOURCE_DIR, d, d, out, aff);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
}

/* The figures and the report read a GPT's qdg.json (no subtasks; the predicted-token
 * baseline; no truth at all): both figures drawn, the report's QDG section says what was
 * clustered and the baseline, or that there was no ground truth. */
Test(quanta_qdg_gpt, figures_and_report_read_a_gpt_run) {
    const char *d = dir();
    char out[1100], none[1100], html[1200];
    snprintf(out, sizeof out, "%s/fig", d);
    snprintf(none, sizeof none, "%s/fig-none", d);
    zs_run r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 120 --restarts 2 -o '%s' "
                           "--dump-affinity '%s/aff.f32'",
                           d, d, out, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    const char *figs[] = {"", "--affinity auto"};
    for (size_t i = 0; i < 2; i++) {
        r = zs_test_cli("plot qdg '%s/qdg.json' -o '%s/f%zu.svg' %s", out, out, i, figs[i]);
        cr_assert_eq(r.exit_code, 0, "plot qdg %s: %s", figs[i], r.err);
        zs_run_free(&r);
    }
    snprintf(html, sizeof html, "%s/report.html", out);
    r = zs_test_cli("report '%s/qdg.json' -o '%s'", out, html);
    cr_assert_eq(r.exit_code, 0, "report: %s", r.err);
    zs_run_free(&r);
    char *page = zs_test_slurp(html, NULL);
    cr_assert(page && strstr(page, "120 tokens of a GPT clustered"), "no QDG section");
    cr_assert(strstr(page, "true classes (the emitting rules) are present"));
    cr_assert(strstr(page, "The baseline, each token&#39;s predicted next token") ||
                  strstr(page, "The baseline, each token's predicted next token"),
              "no baseline sentence");
    free(page);
    r = zs_test_cli("quanta qdg '%s/run' '%s/held.npy' -n 100 --restarts 2 --truth none -k 4 "
                    "-o '%s'",
                    d, d, none);
    cr_assert_eq(r.exit_code, 0, "qdg --truth none: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("report '%s/qdg.json' -o '%s/report.html'", none, none);
    cr_assert_eq(r.exit_code, 0, "report without truth: %s", r.err);
    zs_run_free(&r);
    snprintf(html, sizeof html, "%s/report.html", none);
    page = zs_test_slurp(html, NULL);
    cr_assert(page && strstr(page, "no ground truth was given"), "no-truth report");
    free(page);
}
