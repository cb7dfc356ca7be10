/* `zipscale train`: grows one model — the Llama-style GPT on a token file, or the MLP on
 * multitask sparse parity — with zs_train_run, writing log.jsonl, metrics.json and
 * checkpoint.safetensors into the output directory. A thin client of zipscale/train.h;
 * the guide is docs/training.md. */
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/json.h"
#include "zipscale/train.h"

static struct {
    const char *model, *task, *data, *val, *order, *precision, *schedule, *output, *resume, *dump;
    uint64_t vocab, context, d_model, layers, heads, mlp_hidden;
    uint64_t tasks, bits, k, width, depth, train_size, test_size, per_subtask;
    double zipf_exponent, val_fraction, lr, lr_min, beta1, beta2, eps, weight_decay, grad_clip;
    uint64_t tokens, steps, batch, accum, warmup, decay, eval_every, eval_tokens, log_every;
    uint64_t checkpoint_every, halt_after, early_stop_patience, early_stop_after, seed;
    int threads, json;
} a;

/* The library's defaults (zs_train_opts_init), which the help shows. */
static void train_defaults(void) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    const zs_gpt_config *g = &o.model.gpt;
    memset(&a, 0, sizeof a);
    a.model = zs_model_kind_name(o.model.kind);
    a.order = zs_data_order_name(o.order);
    a.precision = zs_precision_name(o.precision);
    a.schedule = zs_lr_kind_name(o.schedule.kind);
    a.vocab = g->vocab, a.context = g->context, a.d_model = g->d_model, a.layers = g->layers;
    a.heads = g->heads; /* mlp_hidden 0: ZS_GPT_MLP_HIDDEN_PER_D_MODEL x --d-model */
    a.tasks = o.parity.n_tasks, a.bits = o.parity.n_bits, a.k = o.parity.k;
    a.zipf_exponent = o.parity.zipf_exponent, a.seed = o.parity.seed;
    a.width = o.model.mlp.width, a.depth = o.model.mlp.depth;
    a.train_size = o.train_size, a.test_size = o.test_size, a.per_subtask = o.eval_per_subtask;
    a.val_fraction = o.val_fraction, a.eval_tokens = o.eval_tokens;
    a.lr = o.schedule.lr_max, a.lr_min = o.schedule.lr_min;
    a.warmup = o.schedule.warmup_steps, a.decay = o.schedule.decay_steps;
    a.beta1 = o.adamw.beta1, a.beta2 = o.adamw.beta2, a.eps = o.adamw.eps;
    a.weight_decay = o.adamw.weight_decay, a.grad_clip = o.grad_clip;
    a.tokens = o.tokens, a.steps = o.steps, a.batch = o.batch, a.accum = o.accum;
    a.eval_every = o.eval_every, a.log_every = o.log_every;
    a.checkpoint_every = o.checkpoint_every, a.halt_after = o.halt_after;
    a.early_stop_patience = o.early_stop_patience, a.early_stop_after = o.early_stop_after;
    a.threads = o.threads;
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const zs_opt train_opts[] = {
    {"model", 0, ZS_OPT_STRING, &a.model, "gpt|mlp", "the model"},
    {"data", 0, ZS_OPT_STRING, &a.data, "FILE", "GPT: the training token file (.npy, .bin, raw)"},
    {"val", 0, ZS_OPT_STRING, &a.val, "FILE", "GPT: a held-out token file (else --val-fraction)"},
    {"val-fraction", 0, ZS_OPT_DOUBLE, &a.val_fraction, "F",
     "GPT: hold out the last ceil(F x windows) windows of --data"},
    {"data-order", 0, ZS_OPT_STRING, &a.order, "ORDER",
     "GPT: shuffled (a seeded permutation per epoch) or sequential"},
    {"vocab", 0, ZS_OPT_U64, &a.vocab, "V", "GPT: vocabulary (default: the data's)"},
    {"context", 0, ZS_OPT_U64, &a.context, "T", "GPT: tokens per sequence"},
    {"d-model", 0, ZS_OPT_U64, &a.d_model, "C", "GPT: residual width"},
    {"layers", 0, ZS_OPT_U64, &a.layers, "L", "GPT: blocks"},
    {"heads", 0, ZS_OPT_U64, &a.heads, "H", "GPT: attention heads"},
    {"mlp", 0, ZS_OPT_U64, &a.mlp_hidden, "M",
     "GPT: SwiGLU hidden width (default: " STR(ZS_GPT_MLP_HIDDEN_PER_D_MODEL) " x d-model)"},
    {"task", 0, ZS_OPT_STRING, &a.task, "parity", "MLP: the task (parity)"},
    {"tasks", 0, ZS_OPT_U64, &a.tasks, "N", "MLP: parity subtasks"},
    {"bits", 0, ZS_OPT_U64, &a.bits, "N", "MLP: task bits"},
    {"k", 0, ZS_OPT_U64, &a.k, "K", "MLP: bits per subtask"},
    {"zipf-exponent", 0, ZS_OPT_DOUBLE, &a.zipf_exponent, "E",
     "MLP: subtask frequencies p_i ~ i^-E"},
    {"width", 0, ZS_OPT_U64, &a.width, "W", "MLP: hidden width"},
    {"depth", 0, ZS_OPT_U64, &a.depth, "D", "MLP: hidden layers"},
    {"train-size", 0, ZS_OPT_U64, &a.train_size, "D",
     "MLP: a fixed training set of D examples, cycled (default: online, fresh each step)"},
    {"test-size", 0, ZS_OPT_U64, &a.test_size, "M", "MLP: test examples per evaluation"},
    {"eval-per-subtask", 0, ZS_OPT_U64, &a.per_subtask, "N",
     "MLP: examples per subtask for the per-subtask losses"},
    {"tokens", 0, ZS_OPT_U64, &a.tokens, "N",
     "train on N tokens (examples for MLP): steps = ceil(N / (batch x accum x T)); no default"},
    {"steps", 0, ZS_OPT_U64, &a.steps, "S", "train for S steps instead; no default"},
    {"batch", 0, ZS_OPT_U64, &a.batch, "B", "sequences (examples) per micro-step"},
    {"grad-accum", 0, ZS_OPT_U64, &a.accum, "A", "micro-steps per step"},
    {"lr", 0, ZS_OPT_DOUBLE, &a.lr, "LR", "peak learning rate"},
    {"lr-min", 0, ZS_OPT_DOUBLE, &a.lr_min, "LR", "final learning rate of cosine/wsd"},
    {"schedule", 0, ZS_OPT_STRING, &a.schedule, "KIND", "constant, cosine or wsd"},
    {"warmup", 0, ZS_OPT_U64, &a.warmup, "S", "linear warm-up steps"},
    {"decay-steps", 0, ZS_OPT_U64, &a.decay, "S", "wsd: steps of the final decay"},
    {"beta1", 0, ZS_OPT_DOUBLE, &a.beta1, "B1", "AdamW beta1"},
    {"beta2", 0, ZS_OPT_DOUBLE, &a.beta2, "B2", "AdamW beta2"},
    {"eps", 0, ZS_OPT_DOUBLE, &a.eps, "EPS", "AdamW epsilon"},
    {"weight-decay", 0, ZS_OPT_DOUBLE, &a.weight_decay, "WD",
     "AdamW decoupled weight decay, not on norm gains"},
    {"grad-clip", 0, ZS_OPT_DOUBLE, &a.grad_clip, "NORM", "clip the global gradient norm; 0 = off"},
    {"precision", 0, ZS_OPT_STRING, &a.precision, "P", "fp32 or bf16 (mixed precision)"},
    {"eval-every", 0, ZS_OPT_U64, &a.eval_every, "K", "evaluate every K steps and at the end"},
    {"eval-tokens", 0, ZS_OPT_U64, &a.eval_tokens, "N",
     "GPT: held-out tokens per evaluation, whole windows"},
    {"log-every", 0, ZS_OPT_U64, &a.log_every, "K", "a log line every K steps"},
    {"checkpoint-every", 0, ZS_OPT_U64, &a.checkpoint_every, "K",
     "write the checkpoint every K steps; 0 = only at the end"},
    {"halt-after", 0, ZS_OPT_U64, &a.halt_after, "K",
     "stop after K steps with a checkpoint (status halted), to --resume later; 0 = no"},
    {"early-stop-patience", 0, ZS_OPT_U64, &a.early_stop_patience, "K",
     "end the run when the held-out loss has risen at K evaluations in a row; 0 = never"},
    {"early-stop-after", 0, ZS_OPT_U64, &a.early_stop_after, "S",
     "early stopping only after step S (the quantization paper: 4000)"},
    {"resume", 0, ZS_OPT_STRING, &a.resume, "PATH",
     "continue the run in a directory or checkpoint; the options must be the run's own"},
    {"dump-token-losses", 0, ZS_OPT_STRING, &a.dump, "FILE",
     "GPT: the final evaluation's per-token losses as float32 .npy (windows x T)"},
    ZS_OPT_SEED(&a.seed),
    {"threads", 0, ZS_OPT_INT, &a.threads, "N",
     "threads for one run; 0 = all cores; identical results at a fixed N"},
    ZS_OPT_JSON(&a.json),
    ZS_OPT_OUTPUT(&a.output, "the run directory (default: with --resume, the checkpoint's)"),
    ZS_OPT_END,
};

