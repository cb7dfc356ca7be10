/* Tests for the safetensors files (module nn): a round trip of every dtype with 0-d and
 * empty tensors, the exact bytes of a small file, numpy reading ours and writing one we read
 * (an independent parser in Python), typed reads, every malformed-header error with its
 * message, writer errors, and atomic writes. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "zipscale/nn.h"

/* ---- test data: the same formula in C and in the Python scripts ---- */

/* Element i's value: (i*7 mod 23) - 11 for signed and float dtypes (× 0.25 for floats),
 * i*7 mod 23 for unsigned; BF16 holds the top 16 bits of that float. */
static void fill(zs_safetensors_dtype dtype, size_t n, void *out) {
    for (size_t i = 0; i < n; i++) {
        long k = (long)(i * 7 % 23);
        float f = (float)(k - 11) * 0.25f;
        switch (dtype) {
        case ZS_SAFETENSORS_F32:
            ((float *)out)[i] = f;
            break;
        case ZS_SAFETENSORS_F64:
            ((double *)out)[i] = (double)f;
            break;
        case ZS_SAFETENSORS_BF16: {
            uint32_t bits;
            memcpy(&bits, &f, 4);
            ((uint16_t *)out)[i] = (uint16_t)(bits >> 16);
            break;
        }
        case ZS_SAFETENSORS_I32:
            ((int32_t *)out)[i] = (int32_t)(k - 11);
            break;
        case ZS_SAFETENSORS_U32:
            ((uint32_t *)out)[i] = (uint32_t)k;
            break;
        case ZS_SAFETENSORS_I64:
            ((int64_t *)out)[i] = k - 11;
            break;
        case ZS_SAFETENSORS_U64:
            ((uint64_t *)out)[i] = (uint64_t)k;
            break;
        case ZS_SAFETENSORS_U8:
            ((uint8_t *)out)[i] = (uint8_t)k;
            break;
        }
    }
}

#define N_SAMPLE 9
static const struct {
    const char *name;
    zs_safetensors_dtype dtype;
    int ndim;
    uint64_t shape[ZS_TENSOR_MAX_DIMS];
} sample[N_SAMPLE] = {
    {"scalar", ZS_SAFETENSORS_F32, 0, {0}},        {"empty", ZS_SAFETENSORS_I64, 2, {0, 3}},
    {"blocks.0.w", ZS_SAFETENSORS_F64, 2, {2, 3}}, {"bf16", ZS_SAFETENSORS_BF16, 1, {5}},
    {"i32", ZS_SAFETENSORS_I32, 3, {2, 2, 2}},     {"u32", ZS_SAFETENSORS_U32, 1, {3}},
    {"u64", ZS_SAFETENSORS_U64, 1, {2}},           {"u8", ZS_SAFETENSORS_U8, 4, {4, 1, 2, 1}},
    {"f32", ZS_SAFETENSORS_F32, 2, {3, 4}},
};

static size_t numel(int ndim, const uint64_t *shape) {
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= (size_t)shape[d];
    return n;
}

/* The sample tensors with their data (one malloc'd block per tensor; free with free_sample). */
static void make_sample(zs_safetensors_tensor *t) {
    for (int i = 0; i < N_SAMPLE; i++) {
        t[i] = (zs_safetensors_tensor){
            .name = sample[i].name, .dtype = sample[i].dtype, .ndim = sample[i].ndim};
        memcpy(t[i].shape, sample[i].shape, sizeof t[i].shape);
        size_t n = numel(t[i].ndim, t[i].shape);
        void *data = malloc(n * zs_safetensors_dtype_bytes(t[i].dtype) + 1);
        fill(t[i].dtype, n, data);
        t[i].data = data;
    }
}

static void free_sample(zs_safetensors_tensor *t) {
    for (int i = 0; i < N_SAMPLE; i++) free((void *)t[i].data);
}

static const zs_safetensors_meta sample_meta[] = {{"step", "42"}, {"note", "héllo \"quoted\""}};

static void write_sample(const char *path) {
    zs_safetensors_tensor t[N_SAMPLE];
    make_sample(t);
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, t, N_SAMPLE, sample_meta, 2, &err), ZS_OK, "%s",
                 err.msg);
    free_sample(t);
}

