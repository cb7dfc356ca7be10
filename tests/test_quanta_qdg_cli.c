/* `zipscale quanta qdg` end to end on a small parity MLP trained here: the JSON's shape, the
 * label arrays, ARI and NMI recomputed by scikit-learn from the written arrays, identical
 * labels at 1 and 2 threads, and the usage errors. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Trained once for the whole test program (zs_test_shared_dir; the tests write their
 * outputs elsewhere): 3 subtasks of 2 bits on 10 bits. */
static void train(const char *dir) {
    zs_run r = zs_test_cli("train --model mlp --task parity --tasks 3 --bits 10 --k 2 "
                           "--zipf-exponent 0.5 --width 48 --steps 600 --batch 128 --lr 3e-3 "
                           "--eval-every 600 --test-size 1000 --eval-per-subtask 200 -o '%s/run'",
                           dir);
    cr_assert_eq(r.exit_code, 0, "train: %s", r.err);
    zs_run_free(&r);
}

static const char *trained_run(void) {
    static char run[600];
    snprintf(run, sizeof run, "%s/run", zs_test_shared_dir("qdgcli", train));
    return run;
}

ZS_TEST_SHARED_CLEANUP

static const char *const sk_check =
    "import sys, json\n"
    "import numpy as np\n"
    "from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score\n"
    "d = sys.argv[1]\n"
    "doc = json.load(open(d + '/qdg.json'))\n"
    "truth = np.load(d + '/truth.npy')\n"
    "for v in doc['variants']:\n"
    "    lab = np.load(d + '/labels_' + v['name'] + '.npy')\n"
    "    if lab.dtype != np.int32 or lab.shape != truth.shape:\n"
    "        raise SystemExit(f'labels {lab.dtype} {lab.shape}')\n"
    "    ari, nmi = adjusted_rand_score(truth, lab), normalized_mutual_info_score(truth, lab)\n"
    "    if abs(ari - v['ari']) >= 1e-12: raise SystemExit(f\"{v['name']} ARI {ari} {v['ari']}\")\n"
    "    if abs(nmi - v['nmi']) >= 1e-12: raise SystemExit(f\"{v['name']} NMI {nmi} {v['nmi']}\")\n"
    "    sizes = sorted(np.bincount(lab, minlength=v['k']).tolist(), reverse=True)\n"
    "    if sizes != v['sizes_ranked']: raise SystemExit(f\"sizes {sizes} {v['sizes_ranked']}\")\n"
    "print('ok')\n";

