/* Tests for the token files (module data): round trips for every format x dtype x rank,
 * cross-checks with numpy both ways and with a Python copy of llm.c's shard writer, the
 * sidecar, SHA-256 against sha256sum, atomic writes, every validation error, and the
 * `tokens info` / `tokens import` commands. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zipscale/tokens.h"

static const zs_dtype all_dtypes[] = {ZS_DTYPE_U8, ZS_DTYPE_U16, ZS_DTYPE_U32, ZS_DTYPE_I32,
                                      ZS_DTYPE_I64};
enum { N_DTYPES = sizeof all_dtypes / sizeof all_dtypes[0] };

/* Ids that every dtype can hold: a multiplicative hash below the dtype's limit. The
 * Python scripts below compute the same formula. */
static uint64_t id_limit(zs_dtype d) {
    switch (d) {
    case ZS_DTYPE_U8:
        return 1ull << 8;
    case ZS_DTYPE_U16:
        return 1ull << 16;
    case ZS_DTYPE_I32:
        return 1ull << 31;
    default:
        return 1ull << 32;
    }
}

static uint64_t id_at(uint64_t i, uint64_t limit) {
    return (i * 2654435761ull + 12345) % limit;
}

static uint32_t *make_ids(uint64_t n, uint64_t limit) {
    uint32_t *ids = malloc(n * sizeof *ids + 1);
    for (uint64_t i = 0; i < n; i++) ids[i] = (uint32_t)id_at(i, limit);
    return ids;
}

/* Runs a Python script (numpy available) and returns its stdout; fails without python. */
static char *run_python(const char *script) {
    const char *py = zs_test_python("numpy");
    const char *path = zs_test_path("script.py");
    cr_assert_eq(zs_test_write(path, script, strlen(script)), 0);
    zs_run r = zs_test_sh("'%s' '%s' '%s'", py, path, zs_test_tmpdir());
    cr_assert_eq(r.exit_code, 0, "python failed: %s", r.err);
    free(r.err);
    return r.out;
}

static void expect_msg(const zs_error *err, const char *want) {
    cr_assert_str_eq(err->msg, want, "got:  %s\nwant: %s", err->msg, want);
}

static void expect_open_error(const char *path, const zs_tokens_open_opts *opts, const char *want) {
    zs_tokens t;
    zs_error err;
    cr_assert_neq(zs_tokens_open(&t, path, opts, &err), ZS_OK, "%s opened", path);
    expect_msg(&err, want);
}

/* ---- helpers: dtypes, formats ---- */

Test(dtype, names_sizes_and_numpy_forms) {
    zs_dtype d;
    const char *forms[][3] = {{"uint8", "u1", "|u1"},
                              {"uint16", "u2", "<u2"},
                              {"uint32", "u4", "<u4"},
                              {"int32", "i4", "<i4"},
                              {"int64", "i8", "<i8"}};
    const size_t sizes[] = {1, 2, 4, 4, 8};
    for (int k = 0; k < N_DTYPES; k++) {
        cr_assert_str_eq(zs_dtype_name(all_dtypes[k]), forms[k][0]);
        cr_assert_eq(zs_dtype_size(all_dtypes[k]), sizes[k]);
        for (int f = 0; f < 3; f++) {
            cr_assert_eq(zs_dtype_parse(forms[k][f], &d, NULL), ZS_OK, "%s", forms[k][f]);
            cr_assert_eq(d, all_dtypes[k]);
        }
    }
    zs_error err;
    cr_assert_eq(zs_dtype_parse("float32", &d, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "unsupported dtype 'float32'"), "%s", err.msg);
    cr_assert_eq(zs_dtype_parse(">u2", &d, NULL), ZS_ERR_USAGE);
}

Test(dtype, smallest_for_vocab) {
    cr_assert_eq(zs_dtype_for_vocab(2), ZS_DTYPE_U8);
    cr_assert_eq(zs_dtype_for_vocab(256), ZS_DTYPE_U8);
    cr_assert_eq(zs_dtype_for_vocab(257), ZS_DTYPE_U16);
    cr_assert_eq(zs_dtype_for_vocab(65536), ZS_DTYPE_U16);
    cr_assert_eq(zs_dtype_for_vocab(65537), ZS_DTYPE_U32);
}

Test(dtype, format_by_extension) {
    cr_assert_eq(zs_token_format_from_path("a/b.npy"), ZS_FORMAT_NPY);
    cr_assert_eq(zs_token_format_from_path("shard_000.bin"), ZS_FORMAT_BIN);
    cr_assert_eq(zs_token_format_from_path("x.u16"), ZS_FORMAT_RAW);
    cr_assert_eq(zs_token_format_from_path("dir.npy/x"), ZS_FORMAT_RAW);
    cr_assert_str_eq(zs_token_format_name(ZS_FORMAT_BIN), "bin");
}

/* ---- round trips ---- */

static void check_file(const char *path, const zs_tokens_open_opts *opts, zs_dtype dtype, int ndim,
                       uint64_t rows, uint64_t cols, const uint32_t *ids) {
    zs_tokens t;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&t, path, opts, &err), ZS_OK, "%s: %s", path, err.msg);
    uint64_t n = ndim == 2 ? rows * cols : rows;
    cr_assert_eq(t.dtype, dtype, "%s", path);
    cr_assert_eq(t.ndim, ndim, "%s", path);
    cr_assert_eq(t.shape[0], rows);
    if (ndim == 2) cr_assert_eq(t.shape[1], cols);
    cr_assert_eq(t.n_tokens, n);
    for (uint64_t i = 0; i < n; i++) cr_assert_eq(zs_tokens_at(&t, i), ids[i], "%s[%lu]", path, i);
    uint32_t back[64];
    cr_assert_eq(zs_tokens_read_u32(&t, 3, 40, back, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(memcmp(back, ids + 3, 40 * sizeof *back), 0);
    uint64_t lo, hi, want_lo = UINT64_MAX, want_hi = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (ids[i] < want_lo) want_lo = ids[i];
        if (ids[i] > want_hi) want_hi = ids[i];
    }
    cr_assert_eq(zs_tokens_id_range(&t, &lo, &hi, &err), ZS_OK);
    cr_assert_eq(lo, want_lo);
    cr_assert_eq(hi, want_hi);
    zs_tokens_close(&t);
}

