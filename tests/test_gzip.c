/* Tests for module measure: gzip sizes byte-exact against Python's gzip module (committed
 * vectors from tests/data/gzip/make_vectors.py, and live against /usr/bin/python3),
 * statistics against closed forms and numpy/statistics, sampling and thread-count
 * determinism, bytes mode, entropy, zstd, and every input error with its message. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "testutil.h"
#include "zipscale/measure.h"
#include "zipscale/tokens.h"

static uint64_t gzip_size(const void *data, uint64_t bytes, int level) {
    uint64_t one_shot, reused;
    zs_error err;
    cr_assert_eq(zs_gzip_compressed_bytes(data, bytes, level, &one_shot, &err), ZS_OK, "%s",
                 err.msg);
    zs_gzip_stream *g;
    cr_assert_eq(zs_gzip_stream_create(&g, level, &err), ZS_OK, "%s", err.msg);
    /* Compress something else first: a reused stream must not remember it. */
    cr_assert_eq(zs_gzip_stream_size(g, "warm-up bytes", 13, &reused, &err), ZS_OK);
    cr_assert_eq(zs_gzip_stream_size(g, data, bytes, &reused, &err), ZS_OK, "%s", err.msg);
    zs_gzip_stream_free(g);
    cr_assert_eq(one_shot, reused, "one-shot %llu vs reused stream %llu bytes",
                 (unsigned long long)one_shot, (unsigned long long)reused);
    return one_shot;
}

static uint64_t gzip_size_tokens(const uint32_t *ids, uint64_t n, int level) {
    uint8_t *raw = malloc(4 * n + 1);
    zs_measure_encode_be32(ids, n, raw);
    uint64_t size = gzip_size(raw, 4 * n, level);
    free(raw);
    return size;
}

/* ---- byte layout and committed vectors ---------------------------------------------- */

Test(gzip, encodes_big_endian_int32) {
    const uint32_t ids[3] = {1, 0x01020304u, ZS_GZIP_MAX_ID};
    uint8_t out[12];
    zs_measure_encode_be32(ids, 3, out);
    const uint8_t expected[12] = {0, 0, 0, 1, 1, 2, 3, 4, 0x7f, 0xff, 0xff, 0xff};
    cr_assert_eq(memcmp(out, expected, 12), 0);
}

static int hex_value(char c) {
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

Test(gzip, matches_python_vectors) {
    size_t len;
    char *text = zs_test_slurp(ZS_SOURCE_DIR "/tests/data/gzip/vectors.txt", &len);
    cr_assert(text, "tests/data/gzip/vectors.txt is missing");
    int checked = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char kind[8];
        int level, used;
        unsigned long long expected;
        cr_assert_eq(sscanf(line, "%7s %d %llu %n", kind, &level, &expected, &used), 3);
        char *rest = line + used;
        uint64_t got;
        if (strcmp(kind, "tokens") == 0) {
            unsigned long long n = strtoull(rest, &rest, 10);
            uint32_t *ids = malloc(n * sizeof *ids);
            for (unsigned long long i = 0; i < n; i++) ids[i] = (uint32_t)strtoul(rest, &rest, 10);
            got = gzip_size_tokens(ids, n, level);
            free(ids);
        } else {
            size_t bytes = strcmp(rest, "-") == 0 ? 0 : strlen(rest) / 2;
            uint8_t *raw = malloc(bytes + 1);
            for (size_t i = 0; i < bytes; i++)
                raw[i] = (uint8_t)(hex_value(rest[2 * i]) << 4 | hex_value(rest[2 * i + 1]));
            got = gzip_size(raw, bytes, level);
            free(raw);
        }
        cr_assert_eq(got, expected, "line '%.60s...': %llu bytes, Python %llu", line,
                     (unsigned long long)got, expected);
        checked++;
    }
    free(text);
    cr_assert_eq(checked, 36, "expected 36 vectors, checked %d", checked);
}

Test(gzip, output_is_a_gzip_file_of_the_input) {
    uint32_t ids[256];
    for (int i = 0; i < 256; i++) ids[i] = (uint32_t)(i * i % 97);
    uint8_t raw[1024], back[1024];
    zs_measure_encode_be32(ids, 256, raw);
    /* Compress by hand with the documented parameters; the size must equal ours. */
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t packed[2048];
    z.next_in = raw, z.avail_in = sizeof raw, z.next_out = packed, z.avail_out = sizeof packed;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    uint64_t packed_bytes = z.total_out;
    deflateEnd(&z);
    cr_assert_eq(gzip_size(raw, sizeof raw, 9), packed_bytes);
    cr_assert_eq(packed[0], 0x1f, "gzip magic");
    cr_assert_eq(packed[1], 0x8b, "gzip magic");
    z_stream u = {0};
    cr_assert_eq(inflateInit2(&u, 15 + 16), Z_OK);
    u.next_in = packed, u.avail_in = (uInt)packed_bytes, u.next_out = back;
    u.avail_out = sizeof back;
    cr_assert_eq(inflate(&u, Z_FINISH), Z_STREAM_END);
    cr_assert_eq(u.total_out, sizeof raw);
    inflateEnd(&u);
    cr_assert_eq(memcmp(raw, back, sizeof raw), 0);
}

/* ---- live cross-check against Python's gzip module ----------------------------------- */

/* Random sequences (large and small vocabularies) and low-entropy ones (runs, short
 * periods, a constant), 256 tokens each; Python prints the size of each. */
