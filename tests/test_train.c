/* The train library below the CLI: which window each batch row reads (the documented
 * formulas, the held-out split, per-epoch permutations), parity batches from a fixed
 * set, the option checks' messages, the progress line, eval's refusal of an MLP
 * checkpoint, and the data-parallel pieces that need no MPI (the ranks' shares, resume's
 * refusal of another number of ranks, a NULL group). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "train/train_internal.h"

enum { VOCAB = 97 };

/* A 1-D token file whose token i is i mod 97, so every window's content is known. */
static const char *counting_file(uint64_t n_tokens) {
    const char *path = zs_test_path("count.npy");
    uint32_t *ids = malloc(n_tokens * sizeof *ids);
    for (uint64_t i = 0; i < n_tokens; i++) ids[i] = (uint32_t)(i % VOCAB);
    zs_tokens_layout layout = {ZS_FORMAT_NPY, ZS_DTYPE_U16, 1, {n_tokens, 0}};
    zs_error err = {0};
    cr_assert_eq(zs_tokens_write(path, ids, &layout, NULL, &err), ZS_OK, "%s", err.msg);
    free(ids);
    return path;
}

static zs_train_opts gpt_options(const char *data) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.gpt.context = 16;
    o.data_path = data;
    o.steps = 10;
    o.out_dir = zs_test_tmpdir();
    return o;
}