Test(tokens, round_trip_every_format_dtype_and_rank) {
    const uint64_t rows = 12, cols = 7, n = rows * cols;
    for (int k = 0; k < N_DTYPES; k++) {
        zs_dtype d = all_dtypes[k];
        uint32_t *ids = make_ids(n, id_limit(d));
        char path[600];
        zs_error err;
        /* npy, 1-D and 2-D */
        for (int ndim = 1; ndim <= 2; ndim++) {
            snprintf(path, sizeof path, "%s/rt_%s_%dd.npy", zs_test_tmpdir(), zs_dtype_name(d),
                     ndim);
            zs_tokens_layout l = {ZS_FORMAT_NPY, d, ndim, {ndim == 2 ? rows : n, cols}};
            cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, &err), ZS_OK, "%s", err.msg);
            check_file(path, NULL, d, ndim, ndim == 2 ? rows : n, cols, ids);
        }
        /* raw: flat on disk, viewed 1-D or as documents with raw_context */
        snprintf(path, sizeof path, "%s/rt_%s.tok", zs_test_tmpdir(), zs_dtype_name(d));
        zs_tokens_layout raw = {ZS_FORMAT_RAW, d, 1, {n, 0}};
        cr_assert_eq(zs_tokens_write(path, ids, &raw, NULL, &err), ZS_OK, "%s", err.msg);
        zs_tokens_open_opts opts = {.raw_dtype = d, .has_raw_dtype = 1};
        check_file(path, &opts, d, 1, n, 0, ids);
        opts.raw_context = cols;
        check_file(path, &opts, d, 2, rows, cols, ids);
        /* bin: uint16 and uint32 only */
        snprintf(path, sizeof path, "%s/rt_%s.bin", zs_test_tmpdir(), zs_dtype_name(d));
        zs_tokens_layout bin = {ZS_FORMAT_BIN, d, 1, {n, 0}};
        zs_status s = zs_tokens_write(path, ids, &bin, NULL, &err);
        if (d == ZS_DTYPE_U16 || d == ZS_DTYPE_U32) {
            cr_assert_eq(s, ZS_OK, "%s", err.msg);
            check_file(path, NULL, d, 1, n, 0, ids);
        } else {
            cr_assert_eq(s, ZS_ERR_USAGE);
            char want[700];
            snprintf(want, sizeof want,
                     "%s: llm.c .bin shards hold uint16 or uint32 tokens, not %s", path,
                     zs_dtype_name(d));
            expect_msg(&err, want);
            cr_assert_neq(access(path, F_OK), 0, "a refused write must leave no file");
        }
        free(ids);
    }
}

Test(tokens, two_d_layout_is_npy_only) {
    uint32_t ids[6] = {0};
    zs_tokens_layout l = {ZS_FORMAT_RAW, ZS_DTYPE_U8, 2, {2, 3}};
    zs_error err;
    const char *path = zs_test_path("flat.raw");
    cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, &err), ZS_ERR_USAGE);
    char want[700];
    snprintf(want, sizeof want, "%s: 2-D documents x context is for .npy only; raw files are flat",
             path);
    expect_msg(&err, want);
}

Test(tokens, npy_header_is_version_1_padded_to_64_bytes) {
    uint32_t ids[5] = {1, 2, 3, 4, 5};
    const char *path = zs_test_path("pad.npy");
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 1, {5, 0}};
    cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, NULL), ZS_OK);
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    cr_assert_eq(memcmp(bytes, "\x93NUMPY\x01\x00", 8), 0);
    size_t header = (unsigned char)bytes[8] | (size_t)(unsigned char)bytes[9] << 8;
    cr_assert_eq((10 + header) % 64, 0, "array must start on a 64-byte boundary");
    cr_assert_eq(bytes[10 + header - 1], '\n');
    cr_assert_eq(len, 10 + header + 5 * 2);
    free(bytes);
}

/* ---- numpy both ways ---- */

Test(numpy, loads_what_we_write) {
    const uint64_t rows = 9, cols = 5, n = rows * cols;
    for (int k = 0; k < N_DTYPES; k++) {
        uint32_t *ids = make_ids(n, id_limit(all_dtypes[k]));
        for (int ndim = 1; ndim <= 2; ndim++) {
            char path[600];
            snprintf(path, sizeof path, "%s/ours_%s_%d.npy", zs_test_tmpdir(),
                     zs_dtype_name(all_dtypes[k]), ndim);
            zs_tokens_layout l = {ZS_FORMAT_NPY, all_dtypes[k], ndim, {ndim == 2 ? rows : n, cols}};
            cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, NULL), ZS_OK);
        }
        free(ids);
    }
    char *out = run_python(
        "import sys, numpy as np\n"
        "d = sys.argv[1]\n"
        "lim = {'uint8': 2**8, 'uint16': 2**16, 'uint32': 2**32, 'int32': 2**31, 'int64': 2**32}\n"
        "for name in lim:\n"
        "    for nd, shape in ((1, (45,)), (2, (9, 5))):\n"
        "        a = np.load(f'{d}/ours_{name}_{nd}.npy')\n"
        "        if a.dtype != np.dtype(name): raise SystemExit((name, a.dtype))\n"
        "        if a.shape != shape: raise SystemExit((name, a.shape))\n"
        "        want = [(i * 2654435761 + 12345) % lim[name] for i in range(45)]\n"
        "        if a.ravel().tolist() != want: raise SystemExit(name)\n"
        "        m = np.load(f'{d}/ours_{name}_{nd}.npy', mmap_mode='r')\n"
        "        if not (m == a).all(): raise SystemExit((name, 'memmap differs'))\n"
        "print('checked', len(lim) * 2)\n");
    cr_assert_str_eq(out, "checked 10\n");
    free(out);
}

Test(numpy, we_read_what_numpy_writes_versions_1_2_3) {
    char *out = run_python(
        "import sys, numpy as np\n"
        "d = sys.argv[1]\n"
        "lim = {'uint8': 2**8, 'uint16': 2**16, 'uint32': 2**32, 'int32': 2**31, 'int64': 2**40}\n"
        "for name, l in lim.items():\n"
        "    a = np.array([(i * 2654435761 + 12345) % l for i in range(42)], dtype=name)\n"
        "    np.save(f'{d}/np_{name}_1d.npy', a)\n"
        "    for v in ((1, 0), (2, 0), (3, 0)):\n"
        "        with open(f'{d}/np_{name}_2d_v{v[0]}.npy', 'wb') as f:\n"
        "            np.lib.format.write_array(f, a.reshape(6, 7), version=v)\n"
        "print('ok')\n");
    cr_assert_str_eq(out, "ok\n");
    free(out);
    const uint64_t limits[] = {1ull << 8, 1ull << 16, 1ull << 32, 1ull << 31, 1ull << 40};
    for (int k = 0; k < N_DTYPES; k++) {
        const char *name = zs_dtype_name(all_dtypes[k]);
        for (int v = 0; v <= 3; v++) {
            char path[600];
            if (v == 0)
                snprintf(path, sizeof path, "%s/np_%s_1d.npy", zs_test_tmpdir(), name);
            else
                snprintf(path, sizeof path, "%s/np_%s_2d_v%d.npy", zs_test_tmpdir(), name, v);
            zs_tokens t;
            zs_error err;
            cr_assert_eq(zs_tokens_open(&t, path, NULL, &err), ZS_OK, "%s", err.msg);
            cr_assert_eq(t.dtype, all_dtypes[k]);
            cr_assert_eq(t.ndim, v == 0 ? 1 : 2);
            cr_assert_eq(t.shape[0], v == 0 ? 42u : 6u);
            if (v) cr_assert_eq(t.shape[1], 7u);
            for (uint64_t i = 0; i < 42; i++)
                cr_assert_eq(zs_tokens_at(&t, i), id_at(i, limits[k]), "%s[%lu]", path, i);
            zs_tokens_close(&t);
        }
    }
}