static const zs_cli_spec train_spec = {
    "train",
    "--data FILE (--tokens N | --steps S) -o DIR [options]   or   --model mlp --task parity ...",
    "train a GPT on a token file, or an MLP on sparse parity",
    "Writes DIR/log.jsonl (a JSON line per logged step), DIR/metrics.json (N, D, FLOPs,\n"
    "losses, wall time, status) and DIR/checkpoint.safetensors. Windows of T+1 tokens\n"
    "stream from --data; the held-out windows are never trained on. A run halted or killed\n"
    "and resumed with the same options reproduces the uninterrupted run bit for bit.\n"
    "Exit status 1 when the run diverges (NaN or inf), with metrics.json written.\n"
    "Under mpirun -np P one run is trained data-parallel on P ranks: each takes batch/P\n"
    "rows of every micro-step (batch a multiple of P); rank 0 writes DIR; resume with the\n"
    "same P (docs/cluster.md).\n"
    "Guide: docs/training.md.",
    train_opts,
    0,
    0,
    .defaults = train_defaults,
};

/* The zs_train_opts fields whose option is spelled otherwise (zs_cli_fail_cmd maps the
 * rest, e.g. eval_every to --eval-every, by their spelling). */
static const zs_cli_field train_fields[] = {
    {"data_path", "data"},
    {"val_path", "val"},
    {"order", "data-order"},
    {"accum", "grad-accum"},
    {"out_dir", "output"},
    {"lr_max", "lr"},
    {"lr_min", "lr-min"},
    {"warmup_steps", "warmup"},
    {"decay_steps", "decay-steps"},
    {"mlp_hidden", "mlp"},
    {"n_tasks", "tasks"},
    {"n_bits", "bits"},
    {NULL, NULL},
};

