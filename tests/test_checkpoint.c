/* Tests for checkpoints (module nn): write/load round trips of a GPT-shaped and an
 * MLP-shaped layout with and without AdamW state, the config in the metadata, numpy
 * loading one with docs/formats.md's snippet, the real models resuming bit for bit, and
 * every refusal: another d_model, layers, a missing tensor, a wrong dtype, a truncated file,
 * optimiser mismatches, a file that is not a checkpoint, malformed or invalid configs,
 * metadata collisions. Most tests build their layouts by hand (checked against the models'
 * own) and fill parameters from a formula numpy recomputes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zipscale/nn.h"

/* ---- layouts built by hand ---- */

static void add(zs_layout *l, int ndim, size_t d0, size_t d1, const char *fmt, int i) {
    l->tensors = realloc(l->tensors, (l->n_tensors + 1) * sizeof *l->tensors);
    zs_tensor *t = &l->tensors[l->n_tensors++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, fmt, i);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->numel = ndim == 1 ? d0 : d0 * d1;
    t->offset = l->numel;
    l->numel += t->numel;
}

static zs_layout gpt_layout(const zs_gpt_config *c) {
    zs_layout l = {0};
    size_t d = c->d_model, h = c->mlp_hidden;
    add(&l, 2, c->vocab, d, "tok_embedding", 0);
    for (int i = 0; i < (int)c->layers; i++) {
        add(&l, 1, d, 0, "blocks.%d.attn_norm", i);
        add(&l, 2, 3 * d, d, "blocks.%d.attn_qkv", i);
        add(&l, 2, d, d, "blocks.%d.attn_out", i);
        add(&l, 1, d, 0, "blocks.%d.mlp_norm", i);
        add(&l, 2, 2 * h, d, "blocks.%d.mlp_gate_up", i);
        add(&l, 2, d, h, "blocks.%d.mlp_down", i);
    }
    add(&l, 1, d, 0, "final_norm", 0);
    add(&l, 2, c->vocab, d, "lm_head", 0);
    return l;
}

static zs_layout mlp_layout(const zs_mlp_config *c) {
    zs_layout l = {0};
    size_t in = c->n_tasks + c->n_bits;
    add(&l, 2, in, c->width, "layers.0.weight_t", 0);
    add(&l, 1, c->width, 0, "layers.0.bias", 0);
    for (int i = 1; i < (int)c->depth; i++) {
        add(&l, 2, c->width, c->width, "layers.%d.weight", i);
        add(&l, 1, c->width, 0, "layers.%d.bias", i);
    }
    add(&l, 2, 2, c->width, "layers.%d.weight", (int)c->depth);
    add(&l, 1, 2, 0, "layers.%d.bias", (int)c->depth);
    return l;
}

static const zs_model_config small_gpt = {
    .kind = ZS_MODEL_GPT,
    .gpt = {.vocab = 11, .context = 8, .d_model = 8, .layers = 2, .heads = 2, .mlp_hidden = 12}};
static const zs_model_config small_mlp = {
    .kind = ZS_MODEL_MLP, .mlp = {.n_tasks = 5, .n_bits = 9, .width = 6, .depth = 2}};

static zs_layout layout_of(const zs_model_config *cfg) {
    return cfg->kind == ZS_MODEL_GPT ? gpt_layout(&cfg->gpt) : mlp_layout(&cfg->mlp);
}

/* Element i of buffer `which` (0 params, 1 m, 2 v); the numpy test computes the same. */
static float value(size_t i, int which) {
    return (float)((long)((i * 13 + (size_t)which * 5) % 97) - 48) / 64.0f;
}

static float *filled(size_t n, int which) {
    float *x = malloc(n * sizeof *x + 1);
    for (size_t i = 0; i < n; i++) x[i] = value(i, which);
    return x;
}

/* An optimiser filled by hand, as zs_adamw_init would lay it out. */
static zs_adamw make_opt(const zs_layout *layout, int fill) {
    zs_adamw opt = {.cfg = {.beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1},
                    .layout = layout};
    opt.moments = calloc(2 * layout->numel + 1, sizeof *opt.moments);
    opt.m = opt.moments;
    opt.v = opt.moments + layout->numel;
    if (fill) {
        for (size_t i = 0; i < layout->numel; i++) {
            opt.m[i] = value(i, 1);
            opt.v[i] = value(i, 2) * value(i, 2);
        }
        opt.t = 123;
    }
    return opt;
}

static void expect_msg(const zs_error *err, const char *want) {
    cr_assert_str_eq(err->msg, want, "got:  %s\nwant: %s", err->msg, want);
}

static zs_safetensors *open_ok(const char *path) {
    zs_safetensors *st;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_OK, "%s", err.msg);
    return st;
}

static const zs_safetensors_meta train_meta[] = {{"train.step", "7"}, {"train.rng", "12345"}};