static void expect_msg(const zs_error *err, const char *want) {
    cr_assert_str_eq(err->msg, want, "got:  %s\nwant: %s", err->msg, want);
}

/* Checks that `st` holds the sample tensors (in `order`) and metadata. */
static void check_sample(const zs_safetensors *st, const int *order) {
    cr_assert_eq(zs_safetensors_count(st), N_SAMPLE);
    for (int k = 0; k < N_SAMPLE; k++) {
        int i = order[k];
        const zs_safetensors_tensor *t = zs_safetensors_tensor_at(st, (size_t)k);
        cr_assert_str_eq(t->name, sample[i].name);
        cr_assert_eq(zs_safetensors_find(st, sample[i].name), t);
        cr_assert_eq(t->dtype, sample[i].dtype, "%s", t->name);
        cr_assert_eq(t->ndim, sample[i].ndim, "%s", t->name);
        for (int d = 0; d < t->ndim; d++) cr_assert_eq(t->shape[d], sample[i].shape[d]);
        size_t n = numel(t->ndim, t->shape), bytes = n * zs_safetensors_dtype_bytes(t->dtype);
        unsigned char *want = malloc(bytes + 1), *got = malloc(bytes + 1);
        fill(t->dtype, n, want);
        zs_error err;
        cr_assert_eq(zs_safetensors_read(st, t->name, t->dtype, t->ndim, t->shape, got, &err),
                     ZS_OK, "%s", err.msg);
        cr_assert_eq(memcmp(got, want, bytes), 0, "%s", t->name);
        free(want);
        free(got);
    }
    cr_assert_null(zs_safetensors_tensor_at(st, N_SAMPLE));
    cr_assert_null(zs_safetensors_find(st, "missing"));
}

/* ---- round trips ---- */

Test(safetensors, dtype_names_and_sizes) {
    const char *names[] = {"F32", "F64", "BF16", "I32", "U32", "I64", "U64", "U8"};
    const size_t bytes[] = {4, 8, 2, 4, 4, 8, 8, 1};
    for (int d = ZS_SAFETENSORS_F32; d <= ZS_SAFETENSORS_U8; d++) {
        cr_assert_str_eq(zs_safetensors_dtype_name((zs_safetensors_dtype)d), names[d]);
        cr_assert_eq(zs_safetensors_dtype_bytes((zs_safetensors_dtype)d), bytes[d]);
    }
}

Test(safetensors, round_trip_every_dtype_with_scalar_and_empty_tensors) {
    const char *path = zs_test_path("rt.safetensors");
    write_sample(path);
    zs_safetensors *st;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_OK, "%s", err.msg);
    const int order[N_SAMPLE] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    check_sample(st, order);
    cr_assert_str_eq(zs_safetensors_meta_value(st, "step"), "42");
    cr_assert_str_eq(zs_safetensors_meta_value(st, "note"), sample_meta[1].value);
    cr_assert_null(zs_safetensors_meta_value(st, "missing"));
    cr_assert_str_eq(zs_safetensors_path(st), path);
    zs_safetensors_close(st);
}

Test(safetensors, no_tensors_and_no_metadata) {
    const char *path = zs_test_path("nothing.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, NULL, 0, NULL, 0, &err), ZS_OK, "%s", err.msg);
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    cr_assert_eq(len, 16);
    cr_assert_eq(memcmp(bytes, "\x08\0\0\0\0\0\0\0{}      ", 16), 0);
    free(bytes);
    zs_safetensors *st;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_safetensors_count(st), 0);
    cr_assert_null(zs_safetensors_meta_value(st, "format"));
    zs_safetensors_close(st);
}

/* The whole file, byte for byte: length, compact header in the given order, space padding
 * to an 8-byte data start, the tensors' bytes back to back. */