Test(gzip, matches_python_live) {
    const char *py = zs_test_python("gzip");
    enum { N_SEQ = 60, LEN = 256 };
    static uint32_t ids[N_SEQ][LEN];
    zs_rng rng;
    zs_rng_seed(&rng, 7, 0);
    const char *path = zs_test_path("live.txt");
    FILE *f = fopen(path, "w");
    for (int s = 0; s < N_SEQ; s++) {
        for (int i = 0; i < LEN; i++) {
            switch (s % 6) {
            case 0:
                ids[s][i] = (uint32_t)zs_rng_below(&rng, 32001);
                break;
            case 1:
                ids[s][i] = (uint32_t)zs_rng_below(&rng, 2u + (unsigned)s);
                break;
            case 2:
                ids[s][i] = (uint32_t)zs_rng_below(&rng, (uint64_t)ZS_GZIP_MAX_ID + 1);
                break;
            case 3:
                ids[s][i] = (uint32_t)(i / (1 + s % 17));
                break; /* runs */
            case 4:
                ids[s][i] = (uint32_t)(i % (2 + s % 5)) * 1000u;
                break;
            default:
                ids[s][i] = (uint32_t)s;
                break;
            }
            fprintf(f, "%u%c", ids[s][i], i + 1 < LEN ? ' ' : '\n');
        }
    }
    fclose(f);
    zs_run r = zs_test_sh(
        "'%s' -c 'import gzip, io, sys\n"
        "for line in open(sys.argv[1]):\n"
        "    b = b\"\".join(int(x).to_bytes(4, \"big\", signed=True) for x in line.split())\n"
        "    buf = io.BytesIO()\n"
        "    with gzip.GzipFile(fileobj=buf, mode=\"wb\") as g: g.write(b)\n"
        "    print(buf.tell())' '%s'",
        py, path);
    cr_assert_eq(r.exit_code, 0, "python failed: %s", r.err);
    char *p = r.out;
    for (int s = 0; s < N_SEQ; s++) {
        unsigned long long expected = strtoull(p, &p, 10);
        uint64_t got = gzip_size_tokens(ids[s], LEN, 9);
        cr_assert_eq(got, expected, "sequence %d: %llu bytes, Python %llu", s,
                     (unsigned long long)got, expected);
    }
    zs_run_free(&r);
}

/* The whole measure on every window of a file against Python computing the ratios
 * itself and summarising them with statistics and numpy (an independent computation). */