/* Writes cfg's checkpoint (params from value(·, 0), optimiser state when with_opt). */
static void write_ckpt(const char *path, const zs_model_config *cfg, int with_opt) {
    zs_layout layout = layout_of(cfg);
    float *params = filled(layout.numel, 0);
    zs_adamw opt = make_opt(&layout, 1);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, cfg, &layout, params, with_opt ? &opt : NULL, train_meta,
                                     2, &err),
                 ZS_OK, "%s", err.msg);
    free(opt.moments);
    free(params);
    zs_layout_free(&layout);
}

/* Loads path into cfg's layout and checks everything against what write_ckpt wrote. */
static void check_round_trip(const zs_model_config *cfg, int with_opt) {
    const char *path = zs_test_path("rt.safetensors");
    write_ckpt(path, cfg, with_opt);
    zs_safetensors *st = open_ok(path);
    zs_layout layout = layout_of(cfg);
    cr_assert_eq(zs_safetensors_count(st), layout.n_tensors * (with_opt ? 3 : 1));
    zs_model_config back;
    zs_error err;
    cr_assert_eq(zs_checkpoint_read_config(st, &back, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(memcmp(&back, cfg, sizeof back), 0);
    cr_assert_str_eq(zs_safetensors_meta_value(st, "train.step"), "7");
    cr_assert_str_eq(zs_safetensors_meta_value(st, "train.rng"), "12345");
    cr_assert_str_eq(zs_safetensors_meta_value(st, "zipscale_version"), zs_version());

    float *params = calloc(layout.numel, sizeof *params);
    zs_adamw opt = make_opt(&layout, 0);
    cr_assert_eq(zs_checkpoint_load(st, &layout, params, with_opt ? &opt : NULL, &err), ZS_OK, "%s",
                 err.msg);
    float *want = filled(layout.numel, 0);
    cr_assert_eq(memcmp(params, want, layout.numel * sizeof *params), 0);
    if (with_opt) {
        cr_assert_eq(opt.t, 123);
        for (size_t i = 0; i < layout.numel; i++) {
            cr_assert_eq(opt.m[i], value(i, 1), "m[%zu]", i);
            cr_assert_eq(opt.v[i], value(i, 2) * value(i, 2), "v[%zu]", i);
        }
        const zs_tensor *t = &layout.tensors[layout.n_tensors - 1];
        char name[100];
        snprintf(name, sizeof name, "adamw.v.%s", t->name);
        cr_assert_not_null(zs_safetensors_find(st, name));
    }
    free(want);
    free(params);
    free(opt.moments);
    zs_layout_free(&layout);
    zs_safetensors_close(st);
}

Test(checkpoint, kind_names) {
    cr_assert_str_eq(zs_model_kind_name(ZS_MODEL_GPT), "gpt");
    cr_assert_str_eq(zs_model_kind_name(ZS_MODEL_MLP), "mlp");
}

Test(checkpoint, gpt_round_trip) {
    check_round_trip(&small_gpt, 0);
}

Test(checkpoint, gpt_round_trip_with_optimizer) {
    check_round_trip(&small_gpt, 1);
}

Test(checkpoint, mlp_round_trip) {
    check_round_trip(&small_mlp, 0);
}

Test(checkpoint, mlp_round_trip_with_optimizer) {
    check_round_trip(&small_mlp, 1);
}

Test(checkpoint, metadata_keys_and_values) {
    const char *path = zs_test_path("meta.safetensors");
    write_ckpt(path, &small_gpt, 1);
    zs_safetensors *st = open_ok(path);
    const char *want[][2] = {
        {"format", "zipscale-checkpoint"},
        {"format_version", "1"},
        {"model", "{\"kind\":\"gpt\",\"vocab\":11,\"context\":8,\"d_model\":8,\"layers\":2,"
                  "\"heads\":2,\"mlp_hidden\":12}"},
        {"adamw.step", "123"},
        {"adamw.beta1", "0.90000000000000002"},
        {"adamw.beta2", "0.94999999999999996"},
        {"adamw.eps", "1e-08"},
        {"adamw.weight_decay", "0.10000000000000001"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_str_eq(zs_safetensors_meta_value(st, want[i][0]), want[i][1], "%s", want[i][0]);
    zs_safetensors_close(st);
}

/* A checkpoint with optimiser state serves evaluation too: loading without one ignores
 * the moments. */
Test(checkpoint, load_params_only_from_a_file_with_moments) {
    const char *path = zs_test_path("full.safetensors");
    write_ckpt(path, &small_mlp, 1);
    zs_safetensors *st = open_ok(path);
    zs_layout layout = layout_of(&small_mlp);
    float *params = calloc(layout.numel, sizeof *params);
    zs_error err;
    cr_assert_eq(zs_checkpoint_load(st, &layout, params, NULL, &err), ZS_OK, "%s", err.msg);
    float *want = filled(layout.numel, 0);
    cr_assert_eq(memcmp(params, want, layout.numel * sizeof *params), 0);
    free(want);
    free(params);
    zs_layout_free(&layout);
    zs_safetensors_close(st);
}

/* ---- numpy loads one with the snippet in docs/formats.md ---- */

static char *docs_snippet(void) {
    size_t len;
    char *doc = zs_test_slurp(ZS_SOURCE_DIR "/docs/formats.md", &len);
    cr_assert_not_null(doc);
    char *section = strstr(doc, "\n## Checkpoints");
    cr_assert_not_null(section);
    char *begin = strstr(section, "```python\n");
    cr_assert_not_null(begin);
    begin += strlen("```python\n");
    char *end = strstr(begin, "```");
    cr_assert_not_null(end);
    char *snippet = strndup(begin, (size_t)(end - begin));
    free(doc);
    return snippet;
}

Test(checkpoint, numpy_loads_it_with_the_documented_snippet) {
    const char *py = zs_test_python("numpy");
    const char *path = zs_test_path("np.safetensors");
    write_ckpt(path, &small_gpt, 1);
    char *snippet = docs_snippet();
    const char *checks =
        "import sys\n"
        "config, meta, tensors = load_checkpoint(sys.argv[1])\n"
        "if config != {'kind': 'gpt', 'vocab': 11, 'context': 8, 'd_model': 8,\n"
        "              'layers': 2, 'heads': 2, 'mlp_hidden': 12}:\n"
        "    raise SystemExit(config)\n"
        "if meta['adamw.step'] != '123' or meta['train.step'] != '7':\n"
        "    raise SystemExit(meta)\n"
        "if tensors['blocks.1.attn_qkv'].shape != (24, 8):\n"
        "    raise SystemExit(tensors['blocks.1.attn_qkv'].shape)\n"
        "def value(n, which):\n"
        "    i = np.arange(n, dtype=np.int64)\n"
        "    return (((i * 13 + which * 5) % 97 - 48) / 64.0).astype(np.float32)\n"
        "params = [t for name, t in tensors.items() if not name.startswith('adamw.')]\n"
        "flat = np.concatenate([t.ravel() for t in params])\n"
        "if not np.array_equal(flat, value(flat.size, 0)): raise SystemExit('parameters differ')\n"
        "m = np.concatenate([t.ravel() for n, t in tensors.items() if n.startswith('adamw.m.')])\n"
        "if not np.array_equal(m, value(flat.size, 1)): raise SystemExit('adamw.m differs')\n"
        "v = np.concatenate([t.ravel() for n, t in tensors.items() if n.startswith('adamw.v.')])\n"
        "if not np.array_equal(v, value(flat.size, 2) * value(flat.size, 2)):\n"
        "    raise SystemExit('adamw.v differs')\n"
        "print('ok', len(params), flat.size)\n";
    size_t n = strlen(snippet) + strlen(checks) + 1;
    char *script = malloc(n);
    snprintf(script, n, "%s%s", snippet, checks);
    const char *script_path = zs_test_path("load.py");
    cr_assert_eq(zs_test_write(script_path, script, strlen(script)), 0);
    zs_run r = zs_test_sh("'%s' '%s' '%s'", py, script_path, path);
    cr_assert_eq(r.exit_code, 0, "python failed: %s", r.err);
    zs_layout layout = layout_of(&small_gpt);
    char want[100];
    snprintf(want, sizeof want, "ok %zu %zu\n", layout.n_tensors, layout.numel);
    cr_assert_str_eq(r.out, want);
    zs_layout_free(&layout);
    zs_run_free(&r);
    free(script);
    free(snippet);
}

/* ---- refusals ---- */

/* Loads the checkpoint at path into cfg's layout (with an optimiser when with_opt) and
 * expects ZS_ERR_FORMAT with "<path>: <detail>". */
static void expect_load_error(const char *path, const zs_model_config *cfg, int with_opt,
                              const char *detail) {
    zs_safetensors *st = open_ok(path);
    zs_layout layout = layout_of(cfg);
    float *params = calloc(layout.numel, sizeof *params);
    zs_adamw opt = make_opt(&layout, 0);
    zs_error err;
    cr_assert_eq(zs_checkpoint_load(st, &layout, params, with_opt ? &opt : NULL, &err),
                 ZS_ERR_FORMAT);
    char want[1200];
    snprintf(want, sizeof want, "%s: %s", path, detail);
    expect_msg(&err, want);
    free(opt.moments);
    free(params);
    zs_layout_free(&layout);
    zs_safetensors_close(st);
}

Test(checkpoint_bad, another_d_model) {
    const char *path = zs_test_path("d64.safetensors");
    zs_model_config d64 = small_gpt, d128 = small_gpt;
    d64.gpt.d_model = 64;
    d128.gpt.d_model = 128;
    write_ckpt(path, &d64, 0);
    expect_load_error(path, &d128, 0,
                      "tensor 'tok_embedding': expected F32 shape [11, 128], found F32 [11, 64]");
}

Test(checkpoint_bad, fewer_layers_in_the_model) {
    const char *path = zs_test_path("l2.safetensors");
    zs_model_config one = small_gpt;
    one.gpt.layers = 1;
    write_ckpt(path, &small_gpt, 0);
    expect_load_error(path, &one, 0, "tensor 'blocks.1.attn_norm' is not part of the model");
}

Test(checkpoint_bad, missing_tensor) {
    const char *path = zs_test_path("l1.safetensors");
    zs_model_config one = small_gpt;
    one.gpt.layers = 1;
    write_ckpt(path, &one, 0);
    expect_load_error(path, &small_gpt, 0, "no tensor 'blocks.1.attn_norm'");
}

Test(checkpoint_bad, missing_moment) {
    const char *path = zs_test_path("moments.safetensors");
    zs_layout layout = layout_of(&small_mlp);
    float *params = filled(layout.numel, 0);
    zs_adamw opt = make_opt(&layout, 1);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, &small_mlp, &layout, params, &opt, NULL, 0, &err), ZS_OK,
                 "%s", err.msg);
    /* rewrite it without the last tensor (adamw.v.layers.2.bias), metadata kept */
    zs_safetensors *st = open_ok(path);
    size_t n = zs_safetensors_count(st) - 1;
    zs_safetensors_tensor *keep = malloc(n * sizeof *keep);
    for (size_t i = 0; i < n; i++) keep[i] = *zs_safetensors_tensor_at(st, i);
    const char *keys[] = {"format",           "format_version", "model",
                          "zipscale_version", "adamw.step",     "adamw.beta1",
                          "adamw.beta2",      "adamw.eps",      "adamw.weight_decay"};
    zs_safetensors_meta meta[9];
    for (int i = 0; i < 9; i++)
        meta[i] = (zs_safetensors_meta){keys[i], zs_safetensors_meta_value(st, keys[i])};
    const char *cut = zs_test_path("cut.safetensors");
    cr_assert_eq(zs_safetensors_write(cut, keep, n, meta, 9, &err), ZS_OK, "%s", err.msg);
    zs_safetensors_close(st);
    expect_load_error(cut, &small_mlp, 1, "no tensor 'adamw.v.layers.2.bias'");
    free(keep);
    free(opt.moments);
    free(params);
    zs_layout_free(&layout);
}

Test(checkpoint_bad, wrong_dtype) {
    zs_layout layout = layout_of(&small_mlp);
    zs_safetensors_tensor *t = calloc(layout.n_tensors, sizeof *t);
    double *data = calloc(layout.numel, sizeof *data);
    for (size_t i = 0; i < layout.n_tensors; i++) {
        const zs_tensor *l = &layout.tensors[i];
        t[i] = (zs_safetensors_tensor){.name = l->name,
                                       .dtype = ZS_SAFETENSORS_F64,
                                       .ndim = l->ndim,
                                       .shape = {l->shape[0], l->shape[1]},
                                       .data = data + l->offset};
    }
    const zs_safetensors_meta meta[] = {
        {"format", "zipscale-checkpoint"},
        {"format_version", "1"},
        {"model", "{\"kind\":\"mlp\",\"n_tasks\":5,\"n_bits\":9,\"width\":6,\"depth\":2}"}};
    const char *path = zs_test_path("f64.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, t, layout.n_tensors, meta, 3, &err), ZS_OK, "%s",
                 err.msg);
    expect_load_error(path, &small_mlp, 0,
                      "tensor 'layers.0.weight_t': expected F32 shape [14, 6], found F64 [14, 6]");
    free(data);
    free(t);
    zs_layout_free(&layout);
}

Test(checkpoint_bad, truncated_file) {
    const char *path = zs_test_path("whole.safetensors");
    write_ckpt(path, &small_mlp, 1);
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    const char *cut = zs_test_path("trunc.safetensors");
    cr_assert_eq(zs_test_write(cut, bytes, len - 100), 0);
    zs_safetensors *st = NULL;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, cut, &err), ZS_ERR_FORMAT);
    cr_assert_null(st);
    cr_assert(strstr(err.msg, "run past the end of the data") &&
                  strstr(err.msg, "truncated file?") && strstr(err.msg, "adamw.v."),
              "%s", err.msg);
    free(bytes);
}