Test(train_windows, sequential_rows_read_the_documented_windows) {
    /* 1001 tokens, T = 10: 100 windows; val fraction 0.15 holds out ceil(15) = 15. */
    zs_train_opts o = gpt_options(counting_file(1001));
    o.order = ZS_ORDER_SEQUENTIAL;
    o.val_fraction = 0.15;
    o.eval_tokens = 45;
    zs_train_windows w;
    zs_error err = {0};
    cr_assert_eq(zs_train_windows_open(&w, &o, 10, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(w.n_train, 85);
    cr_assert_eq(w.val_first, 85);
    cr_assert_eq(w.n_eval, 5); /* ceil(45 / 10) */
    cr_assert_eq(w.data_vocab, VOCAB);
    uint32_t inputs[3 * 10], targets[3 * 10];
    /* Step 30, micro-step 1 of A = 2, B = 3: samples (30·2 + 1)·3 = 183.. -> windows 13.. */
    cr_assert_eq(zs_train_windows_batch(&w, 183, 3, inputs, targets, &err), ZS_OK, "%s", err.msg);
    for (uint64_t b = 0; b < 3; b++)
        for (uint64_t t = 0; t < 10; t++) {
            uint64_t window = (183 + b) % 85;
            cr_assert_eq(inputs[b * 10 + t], (window * 10 + t) % VOCAB);
            cr_assert_eq(targets[b * 10 + t], (window * 10 + t + 1) % VOCAB);
        }
    zs_train_windows_close(&w);
}

Test(train_windows, shuffled_epochs_are_seeded_permutations_of_the_training_windows) {
    zs_train_opts o = gpt_options(counting_file(1001));
    o.val_fraction = 0.15;
    o.seed = 7;
    zs_train_windows w, again;
    zs_error err = {0};
    cr_assert_eq(zs_train_windows_open(&w, &o, 10, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_train_windows_open(&again, &o, 10, &err), ZS_OK, "%s", err.msg);
    uint64_t first[85];
    int moved = 0, epochs_differ = 0;
    for (uint64_t epoch = 0; epoch < 3; epoch++) {
        int seen[85] = {0};
        for (uint64_t pos = 0; pos < 85; pos++) {
            uint64_t window = zs_train_windows_index(&w, epoch * 85 + pos);
            cr_assert_lt(window, 85, "a held-out window was trained on");
            seen[window]++;
            if (epoch == 0) first[pos] = window;
            moved |= window != pos;
            epochs_differ |= epoch > 0 && window != first[pos];
        }
        for (int i = 0; i < 85; i++)
            cr_assert_eq(seen[i], 1, "epoch %llu: window %d", (unsigned long long)epoch, i);
    }
    cr_assert(moved && epochs_differ);
    /* Any access order gives the same windows (the permutation is a function of the epoch). */
    for (uint64_t sample = 3 * 85; sample-- > 0;)
        cr_assert_eq(zs_train_windows_index(&again, sample), zs_train_windows_index(&w, sample));
    zs_train_windows_close(&w);
    zs_train_windows_close(&again);
}

Test(train_parity, a_fixed_training_set_is_cycled_in_order) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.kind = ZS_MODEL_MLP;
    o.parity = (zs_parity_spec){4, 10, 3, 1.0, 3};
    o.train_size = 10;
    o.batch = 4;
    o.test_size = 8;
    o.eval_per_subtask = 2;
    zs_train_parity p;
    zs_error err = {0};
    cr_assert_eq(zs_train_parity_open(&p, &o, &err), ZS_OK, "%s", err.msg);
    /* Step 3, micro-step 1 of A = 2: rows (3·2 + 1)·4 = 28.. mod 10 = 8, 9, 0, 1. */
    cr_assert_eq(zs_train_parity_batch(&p, 3, 1, 4, 2, &err), ZS_OK, "%s", err.msg);
    const uint64_t rows[4] = {8, 9, 0, 1};
    for (int b = 0; b < 4; b++) {
        cr_assert_eq(p.step_batch.subtask[b], p.train_set.subtask[rows[b]]);
        cr_assert_eq(p.step_batch.label[b], p.train_set.label[rows[b]]);
        cr_assert_eq(p.step_batch.bits[b], p.train_set.bits[rows[b]]);
    }
    /* The per-subtask sets hold their subtask only. */
    for (uint64_t r = 0; r < 8; r++) cr_assert_eq(p.subtask_set.subtask[r], r / 2);
    zs_train_parity_close(&p);
}

/* The check fails with `message`, records `field` in err.field and names no CLI flag. */
static void check_fails(const zs_train_opts *o, const char *field, const char *message) {
    zs_error err = {0};
    cr_assert_eq(zs_train_opts_check(o, &err), ZS_ERR_USAGE, "expected '%s'", message);
    cr_assert_str_eq(err.msg, message);
    cr_assert_str_eq(err.field, field);
    cr_assert_null(strstr(err.msg, "--"), "%s", err.msg);
}

Test(train_options, each_check_names_its_field) {
    zs_train_opts o = gpt_options("d.npy");
    zs_error err = {0};
    cr_assert_eq(zs_train_opts_check(&o, &err), ZS_OK, "%s", err.msg);
    o.accum = 0;
    check_fails(&o, "accum", "accum: expected at least 1, got 0");
    o = gpt_options("d.npy");
    o.log_every = 0;
    check_fails(&o, "log_every", "log_every: expected at least 1 step, got 0");
    o = gpt_options("d.npy");
    o.grad_clip = -1;
    check_fails(&o, "grad_clip", "grad_clip: expected a norm >= 0 (0 = none), got -1");
    o = gpt_options("d.npy");
    o.out_dir = NULL;
    check_fails(&o, "out_dir", "out_dir: the output directory is missing");
    o = gpt_options(NULL);
    check_fails(&o, "data_path", "data_path: the training token file is missing");
    o = gpt_options("d.npy");
    o.model.gpt.context = 0;
    check_fails(&o, "context", "context: expected at least 1 token, got 0");
    o = gpt_options("d.npy");
    o.eval_tokens = 0;
    check_fails(&o, "eval_tokens", "eval_tokens: expected at least 1, got 0");
    o = gpt_options("d.npy");
    o.steps = 0;
    check_fails(&o, "tokens,steps", "the run's length is missing: give tokens or steps");
    o = gpt_options("d.npy");
    o.adamw.beta1 = 1;
    check_fails(&o, "beta1", "adamw: beta1 = 1: expected 0 <= beta1 < 1");
    o = gpt_options("d.npy");
    o.early_stop_patience = 3;
    o.dump_token_losses = "x.npy";
    check_fails(&o, "dump_token_losses",
                "dump_token_losses: the dump is of the planned last evaluation, which early "
                "stopping may skip: use one or the other");
    o = gpt_options(NULL);
    o.model.kind = ZS_MODEL_MLP;
    o.test_size = 0;
    check_fails(&o, "test_size", "test_size: expected at least 1 example, got 0");
    o.test_size = 10;
    o.eval_per_subtask = 0;
    check_fails(&o, "eval_per_subtask", "eval_per_subtask: expected at least 1 example, got 0");
    o.eval_per_subtask = 10;
    o.dump_token_losses = "x.npy";
    check_fails(&o, "dump_token_losses", "dump_token_losses: only for a GPT (model.kind gpt)");
}

Test(train_options, names_parse_and_print) {
    zs_data_order order;
    zs_error err = {0};
    cr_assert_eq(zs_data_order_parse("sequential", &order, &err), ZS_OK);
    cr_assert_eq(order, ZS_ORDER_SEQUENTIAL);
    cr_assert_str_eq(zs_data_order_name(ZS_ORDER_SHUFFLED), "shuffled");
    cr_assert_str_eq(zs_train_status_name(ZS_TRAIN_HALTED), "halted");
    cr_assert_str_eq(zs_train_status_name(ZS_TRAIN_DIVERGED), "diverged");
}

Test(train_run, progress_line_and_a_finished_run_resumes_to_itself) {
    zs_train_opts o = gpt_options(counting_file(4001));
    o.model.gpt = (zs_gpt_config){0, 16, 16, 1, 1, 32};
    o.steps = 3;
    o.batch = 2;
    char out[1024];
    snprintf(out, sizeof out, "%s/run", zs_test_tmpdir());
    o.out_dir = out;
    FILE *progress = tmpfile();
    o.progress = progress;
    zs_train_result r, again;
    zs_error err = {0};
    cr_assert_eq(zs_train_run(&o, &r, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(r.status, ZS_TRAIN_COMPLETED);
    cr_assert_eq(r.tokens, 3 * 2 * 16);
    char text[1024] = {0};
    rewind(progress);
    size_t n = fread(text, 1, sizeof text - 1, progress);
    fclose(progress);
    cr_assert_gt(n, 0);
    cr_assert(strstr(text, "\rstep 3/3  loss "), "%s", text);
    cr_assert(strstr(text, " tok/s  ETA 0s"), "%s", text);
    /* Resuming a completed run takes no step and reports the same losses. */
    o.progress = NULL;
    o.resume = out;
    cr_assert_eq(zs_train_run(&o, &again, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(again.steps, 3);
    cr_assert_eq(again.final_val_loss, r.final_val_loss);
    cr_assert_eq(again.min_val_loss, r.min_val_loss);
}

Test(train_eval, refuses_an_mlp_checkpoint) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.kind = ZS_MODEL_MLP;
    o.model.mlp = (zs_mlp_config){0, 0, 8, 1};
    o.parity = (zs_parity_spec){2, 6, 2, 1.0, 0};
    o.steps = 2;
    o.test_size = 10;
    o.eval_per_subtask = 4;
    char out[1024];
    snprintf(out, sizeof out, "%s/mlp", zs_test_tmpdir());
    o.out_dir = out;
    zs_train_result r;
    zs_error err = {0};
    cr_assert_eq(zs_train_run(&o, &r, &err), ZS_OK, "%s", err.msg);
    double loss;
    uint64_t tokens;
    cr_assert_eq(
        zs_train_eval_file(out, counting_file(100), 0, ZS_PRECISION_FP32, 1, &loss, &tokens, &err),
        ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "mlp/checkpoint.safetensors: model mlp; eval scores GPT "
                              "checkpoints"),
              "%s", err.msg);
}

/* An untrained MLP checkpoint (2 tasks, 6 bits) with the given metadata. */
static const char *mlp_checkpoint(const zs_safetensors_meta *meta, size_t n_meta) {
    zs_model_config cfg = {.kind = ZS_MODEL_MLP, .mlp = {2, 6, 8, 1}};
    zs_mlp *mlp;
    zs_error err = {0};
    cr_assert_eq(zs_mlp_create(&mlp, &cfg.mlp, 4, 1, &err), ZS_OK, "%s", err.msg);
    zs_mlp_draw_weights(mlp, 1);
    const char *path = zs_test_path("plain.safetensors");
    cr_assert_eq(zs_checkpoint_write(path, &cfg, zs_mlp_get_layout(mlp), zs_mlp_params(mlp), NULL,
                                     meta, n_meta, &err),
                 ZS_OK, "%s", err.msg);
    zs_mlp_free(mlp);
    return path;
}

static void eval_parity_fails(const char *path, const char *message) {
    double loss, *subtask = NULL;
    uint64_t n;
    zs_error err = {0};
    cr_assert_eq(zs_train_eval_parity(path, 1, &loss, &subtask, &n, &err), ZS_ERR_FORMAT);
    cr_assert(strstr(err.msg, message), "expected '%s' in: %s", message, err.msg);
    cr_assert_null(subtask);
}

Test(train_eval, parity_refuses_checkpoints_without_the_runs_options) {
    eval_parity_fails(mlp_checkpoint(NULL, 0),
                      "plain.safetensors: metadata 'train.options': expected the run's options "
                      "as a JSON object");
    zs_safetensors_meta no_k = {"train.options",
                                "{\"tasks\": 2, \"bits\": 6, \"zipf_exponent\": 1.0}"};
    eval_parity_fails(
        mlp_checkpoint(&no_k, 1),
        "plain.safetensors: metadata 'train.options': field 'k': expected an integer");
    zs_safetensors_meta no_zipf = {"train.options",
                                   "{\"tasks\": 2, \"bits\": 6, \"k\": 2, \"seed\": 0, "
                                   "\"test_size\": 8, \"eval_per_subtask\": 2}"};
    eval_parity_fails(mlp_checkpoint(&no_zipf, 1), "field 'zipf_exponent': expected a number");
    zs_safetensors_meta other_task = {
        "train.options", "{\"tasks\": 3, \"bits\": 6, \"k\": 2, \"seed\": 0, \"test_size\": 8, "
                         "\"eval_per_subtask\": 2, \"zipf_exponent\": 1.0}"};
    eval_parity_fails(mlp_checkpoint(&other_task, 1),
                      "the model's inputs (2 tasks, 6 bits) do not match its stored task (3, 6)");
}

Test(train_options, compare_names_the_first_difference) {
    json_t *now = json_pack("{s:i, s:s, s:i}", "batch", 8, "data", "a.npy", "threads", 2);
    zs_error err = {0};
    /* File names and threads may change; the rest may not. */
    cr_assert_eq(zs_train_options_compare(
                     "c", "{\"batch\": 8, \"data\": \"b.npy\", \"threads\": 1}", now, &err),
                 ZS_OK, "%s", err.msg);
    cr_assert_eq(zs_train_options_compare("c", "{\"batch\": 4}", now, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "c: cannot resume: option batch differs (the checkpoint's run had 4, "
                              "this run has 8)");
    cr_assert_eq(zs_train_options_compare("c", "{\"batch\": 8, \"seed\": 1}", now, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "c: cannot resume: option seed differs (the checkpoint's run had it, "
                              "this run has none)");
    cr_assert_eq(zs_train_options_compare("c", "[1]", now, &err), ZS_ERR_FORMAT);
    cr_assert_str_eq(err.msg, "c: metadata 'train.options': expected the run's options as a JSON "
                              "object");
    json_decref(now);
}

/* The data-parallel options: the number of ranks compared first, with its own message
 * (absent = one process); the ranks' shares of an evaluation. */
Test(train_options, compare_refuses_another_number_of_ranks) {
    json_t *one = json_pack("{s:i}", "batch", 8);
    json_t *two = json_pack("{s:i, s:i}", "batch", 8, "ranks", 2);
    zs_error err = {0};
    cr_assert_eq(zs_train_options_compare("c", "{\"batch\": 8, \"ranks\": 2}", two, &err), ZS_OK,
                 "%s", err.msg);
    cr_assert_eq(zs_train_options_compare("c", "{\"batch\": 8, \"ranks\": 2}", one, &err),
                 ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "c: cannot resume: the checkpoint's run was trained on 2 "
                              "data-parallel ranks, this run has 1; resume it on 2 ranks (mpirun "
                              "-np 2), as exact resume needs the same gradient sums");
    cr_assert_eq(zs_train_options_compare("c", "{\"batch\": 8}", two, &err), ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "c: cannot resume: the checkpoint's run was trained on 1 "
                              "data-parallel rank, this run has 2; resume it in one process "
                              "(without mpirun), as exact resume needs the same gradient sums");
    json_decref(one);
    json_decref(two);
}

Test(train_comm, shares_cover_every_item_once_in_order) {
    for (int size = 1; size <= 9; size++)
        for (uint64_t n = 0; n <= 40; n++) {
            uint64_t next = 0, lo = UINT64_MAX, hi = 0;
            for (int r = 0; r < size; r++) {
                uint64_t first, count;
                zs_train_share(n, r, size, &first, &count);
                cr_assert_eq(first, next, "n %llu, %d ranks: rank %d starts at %llu",
                             (unsigned long long)n, size, r, (unsigned long long)first);
                next = first + count;
                lo = count < lo ? count : lo;
                hi = count > hi ? count : hi;
            }
            cr_assert_eq(next, n, "n %llu, %d ranks: the shares end at %llu", (unsigned long long)n,
                         size, (unsigned long long)next);
            cr_assert_leq(hi - lo, 1, "n %llu, %d ranks: shares of %llu and %llu",
                          (unsigned long long)n, size, (unsigned long long)lo,
                          (unsigned long long)hi);
        }
}

/* Without MPI (a NULL group) every collective is a no-op and the run is one process. */
Test(train_comm, a_null_group_is_one_process) {
    cr_assert_eq(zs_comm_size(NULL), 1);
    cr_assert_eq(zs_comm_rank(NULL), 0);
    cr_assert_eq(zs_comm_parallel(NULL), 0);
    float g[3] = {1, 2, 3};
    zs_error err = {0};
    cr_assert_eq(zs_comm_sum_f32(NULL, g, 3, &err), ZS_OK);
    cr_assert_eq(g[0] + g[1] + g[2], 6);
    cr_assert_eq(zs_comm_agree(NULL, ZS_ERR_IO, &err), ZS_ERR_IO);
    cr_assert_eq(zs_comm_check_same(NULL, g, 3, 0, &err), ZS_OK);
    /* Not launched by mpirun here (ctest is not): the CLI would not start MPI. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_RANK") &&
        !getenv("PMI_SIZE"))
        cr_assert_eq(zs_comm_launched(), 0);
    zs_comm_free(NULL);
}

/* A parity MLP that overfits a 2000-example set within a few hundred steps, so its
 * held-out loss turns up and early stopping fires. */
static zs_train_opts overfitting_mlp(const char *dir) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.kind = ZS_MODEL_MLP;
    o.model.mlp = (zs_mlp_config){0, 0, 128, 1};
    o.parity = (zs_parity_spec){20, 20, 3, 1.4, 0};
    o.train_size = 2000;
    o.batch = 200;
    o.steps = 6000;
    o.adamw.weight_decay = 0;
    o.eval_every = 50;
    o.log_every = 50;
    o.test_size = 2000;
    o.eval_per_subtask = 50;
    o.early_stop_patience = 5;
    o.early_stop_after = 500;
    o.out_dir = dir;
    return o;
}

/* The evaluations' (step, val_loss) from a log.jsonl; returns how many. */
static size_t read_evals(const char *dir, uint64_t *steps, double *losses, size_t max) {
    char path[1100];
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[65536];
    size_t n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        const char *v = strstr(line, "\"val_loss\":");
        const char *s = strstr(line, "\"step\":");
        if (!v || !s) continue;
        steps[n] = strtoull(s + 7, NULL, 10);
        losses[n++] = strtod(v + 11, NULL);
    }
    fclose(f);
    return n;
}

Test(train_run, early_stopping_ends_at_the_documented_evaluation_and_resumes_exactly) {
    char dir[1024], halted[1024];
    snprintf(dir, sizeof dir, "%s/es", zs_test_tmpdir());
    snprintf(halted, sizeof halted, "%s/es-halted", zs_test_tmpdir());
    zs_train_opts o = overfitting_mlp(dir);
    zs_train_result r, again;
    zs_error err = {0};
    cr_assert_eq(zs_train_run(&o, &r, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(r.status, ZS_TRAIN_COMPLETED);
    cr_assert(r.stopped_early);
    cr_assert_lt(r.steps, o.steps);

    /* The rule, recomputed from the log: the first evaluation after step 500 whose loss is
       the 5th rise in a row is the last one, and the run ends there. */
    enum { MAX = 200 };
    uint64_t steps[MAX];
    double losses[MAX];
    size_t n = read_evals(dir, steps, losses, MAX);
    cr_assert_gt(n, 6);
    size_t rises = 0, stop = 0;
    for (size_t i = 0; i < n && !stop; i++) {
        rises = i > 0 && losses[i] > losses[i - 1] ? rises + 1 : 0;
        if (rises >= 5 && steps[i] > 500) stop = i + 1;
    }
    cr_assert_eq(stop, n, "stopped after %zu evaluations, the rule says %zu", n, stop);
    cr_assert_eq(steps[n - 1], r.steps);
    double min = losses[0];
    for (size_t i = 1; i < n; i++) min = losses[i] < min ? losses[i] : min;
    cr_assert_eq(r.min_val_loss, min);

    /* Halted before the stop and resumed: the same run, bit for bit. */
    zs_train_opts h = overfitting_mlp(halted);
    h.halt_after = r.steps - 100;
    cr_assert_eq(zs_train_run(&h, &again, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(again.status, ZS_TRAIN_HALTED);
    h.halt_after = 0;
    h.resume = halted;
    cr_assert_eq(zs_train_run(&h, &again, &err), ZS_OK, "%s", err.msg);
    cr_assert(again.stopped_early);
    cr_assert_eq(again.steps, r.steps);
    cr_assert_eq(again.final_val_loss, r.final_val_loss);
    cr_assert_eq(again.min_val_loss, r.min_val_loss);
    uint64_t steps2[MAX];
    double losses2[MAX];
    cr_assert_eq(read_evals(halted, steps2, losses2, MAX), n);
    for (size_t i = 0; i < n; i++) cr_assert_eq(losses2[i], losses[i], "evaluation %zu", i);

    /* A stopped run resumed takes no further step. */
    o.resume = dir;
    cr_assert_eq(zs_train_run(&o, &again, &err), ZS_OK, "%s", err.msg);
    cr_assert(again.stopped_early);
    cr_assert_eq(again.steps, r.steps);
    cr_assert_eq(again.final_val_loss, r.final_val_loss);
}

/* The stop flag (what a preemption signal sets): the run checkpoints at the step it has
 * reached (here the first: the flag is already set), ends "halted", and resumed reaches the
 * uninterrupted run's numbers bit for bit. */
Test(train_run, a_stop_request_checkpoints_at_the_current_step_and_resumes_exactly) {
    char full[1024], stopped[1024], ckpt[1100];
    snprintf(full, sizeof full, "%s/full", zs_test_tmpdir());
    snprintf(stopped, sizeof stopped, "%s/stopped", zs_test_tmpdir());
    zs_train_opts o = gpt_options(counting_file(4001));
    o.model.gpt = (zs_gpt_config){0, 16, 16, 1, 1, 32};
    o.steps = 7;
    o.batch = 2;
    o.eval_every = 3;
    o.checkpoint_every = 0; /* only at the end: a checkpoint before it is the stop's */
    o.out_dir = full;
    zs_train_result r, s;
    zs_error err = {0};
    cr_assert_eq(zs_train_run(&o, &r, &err), ZS_OK, "%s", err.msg);
    volatile sig_atomic_t stop = 1;
    o.out_dir = stopped;
    o.stop = &stop;
    cr_assert_eq(zs_train_run(&o, &s, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(s.status, ZS_TRAIN_HALTED);
    cr_assert_eq(s.steps, 1);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.safetensors", stopped);
    cr_assert_eq(access(ckpt, F_OK), 0, "no checkpoint at the stop");
    stop = 0;
    o.resume = stopped;
    cr_assert_eq(zs_train_run(&o, &s, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(s.status, ZS_TRAIN_COMPLETED);
    cr_assert_eq(s.steps, 7);
    cr_assert_eq(s.final_val_loss, r.final_val_loss);
    cr_assert_eq(s.min_val_loss, r.min_val_loss);
}