Test(gzip, measure_matches_python_statistics) {
    const char *py = zs_test_python("gzip numpy statistics");
    enum { LEN = 64, N_WIN = 41, TAIL = 10, N = LEN * N_WIN + TAIL };
    static uint32_t ids[N];
    zs_rng rng;
    zs_rng_seed(&rng, 11, 0);
    /* Windows of varying entropy so the ratios spread out. */
    for (int i = 0; i < N; i++)
        ids[i] = (uint32_t)zs_rng_below(&rng, 2u + (unsigned)(i / LEN) * 40u);
    const char *path = zs_test_path("stream.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < N; i++) fprintf(f, "%u\n", ids[i]);
    fclose(f);
    zs_token_source src;
    zs_measure_source_array(&src, ids, N, "array");
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.sequence_tokens = LEN;
    o.sample = 0;
    o.zstd_level = 0;
    zs_measure_result res;
    zs_error err;
    cr_assert_eq(zs_measure_tokens(&src, &o, &res, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(res.windows_total, N_WIN);
    cr_assert_eq(res.tail_units, TAIL);
    cr_assert_eq(res.gzip.n, N_WIN);
    cr_assert_null(res.zstd_ratios);
    zs_run r = zs_test_sh(
        "'%s' -c 'import gzip, io, sys, statistics, numpy\n"
        "ids = [int(x) for x in open(sys.argv[1])]\n"
        "L = %d\n"
        "rs = []\n"
        "for w in range(len(ids) // L):\n"
        "    b = b\"\".join(x.to_bytes(4, \"big\", signed=True) for x in ids[w*L:(w+1)*L])\n"
        "    buf = io.BytesIO()\n"
        "    with gzip.GzipFile(fileobj=buf, mode=\"wb\") as g: g.write(b)\n"
        "    rs.append(buf.tell() / len(b))\n"
        "q1, q3 = numpy.quantile(rs, [0.25, 0.75])\n"
        "print(repr(statistics.median(rs)), repr(statistics.mean(rs)),\n"
        "      repr(statistics.stdev(rs)), repr(q1), repr(q3), min(rs), max(rs))\n"
        "print(\" \".join(repr(x) for x in rs))' '%s'",
        py, LEN, path);
    cr_assert_eq(r.exit_code, 0, "python failed: %s", r.err);
    char *p = r.out;
    double want[7];
    for (int k = 0; k < 7; k++) want[k] = strtod(p, &p);
    for (int w = 0; w < N_WIN; w++) {
        double ratio = strtod(p, &p);
        cr_assert_eq(res.gzip_ratios[w], ratio, "window %d: %.17g vs Python %.17g", w,
                     res.gzip_ratios[w], ratio);
    }
    const double got[7] = {res.gzip.median, res.gzip.mean, res.gzip.stdev, res.gzip.q1,
                           res.gzip.q3,     res.gzip.min,  res.gzip.max};
    const char *names[7] = {"median", "mean", "stdev", "q1", "q3", "min", "max"};
    /* Summation order differs from Python's exact-rational mean: allow 1e-12 relative. */
    for (int k = 0; k < 7; k++)
        cr_assert_leq(fabs(got[k] - want[k]), 1e-12 * fabs(want[k]), "%s: %.17g vs Python %.17g",
                      names[k], got[k], want[k]);
    cr_assert_lt(res.gzip.min, res.gzip.max, "the windows should differ in compressibility");
    zs_run_free(&r);
    zs_measure_result_free(&res);
}

/* ---- statistics on hand-made data ---------------------------------------------------- */

Test(stats, closed_forms_even_and_odd) {
    zs_summary s;
    zs_error err;
    const double even[4] = {4, 1, 3, 2};
    cr_assert_eq(zs_summarize(even, 4, &s, &err), ZS_OK);
    cr_assert_eq(s.n, 4);
    cr_assert_float_eq(s.median, 2.5, 1e-15);
    cr_assert_float_eq(s.mean, 2.5, 1e-15);
    cr_assert_float_eq(s.stdev, sqrt(5.0 / 3.0), 1e-15); /* sum of squares 5, n-1 = 3 */
    cr_assert_float_eq(s.q1, 1.75, 1e-15);               /* position 0.75 between 1 and 2 */
    cr_assert_float_eq(s.q3, 3.25, 1e-15);               /* position 2.25 between 3 and 4 */
    cr_assert_eq(s.min, 1);
    cr_assert_eq(s.max, 4);
    const double odd[5] = {10, 0, 5, 20, 15};
    cr_assert_eq(zs_summarize(odd, 5, &s, &err), ZS_OK);
    cr_assert_eq(s.median, 10);
    cr_assert_eq(s.q1, 5); /* position 1 exactly */
    cr_assert_eq(s.q3, 15);
    cr_assert_float_eq(s.stdev, sqrt(250.0 / 4.0), 1e-13);
}

Test(stats, single_value_and_empty) {
    zs_summary s;
    zs_error err;
    const double one = 0.25;
    cr_assert_eq(zs_summarize(&one, 1, &s, &err), ZS_OK);
    cr_assert_eq(s.median, 0.25);
    cr_assert_eq(s.q1, 0.25);
    cr_assert_eq(s.q3, 0.25);
    cr_assert(isnan(s.stdev), "the sample stdev of one value is undefined");
    cr_assert_eq(zs_summarize(&one, 0, &s, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "summary of 0 values"), "message: %s", err.msg);
}

/* ---- sampling ------------------------------------------------------------------------ */

Test(sample, deterministic_distinct_sorted) {
    uint64_t *a, *b, *c, na, nb, nc;
    zs_error err;
    cr_assert_eq(zs_measure_sample_indices(5000, 300, 42, &a, &na, &err), ZS_OK);
    cr_assert_eq(zs_measure_sample_indices(5000, 300, 42, &b, &nb, &err), ZS_OK);
    cr_assert_eq(zs_measure_sample_indices(5000, 300, 43, &c, &nc, &err), ZS_OK);
    cr_assert_eq(na, 300);
    cr_assert_eq(memcmp(a, b, 300 * sizeof *a), 0, "same seed, same sample");
    cr_assert_neq(memcmp(a, c, 300 * sizeof *a), 0, "another seed, another sample");
    for (int i = 0; i < 300; i++) {
        cr_assert_lt(a[i], 5000);
        if (i) cr_assert_lt(a[i - 1], a[i], "ascending and distinct");
    }
    free(a), free(b), free(c);
}

Test(sample, zero_or_too_many_means_all) {
    uint64_t *a, n;
    zs_error err;
    cr_assert_eq(zs_measure_sample_indices(17, 0, 1, &a, &n, &err), ZS_OK);
    cr_assert_eq(n, 17);
    for (uint64_t i = 0; i < n; i++) cr_assert_eq(a[i], i);
    free(a);
    cr_assert_eq(zs_measure_sample_indices(17, 1000, 1, &a, &n, &err), ZS_OK);
    cr_assert_eq(n, 17);
    free(a);
}

/* Each of 10 indices should be drawn with probability 3/10. 20000 draws of 3: counts
 * ~ 6000 each; chi-square over 10 cells (9 dof), P(chi2 > 27.88) = 0.001. */
Test(sample, uniform_inclusion) {
    long counts[10] = {0};
    zs_error err;
    for (uint64_t seed = 0; seed < 20000; seed++) {
        uint64_t *a, n;
        cr_assert_eq(zs_measure_sample_indices(10, 3, seed, &a, &n, &err), ZS_OK);
        for (uint64_t i = 0; i < n; i++) counts[a[i]]++;
        free(a);
    }
    double chi2 = 0;
    for (int i = 0; i < 10; i++) chi2 += pow(counts[i] - 6000.0, 2) / 6000.0;
    cr_assert_lt(chi2, 27.88, "chi2 = %g", chi2);
}

/* ---- the measure: determinism, bytes mode, entropy, zstd ----------------------------- */

static uint32_t *pcfg_like_stream(uint64_t n, uint64_t seed) {
    uint32_t *ids = malloc(n * sizeof *ids);
    zs_rng rng;
    zs_rng_seed(&rng, seed, 0);
    /* Phrases copied from a small lexicon plus noise: compressible but not trivially. */
    for (uint64_t i = 0; i < n; i++)
        ids[i] =
            zs_rng_below(&rng, 4) ? (uint32_t)((i * 7) % 23) : (uint32_t)zs_rng_below(&rng, 300);
    return ids;
}

Test(measure, identical_for_any_thread_count) {
    const uint64_t n = 256 * 400 + 77;
    uint32_t *ids = pcfg_like_stream(n, 3);
    zs_token_source src;
    zs_measure_source_array(&src, ids, n, "array");
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.sample = 150;
    o.seed = 9;
    o.zstd_level = 3;
    zs_measure_result r[3];
    zs_error err;
    const int threads[3] = {1, 2, 3};
    for (int k = 0; k < 3; k++) {
        o.threads = threads[k];
        cr_assert_eq(zs_measure_tokens(&src, &o, &r[k], &err), ZS_OK, "%s", err.msg);
    }
    for (int k = 1; k < 3; k++) {
        cr_assert_eq(r[k].gzip.n, 150);
        cr_assert_eq(memcmp(r[0].window_index, r[k].window_index, 150 * sizeof(uint64_t)), 0);
        cr_assert_eq(memcmp(r[0].gzip_ratios, r[k].gzip_ratios, 150 * sizeof(double)), 0);
        cr_assert_eq(memcmp(r[0].zstd_ratios, r[k].zstd_ratios, 150 * sizeof(double)), 0);
        cr_assert_eq(memcmp(&r[0].gzip, &r[k].gzip, sizeof(zs_summary)), 0);
        cr_assert_eq(memcmp(&r[0].zstd, &r[k].zstd, sizeof(zs_summary)), 0);
        cr_assert_eq(r[0].entropy_bits, r[k].entropy_bits);
    }
    cr_assert_eq(r[0].windows_total, 400);
    cr_assert_eq(r[0].tail_units, 77);
    /* Every sampled ratio is the ratio of that window compressed alone. */
    for (int i = 0; i < 150; i += 37) {
        uint64_t w = r[0].window_index[i];
        double ratio = (double)gzip_size_tokens(ids + 256 * w, 256, 9) / 1024.0;
        cr_assert_eq(r[0].gzip_ratios[i], ratio, "window %llu", (unsigned long long)w);
    }
    /* Another seed draws other windows. */
    o.seed = 10;
    zs_measure_result other;
    cr_assert_eq(zs_measure_tokens(&src, &o, &other, &err), ZS_OK);
    cr_assert_neq(memcmp(r[0].window_index, other.window_index, 150 * sizeof(uint64_t)), 0);
    zs_measure_result_free(&other);
    for (int k = 0; k < 3; k++) zs_measure_result_free(&r[k]);
    free(ids);
}

Test(measure, bytes_mode_chunks_and_tail) {
    enum { CHUNK = 1000, N = 3 * CHUNK + 500 };
    uint8_t *data = malloc(N);
    zs_rng rng;
    zs_rng_seed(&rng, 5, 0);
    for (int i = 0; i < N; i++) data[i] = i < CHUNK ? 'a' : (uint8_t)zs_rng_below(&rng, 16);
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.chunk_bytes = CHUNK;
    o.gzip_level = 6;
    zs_measure_result r;
    zs_error err;
    cr_assert_eq(zs_measure_bytes(data, N, "text", &o, &r, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(r.windows_total, 3);
    cr_assert_eq(r.tail_units, 500);
    cr_assert_eq(r.raw_bytes_per_window, CHUNK);
    cr_assert_eq(r.gzip.n, 3, "fewer windows than --sample: all of them");
    for (int w = 0; w < 3; w++) {
        cr_assert_eq(r.window_index[w], (uint64_t)w);
        double ratio = (double)gzip_size(data + w * CHUNK, CHUNK, 6) / CHUNK;
        cr_assert_eq(r.gzip_ratios[w], ratio, "chunk %d", w);
        size_t z = ZSTD_compress((uint8_t[2048]){0}, 2048, data + w * CHUNK, CHUNK, 19);
        cr_assert_eq(r.zstd_ratios[w], (double)z / CHUNK, "chunk %d zstd", w);
    }
    cr_assert_lt(r.gzip_ratios[0], r.gzip_ratios[1], "a run of 'a' beats random nibbles");
    cr_assert_eq(r.distinct_symbols, 17); /* 'a' and 0..15 */
    zs_measure_result_free(&r);
    free(data);
}

Test(entropy, closed_forms_and_brute_force) {
    zs_error err;
    double bits;
    uint64_t distinct;
    const uint8_t four[8] = {1, 2, 3, 4, 4, 3, 2, 1};
    cr_assert_eq(zs_measure_entropy_bytes(four, 8, &bits, &distinct, &err), ZS_OK);
    cr_assert_float_eq(bits, 2.0, 1e-15);
    cr_assert_eq(distinct, 4);
    /* p = (1/2, 1/4, 1/4): H = 1.5 bits; ids far apart exercise the hash table. */
    const uint32_t skewed[4] = {ZS_GZIP_MAX_ID, 5, ZS_GZIP_MAX_ID, 1u << 30};
    zs_token_source src;
    zs_measure_source_array(&src, skewed, 4, "skewed");
    cr_assert_eq(zs_measure_entropy_tokens(&src, &bits, &distinct, &err), ZS_OK);
    cr_assert_float_eq(bits, 1.5, 1e-15);
    cr_assert_eq(distinct, 3);
    /* 200k tokens over 5000 ids (the table grows several times) against a plain count. */
    enum { N = 200000, V = 5000 };
    uint32_t *ids = malloc(N * sizeof *ids);
    long *counts = calloc(V, sizeof *counts);
    zs_rng rng;
    zs_rng_seed(&rng, 8, 0);
    /* Odd values become large ids (hash table), even ones stay small (plain array);
     * entropy does not depend on the labels. */
    for (int i = 0; i < N; i++) {
        uint32_t v = (uint32_t)(zs_rng_below(&rng, V) * zs_rng_below(&rng, V) / V);
        counts[v]++;
        ids[i] = v % 2 ? (1u << 20) + v * 977u : v;
    }
    double want = 0;
    long want_distinct = 0;
    for (int v = 0; v < V; v++)
        if (counts[v]) want -= (double)counts[v] / N * log2((double)counts[v] / N), want_distinct++;
    zs_measure_source_array(&src, ids, N, "random");
    cr_assert_eq(zs_measure_entropy_tokens(&src, &bits, &distinct, &err), ZS_OK);
    cr_assert_float_eq(bits, want, 1e-12);
    cr_assert_eq(distinct, (uint64_t)want_distinct);
    free(ids);
    free(counts);
}

Test(zstd, sizes_round_trip_and_match_one_shot) {
    uint32_t *ids = pcfg_like_stream(256, 1);
    uint8_t raw[1024], packed[2048], back[1024];
    zs_measure_encode_be32(ids, 256, raw);
    zs_zstd_stream *z;
    zs_error err;
    cr_assert_eq(zs_zstd_stream_create(&z, 19, &err), ZS_OK);
    uint64_t size;
    cr_assert_eq(zs_zstd_stream_size(z, "warm-up", 7, &size, &err), ZS_OK);
    cr_assert_eq(zs_zstd_stream_size(z, raw, sizeof raw, &size, &err), ZS_OK);
    zs_zstd_stream_free(z);
    size_t fresh = ZSTD_compress(packed, sizeof packed, raw, sizeof raw, 19);
    cr_assert_eq(size, fresh);
    cr_assert_eq(ZSTD_decompress(back, sizeof back, packed, fresh), sizeof raw);
    cr_assert_eq(memcmp(raw, back, sizeof raw), 0);
    cr_assert_lt(size, sizeof raw, "a repetitive sequence must compress");
    cr_assert_eq(zs_zstd_stream_create(&z, 23, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "zstd level 23: expected an integer in 1..22"), "%s", err.msg);
    free(ids);
}

/* ---- errors: one test each, with its message ------------------------------------------ */

static zs_status measure_array(const uint32_t *ids, uint64_t n, const zs_measure_opts *o,
                               zs_error *err) {
    zs_token_source src;
    zs_measure_source_array(&src, ids, n, "data.npy");
    zs_measure_result r;
    zs_status s = zs_measure_tokens(&src, o, &r, err);
    if (!s) zs_measure_result_free(&r);
    return s;
}

Test(errors, empty_input) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_error err;
    const uint32_t none[1] = {0};
    cr_assert_eq(measure_array(none, 0, &o, &err), ZS_ERR_FORMAT);
    cr_assert_str_eq(err.msg, "data.npy: empty: expected at least one sequence of 256 tokens");
    zs_measure_result r;
    cr_assert_eq(zs_measure_bytes(none, 0, "notes.txt", &o, &r, &err), ZS_ERR_FORMAT);
    cr_assert_str_eq(err.msg, "notes.txt: empty: expected at least one sequence of 1024 bytes");
}

Test(errors, fewer_tokens_than_one_sequence) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_error err;
    uint32_t ids[100] = {0};
    cr_assert_eq(measure_array(ids, 100, &o, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "data.npy: 100 tokens, fewer than one sequence of 256 tokens "
                              "(use a shorter sequence)");
}

Test(errors, bad_level) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_error err;
    uint32_t ids[256] = {0};
    o.gzip_level = 10;
    cr_assert_eq(measure_array(ids, 256, &o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "gzip level 10: expected an integer in 1..9");
    o.gzip_level = 0;
    cr_assert_eq(measure_array(ids, 256, &o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "gzip level 0: expected an integer in 1..9");
    zs_gzip_stream *g;
    cr_assert_eq(zs_gzip_stream_create(&g, -1, &err), ZS_ERR_USAGE);
    cr_assert_null(g);
}

Test(errors, sequence_length_zero) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_error err;
    uint32_t ids[256] = {0};
    o.sequence_tokens = 0;
    cr_assert_eq(measure_array(ids, 256, &o, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "sequence length 0: expected at least 1 token");
}

Test(errors, chunk_bytes_zero) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.chunk_bytes = 0;
    zs_error err;
    zs_measure_result r;
    cr_assert_eq(zs_measure_bytes("abc", 3, "notes.txt", &o, &r, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "chunk size 0 bytes: expected at least 1 byte");
}

Test(errors, id_too_large_for_int32) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_error err;
    uint32_t ids[300] = {0};
    ids[270] = ZS_GZIP_MAX_ID + 1u;
    cr_assert_eq(measure_array(ids, 300, &o, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.msg, "data.npy: token 270: id 2147483648 does not fit the signed 4-byte "
                              "layout of [GZ] (expected an id <= 2147483647)");
}

/* Fails on window reads (4 tokens) from token 32 on; the entropy pass reads more. */
static zs_status failing_read(void *ctx, uint64_t start, uint64_t count, uint32_t *out,
                              zs_error *err) {
    (void)ctx;
    memset(out, 0, count * sizeof *out);
    if (count == 4 && start >= 32)
        return zs_fail(err, ZS_ERR_FORMAT, "failing: read at token %llu",
                       (unsigned long long)start);
    return ZS_OK;
}

/* A failing source reports its own message, that of the first failing window, for any
 * thread count. */
Test(errors, reader_failure_is_reported) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.sequence_tokens = 4;
    o.sample = 0;
    zs_token_source src = {.n_tokens = 4000, .read = failing_read, .name = "failing"};
    for (int threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        zs_error err;
        zs_measure_result r;
        cr_assert_eq(zs_measure_tokens(&src, &o, &r, &err), ZS_ERR_FORMAT);
        cr_assert_str_eq(err.msg, "failing: read at token 32", "threads %d", threads);
        cr_assert_null(r.gzip_ratios, "a failed measure leaves no result behind");
    }
}

/* ---- the command ------------------------------------------------------------------------ */

/* A raw little-endian uint32 token file. */
static const char *write_raw_u32(const char *name, const uint32_t *ids, uint64_t n) {
    const char *path = zs_test_path(name);
    cr_assert_eq(zs_test_write(path, ids, n * sizeof *ids), 0);
    return path;
}

static json_t *file_entry(const char *json_text, int i) {
    json_error_t jerr;
    json_t *doc = json_loads(json_text, 0, &jerr);
    cr_assert(doc, "not JSON (%s): %s", jerr.text, json_text);
    json_t *entry = json_incref(json_array_get(json_object_get(doc, "files"), (size_t)i));
    json_decref(doc);
    cr_assert(entry, "no files[%d] in %s", i, json_text);
    return entry;
}

static double json_num(json_t *obj, const char *path1, const char *path2) {
    json_t *v = json_object_get(obj, path1);
    if (path2) v = json_object_get(v, path2);
    cr_assert(json_is_number(v), "%s.%s is not a number", path1, path2 ? path2 : "");
    return json_number_value(v);
}

Test(cli, json_matches_library_and_any_thread_count) {
    const uint64_t n = 256 * 60 + 100;
    uint32_t *ids = pcfg_like_stream(n, 4);
    const char *path = write_raw_u32("stream.u32", ids, n);
    zs_run one =
        zs_test_cli("gzip '%s' --dtype uint32 --sample 25 --seed 3 --json --threads 1", path);
    zs_run two =
        zs_test_cli("gzip '%s' --dtype uint32 --sample 25 --seed 3 --json --threads 2", path);
    cr_assert_eq(one.exit_code, 0, "stderr: %s", one.err);
    cr_assert_str_eq(one.out, two.out, "output must not depend on --threads");
    zs_token_source src;
    zs_measure_source_array(&src, ids, n, "array");
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    o.sample = 25;
    o.seed = 3;
    zs_measure_result r;
    zs_error err;
    cr_assert_eq(zs_measure_tokens(&src, &o, &r, &err), ZS_OK, "%s", err.msg);
    json_t *f = file_entry(one.out, 0);
    /* JSON carries 10 significant digits. */
    cr_assert_float_eq(json_num(f, "H", NULL), r.gzip.median, 1e-9);
    cr_assert_float_eq(json_num(f, "gzip", "stdev"), r.gzip.stdev, 1e-9);
    cr_assert_float_eq(json_num(f, "zstd", "median"), r.zstd.median, 1e-9);
    cr_assert_float_eq(json_num(f, "unigram_entropy_bits_per_token", NULL), r.entropy_bits, 1e-8);
    cr_assert_eq(json_num(f, "gzip", "n"), 25);
    cr_assert_eq(json_num(f, "sequences_total", NULL), 60);
    cr_assert_eq(json_num(f, "tail_tokens_ignored", NULL), 100);
    zs_run sum = zs_test_sh("sha256sum '%s' | cut -c1-64", path);
    cr_assert_eq(strlen(sum.out), 65, "sha256sum printed: %s", sum.out);
    cr_assert_eq(strncmp(json_string_value(json_object_get(f, "sha256")), sum.out, 64), 0);
    zs_run_free(&sum);
    json_decref(f);
    zs_measure_result_free(&r);
    zs_run_free(&one);
    zs_run_free(&two);
    free(ids);
}

/* A documents x 256 file: the sequences are its rows. Rows alternate between a constant
 * row and a random one, so the ratios tell them apart. */
Test(cli, rows_of_a_2d_file_are_the_sequences) {
    enum { DOCS = 6, CTX = 256 };
    static uint32_t ids[DOCS * CTX];
    zs_rng rng;
    zs_rng_seed(&rng, 2, 0);
    for (int i = 0; i < DOCS * CTX; i++)
        ids[i] = (i / CTX) % 2 ? (uint32_t)zs_rng_below(&rng, 60000) : 17u;
    const char *path = zs_test_path("docs.npy");
    zs_tokens_layout layout = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 2, {DOCS, CTX}};
    zs_error err;
    cr_assert_eq(zs_tokens_write(path, ids, &layout, NULL, &err), ZS_OK, "%s", err.msg);
    zs_run r = zs_test_cli("gzip '%s' --sample 0 --json", path);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    json_t *f = file_entry(r.out, 0);
    cr_assert_eq(json_num(f, "sequences_total", NULL), DOCS);
    cr_assert_eq(json_num(f, "tail_tokens_ignored", NULL), 0);
    double constant = (double)gzip_size_tokens(ids, CTX, 9) / (4 * CTX);
    double random = (double)gzip_size_tokens(ids + CTX, CTX, 9) / (4 * CTX);
    cr_assert_float_eq(json_num(f, "gzip", "min"), constant, 1e-9);
    cr_assert_leq(random, json_num(f, "gzip", "max"));
    json_decref(f);
    zs_run_free(&r);
}

Test(cli, table_bytes_mode_and_output_file) {
    const char *path = zs_test_path("notes.txt");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 300; i++) fprintf(f, "line %d of some notes about gzip\n", i);
    fclose(f);
    const char *out = zs_test_path("table.txt");
    zs_run r = zs_test_cli("gzip --bytes '%s' --chunk-bytes 500 --level 6 -o '%s'", path, out);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", r.err);
    cr_assert_str_eq(r.out, "", "the table goes to -o, not stdout");
    char *table = zs_test_slurp(out, NULL);
    cr_assert(table && strstr(table, "bits/B"), "table: %s", table);
    cr_assert(strstr(table, "sequences of 500 bytes"), "table: %s", table);
    cr_assert(strstr(table, "gzip-6"), "table: %s", table);
    free(table);
    zs_run_free(&r);
}

Test(cli, errors_exit_codes_and_messages) {
    const uint32_t no_ids[1] = {0};
    const char *empty = write_raw_u32("empty.u32", no_ids, 0);
    zs_run r = zs_test_cli("gzip '%s' --bytes", empty);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "empty.u32: empty: expected at least one sequence of 1024 bytes"),
              "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip '%s' --dtype uint32", empty);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "empty.u32: empty: expected at least one sequence of 256 tokens"),
              "stderr: %s", r.err);
    zs_run_free(&r);
    uint32_t ids[100] = {0};
    const char *small = write_raw_u32("small.u32", ids, 100);
    r = zs_test_cli("gzip '%s' --dtype uint32", small);
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(r.err, "small.u32: 100 tokens, fewer than one sequence of 256 tokens"),
              "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip '%s' --dtype uint32 --level 10", small);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale: gzip level 10: expected an integer in 1..9"), "stderr: %s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip '%s' --dtype uint32 --sequence-length 0", small);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "sequence length 0: expected at least 1 token"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip '%s' --bytes --dtype uint16", small);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--dtype reads token files; --bytes reads bytes"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip");
    cr_assert_eq(r.exit_code, 2, "a file is required");
    zs_run_free(&r);
}

