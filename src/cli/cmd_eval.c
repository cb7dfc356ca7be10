/* `zipscale eval`: the mean loss of a GPT checkpoint on a token file (nats and bits per
 * token), or of a sparse-parity MLP checkpoint on its run's test set and per subtask: the
 * trainer's own evaluations (zs_train_eval_file, zs_train_eval_parity), as text or JSON. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include <string.h>

#include "cli/commands.h"
#include "zipscale/train.h"

static struct {
    const char *data, *precision, *output;
    uint64_t eval_tokens;
    int threads, json;
} e;

/* The trainer's defaults (zs_train_opts_init), which the help shows. */
static void eval_defaults(void) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    memset(&e, 0, sizeof e);
    e.precision = zs_precision_name(o.precision);
    e.threads = o.threads;
}

static const zs_opt eval_opts[] = {
    {"data", 0, ZS_OPT_STRING, &e.data, "FILE",
     "the token file to score a GPT checkpoint on (an MLP checkpoint needs none)"},
    {"eval-tokens", 0, ZS_OPT_U64, &e.eval_tokens, "N",
     "score the first ceil(N / T) windows; 0 = every whole window"},
    {"precision", 0, ZS_OPT_STRING, &e.precision, "P", "fp32 or bf16"},
    {"threads", 0, ZS_OPT_INT, &e.threads, "N", "threads; 0 = all cores"},
    ZS_OPT_JSON(&e.json),
    ZS_OPT_OUTPUT(&e.output, "write the result to FILE instead of stdout"),
    ZS_OPT_END,
};

static const zs_cli_spec eval_spec = {
    "eval",
    "CHECKPOINT [--data FILE] [--eval-tokens N] [--json]",
    "the loss of a checkpoint: a GPT on a token file, a parity MLP on its test set",
    "CHECKPOINT is a checkpoint.safetensors or a run directory holding one. GPT: the\n"
    "file's tokens are cut into windows of T+1 tokens (T the checkpoint's context) as the\n"
    "trainer cuts them; the loss is the mean cross-entropy over every predicted position.\n"
    "MLP: the parity task is rebuilt from the options stored in the checkpoint; the loss\n"
    "is the mean over its run's test set, with each subtask's mean beside it.",
    eval_opts,
    1,
    1,
    .defaults = eval_defaults,
};

/* zs_train_eval_file's and zs_train_eval_parity's fields, by flag. */
static const zs_cli_field eval_fields[] = {{"data_path", "data"}, {NULL, NULL}};

/* An MLP checkpoint: its run's test loss and each subtask's. */
static int eval_parity(const char *checkpoint) {
    zs_error err = {0};
    double test_nats, *subtask_nats;
    uint64_t n_tasks;
    zs_status s =
        zs_train_eval_parity(checkpoint, e.threads, &test_nats, &subtask_nats, &n_tasks, &err);
    if (s) return zs_cli_fail_cmd(&eval_spec, eval_fields, &err);
    json_t *subtasks = json_array();
    for (uint64_t i = 0; i < n_tasks; i++)
        json_array_append_new(subtasks, json_real(subtask_nats[i]));
    free(subtask_nats);
    if (e.json) {
        json_t *doc =
            json_pack("{s:s, s:f, s:o, s:s}", "checkpoint", checkpoint, "test_loss_nats", test_nats,
                      "subtask_loss_nats", subtasks, "zipscale_version", zs_version());
        s = zs_cli_emit_json(doc, e.output, &err);
        return s ? zs_cli_fail_cmd(&eval_spec, eval_fields, &err) : ZS_EXIT_OK;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        json_decref(subtasks);
        zs_fail(&err, ZS_ERR_NOMEM, "out of memory");
        return zs_cli_fail_cmd(&eval_spec, eval_fields, &err);
    }
    fprintf(out, "test loss %.6f nats/example (%.6f bits)\nsubtask  loss_nats\n", test_nats,
            test_nats / log(2.0));
    for (size_t i = 0; i < json_array_size(subtasks); i++)
        fprintf(out, "%7zu  %.6f\n", i, json_real_value(json_array_get(subtasks, i)));
    fclose(out);
    json_decref(subtasks);
    if (e.output)
        s = zs_write_file_atomic(e.output, text, len, &err);
    else
        fwrite(text, 1, len, stdout);
    free(text);
    return s ? zs_cli_fail_cmd(&eval_spec, eval_fields, &err) : ZS_EXIT_OK;
}

static int eval_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&eval_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (!e.data) return eval_parity(pos[0]);
    zs_error err = {0};
    zs_precision precision = ZS_PRECISION_FP32;
    if (e.precision && zs_precision_parse(e.precision, &precision, &err))
        return zs_cli_fail_cmd(&eval_spec, eval_fields, &err);
    double loss_nats;
    uint64_t tokens;
    zs_status s = zs_train_eval_file(pos[0], e.data, e.eval_tokens, precision, e.threads,
                                     &loss_nats, &tokens, &err);
    if (s) return zs_cli_fail_cmd(&eval_spec, eval_fields, &err);
    if (e.json) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:f, s:f, s:s}", "checkpoint", pos[0], "data",
                                e.data, "precision", zs_precision_name(precision), "tokens",
                                (json_int_t)tokens, "loss_nats", loss_nats, "loss_bits",
                                loss_nats / log(2.0), "zipscale_version", zs_version());
        s = zs_cli_emit_json(doc, e.output, &err);
        return s ? zs_cli_fail_cmd(&eval_spec, eval_fields, &err) : ZS_EXIT_OK;
    }
    char line[512];
    int n = snprintf(line, sizeof line, "loss %.6f nats/token (%.6f bits/token) over %llu tokens\n",
                     loss_nats, loss_nats / log(2.0), (unsigned long long)tokens);
    if (e.output)
        s = zs_write_file_atomic(e.output, line, (size_t)n, &err);
    else
        fputs(line, stdout);
    return s ? zs_cli_fail_cmd(&eval_spec, eval_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_eval = {&eval_spec, eval_run};