Test(checkpoint_bad, optimizer_state_absent) {
    const char *path = zs_test_path("noopt.safetensors");
    write_ckpt(path, &small_mlp, 0);
    expect_load_error(path, &small_mlp, 1,
                      "metadata 'adamw.step': expected the optimiser's step count (saved "
                      "without it?), found none");
}

Test(checkpoint_bad, optimizer_settings_differ) {
    const char *path = zs_test_path("beta.safetensors");
    write_ckpt(path, &small_mlp, 1);
    zs_safetensors *st = open_ok(path);
    zs_layout layout = layout_of(&small_mlp);
    float *params = calloc(layout.numel, sizeof *params);
    zs_adamw opt = make_opt(&layout, 0);
    opt.cfg.beta2 = 0.999;
    zs_error err;
    cr_assert_eq(zs_checkpoint_load(st, &layout, params, &opt, &err), ZS_ERR_FORMAT);
    char want[700];
    snprintf(want, sizeof want,
             "%s: metadata 'adamw.beta2': the checkpoint has 0.94999999999999996, the optimiser "
             "0.999",
             path);
    expect_msg(&err, want);
    free(opt.moments);
    free(params);
    zs_layout_free(&layout);
    zs_safetensors_close(st);
}

/* A file with these metadata (and no tensors), opened; zs_checkpoint_read_config must fail. */
static void expect_config_error(const zs_safetensors_meta *meta, size_t n_meta,
                                const char *detail) {
    const char *path = zs_test_path("cfg.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, NULL, 0, meta, n_meta, &err), ZS_OK, "%s", err.msg);
    zs_safetensors *st = open_ok(path);
    zs_model_config cfg;
    cr_assert_eq(zs_checkpoint_read_config(st, &cfg, &err), ZS_ERR_FORMAT);
    char want[1200];
    snprintf(want, sizeof want, "%s: %s", path, detail);
    expect_msg(&err, want);
    zs_safetensors_close(st);
}

#define FORMAT_META                                                                                \
    {"format", "zipscale-checkpoint"}, {                                                           \
        "format_version", "1"                                                                      \
    }

Test(checkpoint_bad, not_a_checkpoint) {
    const zs_safetensors_meta meta[] = {{"step", "3"}};
    expect_config_error(meta, 1,
                        "metadata 'format': expected \"zipscale-checkpoint\" (not a zipscale "
                        "checkpoint), found none");
}

Test(checkpoint_bad, load_refuses_a_file_that_is_not_a_checkpoint) {
    const char *path = zs_test_path("plain.safetensors");
    const float x[2] = {1, 2};
    const zs_safetensors_tensor t = {
        .name = "out.bias", .dtype = ZS_SAFETENSORS_F32, .ndim = 1, .shape = {2}, .data = x};
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, &t, 1, NULL, 0, &err), ZS_OK, "%s", err.msg);
    expect_load_error(path, &small_mlp, 0,
                      "metadata 'format': expected \"zipscale-checkpoint\" (not a zipscale "
                      "checkpoint), found none");
}