Test(safetensors, exact_bytes) {
    const float a[2] = {1.5f, -2.0f};
    const uint8_t b[3] = {7, 8, 9};
    const zs_safetensors_tensor t[2] = {
        {.name = "b", .dtype = ZS_SAFETENSORS_U8, .ndim = 1, .shape = {3}, .data = b},
        {.name = "a", .dtype = ZS_SAFETENSORS_F32, .ndim = 1, .shape = {2}, .data = a}};
    const zs_safetensors_meta meta[1] = {{"k", "v"}};
    const char *path = zs_test_path("exact.safetensors");
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, t, 2, meta, 1, &err), ZS_OK, "%s", err.msg);
    const char *header = "{\"__metadata__\":{\"k\":\"v\"},"
                         "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[3,11]}}";
    size_t h = strlen(header), padded = (h + 7) / 8 * 8;
    unsigned char want[256] = {0};
    for (int i = 0; i < 8; i++) want[i] = (unsigned char)(padded >> (8 * i));
    memcpy(want + 8, header, h);
    memset(want + 8 + h, ' ', padded - h);
    memcpy(want + 8 + padded, b, 3);
    memcpy(want + 8 + padded + 3, a, 8);
    size_t len;
    unsigned char *got = (unsigned char *)zs_test_slurp(path, &len);
    cr_assert_eq(len, 8 + padded + 11);
    cr_assert_eq((8 + padded) % 8, 0);
    cr_assert_eq(memcmp(got, want, len), 0);
    free(got);
}

/* ---- Python: an independent parser (json + numpy) reads ours, and writes one we read ---- */

static char *run_python(const char *script, const char *arg) {
    const char *py = zs_test_python("numpy");
    const char *path = zs_test_path("script.py");
    cr_assert_eq(zs_test_write(path, script, strlen(script)), 0);
    zs_run r = zs_test_sh("'%s' '%s' '%s'", py, path, arg);
    cr_assert_eq(r.exit_code, 0, "python failed: %s", r.err);
    free(r.err);
    return r.out;
}

#define PY_FORMULA                                                                                 \
    "import json, struct, sys\n"                                                                   \
    "import numpy as np\n"                                                                         \
    "NP = {'F32': '<f4', 'F64': '<f8', 'BF16': '<u2', 'I32': '<i4', 'U32': '<u4',\n"               \
    "      'I64': '<i8', 'U64': '<u8', 'U8': 'u1'}\n"                                              \
    "def expected(dtype, n):\n"                                                                    \
    "    k = (np.arange(n, dtype=np.int64) * 7) % 23\n"                                            \
    "    f = ((k - 11) * 0.25).astype(np.float32)\n"                                               \
    "    if dtype == 'BF16': return (f.view(np.uint32) >> 16).astype(np.uint16)\n"                 \
    "    if dtype in ('F32', 'F64'): return f.astype(NP[dtype])\n"                                 \
    "    if dtype in ('I32', 'I64'): return (k - 11).astype(NP[dtype])\n"                          \
    "    return k.astype(NP[dtype])\n"                                                             \
    "SAMPLE = [('scalar','F32',[]), ('empty','I64',[0,3]), ('blocks.0.w','F64',[2,3]),\n"          \
    "          ('bf16','BF16',[5]), ('i32','I32',[2,2,2]), ('u32','U32',[3]), "                    \
    "('u64','U64',[2]),\n"                                                                         \
    "          ('u8','U8',[4,1,2,1]), ('f32','F32',[3,4])]\n"

Test(safetensors, numpy_reads_our_file) {
    const char *path = zs_test_path("ours.safetensors");
    write_sample(path);
    char *out = run_python(
        PY_FORMULA
        "raw = open(sys.argv[1], 'rb').read()\n"
        "(n,) = struct.unpack('<Q', raw[:8])\n"
        "if (8 + n) % 8 != 0: raise SystemExit(f'header length {n}: data not 8-aligned')\n"
        "header = json.loads(raw[8:8 + n])\n"
        "data = raw[8 + n:]\n"
        "meta = header.pop('__metadata__')\n"
        "if meta != {'step': '42', 'note': 'h\\u00e9llo \"quoted\"'}: raise SystemExit(meta)\n"
        "if [s[0] for s in SAMPLE] != list(header): raise SystemExit(list(header))\n"
        "end = 0\n"
        "for name, dtype, shape in SAMPLE:\n"
        "    e = header[name]\n"
        "    if e['dtype'] != dtype or e['shape'] != shape: raise SystemExit((name, e))\n"
        "    b, stop = e['data_offsets']\n"
        "    if b != end: raise SystemExit((name, b, end))\n"
        "    end = stop\n"
        "    a = np.frombuffer(data[b:stop], dtype=NP[dtype]).reshape(shape)\n"
        "    want = expected(dtype, int(np.prod(shape))).reshape(shape)\n"
        "    if not np.array_equal(a, want): raise SystemExit((name, a, want))\n"
        "    if dtype == 'BF16':\n"
        "        as_f32 = (a.astype(np.uint32) << 16).view(np.float32)\n"
        "        if not np.array_equal(as_f32, expected('F32', a.size)): raise SystemExit(as_f32)\n"
        "if end != len(data): raise SystemExit(f'tensors end at {end} of {len(data)} bytes')\n"
        "print('ok', len(SAMPLE))\n",
        path);
    cr_assert_str_eq(out, "ok 9\n");
    free(out);
}

