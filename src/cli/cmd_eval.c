/* `zipscale eval`: the mean loss of a GPT checkpoint on a token file (nats and bits per
 * token), the same computation as the trainer's evaluation (zs_train_eval_file), as a
 * line of text or JSON. */
#include <jansson.h>
#include <math.h>

#include "cli/commands.h"
#include "zipscale/train.h"

static struct {
    const char *data, *precision, *output;
    uint64_t eval_tokens;
    int threads, json;
} e = {.threads = 1};

static const zs_opt eval_opts[] = {
    {"data", 0, ZS_OPT_STRING, &e.data, "FILE", "the token file to score (required)"},
    {"eval-tokens", 0, ZS_OPT_U64, &e.eval_tokens, "N",
     "score the first ceil(N / T) windows; 0 = every whole window (default)"},
    {"precision", 0, ZS_OPT_STRING, &e.precision, "P", "fp32 (default) or bf16"},
    {"threads", 0, ZS_OPT_INT, &e.threads, "N", "threads; 0 = all cores (default 1)"},
    ZS_OPT_JSON(&e.json),
    ZS_OPT_OUTPUT(&e.output, "write the result to FILE instead of stdout"),
    ZS_OPT_END,
};

static const zs_cli_spec eval_spec = {
    "eval",
    "CHECKPOINT --data FILE [--eval-tokens N] [--json]",
    "the loss of a GPT checkpoint on a token file",
    "CHECKPOINT is a checkpoint.safetensors or a run directory holding one. The file's\n"
    "tokens are cut into windows of T+1 tokens (T the checkpoint's context) as the trainer\n"
    "cuts them; the loss is the mean cross-entropy over every predicted position.",
    eval_opts,
    1,
    1,
};

static int eval_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&eval_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (!e.data) return zs_cli_usage_error(&eval_spec, "--data FILE is missing");
    zs_error err = {0};
    zs_precision precision = ZS_PRECISION_FP32;
    if (e.precision && zs_precision_parse(e.precision, &precision, &err)) return zs_cli_fail(&err);
    double loss_nats;
    uint64_t tokens;
    zs_status s = zs_train_eval_file(pos[0], e.data, e.eval_tokens, precision, e.threads,
                                     &loss_nats, &tokens, &err);
    if (s) return zs_cli_fail(&err);
    if (e.json) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:f, s:f, s:s}", "checkpoint", pos[0], "data",
                                e.data, "precision", zs_precision_name(precision), "tokens",
                                (json_int_t)tokens, "loss_nats", loss_nats, "loss_bits",
                                loss_nats / log(2.0), "zipscale_version", zs_version());
        s = zs_cli_emit_json(doc, e.output, &err);
        return s ? zs_cli_fail(&err) : ZS_EXIT_OK;
    }
    char line[512];
    int n = snprintf(line, sizeof line, "loss %.6f nats/token (%.6f bits/token) over %llu tokens\n",
                     loss_nats, loss_nats / log(2.0), (unsigned long long)tokens);
    if (e.output)
        s = zs_write_file_atomic(e.output, line, (size_t)n, &err);
    else
        fputs(line, stdout);
    return s ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_eval = {&eval_spec, eval_run};
