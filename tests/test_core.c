/* Tests for module core (RNG streams, alias tables, atomic files, maps) and for the
 * command's shared conventions (help, version, exit codes). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "zipscale/zipscale.h" /* the umbrella header must compile on its own */

Test(rng, same_seed_and_stream_same_sequence) {
    zs_rng a, b, c;
    zs_rng_seed(&a, 42, 7);
    zs_rng_seed(&b, 42, 7);
    zs_rng_seed(&c, 42, 8);
    int differs = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = zs_rng_u64(&a);
        cr_assert_eq(x, zs_rng_u64(&b));
        differs += x != zs_rng_u64(&c);
    }
    cr_assert_gt(differs, 990, "streams 7 and 8 should be unrelated");
}

/* Chi-square goodness of fit: 10 bins, 9 dof; P(chi2 > 27.88) = 0.001. */
Test(rng, below_is_uniform) {
    zs_rng r;
    zs_rng_seed(&r, 1, 0);
    long counts[10] = {0};
    const long n = 200000;
    for (long i = 0; i < n; i++) {
        uint64_t v = zs_rng_below(&r, 10);
        cr_assert_lt(v, 10);
        counts[v]++;
    }
    double chi2 = 0;
    for (int i = 0; i < 10; i++) chi2 += pow(counts[i] - n / 10.0, 2) / (n / 10.0);
    cr_assert_lt(chi2, 27.88, "chi2 = %g", chi2);
}

Test(rng, uniform_in_unit_interval) {
    zs_rng r;
    zs_rng_seed(&r, 3, 0);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = zs_rng_uniform(&r);
        cr_assert(u >= 0 && u < 1);
        sum += u;
    }
    /* mean of 1e5 uniforms: sd = sqrt(1/12/1e5) = 9.1e-4; allow 5 sd */
    cr_assert_lt(fabs(sum / 100000 - 0.5), 5 * 9.1e-4);
}

Test(alias, matches_weights) {
    const double w[5] = {1, 0, 3, 6, 10};
    zs_alias t;
    zs_error err;
    cr_assert_eq(zs_alias_init(&t, w, 5, &err), ZS_OK);
    zs_rng r;
    zs_rng_seed(&r, 9, 0);
    long counts[5] = {0};
    const long n = 400000;
    for (long i = 0; i < n; i++) counts[zs_alias_draw(&t, &r)]++;
    cr_assert_eq(counts[1], 0, "a zero-weight outcome must never be drawn");
    double chi2 = 0;
    for (int i = 0; i < 5; i++) {
        if (w[i] == 0) continue;
        double e = n * w[i] / 20.0;
        chi2 += pow(counts[i] - e, 2) / e;
    }
    /* 3 dof; P(chi2 > 16.27) = 0.001 */
    cr_assert_lt(chi2, 16.27, "chi2 = %g", chi2);
    zs_alias_free(&t);
}

Test(alias, rejects_bad_weights) {
    zs_alias t;
    zs_error err;
    const double neg[2] = {1, -1}, zero[2] = {0, 0}, nan_w[2] = {1, NAN};
    cr_assert_eq(zs_alias_init(&t, neg, 2, &err), ZS_ERR_RANGE);
    cr_assert(strstr(err.msg, "weight 1"));
    cr_assert_eq(zs_alias_init(&t, zero, 2, &err), ZS_ERR_RANGE);
    cr_assert_eq(zs_alias_init(&t, nan_w, 2, &err), ZS_ERR_RANGE);
}

Test(file, atomic_commit_and_abort) {
    const char *path = zs_test_path("atomic.txt");
    zs_error err;
    cr_assert_eq(zs_write_file_atomic(path, "first", 5, &err), ZS_OK);
    zs_atomic_file f;
    cr_assert_eq(zs_atomic_open(&f, path, &err), ZS_OK);
    fputs("second, never committed", f.fp);
    zs_atomic_abort(&f);
    size_t len;
    char *text = zs_test_slurp(path, &len);
    cr_assert_str_eq(text, "first", "an aborted write must leave the old file untouched");
    free(text);
    zs_run r = zs_test_sh("ls -A '%s' | grep -c tmp || true", zs_test_tmpdir());
    cr_assert_str_eq(r.out, "0\n", "no temporary file may be left behind");
    zs_run_free(&r);
}