/* A uint32 field from a u64 option, or a usage error naming it. */
static int narrow(const char *name, uint64_t value, uint32_t *out) {
    if (value > UINT32_MAX)
        return zs_cli_usage_error(&train_spec, "--%s %llu: expected at most %u", name,
                                  (unsigned long long)value, UINT32_MAX);
    *out = (uint32_t)value;
    return -1;
}

/* -o, or the directory of --resume's checkpoint. */
static char *output_dir(void) {
    if (a.output) return strdup(a.output);
    char *copy = strdup(a.resume);
    if (!copy) return NULL;
    size_t n = strlen(copy);
    if (n > 12 && strcmp(copy + n - 12, ".safetensors") == 0) {
        char *dir = strdup(dirname(copy));
        free(copy);
        return dir;
    }
    return copy;
}

/* Fills o from the parsed options; returns -1 to go on, or an exit code. */
static int build_options(zs_train_opts *o, zs_error *err) {
    zs_train_opts_init(o);
    int code = -1;
    if (strcmp(a.model, "gpt") == 0) {
        o->model.kind = ZS_MODEL_GPT;
        zs_gpt_config *g = &o->model.gpt;
        if (a.mlp_hidden == 0) a.mlp_hidden = ZS_GPT_MLP_HIDDEN_PER_D_MODEL * a.d_model;
        if ((code = narrow("vocab", a.vocab, &g->vocab)) >= 0 ||
            (code = narrow("context", a.context, &g->context)) >= 0 ||
            (code = narrow("d-model", a.d_model, &g->d_model)) >= 0 ||
            (code = narrow("layers", a.layers, &g->layers)) >= 0 ||
            (code = narrow("heads", a.heads, &g->heads)) >= 0 ||
            (code = narrow("mlp", a.mlp_hidden, &g->mlp_hidden)) >= 0)
            return code;
        if (a.task) return zs_cli_usage_error(&train_spec, "--task is for --model mlp");
    } else if (strcmp(a.model, "mlp") == 0) {
        o->model.kind = ZS_MODEL_MLP;
        if (!a.task || strcmp(a.task, "parity") != 0)
            return zs_cli_usage_error(&train_spec, "--model mlp: expected --task parity");
        if (a.data) return zs_cli_usage_error(&train_spec, "--data is for --model gpt");
        o->parity = (zs_parity_spec){a.tasks, a.bits, a.k, a.zipf_exponent, a.seed};
        if ((code = narrow("width", a.width, &o->model.mlp.width)) >= 0 ||
            (code = narrow("depth", a.depth, &o->model.mlp.depth)) >= 0)
            return code;
        o->train_size = a.train_size;
        o->test_size = a.test_size;
        o->eval_per_subtask = a.per_subtask;
    } else {
        return zs_cli_usage_error(&train_spec, "--model: unknown model '%s'; expected gpt or mlp",
                                  a.model);
    }
    if ((code = narrow("batch", a.batch, &o->batch)) >= 0 ||
        (code = narrow("grad-accum", a.accum, &o->accum)) >= 0)
        return code;
    if (a.precision && zs_precision_parse(a.precision, &o->precision, err)) return -2;
    if (a.order && zs_data_order_parse(a.order, &o->order, err)) return -2;
    if (a.schedule && zs_lr_kind_parse(a.schedule, &o->schedule.kind, err)) return -2;
    o->schedule.lr_max = a.lr;
    o->schedule.lr_min = a.lr_min;
    o->schedule.warmup_steps = a.warmup;
    o->schedule.decay_steps = a.decay;
    o->adamw = (zs_adamw_opts){a.beta1, a.beta2, a.eps, a.weight_decay};
    o->threads = a.threads;
    o->data_path = a.data;
    o->val_path = a.val;
    o->val_fraction = a.val_fraction;
    o->eval_tokens = a.eval_tokens;
    o->tokens = a.tokens;
    o->steps = a.steps;
    o->grad_clip = a.grad_clip;
    o->eval_every = a.eval_every;
    o->log_every = a.log_every;
    o->checkpoint_every = a.checkpoint_every;
    o->halt_after = a.halt_after;
    o->early_stop_patience = a.early_stop_patience;
    o->early_stop_after = a.early_stop_after;
    o->seed = a.seed;
    o->resume = a.resume;
    o->dump_token_losses = a.dump;
    o->progress = isatty(STDERR_FILENO) ? stderr : NULL;
    return -1;
}