Test(checkpoint_bad, future_format_version) {
    const zs_safetensors_meta meta[] = {{"format", "zipscale-checkpoint"}, {"format_version", "2"}};
    expect_config_error(meta, 2, "metadata 'format_version': expected 1, found 2");
}

Test(checkpoint_bad, model_missing) {
    const zs_safetensors_meta meta[] = {FORMAT_META};
    expect_config_error(meta, 2,
                        "metadata 'model': expected the model's config as JSON, found none");
}

Test(checkpoint_bad, model_not_json) {
    const zs_safetensors_meta meta[] = {FORMAT_META, {"model", "{\"kind\": gpt}"}};
    expect_config_error(meta, 3, "metadata 'model': JSON column 12: invalid token near 'gpt'");
}

Test(checkpoint_bad, model_not_an_object) {
    const zs_safetensors_meta meta[] = {FORMAT_META, {"model", "[1]"}};
    expect_config_error(meta, 3, "metadata 'model': expected a JSON object, found [1]");
}

Test(checkpoint_bad, model_unknown_kind) {
    const zs_safetensors_meta meta[] = {FORMAT_META, {"model", "{\"kind\":\"cnn\"}"}};
    expect_config_error(meta, 3, "metadata 'model': field 'kind': expected \"gpt\" or \"mlp\"");
}