/* Python writes the header in reverse data order and leaves it unpadded; we read the file
 * with its tensors in data order. */
Test(safetensors, we_read_a_file_numpy_wrote) {
    const char *path = zs_test_path("theirs.safetensors");
    char *out =
        run_python(PY_FORMULA "header, blobs, at = {}, [], 0\n"
                              "for name, dtype, shape in SAMPLE:\n"
                              "    b = expected(dtype, int(np.prod(shape))).tobytes()\n"
                              "    header[name] = {'dtype': dtype, 'shape': shape,\n"
                              "                    'data_offsets': [at, at + len(b)]}\n"
                              "    blobs.append(b)\n"
                              "    at += len(b)\n"
                              "items = list(header.items())[::-1]\n"
                              "items.insert(3, ('__metadata__', {'step': '42',\n"
                              "                 'note': 'h\\u00e9llo \"quoted\"'}))\n"
                              "text = json.dumps(dict(items), indent=1).encode()\n"
                              "if (8 + len(text)) % 8 == 0: text += b'\\n'\n"
                              "with open(sys.argv[1], 'wb') as f:\n"
                              "    f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))\n"
                              "print('written')\n",
                   path);
    cr_assert_str_eq(out, "written\n");
    free(out);
    zs_safetensors *st;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_OK, "%s", err.msg);
    const int order[N_SAMPLE] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    check_sample(st, order);
    cr_assert_str_eq(zs_safetensors_meta_value(st, "note"), sample_meta[1].value);
    zs_safetensors_close(st);
}

/* ---- typed reads ---- */

Test(safetensors, read_checks_presence_dtype_and_shape) {
    const char *path = zs_test_path("typed.safetensors");
    write_sample(path);
    zs_safetensors *st;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_OK, "%s", err.msg);
    float dst[12];
    const uint64_t wrong_shape[2] = {4, 3};
    cr_assert_eq(zs_safetensors_read(st, "f32", ZS_SAFETENSORS_F32, 2, wrong_shape, dst, &err),
                 ZS_ERR_FORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s: tensor 'f32': expected F32 shape [4, 3], found F32 [3, 4]",
             path);
    expect_msg(&err, want);
    const uint64_t shape[2] = {3, 4};
    cr_assert_eq(zs_safetensors_read(st, "f32", ZS_SAFETENSORS_F64, 2, shape, dst, &err),
                 ZS_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: tensor 'f32': expected F64 shape [3, 4], found F32 [3, 4]",
             path);
    expect_msg(&err, want);
    cr_assert_eq(zs_safetensors_read(st, "scalar", ZS_SAFETENSORS_F32, 1, shape, dst, &err),
                 ZS_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: tensor 'scalar': expected F32 shape [3], found F32 []", path);
    expect_msg(&err, want);
    cr_assert_eq(zs_safetensors_read(st, "nope", ZS_SAFETENSORS_F32, 2, shape, dst, &err),
                 ZS_ERR_FORMAT);
    snprintf(want, sizeof want, "%s: no tensor 'nope'", path);
    expect_msg(&err, want);
    zs_safetensors_close(st);
}

/* ---- malformed files: one test per error, each with its message ---- */

