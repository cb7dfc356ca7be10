/* Data-parallel training under a real `mpirun -np 2` (Open MPI; never a mock): the two-rank
 * run sees the single-process run's examples at every step, so its loss curve equals the
 * single-process curve to float rounding (the gradient sums' order differs), for the parity
 * MLP and a tiny GPT; two two-rank runs are identical bit for bit; a two-rank run halted
 * and resumed on two ranks equals the uninterrupted one; the split evaluation equals one
 * process's to the bit; resume on another number of ranks, and a batch that does not
 * split, are refused with a message. A missing mpirun fails the tests, saying so.
 * Under the sanitizer build these tests are skipped: Open MPI's allocations at MPI_Init
 * are reported as leaks by LeakSanitizer (docs/testing.md). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/figures.h"

/* The largest relative gaps allowed between the single-process and the two-rank curves:
 * losses (train, val, per subtask) and the gradient norm, which moves more. Measured (the
 * worst record of these tests' runs): losses 9.5e-8 (GPT, 40 steps) and 2.1e-8 (parity,
 * 60 steps), gradient norm 1.3e-6 (GPT) and 8.6e-8 (parity). A wrong split (a rank
 * training on the other's rows, a gradient not divided by the ranks) is off by 1e-3 or
 * more. */
#define LOSS_REL_TOL 1e-5
#define NORM_REL_TOL 1e-4

static char dir_buf[8][1024];

/* <tmpdir>/name in one of eight rotating buffers. */
static const char *at(const char *name) {
    static int slot;
    char *p = dir_buf[slot++ % 8];
    snprintf(p, 1024, "%s/%s", zs_test_tmpdir(), name);
    return p;
}

/* `mpirun -np ranks zipscale train <args>` (as root too, on any number of cores, and in
 * containers that forbid the cross-process reads of Open MPI's single-copy transfers). */
static zs_run mpi_train(int ranks, const char *args) {
    return zs_test_sh("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                      "OMPI_MCA_btl_vader_single_copy_mechanism=none %s --oversubscribe "
                      "--bind-to none -np %d %s train %s",
                      ZS_MPIEXEC, ranks, ZS_CLI_PATH, args);
}

static void mpi_train_ok(int ranks, const char *args) {
    zs_run r = mpi_train(ranks, args);
    cr_assert_eq(r.exit_code, 0, "mpirun -np %d zipscale train %s:\n%s%s", ranks, args, r.out,
                 r.err);
    zs_run_free(&r);
}

static void train_ok(const char *args) {
    zs_run r = zs_test_cli("train %s", args);
    cr_assert_eq(r.exit_code, 0, "zipscale train %s: %s", args, r.err);
    zs_run_free(&r);
}

static void read_log(const char *dir, zs_trainlog *log) {
    char path[1200];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    zs_error err = {0};
    cr_assert_eq(zs_trainlog_read(log, path, &err), ZS_OK, "%s", err.msg);
}

static double rel_gap(double a, double b) {
    return a == b ? 0 : fabs(a - b) / fmax(fabs(a), fabs(b)); /* 0 vs 0 is no gap */
}