Test(checkpoint_bad, model_field_missing) {
    const zs_safetensors_meta meta[] = {
        FORMAT_META, {"model", "{\"kind\":\"mlp\",\"n_tasks\":5,\"n_bits\":9,\"width\":6}"}};
    expect_config_error(meta, 3,
                        "metadata 'model': field 'depth': expected an integer in [0, "
                        "4294967295]");
}

Test(checkpoint_bad, model_field_out_of_range) {
    const zs_safetensors_meta meta[] = {FORMAT_META,
                                        {"model", "{\"kind\":\"mlp\",\"n_tasks\":5,\"n_bits\":-9,"
                                                  "\"width\":6,\"depth\":1}"}};
    expect_config_error(meta, 3,
                        "metadata 'model': field 'n_bits': expected an integer in [0, "
                        "4294967295]");
}

Test(checkpoint_bad, model_unknown_field) {
    const zs_safetensors_meta meta[] = {FORMAT_META,
                                        {"model", "{\"kind\":\"mlp\",\"n_tasks\":5,\"n_bits\":9,"
                                                  "\"width\":6,\"depth\":1,\"d_model\":8}"}};
    expect_config_error(meta, 3, "metadata 'model': unknown field 'd_model' for mlp");
}

/* ---- write refusals leave no file ---- */

