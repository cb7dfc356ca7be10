/* The run's log.jsonl (one JSON object a logged step, the keys figures.h's reader wants)
 * and the progress line for a terminal. The log is written a whole line at a time and
 * flushed; a checkpoint records its line count, so a resumed run cuts off whatever a
 * killed run wrote after its last checkpoint and continues from there. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/train_internal.h"

/* The byte length of the first `lines` lines of path. */
static zs_status lines_length(const char *path, uint64_t lines, uint64_t *bytes, zs_error *err) {
    char *text;
    size_t len;
    zs_status s = zs_read_file(path, &text, &len, err);
    if (s) return s;
    uint64_t seen = 0;
    size_t pos = 0;
    for (; seen < lines && pos < len; pos++) seen += text[pos] == '\n';
    free(text);
    if (seen < lines)
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s: %llu lines, but the checkpoint was written after line %llu; resume "
                       "into the run's own directory",
                       path, (unsigned long long)seen, (unsigned long long)lines);
    *bytes = pos;
    return ZS_OK;
}

zs_status zs_train_log_open(zs_train_ctx *ctx, int resume, uint64_t log_lines, zs_error *err) {
    const char *path = ctx->log_path;
    ctx->log_lines = log_lines;
    if (!resume) {
        ctx->log = fopen(path, "w");
        if (!ctx->log)
            return zs_fail(err, ZS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        return ZS_OK;
    }
    uint64_t bytes = 0;
    zs_status s = lines_length(path, log_lines, &bytes, err);
    if (s) return s;
    ctx->log = fopen(path, "r+");
    if (!ctx->log || ftruncate(fileno(ctx->log), (off_t)bytes) != 0 ||
        fseek(ctx->log, 0, SEEK_END) != 0) {
        s = zs_fail(err, ZS_ERR_IO, "%s: cannot continue the log: %s", path, strerror(errno));
        zs_train_log_close(ctx);
    }
    return s;
}

zs_status zs_train_log_write(zs_train_ctx *ctx, const zs_train_log_line *l, zs_error *err) {
    json_t *o = json_object();
    json_object_set_new(o, "step", json_integer((json_int_t)l->step));
    json_object_set_new(o, "tokens", json_integer((json_int_t)l->tokens));
    json_object_set_new(o, "lr", json_real(l->lr));
    json_object_set_new(o, "train_loss", json_real(l->train_loss));
    if (!isnan(l->val_loss)) json_object_set_new(o, "val_loss", json_real(l->val_loss));
    json_object_set_new(o, "grad_norm", json_real(l->grad_norm));
    json_object_set_new(o, "tok_per_s", json_real(l->tok_per_s));
    if (l->subtask_loss) {
        json_t *a = json_array();
        for (size_t i = 0; i < l->n_subtasks; i++)
            json_array_append_new(a, json_real(l->subtask_loss[i]));
        json_object_set_new(o, "subtask_loss", a);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    if (!text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (log line)");
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, ctx->log) == len && fputc('\n', ctx->log) != EOF &&
             fflush(ctx->log) == 0;
    free(text);
    if (!ok) return zs_fail(err, ZS_ERR_IO, "%s: write failed: %s", ctx->log_path, strerror(errno));
    ctx->log_lines++;
    return ZS_OK;
}

void zs_train_log_close(zs_train_ctx *ctx) {
    if (ctx->log) fclose(ctx->log);
    ctx->log = NULL;
}

/* 12.3K, 4.56M: three significant figures and a suffix. */
static void rate_text(char *buf, size_t cap, double x) {
    static const char suffix[] = " KMG";
    int i = 0;
    while (x >= 1000 && i < 3) {
        x /= 1000;
        i++;
    }
    if (i == 0)
        snprintf(buf, cap, "%.0f", x);
    else
        snprintf(buf, cap, "%.*f%c", x < 10 ? 2 : x < 100 ? 1 : 0, x, suffix[i]);
}

/* 1h02m, 1m52s, 7s. */
static void duration_text(char *buf, size_t cap, double seconds) {
    unsigned long s = seconds > 0 && isfinite(seconds) ? (unsigned long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(buf, cap, "%luh%02lum", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        snprintf(buf, cap, "%lum%02lus", s / 60, s % 60);
    else
        snprintf(buf, cap, "%lus", s);
}

void zs_train_progress_print(FILE *out, uint64_t step, uint64_t total, double loss,
                             double tok_per_s, double eta_s) {
    char rate[32], eta[32];
    rate_text(rate, sizeof rate, tok_per_s);
    duration_text(eta, sizeof eta, eta_s);
    fprintf(out, "\rstep %llu/%llu  loss %.3f  %s tok/s  ETA %s\033[K", (unsigned long long)step,
            (unsigned long long)total, loss, rate, eta);
    if (step == total) fputc('\n', out);
    fflush(out);
}