Test(numpy, rejects_what_we_do_not_read) {
    char *out = run_python(
        "import sys, numpy as np\n"
        "d = sys.argv[1]\n"
        "np.save(f'{d}/f32.npy', np.zeros(4, dtype=np.float32))\n"
        "np.save(f'{d}/be.npy', np.arange(4, dtype='>u2'))\n"
        "np.save(f'{d}/fortran.npy', np.asfortranarray(np.zeros((3, 2), dtype=np.uint16)))\n"
        "np.save(f'{d}/cube.npy', np.zeros((2, 3, 4), dtype=np.uint8))\n"
        "np.save(f'{d}/scalar.npy', np.uint16(7))\n"
        "print('ok')\n");
    cr_assert_str_eq(out, "ok\n");
    free(out);
    struct {
        const char *file, *want;
    } cases[] = {
        {"f32.npy", "unsupported dtype '<f4' (expected uint8, uint16, uint32, int32 or int64: "
                    "'|u1', '<u2', '<u4', '<i4' or '<i8')"},
        {"be.npy", "unsupported dtype '>u2': big-endian (expected little-endian '<')"},
        {"fortran.npy", "unsupported layout: fortran_order is True (expected C order)"},
        {"cube.npy",
         "unsupported shape (2, 3, 4): 3-D (expected 1-D tokens or 2-D documents x context)"},
        {"scalar.npy",
         "unsupported shape (): 0-D (expected 1-D tokens or 2-D documents x context)"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *path = zs_test_path(cases[c].file);
        char want[800];
        snprintf(want, sizeof want, "%s: %s", path, cases[c].want);
        expect_open_error(path, NULL, want);
    }
}

/* The writer from llm.c's dev/data/data_common.py, re-implemented; and its reader check. */
static const char llmc_writer_py[] =
    "import sys, numpy as np\n"
    "d = sys.argv[1]\n"
    "def write_datafile(filename, toks, model_desc='gpt-2'):\n"
    "    if len(toks) >= 2**31: raise SystemExit('too many tokens')\n"
    "    if model_desc == 'gpt-2':\n"
    "        info = {'magic': 20240520, 'version': 1, 'token_dtype': np.uint16}\n"
    "    else:\n"
    "        info = {'magic': 20240801, 'version': 7, 'token_dtype': np.uint32}\n"
    "    header = np.zeros(256, dtype=np.int32)\n"
    "    header[0] = info['magic']\n"
    "    header[1] = info['version']\n"
    "    header[2] = len(toks)\n"
    "    toks_np = np.array(toks, dtype=info['token_dtype'])\n"
    "    with open(filename, 'wb') as f:\n"
    "        f.write(header.tobytes())\n"
    "        f.write(toks_np.tobytes())\n"
    "write_datafile(f'{d}/gpt2.bin', [(i * 2654435761 + 12345) % 50257 for i in range(1000)])\n"
    "write_datafile(f'{d}/llama3.bin', [(i * 2654435761 + 12345) % 128256 for i in range(999)],\n"
    "               'llama-3')\n"
    "def read_datafile(filename):\n"
    "    with open(filename, 'rb') as f:\n"
    "        header = np.frombuffer(f.read(1024), dtype=np.int32)\n"
    "        dt = {20240520: np.uint16, 20240801: np.uint32}[int(header[0])]\n"
    "        toks = np.frombuffer(f.read(), dtype=dt)\n"
    "    if len(toks) != header[2]: raise SystemExit(f'{len(toks)} tokens, header {header[2]}')\n"
    "    return int(header[0]), int(header[1]), toks.tolist()\n"
    "m, v, t = read_datafile(f'{d}/ours.bin')\n"
    "if (m, v) != (20240801, 7) or t != [(i * 2654435761 + 12345) % 2**32 for i in range(77)]:\n"
    "    raise SystemExit(f'ours.bin read back as magic {m}, version {v}, {len(t)} tokens')\n"
    "print('ok')\n";

Test(llmc, bin_shards_both_ways) {
    uint32_t *ids = make_ids(77, 1ull << 32);
    zs_tokens_layout l = {ZS_FORMAT_BIN, ZS_DTYPE_U32, 1, {77, 0}};
    cr_assert_eq(zs_tokens_write(zs_test_path("ours.bin"), ids, &l, NULL, NULL), ZS_OK);
    free(ids);
    char *out = run_python(llmc_writer_py);
    cr_assert_str_eq(out, "ok\n");
    free(out);
    const struct {
        const char *file;
        zs_dtype dtype;
        uint64_t n, vocab;
    } shards[] = {{"gpt2.bin", ZS_DTYPE_U16, 1000, 50257},
                  {"llama3.bin", ZS_DTYPE_U32, 999, 128256}};
    for (int s = 0; s < 2; s++) {
        zs_tokens t;
        zs_error err;
        zs_tokens_open_opts opts = {.vocab_size = shards[s].vocab};
        cr_assert_eq(zs_tokens_open(&t, zs_test_path(shards[s].file), &opts, &err), ZS_OK, "%s",
                     err.msg);
        cr_assert_eq(t.format, ZS_FORMAT_BIN);
        cr_assert_eq(t.dtype, shards[s].dtype);
        cr_assert_eq(t.n_tokens, shards[s].n);
        for (uint64_t i = 0; i < t.n_tokens; i++)
            cr_assert_eq(zs_tokens_at(&t, i), id_at(i, shards[s].vocab));
        zs_tokens_close(&t);
    }
}

/* ---- sidecar ---- */

Test(sidecar, round_trip_keeps_every_field_and_unknown_ones) {
    const char *path = zs_test_path("sc.npy");
    uint32_t ids[6] = {0, 1, 2, 0, 1, 2};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.generator = "pcfg";
    sc.params_json = "{\"grammar\":\"g.pcfg\",\"depth\":[3,5]}";
    sc.has_seed = 1;
    sc.seed = UINT64_MAX; /* above 2^63: kept as a decimal string */
    sc.vocab_size = 3;
    sc.separator_id = 0;
    sc.extra_json = "{\"notes\":{\"by\":\"someone else\",\"n\":[1,2.5,null]}}";
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 2, {2, 3}};
    zs_error err;
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, &err), ZS_OK, "%s", err.msg);
    zs_sidecar back;
    int found;
    cr_assert_eq(zs_sidecar_read(path, &back, &found, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(found, 1);
    cr_assert_str_eq(back.generator, "pcfg");
    cr_assert_eq(back.has_seed, 1);
    cr_assert_eq(back.seed, UINT64_MAX);
    cr_assert_eq(back.vocab_size, 3);
    cr_assert_eq(back.separator_id, 0);
    cr_assert_eq(back.context, 3, "context is filled in from the 2-D layout");
    cr_assert_eq(back.n_tokens, 6, "n_tokens is filled in from the layout");
    cr_assert_str_eq(back.version, zs_version());
    json_t *p1 = json_loads(sc.params_json, 0, NULL), *p2 = json_loads(back.params_json, 0, NULL);
    json_t *e1 = json_loads(sc.extra_json, 0, NULL), *e2 = json_loads(back.extra_json, 0, NULL);
    cr_assert(json_equal(p1, p2), "params: %s", back.params_json);
    cr_assert(json_equal(e1, e2), "extra: %s", back.extra_json);
    json_decref(p1), json_decref(p2), json_decref(e1), json_decref(e2);
    /* A second write of what was read gives the same file. */
    const char *copy = zs_test_path("sc2.npy");
    cr_assert_eq(zs_tokens_write(copy, ids, &l, &back, &err), ZS_OK, "%s", err.msg);
    char sc1[700], sc2[700];
    snprintf(sc1, sizeof sc1, "%s.json", path);
    snprintf(sc2, sizeof sc2, "%s.json", copy);
    char *a = zs_test_slurp(sc1, NULL), *b = zs_test_slurp(sc2, NULL);
    cr_assert_str_eq(a, b);
    free(a), free(b);
    zs_sidecar_free(&back);
}

Test(sidecar, foreign_file_fields_survive_read_write) {
    const char *data = zs_test_path("foreign.npy");
    uint32_t ids[3] = {1, 2, 3};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {3, 0}};
    cr_assert_eq(zs_tokens_write(data, ids, &l, NULL, NULL), ZS_OK);
    const char *text = "{\"generator\": \"hand\", \"seed\": 7, \"tokenizer\": \"gpt2\",\n"
                       " \"split\": {\"train\": 0.9}, \"n_tokens\": 3}\n";
    cr_assert_eq(zs_test_write(zs_test_path("foreign.npy.json"), text, strlen(text)), 0);
    zs_tokens t;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&t, data, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(t.has_sidecar, 1);
    cr_assert_eq(t.sidecar.seed, 7);
    cr_assert_eq(t.sidecar.separator_id, -1);
    cr_assert_eq(t.vocab_size, 0, "no vocabulary declared");
    cr_assert_eq(zs_sidecar_write(data, &t.sidecar, &err), ZS_OK, "%s", err.msg);
    zs_tokens_close(&t);
    json_t *root = json_load_file(zs_test_path("foreign.npy.json"), 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(root, "tokenizer")), "gpt2");
    cr_assert_eq(json_real_value(json_object_get(json_object_get(root, "split"), "train")), 0.9);
    cr_assert_str_eq(json_string_value(json_object_get(root, "generator")), "hand");
    json_decref(root);
}