Test(quanta_qdg_cli, json_labels_and_sklearn_scores) {
    const char *run = trained_run();
    const char *out = zs_test_path("qdg");
    zs_run r = zs_test_cli(
        "quanta qdg '%s' -n 300 --pool 3000 --max-loss 0.3 --restarts 5 "
        "--variants signed,abs,first-abs,last,first-bias-abs:p2,abs:p4:qr --k-sweep 2,5 --seed 4 "
        "--threads 2 --dump-affinity '%s' -o '%s'",
        run, zs_test_path("aff.f32"), out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    cr_assert(strstr(r.out, "3000 examples scored"), "%s", r.out);
    cr_assert(strstr(r.out, "signed"), "%s", r.out);
    zs_run_free(&r);
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s", jerr.text);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "format")), "zipscale-quanta-qdg");
    json_t *sel = json_object_get(doc, "selection");
    cr_assert_eq(json_integer_value(json_object_get(sel, "n")), 300);
    cr_assert_eq(json_integer_value(json_object_get(sel, "classes_present")), 3,
                 "the trained model predicts every subtask well");
    cr_assert_eq(json_integer_value(json_object_get(sel, "gradient_dim")),
                 (13 + 1) * 48 + 2 * 48 + 2);
    json_t *vars = json_object_get(doc, "variants");
    cr_assert_eq(json_array_size(vars), 6);
    json_t *qr = json_array_get(vars, 5);
    cr_assert_str_eq(json_string_value(json_object_get(qr, "assign")), "cluster_qr");
    json_t *bias = json_array_get(vars, 4);
    cr_assert_str_eq(json_string_value(json_object_get(bias, "assign")), "kmeans");
    cr_assert_eq(json_integer_value(json_object_get(bias, "dim")), 48, "layers.0.bias alone");
    cr_assert_str_eq(json_string_value(json_object_get(bias, "parameters")), "biases");
    cr_assert_eq(json_real_value(json_object_get(bias, "power")), 2.0);
    json_t *last = json_array_get(vars, 3);
    cr_assert_eq(json_integer_value(json_object_get(last, "dim")), 2 * 48 + 2);
    cr_assert_eq(json_integer_value(json_object_get(last, "first_layer")), 1);
    for (size_t v = 0; v < 6; v++) {
        json_t *x = json_array_get(vars, v);
        cr_assert_eq(json_integer_value(json_object_get(x, "k")), 3);
        cr_assert_eq(json_array_size(json_object_get(x, "sweep")), 2);
        double ari = json_real_value(json_object_get(x, "ari"));
        cr_assert(ari >= -1 && ari <= 1);
    }
    json_decref(doc);
    /* the arrays against the JSON, by scikit-learn */
    const char *py = zs_test_python("sklearn numpy");
    const char *script = zs_test_path("qdg_check.py");
    cr_assert_eq(zs_test_write(script, sk_check, strlen(sk_check)), 0);
    r = zs_test_sh("'%s' '%s' '%s'", py, script, out);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
    /* the dumped affinity: (n, n) float32, symmetric, 1 on the diagonal (angular, cos 1) */
    size_t alen;
    float *aff = (float *)zs_test_slurp(zs_test_path("aff.f32"), &alen);
    cr_assert_eq(alen, 300 * 300 * sizeof(float));
    for (size_t i = 0; i < 300; i += 7) {
        cr_assert_float_eq(aff[i * 300 + i], 1.0f, 1e-3);
        for (size_t j = 0; j < 300; j += 11) {
            cr_assert_eq(aff[i * 300 + j], aff[j * 300 + i]);
            cr_assert(aff[i * 300 + j] >= 0.0f && aff[i * 300 + j] <= 1.0f);
        }
    }
    free(aff);
    /* one thread: the same labels, byte for byte */
    const char *out1 = zs_test_path("qdg1");
    r = zs_test_cli("quanta qdg '%s' -n 300 --pool 3000 --max-loss 0.3 --restarts 5 "
                    "--variants signed,abs,first-abs,last,first-bias-abs:p2,abs:p4:qr --k-sweep "
                    "2,5 --seed 4 --threads 1 "
                    "-o '%s'",
                    run, out1);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    const char *names[] = {"truth",           "labels_signed",
                           "labels_abs",      "labels_first-abs",
                           "labels_last",     "labels_first-bias-abs:p2",
                           "labels_abs:p4:qr"};
    for (size_t i = 0; i < 7; i++) {
        r = zs_test_sh("cmp '%s/%s.npy' '%s/%s.npy'", out, names[i], out1, names[i]);
        cr_assert_eq(r.exit_code, 0, "%s differs between 1 and 2 threads", names[i]);
        zs_run_free(&r);
    }
}

/* The :qr variant end to end: scikit-learn's spectral_embedding and cluster_qr on the
 * affinity the run dumped give the labels the run wrote (the CPQR labels depend on the
 * embedding's span only, so the eigenvectors' signs and basis do not matter). */
static const char *const sk_qr =
    "import sys, json\n"
    "import numpy as np\n"
    "from sklearn.manifold import spectral_embedding\n"
    "from sklearn.cluster._spectral import cluster_qr\n"
    "from sklearn.metrics import adjusted_rand_score\n"
    "d = sys.argv[1]\n"
    "doc = json.load(open(d + '/qdg.json'))\n"
    "v = doc['variants'][0]\n"
    "lab = np.load(d + '/labels_' + v['name'] + '.npy')\n"
    "n = lab.shape[0]\n"
    "A = np.fromfile(d + '/aff.f32', dtype=np.float32).reshape(n, n).astype(np.float64)\n"
    "ang = np.fromfile(d + '/cos.f32', dtype=np.float32).reshape(n, n).astype(np.float64)\n"
    "ref = np.abs(np.cos(np.pi * (1.0 - ang))) ** 6\n"
    "if np.max(np.abs(A - ref)) > 1e-5: raise SystemExit(f'affinity {np.max(np.abs(A - ref))}')\n"
    "e = spectral_embedding(A, n_components=v['k'], norm_laplacian=True, drop_first=False,\n"
    "                       random_state=0, eigen_tol=0.0)\n"
    "sk = cluster_qr(e)\n"
    "ari = adjusted_rand_score(sk, lab)\n"
    "if ari < 0.99: raise SystemExit(f'ARI ours vs sklearn {ari}')\n"
    "print('ok', ari, v['ari'])\n";

Test(quanta_qdg_cli, qr_variant_matches_sklearn_on_the_dumped_affinity) {
    const char *run = trained_run();
    const char *out = zs_test_path("qdgqr");
    /* the cosines (signed: 1 - arccos/π, inverted in Python) and the :qr variant's affinity */
    zs_run r = zs_test_cli("quanta qdg '%s' -n 250 --pool 3000 --max-loss 0.3 --variants signed "
                           "--seed 2 --dump-affinity '%s/cos.f32' -o '%s'",
                           run, out, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta qdg '%s' -n 250 --pool 3000 --max-loss 0.3 --variants abs:p6:qr "
                    "--seed 2 --threads 2 --dump-affinity '%s/aff.f32' -o '%s'",
                    run, out, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    const char *py = zs_test_python("sklearn numpy scipy");
    const char *script = zs_test_path("qdg_qr.py");
    cr_assert_eq(zs_test_write(script, sk_qr, strlen(sk_qr)), 0);
    r = zs_test_sh("'%s' '%s' '%s'", py, script, out);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
}

Test(quanta_qdg_cli, projection) {
    const char *out = zs_test_path("qdgp");
    zs_run r = zs_test_cli("quanta qdg '%s' -n 200 --pool 2000 --max-loss 0.3 --restarts 3 "
                           "--variants abs,signed --projection 256 -o '%s'",
                           trained_run(), out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s", jerr.text);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(doc, "options"), "projection")),
                 256);
    json_t *vars = json_object_get(doc, "variants");
    for (size_t v = 0; v < 2; v++)
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(vars, v), "dim")), 256);
    json_decref(doc);
}

