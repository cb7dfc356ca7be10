/* Benchmark of the Chinchilla fitter: the full 4,500-start fit of a 250-point synthetic
 * table (a 10 x 25 sweep of N and D drawn from [EP]'s law with 1% log-normal noise), in
 * process and as a whole `zipscale fit` process (best of 3, the zipscale next to this
 * program), 1,000 bootstrap refits, and scipy's L-BFGS-B on the same table through the
 * peer when /usr/bin/python3 has scipy. Prints seconds and the ratios; not part of
 * `make test`. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zipscale/fit.h"

enum { SIZES_N = 10, SIZES_D = 25, POINTS = SIZES_N * SIZES_D, REPLICATES = 1000 };

static double gaussian(zs_rng *rng) {
    double u1 = zs_rng_uniform(rng), u2 = zs_rng_uniform(rng);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

static double n_params[POINTS], n_tokens[POINTS], loss_nats[POINTS];

static void make_table(void) {
    const zs_chinchilla law = {1.817, 482.01, 2085.43, 0.3478, 0.3659};
    zs_rng rng;
    zs_rng_seed(&rng, 1, zs_rng_tag("bench.fit"));
    for (int i = 0; i < SIZES_N; i++)
        for (int j = 0; j < SIZES_D; j++) {
            int k = i * SIZES_D + j;
            n_params[k] = 1e7 * pow(1e3, i / (SIZES_N - 1.0));
            n_tokens[k] = 1e9 * pow(1e3, j / (SIZES_D - 1.0));
            loss_nats[k] =
                zs_chinchilla_loss(&law, n_params[k], n_tokens[k]) * exp(0.01 * gaussian(&rng));
        }
}

static int write_csv(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "N,D,loss\n");
    for (int k = 0; k < POINTS; k++)
        fprintf(f, "%.17g,%.17g,%.17g\n", n_params[k], n_tokens[k], loss_nats[k]);
    return fclose(f);
}

/* Seconds of the whole `zipscale fit CSV` process (start-up, reading, the fit, law.json),
 * best of 3, with the zipscale built next to this program; -1 when it cannot run. */
static double run_cli(const char *csv) {
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    char cmd[2304];
    snprintf(cmd, sizeof cmd, "%s/zipscale fit %s -o /tmp/zipscale_bench_fit.json >/dev/null", exe,
             csv);
    double best = -1;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = omp_get_wtime();
        if (system(cmd) != 0) return -1;
        double s = omp_get_wtime() - t0;
        if (best < 0 || s < best) best = s;
    }
    remove("/tmp/zipscale_bench_fit.json");
    return best;
}

/* Runs the scipy peer on the table; returns its seconds, or -1 when it cannot run. */
static double run_peer(const char *csv) {
    const char *dir = getenv("ZS_PEERS_DIR");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import scipy' 2>/dev/null && /usr/bin/python3 "
             "%s/chinchilla_scipy_peer.py %s",
             dir ? dir : ZS_SOURCE_DIR "/../shared/peers", csv);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[1024] = "";
    double seconds = -1;
    if (fgets(line, sizeof line, p)) {
        printf("scipy peer:      %s", line);
        const char *at = strstr(line, "seconds=");
        if (at) seconds = atof(at + 8);
    }
    pclose(p);
    return seconds;
}

int main(void) {
    make_table();
    size_t rows[POINTS];
    for (size_t k = 0; k < POINTS; k++) rows[k] = k;
    zs_fit_data data;
    zs_error err;
    if (zs_fit_data_init(&data, n_params, n_tokens, loss_nats, NULL, rows, POINTS, &err)) {
        fprintf(stderr, "bench_fit: %s\n", err.msg);
        return 1;
    }
    zs_fit_opts opts;
    zs_fit_opts_init(&opts);
    int threads = zs_threads_resolve(0);
    double t0 = omp_get_wtime();
    zs_fit_result fit;
    if (zs_fit_chinchilla(&data, &opts, NULL, 0, &fit, &err)) {
        fprintf(stderr, "bench_fit: %s\n", err.msg);
        return 1;
    }
    double full_s = omp_get_wtime() - t0;
    printf("zipscale full grid: %zu starts, %d points, %d threads: %.3f s\n",
           zs_fit_grid_size(&opts.grid), POINTS, threads, full_s);
    printf("  A=%.2f B=%.2f E=%.4f alpha=%.4f beta=%.4f obj=%.6g converged=%d start=%zu\n",
           fit.law.A, fit.law.B, fit.law.E, fit.law.alpha, fit.law.beta, fit.objective,
           fit.converged, fit.start_index);
    t0 = omp_get_wtime();
    zs_bootstrap boot;
    if (zs_fit_bootstrap(&data, &opts, &fit, NULL, REPLICATES, 0, 0.95, &boot, &err)) {
        fprintf(stderr, "bench_fit: %s\n", err.msg);
        return 1;
    }
    double boot_s = omp_get_wtime() - t0;
    zs_fit_grid coarse;
    zs_fit_grid_coarse(&coarse);
    size_t coarse_starts = zs_fit_grid_size(&coarse);
    printf("zipscale bootstrap: %d refits (optimum + %zu-start coarse grid), %d threads: %.2f s\n",
           REPLICATES, coarse_starts, threads, boot_s);
    zs_bootstrap_free(&boot);
    zs_fit_data_free(&data);
    const char *csv = "/tmp/zipscale_bench_fit.csv";
    if (write_csv(csv) == 0) {
        double cli_s = run_cli(csv);
        if (cli_s > 0)
            printf("zipscale fit, whole process (best of 3), %d threads: %.3f s\n", threads, cli_s);
        double peer_s = run_peer(csv);
        if (peer_s > 0) {
            printf("ratio scipy / zipscale (full grid, in process): %.0fx\n", peer_s / full_s);
            if (cli_s > 0)
                printf("ratio scipy / zipscale (full grid, whole process): %.0fx\n",
                       peer_s / cli_s);
        }
        remove(csv);
    }
    return 0;
}