Test(sidecar, missing_is_not_an_error_and_null_write_removes_stale) {
    const char *data = zs_test_path("plain.npy");
    uint32_t ids[2] = {4, 5};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {2, 0}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.vocab_size = 6;
    cr_assert_eq(zs_tokens_write(data, ids, &l, &sc, NULL), ZS_OK);
    cr_assert_eq(access(zs_test_path("plain.npy.json"), F_OK), 0);
    cr_assert_eq(zs_tokens_write(data, ids, &l, NULL, NULL), ZS_OK);
    cr_assert_neq(access(zs_test_path("plain.npy.json"), F_OK), 0, "stale sidecar left behind");
    int found = 1;
    zs_sidecar back;
    cr_assert_eq(zs_sidecar_read(data, &back, &found, NULL), ZS_OK);
    cr_assert_eq(found, 0);
}

Test(sidecar, bad_json_names_line_and_column) {
    const char *data = zs_test_path("bad.npy");
    uint32_t ids[1] = {0};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {1, 0}};
    cr_assert_eq(zs_tokens_write(data, ids, &l, NULL, NULL), ZS_OK);
    const char *text = "{\n  \"generator\": \"x\",\n  \"seed\": 12,,\n}\n";
    cr_assert_eq(zs_test_write(zs_test_path("bad.npy.json"), text, strlen(text)), 0);
    char want[700];
    snprintf(want, sizeof want, "%s.json:3:14: bad JSON: ", data);
    zs_tokens t;
    zs_error err;
    cr_assert_neq(zs_tokens_open(&t, data, NULL, &err), ZS_OK);
    cr_assert_eq(strncmp(err.msg, want, strlen(want)), 0, "got: %s\nwant prefix: %s", err.msg,
                 want);
}

Test(sidecar, wrong_field_type_names_the_field) {
    const char *data = zs_test_path("typ.npy");
    uint32_t ids[1] = {0};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {1, 0}};
    cr_assert_eq(zs_tokens_write(data, ids, &l, NULL, NULL), ZS_OK);
    const char *text = "{\"vocab_size\": \"many\"}";
    cr_assert_eq(zs_test_write(zs_test_path("typ.npy.json"), text, strlen(text)), 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s.json: field 'vocab_size': expected a non-negative integer or null", data);
    expect_open_error(data, NULL, want);
}

/* Found by fuzzing (issue 14; inputs in tests/fuzz/crashes/sidecar/). */
static void expect_sidecar_error(const char *name, const char *text, const char *detail) {
    char data[600], side[620];
    snprintf(data, sizeof data, "%s", zs_test_path(name));
    snprintf(side, sizeof side, "%s.json", data);
    uint32_t ids[1] = {0};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {1, 0}};
    cr_assert_eq(zs_tokens_write(data, ids, &l, NULL, NULL), ZS_OK);
    cr_assert_eq(zs_test_write(side, text, strlen(text)), 0);
    zs_sidecar sc;
    zs_error err;
    int found;
    cr_assert_eq(zs_sidecar_read(data, &sc, &found, &err), ZS_ERR_FORMAT, "accepted %s", text);
    char want[900];
    snprintf(want, sizeof want, "%s: %s", side, detail);
    expect_msg(&err, want);
}

Test(sidecar, seed_with_a_leading_space_and_minus_is_refused) {
    expect_sidecar_error("seed.npy", "{\"generator\": \"pcfg\", \"seed\": \" -1\"}",
                         "field 'seed': expected a non-negative integer, a decimal string or null");
    expect_sidecar_error("seed.npy", "{\"seed\": \"+5\"}",
                         "field 'seed': expected a non-negative integer, a decimal string or null");
}

Test(sidecar, separator_at_or_beyond_the_vocabulary_is_refused) {
    expect_sidecar_error("sep.npy", "{\"vocab_size\": 10, \"separator_id\": 10}",
                         "field 'separator_id': expected an id below vocab_size, or null for none");
}

/* A .npy holding only a header with this shape text (dtype <u2, no data). */
static void write_npy_shape(const char *path, const char *shape) {
    char dict[200], file[256];
    snprintf(dict, sizeof dict, "{'descr': '<u2', 'fortran_order': False, 'shape': %s, }", shape);
    memset(file, ' ', 128);
    memcpy(file, "\x93NUMPY\x01\x00\x76\x00", 10); /* 118 header bytes */
    memcpy(file + 10, dict, strlen(dict));
    file[127] = '\n';
    cr_assert_eq(zs_test_write(path, file, 128), 0);
}