static void print_summary(const zs_train_opts *o, const zs_train_result *r) {
    int gpt = o->model.kind == ZS_MODEL_GPT;
    printf("status      %s\n", zs_train_status_name(r->status));
    printf("steps       %llu\n", (unsigned long long)r->steps);
    printf("%-11s %llu\n", gpt ? "tokens" : "examples", (unsigned long long)r->tokens);
    printf("params      %llu (non-embedding %llu)\n", (unsigned long long)r->n_params,
           (unsigned long long)r->n_params_nonembed);
    printf("flops       6ND %.4g, exact %.4g\n", r->flops_6nd, r->flops_exact);
    if (isfinite(r->final_val_loss))
        printf("val loss    %.4f nats (%.4f bits) per %s, min %.4f at step %llu\n",
               r->final_val_loss, r->final_val_loss / log(2.0), gpt ? "token" : "example",
               r->min_val_loss, (unsigned long long)r->min_val_step);
    if (r->stopped_early)
        printf("stopped     early at step %llu: the held-out loss rose at %llu evaluations in a "
               "row\n",
               (unsigned long long)r->steps, (unsigned long long)o->early_stop_patience);
    printf("wall        %.1f s\n", r->wall_s);
}

/* SIGTERM, SIGUSR1 (Slurm's warning before a time limit, which mpirun forwards to every
 * rank) and SIGINT ask the run to stop: it writes a checkpoint at the step it reached and
 * ends "halted" (zs_train_opts.stop). A second signal of the same kind acts as it would
 * have without the handler (SA_RESETHAND). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) {
    stop_signal = sig;
}

static void catch_stop_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGTERM, SIGUSR1, SIGINT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
}

/* A run halted by a signal exits 128 + the signal, as a killed one would, so that scripts
 * (a Slurm requeue) see it did not finish; its checkpoint resumes it. */