static void fails(int code, const char *message, const char *extra) {
    zs_run r = zs_test_cli("quanta qdg '%s' -n 100 --pool 1000 %s", trained_run(), extra);
    cr_assert_eq(r.exit_code, code, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, message), "stderr '%s' lacks '%s'", r.err, message);
    zs_run_free(&r);
}

Test(quanta_qdg_cli, errors) {
    fails(2, "--variants: QDG variant 'bogus': expected signed, abs", "--variants signed,bogus");
    fails(2, "--truth 'x.npy': expected auto", "--truth x.npy");
    fails(2, "--k-sweep: '0': expected a count of at least 1", "--k-sweep 3,0");
    fails(2, "--embedding: spectral embedding 'njw': expected sklearn, rownorm or raw",
          "--embedding njw");
    fails(2, "QDG: 0 of 1000 examples have a loss below 1e-30 nats: expected at least 2",
          "--max-loss 1e-30");
    fails(2, "QDG: k = 200 clusters of 100 samples: expected 1 .. 100", "-k 200");
    zs_run r = zs_test_cli("quanta qdg '%s'", zs_test_path("nothing-here"));
    cr_assert_eq(r.exit_code, 1, "%s", r.err);
    zs_run_free(&r);
}

/* End to end: qdg.json records the affinity dumped beside it; `plot qdg` draws both figures
 * from it and the report has its QDG section with the heatmap. */
Test(quanta_qdg_cli, figures_and_report_from_a_real_run) {
    const char *out = zs_test_path("qdgf");
    zs_run r = zs_test_cli("quanta qdg '%s' -n 120 --pool 2000 --max-loss 0.3 --restarts 3 "
                           "--variants abs,signed --k-sweep 2 --dump-affinity '%s/aff.f32' -o '%s'",
                           trained_run(), out, out);
    cr_assert_eq(r.exit_code, 0, "qdg: %s", r.err);
    zs_run_free(&r);
    char path[1100];
    snprintf(path, sizeof path, "%s/qdg.json", out);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    cr_assert(doc, "%s", jerr.text);
    char want[1100];
    snprintf(want, sizeof want, "%s/aff.f32", out);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "affinity_file")), want);
    json_decref(doc);
    const char *svg = zs_test_path("qdgf-rf.svg"), *hm = zs_test_path("qdgf-hm.svg");
    r = zs_test_cli("plot qdg '%s' -o '%s'", path, svg);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    char *text = zs_test_slurp(svg, NULL);
    cr_assert(text && strstr(text, ">QDG cluster sizes by rank (variant abs, k = 3)</text>"));
    free(text);
    r = zs_test_cli("plot qdg '%s' --affinity auto --cells 40 -o '%s'", path, hm);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    text = zs_test_slurp(hm, NULL);
    cr_assert(text && strstr(text, ">QDG affinity ordered by cluster (abs)</text>"));
    cr_assert(
        strstr(text, ">sample by cluster, largest first (120, in 40 x 40 block means)</text>"));
    free(text);
    const char *html = zs_test_path("qdgf.html");
    r = zs_test_cli("report '%s' -o '%s'", path, html);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    text = zs_test_slurp(html, NULL);
    cr_assert(text && strstr(text, "<section id=\"qdg\">"));
    cr_assert(strstr(text, ">QDG affinity ordered by cluster (abs)</text>"));
    cr_assert(strstr(text, ">sample by cluster, largest first (120)</text>"));
    cr_assert(strstr(text, "<tr><td>signed</td><td class=\"num\">2</td>"), "the sweep's row");
    free(text);
}