Test(errors, npy_empty_array_with_absurd_rows_is_refused) {
    const char *path = zs_test_path("rows.npy");
    write_npy_shape(path, "(18446744073709551615, 0)");
    char want[700];
    snprintf(want, sizeof want,
             "%s: shape: dimension 0 is 18446744073709551615 in an empty array of a 128-byte "
             "file, expected at most the file's size",
             path);
    expect_open_error(path, NULL, want);
    write_npy_shape(path, "(0, 4096)"); /* no rows of a wide context: fine */
    zs_tokens t;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&t, path, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(t.n_tokens, 0);
    zs_tokens_close(&t);
}

Test(errors, npy_shape_product_overflow_is_refused) {
    const char *path = zs_test_path("big.npy");
    write_npy_shape(path, "(4294967296, 4294967296)");
    char want[700];
    snprintf(want, sizeof want,
             "%s: shape: 4294967296 x 4294967296 overflows 64 bits, expected a shape the file "
             "can hold",
             path);
    expect_open_error(path, NULL, want);
}

Test(sidecar, stale_sidecar_for_other_data_is_refused) {
    const char *data = zs_test_path("stale.npy");
    uint32_t ids[6] = {1, 2, 3, 4, 5, 6};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 2, {2, 3}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    cr_assert_eq(zs_tokens_write(data, ids, &l, &sc, NULL), ZS_OK);
    /* Keep the sidecar, replace the data behind its back with more tokens... */
    const char *json = zs_test_path("stale.npy.json");
    char *kept = zs_test_slurp(json, NULL);
    zs_tokens_layout longer = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 2, {1, 6}};
    cr_assert_eq(zs_tokens_write(data, ids, &longer, NULL, NULL), ZS_OK);
    cr_assert_eq(zs_test_write(json, kept, strlen(kept)), 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s.json: context is 3 but %s has rows of 6 tokens: the sidecar describes other "
             "data (regenerate the file, or remove the stale sidecar)",
             data, data);
    expect_open_error(data, NULL, want);
    /* ...and with a different token count. */
    zs_tokens_layout fewer = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {5, 0}};
    cr_assert_eq(zs_tokens_write(data, ids, &fewer, NULL, NULL), ZS_OK);
    cr_assert_eq(zs_test_write(json, kept, strlen(kept)), 0);
    snprintf(want, sizeof want,
             "%s.json: n_tokens is 6 but %s holds 5 tokens: the sidecar describes other data "
             "(regenerate the file, or remove the stale sidecar)",
             data, data);
    expect_open_error(data, NULL, want);
    free(kept);
}

/* ---- atomic writes ---- */

static int count_entries(const char *prefix) {
    zs_run r = zs_test_sh("ls -a '%s' | grep -c '^%s' || true", zs_test_tmpdir(), prefix);
    int n = atoi(r.out);
    zs_run_free(&r);
    return n;
}

Test(tokens, failed_write_leaves_no_file_and_no_temp) {
    uint32_t *ids = malloc(200000 * sizeof *ids);
    for (int i = 0; i < 200000; i++) ids[i] = (uint32_t)i % 60000;
    ids[150000] = 70000; /* past the first chunks: the temporary file already has data */
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 1, {200000, 0}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    zs_error err;
    const char *path = zs_test_path("fail.npy");
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, &err), ZS_ERR_RANGE);
    char want[700];
    snprintf(want, sizeof want, "%s: token 150000 is id 70000, which does not fit uint16", path);
    expect_msg(&err, want);
    cr_assert_eq(count_entries("fail"), 0, "no file, no temporary, no sidecar");
    /* An existing file is left as it was. */
    ids[150000] = 1;
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, &err), ZS_OK);
    size_t before_len, after_len;
    char *before = zs_test_slurp(path, &before_len);
    ids[150000] = 70000;
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, &err), ZS_ERR_RANGE);
    char *after = zs_test_slurp(path, &after_len);
    cr_assert_eq(before_len, after_len);
    cr_assert_eq(memcmp(before, after, before_len), 0);
    cr_assert_eq(count_entries("fail"), 2, "only fail.npy and fail.npy.json");
    free(before), free(after), free(ids);
}

/* ---- validation errors ---- */

static void write_valid(const char *path, zs_token_format format, zs_dtype dtype, uint64_t n) {
    uint32_t *ids = make_ids(n, id_limit(dtype));
    zs_tokens_layout l = {format, dtype, 1, {n, 0}};
    zs_error err;
    cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, &err), ZS_OK, "%s", err.msg);
    free(ids);
}

/* Rewrites path with its last `cut` bytes removed, or `extra` zero bytes appended. */
static void resize_by(const char *path, size_t cut, size_t extra) {
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    bytes = realloc(bytes, len + extra + 1);
    memset(bytes + len, 0, extra);
    cr_assert_eq(zs_test_write(path, bytes, len - cut + extra), 0);
    free(bytes);
}