static int same_bits(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The two logs have the same records, step, tokens and lr exactly, train and val loss
 * within tol relative and the gradient norm within norm_tol (0, 0: bit for bit); returns
 * the largest loss gap. */
static double logs_close(const char *dir_a, const char *dir_b, double tol, double norm_tol) {
    zs_trainlog x, y;
    read_log(dir_a, &x);
    read_log(dir_b, &y);
    cr_assert_eq(x.n, y.n, "%s has %zu records, %s %zu", dir_a, x.n, dir_b, y.n);
    double worst = 0;
    for (size_t i = 0; i < x.n; i++) {
        cr_assert(same_bits(x.step[i], y.step[i]) && same_bits(x.tokens[i], y.tokens[i]) &&
                      same_bits(x.lr[i], y.lr[i]),
                  "record %zu: step/tokens/lr differ", i);
        cr_assert_eq(isnan(x.val_loss[i]), isnan(y.val_loss[i]), "record %zu: val_loss", i);
        double g[3] = {rel_gap(x.train_loss[i], y.train_loss[i]),
                       rel_gap(x.grad_norm[i], y.grad_norm[i]),
                       isnan(x.val_loss[i]) ? 0 : rel_gap(x.val_loss[i], y.val_loss[i])};
        for (int k = 0; k < 3; k++) {
            double t = k == 1 ? norm_tol : tol;
            cr_assert(g[k] <= t, "step %g: %s %.17g vs %.17g (gap %.3g > %.3g)", x.step[i],
                      k == 0   ? "train_loss"
                      : k == 1 ? "grad_norm"
                               : "val_loss",
                      k == 0   ? x.train_loss[i]
                      : k == 1 ? x.grad_norm[i]
                               : x.val_loss[i],
                      k == 0   ? y.train_loss[i]
                      : k == 1 ? y.grad_norm[i]
                               : y.val_loss[i],
                      g[k], t);
            if (k != 1 && g[k] > worst) worst = g[k];
        }
    }
    zs_trainlog_free(&x);
    zs_trainlog_free(&y);
    return worst;
}

static void same_file(const char *a, const char *b) {
    size_t la, lb;
    char *x = zs_test_slurp(a, &la), *y = zs_test_slurp(b, &lb);
    cr_assert(x && y, "cannot read %s or %s", a, b);
    cr_assert(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

static json_t *metrics(const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    cr_assert(m, "%s: %s", path, jerr.text);
    return m;
}

#define PARITY                                                                                     \
    "--model mlp --task parity --tasks 3 --bits 12 --k 3 --width 64 --steps 60 --batch 32 "        \
    "--grad-accum 2 --eval-every 20 --lr 3e-3 --test-size 2000 --eval-per-subtask 200 --seed 1 "   \
    "--checkpoint-every 10"

Test(train_mpi, parity_two_ranks_equal_one_process) {
    zs_test_need_mpirun();
    char args[2048];
    const char *one = at("par1"), *two = at("par2"), *np1 = at("par_np1");
    snprintf(args, sizeof args, PARITY " -o %s", one);
    train_ok(args);
    snprintf(args, sizeof args, PARITY " -o %s", two);
    mpi_train_ok(2, args);
    double worst = logs_close(one, two, LOSS_REL_TOL, NORM_REL_TOL);
    cr_log_info("parity: largest relative gap, 1 vs 2 ranks: %.3g", worst);
    /* The per-subtask losses of the last evaluation, and the options: ranks recorded. */
    json_t *m1 = metrics(one), *m2 = metrics(two);
    json_t *s1 = json_object_get(m1, "subtasks"), *s2 = json_object_get(m2, "subtasks");
    cr_assert_eq(json_array_size(s1), 3);
    cr_assert_eq(json_array_size(s2), 3);
    for (size_t i = 0; i < 3; i++) {
        double a = json_number_value(json_object_get(json_array_get(s1, i), "loss"));
        double b = json_number_value(json_object_get(json_array_get(s2, i), "loss"));
        cr_assert(rel_gap(a, b) <= LOSS_REL_TOL, "subtask %zu: %.17g vs %.17g", i, a, b);
    }
    /* The split evaluation is one process's: `zipscale eval` recomputes it to the bit. */
    double final = json_number_value(json_object_get(m2, "final_val_loss"));
    zs_run e = zs_test_cli("eval %s --json", two);
    cr_assert_eq(e.exit_code, 0, "%s", e.err);
    json_t *ej = parse_json(e.out);
    double evald = json_number_value(json_object_get(ej, "test_loss_nats"));
    cr_assert(same_bits(evald, final), "eval %.17g, the run's final val loss %.17g", evald, final);
    json_decref(ej);
    zs_run_free(&e);
    json_t *o2 = json_object_get(m2, "options");
    cr_assert_eq(json_integer_value(json_object_get(o2, "ranks")), 2);
    cr_assert_null(json_object_get(json_object_get(m1, "options"), "ranks"));
    cr_assert_eq(json_integer_value(json_object_get(m2, "examples")), 60 * 64);
    json_decref(m1);
    json_decref(m2);
    /* mpirun -np 1 is the single-process trainer: the same bytes. */
    snprintf(args, sizeof args, PARITY " -o %s", np1);
    mpi_train_ok(1, args);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/checkpoint.safetensors", one);
    snprintf(b, sizeof b, "%s/checkpoint.safetensors", np1);
    same_file(a, b);
}

#define GPT                                                                                        \
    "--data %s --val %s --context 32 --d-model 32 --layers 1 --heads 2 --batch 8 --lr 3e-3 "       \
    "--eval-every 10 --eval-tokens 1024 --seed 1 --steps 40"

/* A grammar, d.npy (training, 24576 tokens in rows of 32) and v.npy (held out). */
static void make_data(void) {
    char grammar[1024], data[1024], val[1024];
    snprintf(grammar, sizeof grammar, "%s", at("g.pcfg"));
    snprintf(data, sizeof data, "%s", at("d.npy"));
    snprintf(val, sizeof val, "%s", at("v.npy"));
    zs_run r = zs_test_cli("pcfg generate --nonterminals 10 --terminals 20 --max-options 3 "
                           "--max-length 4 --seed 1 -o %s",
                           grammar);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s --tokens 24576 --context 32 --seed 1 -o %s", grammar, data);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("pcfg sample %s --tokens 4096 --context 32 --seed 2 -o %s", grammar, val);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
}

Test(train_mpi, gpt_two_ranks_equal_one_process_and_evaluate_exactly) {
    zs_test_need_mpirun();
    make_data();
    char data[1024], val[1024], args[4096], dump[1200];
    snprintf(data, sizeof data, "%s", at("d.npy"));
    snprintf(val, sizeof val, "%s", at("v.npy"));
    const char *one = at("gpt1"), *two = at("gpt2");
    snprintf(args, sizeof args, GPT " -o %s", data, val, one);
    train_ok(args);
    snprintf(dump, sizeof dump, "%s/tl.npy", zs_test_tmpdir());
    snprintf(args, sizeof args, GPT " -o %s --dump-token-losses %s", data, val, two, dump);
    mpi_train_ok(2, args);
    double worst = logs_close(one, two, LOSS_REL_TOL, NORM_REL_TOL);
    cr_log_info("gpt: largest relative gap, 1 vs 2 ranks: %.3g", worst);
    /* The split evaluation is one process's: `zipscale eval` of the two-rank checkpoint on
       the same windows gives its final val loss to the bit. */
    json_t *m = metrics(two);
    double final = json_number_value(json_object_get(m, "final_val_loss"));
    json_decref(m);
    zs_run r = zs_test_cli("eval %s --data %s --eval-tokens 1024 --json", two, val);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *e = parse_json(r.out);
    double evald = json_number_value(json_object_get(e, "loss_nats"));
    cr_assert(same_bits(evald, final), "eval %.17g, the run's final val loss %.17g", evald, final);
    json_decref(e);
    zs_run_free(&r);
    /* Rank 0 wrote the per-token dump, its mean the final val loss. */
    char side[1300];
    snprintf(side, sizeof side, "%s.json", dump);
    json_error_t jerr;
    json_t *j = json_load_file(side, 0, &jerr);
    cr_assert(j, "%s: %s", side, jerr.text);
    json_decref(j);
}

Test(train_mpi, two_rank_runs_are_bit_identical) {
    zs_test_need_mpirun();
    make_data();
    char data[1024], val[1024], args[4096];
    snprintf(data, sizeof data, "%s", at("d.npy"));
    snprintf(val, sizeof val, "%s", at("v.npy"));
    const char *a = at("run_a"), *b = at("run_b");
    snprintf(args, sizeof args, GPT " -o %s", data, val, a);
    mpi_train_ok(2, args);
    snprintf(args, sizeof args, GPT " -o %s", data, val, b);
    mpi_train_ok(2, args);
    logs_close(a, b, 0, 0);
    char x[1200], y[1200];
    snprintf(x, sizeof x, "%s/checkpoint.safetensors", a);
    snprintf(y, sizeof y, "%s/checkpoint.safetensors", b);
    same_file(x, y);
}

Test(train_mpi, halted_two_rank_run_resumed_on_two_ranks_equals_uninterrupted) {
    zs_test_need_mpirun();
    char args[2048];
    const char *full = at("full"), *part = at("part");
    snprintf(args, sizeof args, PARITY " -o %s", full);
    mpi_train_ok(2, args);
    snprintf(args, sizeof args, PARITY " --halt-after 25 -o %s", part);
    mpi_train_ok(2, args);
    json_t *m = metrics(part);
    cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "halted");
    json_decref(m);
    snprintf(args, sizeof args, PARITY " --resume %s", part);
    mpi_train_ok(2, args);
    logs_close(full, part, 0, 0);
    char x[1200], y[1200];
    snprintf(x, sizeof x, "%s/checkpoint.safetensors", full);
    snprintf(y, sizeof y, "%s/checkpoint.safetensors", part);
    same_file(x, y);
}

Test(train_mpi, refuses_another_number_of_ranks_and_a_batch_that_does_not_split) {
    zs_test_need_mpirun();
    char args[2048];
    const char *two = at("refuse2"), *one = at("refuse1");
    snprintf(args, sizeof args, PARITY " --steps 20 --halt-after 10 -o %s", two);
    mpi_train_ok(2, args);
    snprintf(args, sizeof args, PARITY " --steps 20 --halt-after 10 -o %s", one);
    train_ok(args);
    /* A two-rank checkpoint in one process. */
    snprintf(args, sizeof args, "train " PARITY " --steps 20 --resume %s", two);
    zs_run r = zs_test_cli("%s", args);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    cr_assert(strstr(r.err, "cannot resume: the checkpoint's run was trained on 2 data-parallel "
                            "ranks, this run has 1; resume it on 2 ranks (mpirun -np 2)"),
              "%s", r.err);
    zs_run_free(&r);
    /* A one-process checkpoint on two ranks: rank 0 says it once, every rank exits 2. */
    snprintf(args, sizeof args, PARITY " --steps 20 --resume %s", one);
    r = mpi_train(2, args);
    cr_assert_neq(r.exit_code, 0);
    const char *msg = "cannot resume: the checkpoint's run was trained on 1 data-parallel rank, "
                      "this run has 2; resume it in one process (without mpirun)";
    const char *hit = strstr(r.err, msg);
    cr_assert(hit, "%s", r.err);
    cr_assert_null(strstr(hit + 1, msg), "said more than once:\n%s", r.err);
    zs_run_free(&r);
    /* Neither refusal touched the runs: both still halted at step 10. */
    json_t *m = metrics(two);
    cr_assert_eq(json_integer_value(json_object_get(m, "steps")), 10);
    json_decref(m);
    /* batch 33 over 2 ranks. */
    snprintf(args, sizeof args, PARITY " --batch 33 -o %s", at("odd"));
    r = mpi_train(2, args);
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(r.err, "--batch: batch 33: not a multiple of the 2 data-parallel ranks"), "%s",
              r.err);
    zs_run_free(&r);
    cr_assert_neq(access(at("odd"), F_OK), 0, "a refused run created its directory");
}

/* Rank 0 alone owns the run directory, so only it can fail to write there: the other rank
 * hears of it and stops too, with the same status, and the message is said once. At the
 * start (the directory) and at the end (the per-token dump of the last evaluation). */
Test(train_mpi, a_failure_on_rank_zero_stops_every_rank_said_once) {
    zs_test_need_mpirun();
    char args[4096];
    snprintf(args, sizeof args, PARITY " --steps 20 -o /dev/null/run");
    zs_run r = mpi_train(2, args);
    cr_assert_neq(r.exit_code, 0);
    const char *msg = "zipscale: /dev/null/run: cannot create the output directory";
    const char *hit = strstr(r.err, msg);
    cr_assert(hit, "%s", r.err);
    cr_assert_null(strstr(hit + 1, msg), "said more than once:\n%s", r.err);
    /* mpirun names a rank that exited non-zero: with the agreed error, rank 1 did too. */
    zs_run_free(&r);
    make_data();
    char data[1024], val[1024];
    snprintf(data, sizeof data, "%s", at("d.npy"));
    snprintf(val, sizeof val, "%s", at("v.npy"));
    const char *dir = at("dump_fails");
    snprintf(args, sizeof args, GPT " -o %s --dump-token-losses /nonexistent/x.npy", data, val,
             dir);
    r = mpi_train(2, args);
    cr_assert_neq(r.exit_code, 0);
    msg = "zipscale: /nonexistent/x.npy: cannot create";
    hit = strstr(r.err, msg);
    cr_assert(hit, "%s", r.err);
    cr_assert_null(strstr(hit + 1, msg), "said more than once:\n%s", r.err);
    zs_run_free(&r);
    /* The run stopped at its last step's evaluation, before metrics.json. */
    char metrics_path[1200];
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.json", dir);
    cr_assert_neq(access(metrics_path, F_OK), 0, "metrics.json written after a failure");
}

/* SIGUSR1 to mpirun (Slurm's time-limit warning; mpirun forwards it to every rank) halts
 * both ranks at one step, agreed in the step's loss sum, with one checkpoint; the run exits
 * 128 + 10, and resumed on two ranks equals the uninterrupted two-rank run bit for bit. */
#define LONG_PARITY                                                                                \
    "--model mlp --task parity --tasks 3 --bits 12 --k 3 --width 32 --steps 8000 --batch 16 "      \
    "--eval-every 5000 --test-size 500 --eval-per-subtask 50 --lr 3e-3 --seed 2 --log-every 10"

Test(train_mpi, a_stop_signal_halts_every_rank_at_one_step_and_resumes_exactly) {
    zs_test_need_mpirun();
    const char *cut = at("sig"), *full = at("sig-full");
    zs_run r = zs_test_sh("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                          "OMPI_MCA_btl_vader_single_copy_mechanism=none %s --oversubscribe "
                          "--bind-to none -np 2 %s train " LONG_PARITY " -o '%s' & pid=$!; "
                          "while [ ! -s '%s/log.jsonl' ]; do sleep 0.01; done; kill -USR1 $pid; "
                          "wait $pid",
                          ZS_MPIEXEC, ZS_CLI_PATH, cut, cut);
    cr_assert_eq(r.exit_code, 128 + 10, "exit %d: %s", r.exit_code, r.err);
    cr_assert(strstr(r.err, "checkpoint written at step "), "%s", r.err);
    zs_run_free(&r);
    json_t *m = metrics(cut);
    cr_assert_str_eq(json_string_value(json_object_get(m, "status")), "halted");
    cr_assert_lt(json_number_value(json_object_get(m, "steps")), 8000);
    json_decref(m);
    char args[2048];
    snprintf(args, sizeof args, LONG_PARITY " --resume %s", cut);
    mpi_train_ok(2, args);
    snprintf(args, sizeof args, LONG_PARITY " -o %s", full);
    mpi_train_ok(2, args);
    logs_close(cut, full, 0, 0);
    char x[1200], y[1200];
    snprintf(x, sizeof x, "%s/checkpoint.safetensors", cut);
    snprintf(y, sizeof y, "%s/checkpoint.safetensors", full);
    same_file(x, y);
}