static int halted_by(const zs_train_result *r, zs_status s) {
    return !s && r->status == ZS_TRAIN_HALTED && stop_signal ? stop_signal : 0;
}

/* The exit status of a rank other than 0, which prints nothing (every rank holds the same
 * status and error). */
static int rank_exit_code(const zs_train_result *r, zs_status s) {
    int sig = halted_by(r, s);
    return s                                ? (s == ZS_ERR_USAGE ? ZS_EXIT_USAGE : ZS_EXIT_FAILURE)
           : r->status == ZS_TRAIN_DIVERGED ? ZS_EXIT_FAILURE
           : sig                            ? 128 + sig
                                            : ZS_EXIT_OK;
}

/* Rank 0 (or the single process): the summary or JSON, the error, the exit status. */
static int report(const zs_train_opts *o, const zs_train_result *r, zs_status s, zs_error *err,
                  const char *dir) {
    int sig = halted_by(r, s);
    if (!s && a.json) {
        char metrics[4096];
        snprintf(metrics, sizeof metrics, "%s/metrics.json", dir);
        json_t *doc;
        s = zs_json_load(metrics, 0, &doc, err);
        if (!s) s = zs_cli_emit_json(doc, NULL, err);
    } else if (!s) {
        print_summary(o, r);
    }
    if (!s && r->status == ZS_TRAIN_DIVERGED)
        s = zs_fail(err, ZS_ERR_NUMERIC, "training diverged: %s (status in %s/metrics.json)",
                    r->diverged, dir);
    if (sig)
        fprintf(stderr,
                "zipscale train: %s: checkpoint written at step %llu; to resume, run the same "
                "command with --resume %s\n",
                strsignal(sig), (unsigned long long)r->steps, dir);
    return s ? zs_cli_fail_cmd(&train_spec, train_fields, err) : sig ? 128 + sig : ZS_EXIT_OK;
}

static int train_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&train_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (!a.output && !a.resume)
        return zs_cli_usage_error(&train_spec, "the run directory -o DIR is missing");
    zs_error err = {0};
    zs_train_opts o;
    code = build_options(&o, &err);
    if (code == -2) return zs_cli_fail_cmd(&train_spec, train_fields, &err);
    if (code >= 0) return code;
    char *dir = output_dir();
    if (!dir) {
        zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
        return zs_cli_fail_cmd(&train_spec, train_fields, &err);
    }
    o.out_dir = dir;
    /* Under mpirun (or srun): one run, data-parallel over the job's ranks. Every rank
       returns the same status and error; rank 0 alone prints. */
    zs_comm *comm = NULL;
    zs_status s = zs_comm_launched() ? zs_comm_world(&comm, &err) : ZS_OK;
    int root = zs_comm_rank(comm) == 0;
    o.comm = comm;
    if (!root) o.progress = NULL;
    catch_stop_signals();
    o.stop = &stop_signal;
    zs_train_result r;
    if (!s) s = zs_train_run(&o, &r, &err);
    int exit_code = root ? report(&o, &r, s, &err, dir) : rank_exit_code(&r, s);
    /* mpirun ends the job at the first rank that exits non-zero: the others wait here until
       rank 0 has said what happened. */
    zs_comm_barrier(comm);
    zs_comm_free(comm);
    zs_comm_finalize();
    free(dir);
    return exit_code;
}

const zs_command zs_cmd_train = {&train_spec, train_run};