Test(errors, entropy_of_nothing) {
    zs_error err;
    double bits;
    uint64_t distinct;
    const uint32_t none[1] = {0};
    zs_token_source src;
    zs_measure_source_array(&src, none, 0, "empty.npy");
    cr_assert_eq(zs_measure_entropy_tokens(&src, &bits, &distinct, &err), ZS_ERR_FORMAT);
    cr_assert_str_eq(err.msg, "empty.npy: no tokens: expected at least one");
    cr_assert_eq(zs_measure_entropy_bytes(none, 0, &bits, &distinct, &err), ZS_ERR_FORMAT);
    cr_assert_str_eq(err.msg, "entropy of 0 bytes: expected at least one byte");
}

/* The file entry point measures exactly what the array entry point does on the same ids,
 * and reports the file's format and dtype. */
Test(measure_file, same_result_as_the_array_and_reports_layout) {
    enum { DOCS = 40, CONTEXT = 256 };
    uint32_t *ids = malloc(DOCS * CONTEXT * sizeof *ids);
    for (size_t i = 0; i < DOCS * CONTEXT; i++) ids[i] = (uint32_t)((i * 7919u) % 300u);
    const char *path = zs_test_path("file_vs_array.npy");
    zs_tokens_layout layout = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 2, {DOCS, CONTEXT}};
    zs_error err;
    cr_assert_eq(zs_tokens_write(path, ids, &layout, NULL, &err), ZS_OK, "%s", err.msg);
    zs_measure_opts opts;
    zs_measure_opts_init(&opts);
    opts.sample = 25;
    zs_measure_result from_file, from_array;
    zs_token_format format;
    zs_dtype dtype;
    cr_assert_eq(zs_measure_token_file(path, NULL, &opts, &from_file, &format, &dtype, &err), ZS_OK,
                 "%s", err.msg);
    cr_assert_eq(format, ZS_FORMAT_NPY);
    cr_assert_eq(dtype, ZS_DTYPE_U16);
    zs_token_source src;
    zs_measure_source_array(&src, ids, DOCS * CONTEXT, "array");
    cr_assert_eq(zs_measure_tokens(&src, &opts, &from_array, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(from_file.gzip.n, 25);
    for (size_t i = 0; i < from_file.gzip.n; i++)
        cr_assert_eq(from_file.gzip_ratios[i], from_array.gzip_ratios[i], "window %zu", i);
    cr_assert_eq(from_file.entropy_bits, from_array.entropy_bits);
    zs_measure_result_free(&from_file);
    zs_measure_result_free(&from_array);
    /* A raw file needs its dtype. */
    const char *raw = zs_test_path("file_vs_array.raw");
    zs_tokens_layout raw_layout = {ZS_FORMAT_RAW, ZS_DTYPE_U16, 1, {DOCS * CONTEXT, 0}};
    cr_assert_eq(zs_tokens_write(raw, ids, &raw_layout, NULL, &err), ZS_OK, "%s", err.msg);
    cr_assert_neq(zs_measure_token_file(raw, NULL, &opts, &from_file, NULL, NULL, &err), ZS_OK);
    cr_assert(strstr(err.msg, "dtype"), "%s", err.msg);
    cr_assert_eq(zs_measure_token_file(raw, "uint16", &opts, &from_file, NULL, NULL, &err), ZS_OK,
                 "%s", err.msg);
    zs_measure_result_free(&from_file);
    free(ids);
}

/* ---- the gzip results file (zs_gzipfile) ------------------------------------------------ */

static void gzipfile_rejects(const char *json, const char *expected) {
    const char *path = zs_test_path("bad_gzip.json");
    cr_assert_eq(zs_test_write(path, json, strlen(json)), 0);
    zs_gzipfile gf;
    zs_error err = {0};
    cr_assert_neq(zs_gzipfile_read(&gf, path, &err), ZS_OK, "accepted %s", json);
    cr_assert(strstr(err.msg, expected), "%s: got \"%s\", expected \"%s\"", json, err.msg,
              expected);
    cr_assert_eq(gf.n_files, 0);
    cr_assert_null(gf.files);
}

Test(gzipfile, reader_names_the_bad_field) {
    gzipfile_rejects("[1]", "expected a JSON object");
    gzipfile_rejects("{\"command\":\"predict\"}", "not a gzip results file");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[]}", "files: expected a non-empty array");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"H\":0.5,\"tokens\":3}]}",
                     "files[0].file: expected a string");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":3},"
                     "{\"file\":\"b\",\"H\":\"x\",\"tokens\":3}]}",
                     "files[1].H: expected a number");
    gzipfile_rejects(
        "{\"command\":\"gzip\",\"files\":[{\"file\":\"a.n\",\"H\":0.5,\"tokens\":-1}]}",
        "files[0].tokens: expected a non-negative integer");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":2.5}]}",
                     "files[0].tokens: expected a non-negative integer");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5}]}",
                     "files[0].tokens: expected a non-negative integer");
    gzipfile_rejects("{\"command\":\"gzip\",\"options\":{\"mode\":\"bytes\"},"
                     "\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":3}]}",
                     "files[0].bytes: expected a non-negative integer");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":3,"
                     "\"gzip_ratios\":[0.5,null]}]}",
                     "files[0].gzip_ratios[1]: expected a number");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":3,"
                     "\"sequences_total\":\"9\"}]}",
                     "files[0].sequences_total: expected a non-negative integer");
    gzipfile_rejects("{\"command\":\"gzip\",\"files\":[{\"file\":\"a\",\"H\":0.5,\"tokens\":3,"
                     "\"unigram_entropy_bits_per_token\":null}]}",
                     "files[0].unigram_entropy_bits_per_token: expected a number");
    gzipfile_rejects("{\"command\":\"gzip\",\"options\":{\"seed\":-3},\"files\":[]}",
                     "options.seed: expected a non-negative integer");
}