Test(errors, truncated_npy) {
    const char *path = zs_test_path("x.npy");
    write_valid(path, ZS_FORMAT_NPY, ZS_DTYPE_U32, 1000);
    resize_by(path, 4, 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s: truncated: header says 1000 tokens (4000 bytes) but 3996 bytes follow", path);
    expect_open_error(path, NULL, want);
}

Test(errors, npy_shape_does_not_match_byte_count) {
    const char *path = zs_test_path("x.npy");
    write_valid(path, ZS_FORMAT_NPY, ZS_DTYPE_U32, 1000);
    resize_by(path, 0, 4);
    char want[700];
    snprintf(want, sizeof want,
             "%s: header says shape (1000,), 1000 tokens (4000 bytes), but 4004 bytes follow",
             path);
    expect_open_error(path, NULL, want);
}

Test(errors, npy_bad_magic_and_version) {
    const char *path = zs_test_path("x.npy");
    const char junk[] = "PK\x03\x04 this is a zip file, not npy";
    cr_assert_eq(zs_test_write(path, junk, sizeof junk), 0);
    char want[700];
    snprintf(want, sizeof want, "%s: bad magic: not a NumPy .npy file", path);
    expect_open_error(path, NULL, want);
    write_valid(path, ZS_FORMAT_NPY, ZS_DTYPE_U8, 10);
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    bytes[6] = 4;
    cr_assert_eq(zs_test_write(path, bytes, len), 0);
    free(bytes);
    snprintf(want, sizeof want, "%s: unsupported npy format version 4.0 (expected 1.0, 2.0 or 3.0)",
             path);
    expect_open_error(path, NULL, want);
}

Test(errors, npy_header_syntax_names_the_column) {
    const char *path = zs_test_path("x.npy");
    char file[64 + 4];
    const char *dict = "{'descr': '<u2' 'fortran_order': False, 'shape': (2,), }";
    memset(file, ' ', 64);
    memcpy(file, "\x93NUMPY\x01\x00\x36\x00", 10);
    memcpy(file + 10, dict, strlen(dict));
    file[63] = '\n';
    memset(file + 64, 0, 4);
    cr_assert_eq(zs_test_write(path, file, sizeof file), 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s: npy header, column 17: expected ',' or '}' after a value, found '''", path);
    expect_open_error(path, NULL, want);
}

/* Writes a version-1.0 .npy whose header is `dict` padded to 64 bytes (its length field
 * `header_len`, or the true length when 0), then `payload` zero bytes. */
static void write_npy_dict(const char *path, const char *dict, size_t header_len, size_t payload) {
    size_t total = (10 + strlen(dict) + 1 + 63) / 64 * 64;
    char *file = calloc(total + payload, 1);
    memcpy(file, "\x93NUMPY\x01\x00", 8);
    size_t len = header_len ? header_len : total - 10;
    file[8] = (char)(len & 0xff);
    file[9] = (char)(len >> 8);
    memset(file + 10, ' ', total - 10);
    memcpy(file + 10, dict, strlen(dict));
    file[total - 1] = '\n';
    cr_assert_eq(zs_test_write(path, file, total + payload), 0);
    free(file);
}

/* Opening path fails with `code` and the message "<path>: <want>". */
static void expect_npy_error(const char *path, zs_status code, const char *want) {
    zs_tokens t;
    zs_error err;
    cr_assert_eq(zs_tokens_open(&t, path, NULL, &err), code, "%s: %s", path, err.msg);
    char full[700];
    snprintf(full, sizeof full, "%s: %s", path, want);
    expect_msg(&err, full);
}

Test(errors, npy_header_lacks_a_key) {
    const char *path = zs_test_path("x.npy");
    write_npy_dict(path, "{'descr': '<u2', 'fortran_order': False, }", 0, 4);
    expect_npy_error(path, ZS_ERR_FORMAT, "npy header lacks the key 'shape'");
    write_npy_dict(path, "{'shape': (2,), 'fortran_order': False, }", 0, 4);
    expect_npy_error(path, ZS_ERR_FORMAT, "npy header lacks the key 'descr'");
    write_npy_dict(path, "{'descr': '<u2', 'shape': (2,)}", 0, 4);
    expect_npy_error(path, ZS_ERR_FORMAT, "npy header lacks the key 'fortran_order'");
}

Test(errors, npy_header_unknown_or_duplicate_key) {
    const char *path = zs_test_path("x.npy");
    /* column 42: the quote opening 'extra' */
    write_npy_dict(path, "{'descr': '<u2', 'fortran_order': False, 'extra': 1, 'shape': (2,), }", 0,
                   4);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "npy header, column 42: expected one of the keys 'descr', 'fortran_order', "
                     "'shape', found '''");
    /* column 18: the second 'descr' */
    write_npy_dict(path, "{'descr': '<u2', 'descr': '<u2', 'fortran_order': False, 'shape': (2,)}",
                   0, 4);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "npy header, column 18: expected each key once, found '''");
}

Test(errors, npy_header_runs_past_the_end) {
    const char *path = zs_test_path("x.npy");
    /* The length field claims more bytes than the file holds (version 1.0, then 2.0). */
    write_npy_dict(path, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", 1000, 0);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "truncated: the header says it is 1000 bytes but 118 bytes follow");
    char v2[64];
    memset(v2, ' ', sizeof v2);
    memcpy(v2, "\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
    cr_assert_eq(zs_test_write(path, v2, sizeof v2), 0);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "truncated: the header says it is 4294967295 bytes but 52 bytes follow");
    /* The length field stops the dict part-way: its parse reaches the end of the header. */
    write_npy_dict(path, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", 34, 0);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "npy header, column 35: expected True or False, found end of header");
}

Test(errors, npy_shape_too_large_and_too_many_tokens) {
    const char *path = zs_test_path("x.npy");
    /* 2^32 x (2^32 + 1) tokens do not fit in 64 bits */
    write_npy_dict(path,
                   "{'descr': '<u2', 'fortran_order': False, 'shape': (4294967296, 4294967297), }",
                   0, 0);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "shape: 4294967296 x 4294967297 overflows 64 bits, expected a shape the "
                     "file can hold");
    /* 2^61 int64 tokens are 2^64 bytes: more than a size_t counts */
    write_npy_dict(
        path, "{'descr': '<i8', 'fortran_order': False, 'shape': (2305843009213693952,), }", 0, 0);
    expect_npy_error(path, ZS_ERR_FORMAT, "header says 2305843009213693952 tokens: too many");
    /* a dimension of 2^64 does not parse */
    write_npy_dict(
        path, "{'descr': '<u2', 'fortran_order': False, 'shape': (18446744073709551616,), }", 0, 0);
    expect_npy_error(path, ZS_ERR_FORMAT,
                     "npy header, column 71: expected a dimension below 2^64, found '6'");
}

Test(errors, truncated_bin) {
    const char *path = zs_test_path("x.bin");
    write_valid(path, ZS_FORMAT_BIN, ZS_DTYPE_U16, 1000);
    resize_by(path, 3, 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s: truncated: header says 1000 tokens (2000 bytes) but 1997 bytes follow", path);
    expect_open_error(path, NULL, want);
    resize_by(path, 1997 + 100, 0);
    snprintf(want, sizeof want, "%s: truncated: 924 bytes, shorter than the 1024-byte llm.c header",
             path);
    expect_open_error(path, NULL, want);
}

Test(errors, bin_bad_magic_and_version) {
    const char *path = zs_test_path("x.bin");
    int32_t header[256] = {12345, 1, 0};
    cr_assert_eq(zs_test_write(path, header, sizeof header), 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s: bad magic 12345 (expected 20240520 for uint16 tokens or 20240801 for uint32 "
             "tokens)",
             path);
    expect_open_error(path, NULL, want);
    header[0] = 20240801;
    header[1] = 1;
    cr_assert_eq(zs_test_write(path, header, sizeof header), 0);
    snprintf(want, sizeof want, "%s: magic 20240801 expects version 7, the header says 1", path);
    expect_open_error(path, NULL, want);
}

Test(errors, raw_size_not_a_multiple_of_dtype) {
    const char *path = zs_test_path("x.u32");
    cr_assert_eq(zs_test_write(path, "0123456789", 10), 0);
    zs_tokens_open_opts opts = {.raw_dtype = ZS_DTYPE_U32, .has_raw_dtype = 1};
    char want[700];
    snprintf(want, sizeof want, "%s: 10 bytes is not a multiple of the uint32 size (4 bytes)",
             path);
    expect_open_error(path, &opts, want);
    opts.raw_dtype = ZS_DTYPE_U8;
    opts.raw_context = 3;
    snprintf(want, sizeof want, "%s: 10 tokens do not fill whole documents of 3 tokens", path);
    expect_open_error(path, &opts, want);
}

Test(errors, raw_needs_a_dtype) {
    const char *path = zs_test_path("x.tok");
    cr_assert_eq(zs_test_write(path, "abcd", 4), 0);
    char want[700];
    snprintf(want, sizeof want,
             "%s: a raw token file needs its dtype given (raw_dtype, e.g. uint16)", path);
    expect_open_error(path, NULL, want);
    zs_run r = zs_test_cli("tokens info '%s'", path);
    cr_assert_eq(r.exit_code, 2, "a missing dtype is a usage error");
    char line[900];
    snprintf(line, sizeof line,
             "zipscale tokens info: --dtype: %s\n(see 'zipscale help tokens info')\n", want);
    cr_assert_str_eq(r.err, line);
    zs_run_free(&r);
}

Test(errors, id_not_below_vocabulary_names_index_and_id) {
    const char *path = zs_test_path("v.npy");
    uint32_t ids[8] = {0, 5, 9, 3, 10, 2, 12, 1};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 2, {2, 4}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.vocab_size = 11;
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, NULL), ZS_OK);
    char want[700];
    snprintf(want, sizeof want,
             "%s: token 6 is id 12, not below the vocabulary size 11 (declared by the sidecar)",
             path);
    expect_open_error(path, NULL, want);
    zs_tokens_open_opts opts = {.vocab_size = 10};
    snprintf(want, sizeof want, "%s: token 4 is id 10, not below the vocabulary size 10 (given)",
             path);
    expect_open_error(path, &opts, want);
    opts.vocab_size = 13;
    zs_tokens t;
    cr_assert_eq(zs_tokens_open(&t, path, &opts, NULL), ZS_OK, "a larger vocabulary overrides");
    cr_assert_eq(t.vocab_size, 13);
    zs_tokens_close(&t);
    opts.vocab_size = 0;
    opts.skip_id_check = 1;
    cr_assert_eq(zs_tokens_open(&t, path, &opts, NULL), ZS_OK, "skip_id_check defers the scan");
    zs_tokens_close(&t);
}

Test(errors, negative_ids_in_signed_files) {
    int32_t i32[5] = {1, 2, -3, 4, 5};
    int64_t i64[3] = {7, 8, -9000000000ll};
    uint64_t shape[1] = {5};
    const char *p32 = zs_test_path("neg32.npy"), *p64 = zs_test_path("neg64.npy");
    cr_assert_eq(zs_npy_write(p32, ZS_DTYPE_I32, 1, shape, i32, NULL), ZS_OK);
    shape[0] = 3;
    cr_assert_eq(zs_npy_write(p64, ZS_DTYPE_I64, 1, shape, i64, NULL), ZS_OK);
    char want[700];
    snprintf(want, sizeof want, "%s: token 2 is id -3: ids must be >= 0", p32);
    expect_open_error(p32, NULL, want);
    snprintf(want, sizeof want, "%s: token 2 is id -9000000000: ids must be >= 0", p64);
    expect_open_error(p64, NULL, want);
    zs_tokens t;
    zs_error err;
    zs_tokens_open_opts skip = {.skip_id_check = 1};
    cr_assert_eq(zs_tokens_open(&t, p64, &skip, &err), ZS_OK);
    uint64_t lo, hi;
    cr_assert_eq(zs_tokens_id_range(&t, &lo, &hi, &err), ZS_ERR_RANGE);
    expect_msg(&err, want);
    uint32_t out[3];
    cr_assert_eq(zs_tokens_read_u32(&t, 0, 3, out, &err), ZS_ERR_RANGE);
    snprintf(want, sizeof want, "%s: token 2 is id -9000000000, which does not fit uint32", p64);
    expect_msg(&err, want);
    cr_assert_eq(zs_tokens_read_u32(&t, 2, 2, out, &err), ZS_ERR_RANGE);
    snprintf(want, sizeof want, "%s: tokens [2, 4) lie outside its 3 tokens", p64);
    expect_msg(&err, want);
    zs_tokens_close(&t);
}

/* ---- id statistics ---- */

Test(tokens, distinct_ids_match_brute_force) {
    /* Small ids (bitmap path) and ids above 2^30 (sorting path). */
    const uint64_t limits[] = {300, 1ull << 32};
    for (int c = 0; c < 2; c++) {
        uint32_t *ids = make_ids(2000, limits[c]);
        for (int i = 0; i < 2000; i += 3) ids[i] = ids[i / 2]; /* repeats */
        uint64_t want = 0;
        for (int i = 0; i < 2000; i++) {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++) seen = ids[j] == ids[i];
            want += !seen;
        }
        const char *path = zs_test_path("distinct.npy");
        zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U32, 1, {2000, 0}};
        cr_assert_eq(zs_tokens_write(path, ids, &l, NULL, NULL), ZS_OK);
        zs_tokens t;
        cr_assert_eq(zs_tokens_open(&t, path, NULL, NULL), ZS_OK);
        uint64_t got;
        cr_assert_eq(zs_tokens_count_distinct(&t, &got, NULL), ZS_OK);
        cr_assert_eq(got, want, "limit %lu", limits[c]);
        zs_tokens_close(&t);
        free(ids);
    }
}

