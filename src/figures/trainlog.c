/* The trainer's JSONL log (zipscale/figures.h): one JSON object per line with step,
 * tokens, lr, train_loss, val_loss (absent without an evaluation), grad_norm and
 * tok_per_s, read into columns; a bad line fails with "FILE:LINE: reason". */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/figures.h"

enum { K_STEP, K_TOKENS, K_LR, K_TRAIN, K_VAL, K_GRAD, K_TOKS, K_COUNT };
static const char *const keys[K_COUNT] = {"step",     "tokens",    "lr",       "train_loss",
                                          "val_loss", "grad_norm", "tok_per_s"};

static double **column(zs_trainlog *log, int k) {
    double **cols[K_COUNT] = {&log->step,     &log->tokens,    &log->lr,       &log->train_loss,
                              &log->val_loss, &log->grad_norm, &log->tok_per_s};
    return cols[k];
}

void zs_trainlog_free(zs_trainlog *log) {
    if (!log) return;
    for (int k = 0; k < K_COUNT; k++) free(*column(log, k));
    *log = (zs_trainlog){0};
}

static zs_status grow(zs_trainlog *log, size_t *cap, zs_error *err) {
    if (log->n < *cap) return ZS_OK;
    size_t c = *cap ? 2 * *cap : 256;
    for (int k = 0; k < K_COUNT; k++) {
        double *p = realloc(*column(log, k), c * sizeof *p);
        if (!p) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (training log)");
        *column(log, k) = p;
    }
    *cap = c;
    return ZS_OK;
}

/* One record: every key a finite number >= 0 (val_loss may be absent or null). */
static zs_status record(zs_trainlog *log, json_t *o, const char *path, size_t line, zs_error *err) {
    if (!json_is_object(o))
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: expected a JSON object", path, line);
    for (int k = 0; k < K_COUNT; k++) {
        json_t *v = json_object_get(o, keys[k]);
        double x = NAN;
        if (k == K_VAL && (!v || json_is_null(v))) {
            (*column(log, k))[log->n] = NAN;
            continue;
        }
        if (!v) return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: missing \"%s\"", path, line, keys[k]);
        if (json_is_number(v)) x = json_number_value(v);
        if (!isfinite(x))
            return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: \"%s\": expected a finite number", path,
                           line, keys[k]);
        if (x < 0) /* counts, rates, norms and losses: none is negative */
            return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: \"%s\" is %g; expected >= 0", path, line,
                           keys[k], x);
        (*column(log, k))[log->n] = x;
    }
    log->n_val += !isnan(log->val_loss[log->n]);
    log->n++;
    return ZS_OK;
}

static int blank(const char *p, const char *end) {
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r') return 0;
    return 1;
}

zs_status zs_trainlog_read(zs_trainlog *log, const char *path, zs_error *err) {
    *log = (zs_trainlog){0};
    char *text;
    size_t len, cap = 0;
    zs_status s = zs_read_file(path, &text, &len, err);
    if (s) return s;
    const char *p = text, *end = text + len;
    for (size_t line = 1; !s && p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if (!blank(p, eol)) {
            json_error_t jerr;
            json_t *o = json_loadb(p, (size_t)(eol - p), 0, &jerr);
            if (!o)
                s = zs_fail(err, ZS_ERR_FORMAT, "%s:%zu:%d: %s", path, line, jerr.column,
                            jerr.text);
            if (!s) s = grow(log, &cap, err);
            if (!s) s = record(log, o, path, line, err);
            json_decref(o);
        }
        p = eol + 1;
    }
    if (!s && log->n == 0) s = zs_fail(err, ZS_ERR_FORMAT, "%s: no records", path);
    free(text);
    if (s) zs_trainlog_free(log);
    return s;
}