Test(gzipfile, written_file_reads_back) {
    static double ratios[] = {0.25, 0.5, 0.75};
    zs_gzipfile gf = {.sample = 3, .seed = 7, .window = 256, .gzip_level = 9};
    zs_gzipfile_entry e = {
        .file = "data/x.npy", .sha256 = "ab", .format = "npy", .dtype = "uint16"};
    e.result.units_total = 1000;
    e.result.gzip.n = 3;
    e.result.gzip.median = 0.5;
    e.result.gzip_ratios = ratios;
    e.result.entropy_bits = 3.5;
    e.result.windows_total = 3;
    e.result.distinct_symbols = 11;
    gf.files = &e;
    gf.n_files = 1;
    const char *path = zs_test_path("gzip.json");
    zs_error err = {0};
    cr_assert_eq(zs_gzipfile_write(&gf, path, &err), ZS_OK, "%s", err.msg);
    zs_gzipfile back;
    cr_assert_eq(zs_gzipfile_read(&back, path, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(back.n_files, 1);
    cr_assert_eq(back.seed, 7);
    cr_assert_eq(back.window, 256);
    cr_assert_str_eq(back.files[0].file, "data/x.npy");
    cr_assert_str_eq(back.files[0].sha256, "ab");
    cr_assert_str_eq(back.files[0].dtype, "uint16");
    cr_assert_eq(back.files[0].result.units_total, 1000);
    cr_assert_eq(back.files[0].result.gzip.median, 0.5);
    cr_assert_eq(back.files[0].result.entropy_bits, 3.5);
    cr_assert_eq(back.files[0].result.windows_total, 3);
    cr_assert_eq(back.files[0].result.distinct_symbols, 11);
    cr_assert_eq(back.files[0].result.gzip.n, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(back.files[0].result.gzip_ratios[i], ratios[i]);
    zs_gzipfile_free(&back);
}

Test(gzipfile, report_rejects_negative_tokens) {
    const char *json =
        "{\"command\":\"gzip\",\"files\":[{\"file\":\"a.n\",\"H\":0.5,\"tokens\":-1}]}";
    const char *path = zs_test_path("g.json");
    cr_assert_eq(zs_test_write(path, json, strlen(json)), 0);
    zs_run r = zs_test_cli("report %s -o %s", path, zs_test_path("r.html"));
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "files[0].tokens"), "%s", r.err);
    zs_run_free(&r);
}

/* The error contract: free accepts NULL and a zeroed struct; the writer never prints. */
Test(contract, measure_free_accepts_null_and_zeroed) {
    zs_gzip_stream_free(NULL);
    zs_zstd_stream_free(NULL);
    zs_measure_result_free(NULL);
    zs_gzipfile_free(NULL);
    zs_measure_result r = {0};
    zs_measure_result_free(&r);
    zs_gzipfile gf = {0};
    zs_gzipfile_free(&gf);
    zs_error err;
    cr_assert_eq(zs_gzipfile_write(&gf, NULL, &err), ZS_ERR_USAGE);
    cr_assert_eq(zs_gzipfile_read(&gf, "/nonexistent/gzip.json", &err), ZS_ERR_IO);
    cr_assert_eq(gf.n_files, 0);
}