static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void expect_write_usage_error(const zs_safetensors_meta *extra, size_t n_extra,
                                     const char *detail) {
    const char *dir = zs_test_path("collide");
    zs_run r = zs_test_sh("mkdir -p '%s'", dir);
    zs_run_free(&r);
    char path[600], want[1200];
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    zs_layout layout = layout_of(&small_mlp);
    float *params = filled(layout.numel, 0);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, &small_mlp, &layout, params, NULL, extra, n_extra, &err),
                 ZS_ERR_USAGE);
    snprintf(want, sizeof want, "%s: %s", path, detail);
    expect_msg(&err, want);
    cr_assert_eq(dir_entries(dir), 0);
    free(params);
    zs_layout_free(&layout);
}

Test(checkpoint_write, extra_metadata_colliding_with_ours) {
    const zs_safetensors_meta extra[] = {{"train.step", "1"}, {"model", "mine"}};
    expect_write_usage_error(extra, 2,
                             "metadata key 'model' is the checkpoint's own; pick another");
}

Test(checkpoint_write, extra_metadata_with_the_adamw_prefix) {
    const zs_safetensors_meta extra[] = {{"adamw.lr", "0.001"}};
    expect_write_usage_error(extra, 1,
                             "metadata key 'adamw.lr': the prefix 'adamw.' is the checkpoint's "
                             "own");
}

Test(checkpoint_write, extra_metadata_twice) {
    const zs_safetensors_meta extra[] = {{"train.step", "1"}, {"train.step", "2"}};
    expect_write_usage_error(extra, 2, "metadata 'train.step' appears twice");
}

Test(checkpoint_write, optimizer_on_another_layout) {
    const char *path = zs_test_path("other.safetensors");
    zs_layout layout = layout_of(&small_mlp), other = layout_of(&small_gpt);
    float *params = filled(layout.numel, 0);
    zs_adamw opt = make_opt(&other, 1);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, &small_mlp, &layout, params, &opt, NULL, 0, &err),
                 ZS_ERR_USAGE);
    char want[700];
    snprintf(want, sizeof want, "%s: the optimiser's layout is not the model's", path);
    expect_msg(&err, want);
    cr_assert_eq(access(path, F_OK), -1);
    free(opt.moments);
    free(params);
    zs_layout_free(&layout);
    zs_layout_free(&other);
}

/* ---- the real models ---- */

static void expect_same_layout(const zs_layout *a, const zs_layout *b) {
    cr_assert_eq(a->n_tensors, b->n_tensors);
    cr_assert_eq(a->numel, b->numel);
    for (size_t i = 0; i < a->n_tensors; i++) {
        const zs_tensor *x = &a->tensors[i], *y = &b->tensors[i];
        cr_assert_str_eq(x->name, y->name);
        cr_assert_eq(x->offset, y->offset, "%s", x->name);
        cr_assert_eq(x->ndim, y->ndim, "%s", x->name);
        for (int d = 0; d < x->ndim; d++) cr_assert_eq(x->shape[d], y->shape[d], "%s", x->name);
    }
}

/* The hand-built layouts above are the models' own (so the tests speak of real names). */
Test(checkpoint_models, hand_layouts_are_the_models) {
    zs_layout real, hand = layout_of(&small_gpt);
    zs_error err;
    cr_assert_eq(zs_gpt_layout(&small_gpt.gpt, &real, &err), ZS_OK, "%s", err.msg);
    expect_same_layout(&hand, &real);
    zs_layout_free(&real);
    zs_layout_free(&hand);
    hand = layout_of(&small_mlp);
    cr_assert_eq(zs_mlp_layout(&small_mlp.mlp, &real, &err), ZS_OK, "%s", err.msg);
    expect_same_layout(&hand, &real);
    zs_layout_free(&real);
    zs_layout_free(&hand);
}

/* A trained-for-two-steps GPT and its AdamW, saved and loaded into fresh ones: the same
 * parameters, moments, step, and the next step's loss bit for bit. */