Test(file, atomic_open_in_missing_dir_fails_with_path) {
    zs_atomic_file f;
    zs_error err;
    cr_assert_eq(zs_atomic_open(&f, "/nonexistent-dir/x.npy", &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent-dir/x.npy"), "message: %s", err.msg);
}

Test(file, mmap_reads_whole_file) {
    const char *path = zs_test_path("map.bin");
    cr_assert_eq(zs_test_write(path, "abcdef", 6), 0);
    zs_mmap m;
    zs_error err;
    cr_assert_eq(zs_mmap_open(&m, path, &err), ZS_OK);
    cr_assert_eq(m.size, 6);
    cr_assert_eq(memcmp(m.data, "abcdef", 6), 0);
    zs_mmap_close(&m);
    cr_assert_eq(zs_mmap_open(&m, zs_test_path("missing"), &err), ZS_ERR_IO);
    cr_assert(strstr(err.msg, "missing: cannot open"), "message: %s", err.msg);
}

/* ---- SHA-256 against sha256sum ---- */

Test(sha256, matches_sha256sum_at_block_boundaries) {
    const size_t lengths[] = {0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100000};
    enum { N_LENGTHS = sizeof lengths / sizeof lengths[0] };
    unsigned char *data = malloc(100000);
    for (size_t i = 0; i < 100000; i++) data[i] = (unsigned char)(i * 2654435761u >> 13);
    for (int k = 0; k < N_LENGTHS; k++) {
        char name[32];
        snprintf(name, sizeof name, "h%02d", k);
        cr_assert_eq(zs_test_write(zs_test_path(name), data, lengths[k]), 0);
    }
    zs_run r = zs_test_sh("cd '%s' && sha256sum h??", zs_test_tmpdir());
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    const char *line = r.out;
    for (int k = 0; k < N_LENGTHS; k++) {
        char hex[65];
        zs_sha256_hex(data, lengths[k], hex);
        cr_assert_eq(strncmp(line, hex, 64), 0, "length %zu: ours %s, sha256sum %.64s", lengths[k],
                     hex, line);
        /* streaming in uneven pieces gives the same digest */
        zs_sha256 h;
        unsigned char digest[32];
        zs_sha256_init(&h);
        for (size_t at = 0, step = 1; at < lengths[k]; at += step, step = step * 2 + 1)
            zs_sha256_update(&h, data + at, at + step <= lengths[k] ? step : lengths[k] - at);
        zs_sha256_final(&h, digest);
        char streamed[65];
        for (int i = 0; i < 32; i++) snprintf(streamed + 2 * i, 3, "%02x", digest[i]);
        cr_assert_str_eq(streamed, hex, "length %zu", lengths[k]);
        line = strchr(line, '\n') + 1;
    }
    zs_run_free(&r);
    free(data);
}

Test(sha256, file_digest_matches_buffer_digest) {
    const char *path = zs_test_path("digest.bin");
    cr_assert_eq(zs_test_write(path, "abc", 3), 0);
    char hex[65];
    zs_error err;
    cr_assert_eq(zs_sha256_file(path, hex, &err), ZS_OK);
    /* FIPS 180-4 example: SHA-256("abc") */
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(zs_sha256_file(zs_test_path("absent"), hex, &err), ZS_ERR_IO);
}

Test(cli, version_and_help) {
    zs_run r = zs_test_cli("--version");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "zipscale " ZS_VERSION_STRING));
    zs_run_free(&r);
    r = zs_test_cli("help");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "pcfg sample") && strstr(r.out, "gzip"));
    zs_run_free(&r);
    r = zs_test_cli("help pcfg sample");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "usage: zipscale pcfg sample"));
    zs_run_free(&r);
    r = zs_test_cli("pcfg generate --help");
    cr_assert_eq(r.exit_code, 0);
    cr_assert(strstr(r.out, "usage: zipscale pcfg generate"));
    zs_run_free(&r);
}

Test(cli, usage_errors_exit_2) {
    zs_run r = zs_test_cli("frobnicate");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "unknown command 'frobnicate'"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg frobnicate");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "unknown subcommand 'frobnicate'"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("gzip --no-such-option x");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "unknown option '--no-such-option'"), "stderr: %s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("%s", "");
    cr_assert_eq(r.exit_code, 2);
    zs_run_free(&r);
}

Test(path, stem_drops_folders_and_last_extension) {
    static const char *const cases[][2] = {
        {"a.npy", "a"},         {"runs/x/a.v2.npy", "a.v2"}, {"noext", "noext"},
        {".hidden", ".hidden"}, {"dir.d/file", "file"},      {"/abs/b.json", "b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *stem = zs_path_stem(cases[i][0]);
        cr_assert_str_eq(stem, cases[i][1], "%s", cases[i][0]);
        free(stem);
    }
}

/* Found by fuzzing (issue 14): a level of 5 gave p = -2, a negative position cast to
 * uint64 (undefined behaviour). Out-of-range p clamps to the extremes. */
Test(stats, quantile_clamps_p_outside_zero_one) {
    const double v[4] = {1, 2, 4, 8};
    cr_assert_eq(zs_quantile_sorted(v, 4, 0.5), 3);
    cr_assert_eq(zs_quantile_sorted(v, 4, 0), 1);
    cr_assert_eq(zs_quantile_sorted(v, 4, 1), 8);
    cr_assert_eq(zs_quantile_sorted(v, 4, -2), 1);
    cr_assert_eq(zs_quantile_sorted(v, 4, 3), 8);
    cr_assert_eq(zs_quantile_sorted(v, 4, NAN), 1);
    cr_assert_eq(zs_quantile_sorted(v, 4, -INFINITY), 1);
    cr_assert_eq(zs_quantile_sorted(v, 4, INFINITY), 8);
    cr_assert_eq(zs_quantile_sorted(v, 1, 0.7), 1);
}

/* The error contract, rule 4: free and close accept NULL and a zeroed struct. */
Test(contract, core_free_and_close_accept_null_and_zeroed) {
    zs_alias_free(NULL);
    zs_mmap_close(NULL);
    zs_atomic_abort(NULL);
    zs_alias table = {0};
    zs_alias_free(&table);
    zs_mmap map = {0};
    zs_mmap_close(&map);
    zs_atomic_file file = {0};
    zs_atomic_abort(&file);
}

/* Rule 3: a failed call leaves its outputs empty. */
Test(contract, core_failures_leave_outputs_empty) {
    zs_error err;
    char hex[65] = "x";
    cr_assert_eq(zs_sha256_file("/nonexistent/zipscale", hex, &err), ZS_ERR_IO);
    cr_assert_str_eq(hex, "");
    zs_summary s = {.n = 7};
    cr_assert_eq(zs_summarize(NULL, 0, &s, &err), ZS_ERR_RANGE);
    cr_assert_eq(s.n, 0);
    zs_alias t;
    double w[2] = {0, 0};
    cr_assert_eq(zs_alias_init(&t, w, 2, &err), ZS_ERR_RANGE);
    cr_assert_null(t.threshold);
}