/* A file of an 8-byte length `length`, then `header` and `data_bytes` zero bytes. */
static const char *raw_file(const char *name, uint64_t length, const char *header,
                            size_t data_bytes) {
    const char *path = zs_test_path(name);
    size_t h = strlen(header);
    unsigned char *buf = calloc(8 + h + data_bytes + 1, 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(length >> (8 * i));
    memcpy(buf + 8, header, h);
    cr_assert_eq(zs_test_write(path, buf, 8 + h + data_bytes), 0);
    free(buf);
    return path;
}

static const char *header_file(const char *header, size_t data_bytes) {
    return raw_file("bad.safetensors", strlen(header), header, data_bytes);
}

static void expect_open_error(const char *path, const char *detail) {
    zs_safetensors *st = NULL;
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_ERR_FORMAT, "%s opened", path);
    cr_assert_null(st);
    char want[1200];
    snprintf(want, sizeof want, "%s: %s", path, detail);
    expect_msg(&err, want);
}

Test(safetensors_bad, missing_file) {
    zs_safetensors *st;
    zs_error err;
    const char *path = zs_test_path("absent.safetensors");
    cr_assert_eq(zs_safetensors_open(&st, path, &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "cannot open"), "%s", err.msg);
}

Test(safetensors_bad, shorter_than_the_length_field) {
    const char *path = zs_test_path("short.safetensors");
    cr_assert_eq(zs_test_write(path, "\x10\0\0\0\0", 5), 0);
    expect_open_error(path, "5 bytes, shorter than the 8-byte header length: truncated file?");
}

Test(safetensors_bad, empty_file) {
    const char *path = zs_test_path("empty.safetensors");
    cr_assert_eq(zs_test_write(path, "", 0), 0);
    expect_open_error(path, "0 bytes, shorter than the 8-byte header length: truncated file?");
}

Test(safetensors_bad, header_length_beyond_the_file) {
    const char *path = raw_file("long.safetensors", 100, "{}", 0);
    expect_open_error(path,
                      "a header of 100 bytes runs past the end of the file (10 bytes): truncated "
                      "file?");
}

/* The key case: a checkpoint copied while being written. Every prefix is refused. */
Test(safetensors_bad, every_truncation_is_refused) {
    const char *path = zs_test_path("whole.safetensors");
    write_sample(path);
    size_t len;
    char *bytes = zs_test_slurp(path, &len);
    const char *cut = zs_test_path("cut.safetensors");
    for (size_t n = 0; n < len; n++) {
        cr_assert_eq(zs_test_write(cut, bytes, n), 0);
        zs_safetensors *st = NULL;
        zs_error err;
        cr_assert_eq(zs_safetensors_open(&st, cut, &err), ZS_ERR_FORMAT, "%zu bytes opened", n);
        cr_assert_null(st);
    }
    /* cut inside the data: the message names the tensor that runs past the end */
    cr_assert_eq(zs_test_write(cut, bytes, len - 1), 0);
    expect_open_error(cut, "tensor 'f32': data_offsets [130, 178] run past the end of the data "
                           "(177 bytes): truncated file?");
    free(bytes);
}

Test(safetensors_bad, json_syntax_names_line_and_column) {
    expect_open_error(header_file("{\n  \"a\": {\"dtype\": \"F32\",, }\n}", 0),
                      "header JSON line 2 column 24: string or '}' expected near ','");
}

Test(safetensors_bad, header_not_an_object) {
    expect_open_error(header_file("[1, 2]", 0), "header: expected a JSON object");
}

Test(safetensors_bad, tensor_entry_not_an_object) {
    expect_open_error(header_file("{\"w\": [0, 4]}", 4),
                      "tensor 'w': expected an object {dtype, shape, data_offsets}");
}

Test(safetensors_bad, dtype_missing) {
    expect_open_error(header_file("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4),
                      "tensor 'w': field 'dtype': expected a string");
}

Test(safetensors_bad, dtype_not_a_string) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": 4, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4),
        "tensor 'w': field 'dtype': expected a string");
}

Test(safetensors_bad, unknown_dtype) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4),
        "tensor 'w': unknown dtype 'F16' (expected F32, F64, BF16, I32, U32, I64, U64 or U8)");
}