/* ---- the commands ---- */

Test(cli, info_text_and_json) {
    const char *path = zs_test_path("info.npy");
    uint32_t ids[12] = {3, 9, 4, 4, 0, 9, 3, 3, 7, 4, 4, 9};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 2, {3, 4}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.generator = "pcfg";
    sc.params_json = "{\"grammar\":\"toy\"}";
    sc.vocab_size = 10;
    sc.separator_id = 0;
    sc.has_seed = 1;
    sc.seed = 42;
    cr_assert_eq(zs_tokens_write(path, ids, &l, &sc, NULL), ZS_OK);
    zs_run r = zs_test_cli("tokens info '%s'", path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    const char *lines[] = {"format        npy\n",
                           "dtype         uint16\n",
                           "shape         (3, 4) documents x context\n",
                           "tokens        12\n",
                           "vocabulary    10 (sidecar)\n",
                           "id range      0..9\n",
                           "distinct ids  5\n",
                           "  generator          \"pcfg\"\n",
                           "  params             {\"grammar\":\"toy\"}\n",
                           "  seed               42\n",
                           "  separator_id       0\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_assert(strstr(r.out, lines[i]), "missing %s in:\n%s", lines[i], r.out);
    zs_run_free(&r);

    r = zs_test_cli("tokens info '%s' --json --vocab 12", path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    cr_assert(j, "bad JSON: %s\n%s", jerr.text, r.out);
    cr_assert_str_eq(json_string_value(json_object_get(j, "format")), "npy");
    cr_assert_str_eq(json_string_value(json_object_get(j, "dtype")), "uint16");
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "shape"), 0)), 3);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "shape"), 1)), 4);
    cr_assert_eq(json_integer_value(json_object_get(j, "n_tokens")), 12);
    cr_assert_eq(json_integer_value(json_object_get(j, "vocab_size")), 12);
    cr_assert_str_eq(json_string_value(json_object_get(j, "vocab_source")), "given");
    cr_assert_eq(json_integer_value(json_object_get(j, "min_id")), 0);
    cr_assert_eq(json_integer_value(json_object_get(j, "max_id")), 9);
    cr_assert_eq(json_integer_value(json_object_get(j, "distinct_ids")), 5);
    json_t *side = json_object_get(j, "sidecar");
    cr_assert_str_eq(json_string_value(json_object_get(side, "generator")), "pcfg");
    cr_assert_eq(json_integer_value(json_object_get(side, "seed")), 42);
    json_decref(j);
    zs_run_free(&r);

    r = zs_test_cli("tokens info '%s' --vocab 9", path);
    cr_assert_eq(r.exit_code, 1);
    char want[800];
    snprintf(want, sizeof want,
             "zipscale: %s: token 1 is id 9, not below the vocabulary size 9 (given)\n", path);
    cr_assert_str_eq(r.err, want);
    zs_run_free(&r);
}