Test(checkpoint_models, gpt_resumes_bit_for_bit) {
    const zs_gpt_config *cfg = &small_gpt.gpt;
    enum { B = 2, T = 8 };
    uint32_t inputs[B * T], targets[B * T];
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (uint32_t)(i * 5 % 11);
        targets[i] = (uint32_t)((i * 5 + 3) % 11);
    }
    zs_gpt *a, *b;
    zs_adamw opt_a, opt_b;
    zs_error err;
    zs_adamw_opts acfg;
    zs_adamw_opts_init(&acfg);
    cr_assert_eq(zs_gpt_create(&a, cfg, B, ZS_PRECISION_FP32, 1, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_gpt_create(&b, cfg, B, ZS_PRECISION_FP32, 1, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_adamw_init(&opt_a, zs_gpt_get_layout(a), &acfg, &err), ZS_OK);
    cr_assert_eq(zs_adamw_init(&opt_b, zs_gpt_get_layout(b), &acfg, &err), ZS_OK);
    zs_gpt_draw_weights(a, 7);
    double loss;
    for (int step = 0; step < 2; step++) {
        zs_gpt_zero_grad(a);
        cr_assert_eq(zs_gpt_forward(a, inputs, targets, B, T, &loss, NULL, &err), ZS_OK);
        cr_assert_eq(zs_gpt_backward(a, 1.0f, &err), ZS_OK);
        zs_adamw_step(&opt_a, zs_gpt_params(a), zs_gpt_grads(a), 1e-2);
    }
    const char *path = zs_test_path("gpt.safetensors");
    const zs_layout *layout = zs_gpt_get_layout(a);
    cr_assert_eq(
        zs_checkpoint_write(path, &small_gpt, layout, zs_gpt_params(a), &opt_a, NULL, 0, &err),
        ZS_OK, "%s", err.msg);
    zs_safetensors *st = open_ok(path);
    cr_assert_eq(zs_checkpoint_load(st, zs_gpt_get_layout(b), zs_gpt_params(b), &opt_b, &err),
                 ZS_OK, "%s", err.msg);
    zs_safetensors_close(st);
    size_t n = layout->numel;
    cr_assert_eq(memcmp(zs_gpt_params(a), zs_gpt_params(b), n * sizeof(float)), 0);
    cr_assert_eq(memcmp(opt_a.moments, opt_b.moments, 2 * n * sizeof(float)), 0);
    cr_assert_eq(opt_b.t, 2);
    double loss_a, loss_b;
    cr_assert_eq(zs_gpt_forward(a, inputs, targets, B, T, &loss_a, NULL, &err), ZS_OK);
    cr_assert_eq(zs_gpt_forward(b, inputs, targets, B, T, &loss_b, NULL, &err), ZS_OK);
    cr_assert_eq(memcmp(&loss_a, &loss_b, sizeof loss_a), 0, "%.17g vs %.17g", loss_a, loss_b);
    cr_assert_lt(loss_a, loss, "two AdamW steps should lower the loss");
    zs_adamw_free(&opt_a);
    zs_adamw_free(&opt_b);
    zs_gpt_free(a);
    zs_gpt_free(b);
}

Test(checkpoint_models, mlp_loads_into_a_fresh_model) {
    zs_mlp *a, *b;
    zs_error err;
    cr_assert_eq(zs_mlp_create(&a, &small_mlp.mlp, 4, 1, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_mlp_create(&b, &small_mlp.mlp, 4, 1, &err), ZS_OK, "%s", err.msg);
    zs_mlp_draw_weights(a, 3);
    const char *path = zs_test_path("mlp.safetensors");
    cr_assert_eq(zs_checkpoint_write(path, &small_mlp, zs_mlp_get_layout(a), zs_mlp_params(a), NULL,
                                     NULL, 0, &err),
                 ZS_OK, "%s", err.msg);
    zs_safetensors *st = open_ok(path);
    zs_model_config cfg;
    cr_assert_eq(zs_checkpoint_read_config(st, &cfg, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(memcmp(&cfg, &small_mlp, sizeof cfg), 0);
    cr_assert_eq(zs_checkpoint_load(st, zs_mlp_get_layout(b), zs_mlp_params(b), NULL, &err), ZS_OK,
                 "%s", err.msg);
    zs_safetensors_close(st);
    float inputs[4 * 14] = {0};
    uint8_t labels[4] = {0, 1, 1, 0};
    for (int e = 0; e < 4; e++) {
        inputs[e * 14 + e] = 1; /* the control code */
        for (int k = 0; k < 9; k++) inputs[e * 14 + 5 + k] = (float)((e * 3 + k) % 2);
    }
    double loss_a, loss_b;
    cr_assert_eq(zs_mlp_forward_dense(a, inputs, labels, 4, &loss_a, NULL, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(zs_mlp_forward_dense(b, inputs, labels, 4, &loss_b, NULL, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert_eq(memcmp(&loss_a, &loss_b, sizeof loss_a), 0, "%.17g vs %.17g", loss_a, loss_b);
    zs_mlp_free(a);
    zs_mlp_free(b);
}

Test(checkpoint_bad, model_config_its_model_refuses) {
    const zs_safetensors_meta meta[] = {FORMAT_META,
                                        {"model", "{\"kind\":\"gpt\",\"vocab\":11,\"context\":8,"
                                                  "\"d_model\":8,\"layers\":2,\"heads\":3,"
                                                  "\"mlp_hidden\":12}"}};
    expect_config_error(meta, 3,
                        "metadata 'model': GPT config: heads 3: expected a divisor of d_model 8");
}

/* Found by fuzzing (issue 14; inputs in tests/fuzz/crashes/checkpoint/). */
Test(checkpoint_bad, adamw_step_with_a_leading_space_and_minus) {
    const char *path = zs_test_path("step.safetensors");
    write_ckpt(path, &small_mlp, 1);
    zs_safetensors *st = open_ok(path);
    size_t n = zs_safetensors_count(st);
    zs_safetensors_tensor *keep = malloc(n * sizeof *keep);
    for (size_t i = 0; i < n; i++) keep[i] = *zs_safetensors_tensor_at(st, i);
    const char *keys[] = {"format",      "format_version", "model",     "zipscale_version",
                          "adamw.beta1", "adamw.beta2",    "adamw.eps", "adamw.weight_decay"};
    zs_safetensors_meta meta[9];
    for (int i = 0; i < 8; i++)
        meta[i] = (zs_safetensors_meta){keys[i], zs_safetensors_meta_value(st, keys[i])};
    meta[8] = (zs_safetensors_meta){"adamw.step", " -1"};
    const char *bad = zs_test_path("minus.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(bad, keep, n, meta, 9, &err), ZS_OK, "%s", err.msg);
    zs_safetensors_close(st);
    expect_load_error(bad, &small_mlp, 1,
                      "metadata 'adamw.step': expected the optimiser's step count (saved "
                      "without it?), found  -1");
    free(keep);
}

Test(checkpoint_bad, config_whose_tensors_are_absent_is_refused_before_building) {
    /* vocab 2^24 x d_model 2^16: a model of terabytes, in a 12 KB file */
    static float small[768 * 4];
    const zs_safetensors_tensor t = {.name = "tok_embedding",
                                     .dtype = ZS_SAFETENSORS_F32,
                                     .ndim = 2,
                                     .shape = {768, 4},
                                     .data = small};
    const zs_safetensors_meta meta[] = {
        FORMAT_META,
        {"model", "{\"kind\":\"gpt\",\"vocab\":16777216,\"context\":8,\"d_model\":65536,"
                  "\"layers\":1,\"heads\":1,\"mlp_hidden\":4}"}};
    const char *path = zs_test_path("huge.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, &t, 1, meta, 3, &err), ZS_OK, "%s", err.msg);
    zs_safetensors *st = open_ok(path);
    zs_model_config cfg;
    cr_assert_eq(zs_checkpoint_read_config(st, &cfg, &err), ZS_ERR_FORMAT);
    char want[900];
    snprintf(want, sizeof want,
             "%s: tensor 'tok_embedding': expected F32 shape [16777216, 65536] (from metadata "
             "'model'), found F32 [768, 4]",
             path);
    expect_msg(&err, want);
    cr_assert_eq(cfg.gpt.vocab, 0, "a failed read leaves cfg zeroed");
    zs_safetensors_close(st);
    /* and the same from a file with no tensors at all */
    cr_assert_eq(zs_safetensors_write(path, NULL, 0, meta, 3, &err), ZS_OK, "%s", err.msg);
    st = open_ok(path);
    cr_assert_eq(zs_checkpoint_read_config(st, &cfg, &err), ZS_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: no tensor 'tok_embedding', which metadata 'model' implies",
             path);
    expect_msg(&err, want);
    zs_safetensors_close(st);
}

Test(checkpoint_write, config_its_model_refuses) {
    const char *path = zs_test_path("refused.safetensors");
    zs_model_config bad = small_mlp;
    bad.mlp.depth = 0;
    zs_layout layout = layout_of(&small_mlp);
    float *params = filled(layout.numel, 0);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, &bad, &layout, params, NULL, NULL, 0, &err),
                 ZS_ERR_USAGE);
    char want[700];
    snprintf(want, sizeof want, "%s: mlp config: depth = 0: expected 1 .. ", path);
    cr_assert_eq(strncmp(err.msg, want, strlen(want)), 0, "%s", err.msg);
    cr_assert_eq(access(path, F_OK), -1);
    free(params);
    zs_layout_free(&layout);
}

Test(checkpoint_write, layout_of_another_config) {
    const char *path = zs_test_path("other_cfg.safetensors");
    zs_model_config wider = small_mlp;
    wider.mlp.width = 7;
    zs_layout layout = layout_of(&small_mlp);
    float *params = filled(layout.numel, 0);
    zs_error err;
    cr_assert_eq(zs_checkpoint_write(path, &wider, &layout, params, NULL, NULL, 0, &err),
                 ZS_ERR_USAGE);
    char want[700];
    snprintf(want, sizeof want, "%s: the layout holds %zu parameters, the mlp config's model %llu",
             path, layout.numel, (unsigned long long)zs_mlp_params_total(&wider.mlp));
    expect_msg(&err, want);
    cr_assert_eq(access(path, F_OK), -1);
    free(params);
    zs_layout_free(&layout);
}