Test(safetensors_bad, shape_missing) {
    expect_open_error(header_file("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4),
                      "tensor 'w': field 'shape': expected an array of integers");
}

Test(safetensors_bad, shape_too_many_dimensions) {
    expect_open_error(header_file("{\"w\": {\"dtype\": \"U8\", \"shape\": [1, 1, 1, 1, 1], "
                                  "\"data_offsets\": [0, 1]}}",
                                  1),
                      "tensor 'w': field 'shape': 5 dimensions, at most 4 supported");
}

Test(safetensors_bad, negative_dimension) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}",
                    4),
        "tensor 'w': field 'shape': dimension 1: expected a non-negative integer");
}

Test(safetensors_bad, dimension_not_an_integer) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4),
        "tensor 'w': field 'shape': dimension 0: expected a non-negative integer");
}

Test(safetensors_bad, huge_dimensions) {
    expect_open_error(header_file("{\"w\": {\"dtype\": \"F64\", \"shape\": [4294967296, "
                                  "4294967296], \"data_offsets\": [0, 8]}}",
                                  8),
                      "tensor 'w': shape [4294967296, 4294967296] is too large");
}

Test(safetensors_bad, data_offsets_missing) {
    expect_open_error(header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4),
                      "tensor 'w': field 'data_offsets': expected [begin, end] with 0 <= begin "
                      "<= end");
}

Test(safetensors_bad, data_offsets_reversed) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", 4),
        "tensor 'w': field 'data_offsets': expected [begin, end] with 0 <= begin <= end");
}

Test(safetensors_bad, data_offsets_not_matching_the_shape) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}",
                    24),
        "tensor 'w': data_offsets [0, 20] span 20 bytes, but F32 shape [2, 3] needs 24");
}

Test(safetensors_bad, offsets_beyond_the_data) {
    expect_open_error(
        header_file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 8),
        "tensor 'w': data_offsets [4, 12] run past the end of the data (8 bytes): truncated "
        "file?");
}

Test(safetensors_bad, overlapping_tensors) {
    expect_open_error(header_file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], "
                                  "\"data_offsets\": [0, 8]},"
                                  " \"b\": {\"dtype\": \"F32\", \"shape\": [1], "
                                  "\"data_offsets\": [4, 8]}}",
                                  8),
                      "tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]");
}

Test(safetensors_bad, gap_between_tensors) {
    expect_open_error(header_file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], "
                                  "\"data_offsets\": [0, 4]},"
                                  " \"b\": {\"dtype\": \"F32\", \"shape\": [1], "
                                  "\"data_offsets\": [8, 12]}}",
                                  12),
                      "tensor 'b': a gap of 4 bytes before its data_offsets [8, 12]");
}

Test(safetensors_bad, bytes_after_the_last_tensor) {
    expect_open_error(
        header_file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 7),
        "3 bytes after the last tensor's data (the tensors end at 4)");
}

Test(safetensors_bad, metadata_not_an_object) {
    expect_open_error(header_file("{\"__metadata__\": \"step 3\"}", 0),
                      "'__metadata__': expected an object of string values");
}

Test(safetensors_bad, metadata_value_not_a_string) {
    expect_open_error(header_file("{\"__metadata__\": {\"format\": \"x\", \"step\": 3}}", 0),
                      "'__metadata__': key 'step': expected a string value");
}

Test(safetensors_bad, duplicate_tensor_names) {
    expect_open_error(header_file("{\"a\": {\"dtype\": \"U8\", \"shape\": [1], "
                                  "\"data_offsets\": [0, 1]},"
                                  " \"a\": {\"dtype\": \"U8\", \"shape\": [1], "
                                  "\"data_offsets\": [1, 2]}}",
                                  2),
                      "header JSON line 1 column 64: duplicate object key near '\"a\"'");
}

/* ---- writer errors and atomicity ---- */

static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static const char *fresh_dir(const char *name) {
    const char *dir = zs_test_path(name);
    zs_run r = zs_test_sh("mkdir -p '%s'", dir);
    cr_assert_eq(r.exit_code, 0);
    zs_run_free(&r);
    return dir;
}