Test(cli, info_raw_with_dtype_and_no_sidecar) {
    const char *path = zs_test_path("r.u16");
    uint16_t raw[6] = {5, 1, 5, 2, 300, 1};
    cr_assert_eq(zs_test_write(path, raw, sizeof raw), 0);
    zs_run r = zs_test_cli("tokens info '%s' --dtype '<u2' --context 3 --json", path);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "format")), "raw");
    cr_assert_eq(json_integer_value(json_object_get(j, "ndim")), 2);
    cr_assert_eq(json_integer_value(json_object_get(j, "max_id")), 300);
    cr_assert_eq(json_integer_value(json_object_get(j, "distinct_ids")), 4);
    cr_assert(json_is_null(json_object_get(j, "vocab_size")));
    cr_assert(json_is_null(json_object_get(j, "sidecar")));
    json_decref(j);
    zs_run_free(&r);
}

static char *sha256sum_of(const char *path) {
    zs_run r = zs_test_sh("sha256sum '%s'", path);
    cr_assert_eq(r.exit_code, 0);
    r.out[64] = '\0';
    free(r.err);
    return r.out;
}

Test(cli, import_bytes_flat_and_as_documents) {
    const char *src = zs_test_path("source.c");
    const char *text = "int main(void) {\n    return 0; /* \xc3\xa9 */\n}\n";
    size_t n = strlen(text);
    cr_assert_eq(zs_test_write(src, text, n), 0);
    char *digest = sha256sum_of(src);

    /* 1-D .npy, then .bin and raw: the tokens are the bytes */
    const char *outs[] = {"flat.npy", "flat.bin", "flat.raw"};
    const zs_dtype dtypes[] = {ZS_DTYPE_U8, ZS_DTYPE_U16, ZS_DTYPE_U8};
    for (int k = 0; k < 3; k++) {
        const char *out = zs_test_path(outs[k]);
        zs_run r = zs_test_cli("tokens import --bytes '%s' -o '%s'", src, out);
        cr_assert_eq(r.exit_code, 0, "%s", r.err);
        cr_assert(strstr(r.out, "0 bytes dropped"), "%s", r.out);
        zs_run_free(&r);
        zs_tokens t;
        zs_tokens_open_opts opts = {.raw_dtype = ZS_DTYPE_U8, .has_raw_dtype = 1};
        zs_error err;
        cr_assert_eq(zs_tokens_open(&t, out, &opts, &err), ZS_OK, "%s", err.msg);
        cr_assert_eq(t.dtype, dtypes[k]);
        cr_assert_eq(t.n_tokens, n);
        cr_assert_eq(t.vocab_size, 256);
        for (size_t i = 0; i < n; i++) cr_assert_eq(zs_tokens_at(&t, i), (unsigned char)text[i]);
        cr_assert_str_eq(t.sidecar.generator, "bytes");
        cr_assert_eq(t.sidecar.separator_id, -1);
        json_t *params = json_loads(t.sidecar.params_json, 0, NULL);
        cr_assert_str_eq(json_string_value(json_object_get(params, "source_sha256")), digest);
        cr_assert_eq(json_integer_value(json_object_get(params, "source_bytes")), (json_int_t)n);
        cr_assert_str_eq(json_string_value(json_object_get(params, "source")), src);
        json_decref(params);
        zs_tokens_close(&t);
    }

    /* documents of 8 tokens: the tail is dropped and counted */
    const char *docs = zs_test_path("docs.npy");
    zs_run r = zs_test_cli("tokens import --bytes '%s' -o '%s' --context 8 --json", src, docs);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *j = json_loads(r.out, 0, NULL);
    cr_assert_eq(json_integer_value(json_object_get(j, "dropped_bytes")), (json_int_t)(n % 8));
    cr_assert_eq(json_integer_value(json_object_get(j, "documents")), (json_int_t)(n / 8));
    json_decref(j);
    zs_run_free(&r);
    zs_tokens t;
    cr_assert_eq(zs_tokens_open(&t, docs, NULL, NULL), ZS_OK);
    cr_assert_eq(t.ndim, 2);
    cr_assert_eq(t.shape[0], n / 8);
    cr_assert_eq(t.shape[1], 8);
    cr_assert_eq(t.sidecar.context, 8);
    cr_assert_eq(memcmp(t.tokens, text, n / 8 * 8), 0);
    zs_tokens_close(&t);
    free(digest);
}

Test(cli, import_usage_errors) {
    zs_run r = zs_test_cli("tokens import -o '%s'", zs_test_path("x.npy"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--bytes FILE is required"), "%s", r.err);
    zs_run_free(&r);
    const char *src = zs_test_path("s.txt");
    cr_assert_eq(zs_test_write(src, "abc", 3), 0);
    const char *out = zs_test_path("x.bin");
    r = zs_test_cli("tokens import --bytes '%s' -o '%s' --context 2", src, out);
    cr_assert_eq(r.exit_code, 2);
    char want[800];
    snprintf(want, sizeof want,
             "zipscale tokens import: --context: %s: documents of context = 2 tokens need a .npy "
             "output (bin files are flat)\n(see 'zipscale help tokens import')\n",
             out);
    cr_assert_str_eq(r.err, want);
    zs_run_free(&r);
    r = zs_test_cli("tokens import --bytes '%s' -o '%s'", zs_test_path("missing.txt"), out);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "missing.txt: cannot open: No such file or directory"), "%s", r.err);
    zs_run_free(&r);
}

/* The error contract, rule 4: free and close accept NULL and a zeroed struct. */
Test(contract, tokens_free_and_close_accept_null_and_zeroed) {
    zs_sidecar_free(NULL);
    zs_tokens_close(NULL);
    zs_sidecar sc = {0};
    zs_sidecar_free(&sc);
    zs_tokens t = {0};
    zs_tokens_close(&t);
}

/* Rule 3: a write whose sidecar fails leaves the old data file and sidecar as they were. */
Test(contract, failed_sidecar_keeps_the_old_file) {
    const char *data = zs_test_path("keep.npy");
    uint32_t old_ids[2] = {4, 5}, new_ids[3] = {1, 2, 3};
    zs_tokens_layout l = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 1, {2, 0}};
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.vocab_size = 6;
    zs_error err;
    cr_assert_eq(zs_tokens_write(data, old_ids, &l, &sc, &err), ZS_OK, "%s", err.msg);
    sc.params_json = "[1, 2]"; /* not an object: the sidecar write fails */
    l.shape[0] = 3;
    cr_assert_eq(zs_tokens_write(data, new_ids, &l, &sc, &err), ZS_ERR_USAGE);
    zs_tokens t;
    cr_assert_eq(zs_tokens_open(&t, data, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(t.n_tokens, 2);
    cr_assert_eq(zs_tokens_at(&t, 1), 5);
    cr_assert_eq(t.has_sidecar, 1);
    cr_assert_eq(t.sidecar.n_tokens, 2);
    zs_tokens_close(&t);
}