Test(safetensors_write, refuses_duplicate_and_reserved_names) {
    const char *dir = fresh_dir("names");
    char path[600];
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    const float x = 1;
    zs_safetensors_tensor t[2] = {{.name = "w", .dtype = ZS_SAFETENSORS_F32, .data = &x},
                                  {.name = "w", .dtype = ZS_SAFETENSORS_F32, .data = &x}};
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, t, 2, NULL, 0, &err), ZS_ERR_USAGE);
    char want[700];
    snprintf(want, sizeof want, "%s: tensor 'w' appears twice", path);
    expect_msg(&err, want);
    t[1].name = "__metadata__";
    cr_assert_eq(zs_safetensors_write(path, t, 2, NULL, 0, &err), ZS_ERR_USAGE);
    snprintf(want, sizeof want, "%s: tensor 1: name '__metadata__' is empty or reserved", path);
    expect_msg(&err, want);
    const zs_safetensors_meta meta[2] = {{"k", "1"}, {"k", "2"}};
    cr_assert_eq(zs_safetensors_write(path, t, 1, meta, 2, &err), ZS_ERR_USAGE);
    snprintf(want, sizeof want, "%s: metadata 'k' appears twice", path);
    expect_msg(&err, want);
    cr_assert_eq(dir_entries(dir), 0);
}

Test(safetensors_write, refuses_bad_rank_and_dtype) {
    const char *dir = fresh_dir("rank");
    char path[600], want[700];
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    const float x[2] = {1, 2};
    zs_safetensors_tensor t = {
        .name = "w", .dtype = ZS_SAFETENSORS_F32, .ndim = 5, .shape = {1, 1, 1, 1}, .data = x};
    zs_error err;
    cr_assert_eq(zs_safetensors_write(path, &t, 1, NULL, 0, &err), ZS_ERR_USAGE);
    snprintf(want, sizeof want, "%s: tensor 'w': 5 dimensions, expected 0 to 4", path);
    expect_msg(&err, want);
    t.ndim = 1;
    t.dtype = (zs_safetensors_dtype)99;
    cr_assert_eq(zs_safetensors_write(path, &t, 1, NULL, 0, &err), ZS_ERR_USAGE);
    snprintf(want, sizeof want, "%s: tensor 'w': unknown dtype 99", path);
    expect_msg(&err, want);
    cr_assert_eq(dir_entries(dir), 0);
}

/* A write that fails midway (the file-size limit hit while writing the data) leaves the
 * previous file untouched and no temporary behind. */
Test(safetensors_write, failing_write_leaves_the_old_file_and_no_temporary) {
    const char *dir = fresh_dir("atomic");
    char path[600];
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    write_sample(path);
    size_t old_len;
    char *old = zs_test_slurp(path, &old_len);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {1 << 16, 1 << 16};
        setrlimit(RLIMIT_FSIZE, &limit);
        size_t n = 1 << 18;
        float *big = calloc(n, sizeof *big);
        zs_safetensors_tensor t = {
            .name = "big", .dtype = ZS_SAFETENSORS_F32, .ndim = 1, .shape = {n}, .data = big};
        zs_error err;
        zs_status s = zs_safetensors_write(path, &t, 1, NULL, 0, &err);
        _exit(s == ZS_ERR_IO && strstr(err.msg, "write failed") ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the write did not fail as an IO error");
    cr_assert_eq(dir_entries(dir), 1);
    size_t len;
    char *now = zs_test_slurp(path, &len);
    cr_assert_eq(len, old_len);
    cr_assert_eq(memcmp(now, old, len), 0);
    free(now);
    free(old);
}

/* The error contract, rule 4: free and close accept NULL and a zeroed struct. */
Test(contract, nn_free_and_close_accept_null_and_zeroed) {
    zs_layout_free(NULL);
    zs_gpt_free(NULL);
    zs_mlp_free(NULL);
    zs_adamw_free(NULL);
    zs_safetensors_close(NULL);
    zs_layout layout = {0};
    zs_layout_free(&layout);
    zs_adamw opt = {0};
    zs_adamw_free(&opt);
    zs_safetensors *st = (zs_safetensors *)&opt; /* overwritten by the failed open */
    zs_error err;
    cr_assert_eq(zs_safetensors_open(&st, "/nonexistent/x.safetensors", &err), ZS_ERR_IO);
    cr_assert_null(st);
}
