/* zipscale quanta, per token: monogenic and polygenic tokens [QM] (Michaud et al. 2023, "The
 * Quantization Model of Neural Scaling", section 6). Across a family of models of
 * increasing size scored on the same held-out tokens, a token is monogenic when its loss
 * drops sharply at one size (one quantum learned), polygenic when it falls steadily with
 * log N (many quanta, each contributing a little). Guide: docs/quanta.md ("Monogenic and
 * polygenic tokens"). */
#ifndef ZIPSCALE_QUANTA_TOKENS_H
#define ZIPSCALE_QUANTA_TOKENS_H

#include <stdint.h>

#include "zipscale/core.h"
#include "zipscale/tokens.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ZS_TOKEN_OTHER = 0,
    ZS_TOKEN_MONOGENIC = 1,
    ZS_TOKEN_POLYGENIC = 2,
} zs_token_class;
#define ZS_TOKEN_N_CLASSES 3

const char *zs_token_class_name(zs_token_class c); /* "other", "monogenic", "polygenic" */

/* The thresholds. Token t is
 *   MONOGENIC at model j (1 <= j < n_models) when its loss is above mono_high_nats at every
 *     model before j and below mono_low_nats at j and every model after it;
 *   POLYGENIC (when not monogenic, and with at least 3 models) when the least-squares line
 *     of its loss on ln N has slope below poly_max_slope (nats per e-fold of N) and R^2
 *     above poly_min_r2;
 *   OTHER otherwise (learned by every model, never learned, or noisy). */
typedef struct {
    double mono_high_nats; /* finite, > mono_low_nats */
    double mono_low_nats;  /* finite, >= 0 */
    double poly_max_slope; /* finite, < 0 */
    double poly_min_r2;    /* in [0, 1) */
} zs_token_class_opts;

/* For PCFG data: mono_high 2.0 nats, mono_low 0.3, poly_max_slope -0.3, poly_min_r2 0.98
 * (docs/quanta.md says why the first differs from [QM]'s 5.0, chosen for a 50k-token
 * vocabulary). */
void zs_token_class_opts_init(zs_token_class_opts *opts);
/* Errors: ZS_ERR_USAGE (a field out of range: err->field names it). */
zs_status zs_token_class_opts_check(const zs_token_class_opts *opts, zs_error *err);

typedef struct {
    size_t n_models, n_tokens;
    double *n_params;   /* n_models, strictly increasing */
    uint8_t *cls;       /* n_tokens: a zs_token_class */
    uint32_t *mono_at;  /* n_tokens: j for a monogenic token, 0 for the others */
    double *slope, *r2; /* n_tokens: the line of loss on ln N (n_models >= 2; r2 is
                           NAN for a constant loss, slope 0) */
    size_t count[ZS_TOKEN_N_CLASSES];
    size_t *mono_count_at;   /* n_models: monogenic tokens with mono_at = j */
    double *class_mean_loss; /* ZS_TOKEN_N_CLASSES * n_models: the mean loss of a class's
                                tokens at each model, [c * n_models + j]; NAN when empty */
} zs_token_classes;

/* loss[j][t]: model j's loss (nats) on token t, finite and >= 0; n_params[j]: model j's
 * parameter count, finite, > 0 and strictly increasing in j; n_models >= 2.
 * Errors: ZS_ERR_USAGE (opts), ZS_ERR_RANGE (fewer than 2 models, no tokens, an n_params
 * out of order or not > 0, a loss negative or not finite: the message names the model and
 * the token). On failure *out is zeroed. */
zs_status zs_token_classes_compute(zs_token_classes *out, const double *n_params,
                                   const float *const *loss, size_t n_models, size_t n_tokens,
                                   const zs_token_class_opts *opts, zs_error *err);
void zs_token_classes_free(zs_token_classes *c);

/* ---- a family of per-token loss dumps ------------------------------------------------------
 * The files `zipscale train --dump-token-losses FILE.npy` writes, one per model: a float32
 * (windows x T) array and its sidecar FILE.npy.json (data, first_window, shape, n_params).
 * Every dump must score the same tokens: the same data file, first window and shape. */
typedef struct {
    size_t n_models;
    uint64_t windows, context; /* the shape every dump has */
    uint64_t first_window;     /* the held-out windows start here in the data file */
    char *data_path;           /* the token file they were scored on (as the sidecar says) */
    char **paths;              /* n_models, in increasing n_params */
    double *n_params;          /* n_models, strictly increasing */
    float **loss;              /* n_models arrays of windows * context losses (nats) */
} zs_token_loss_family;

/* Reads the dumps at paths[0..n) and orders them by n_params. Token (w, t) of a dump is the
 * loss of predicting token (first_window + w) * context + t + 1 of the data file.
 * Errors: ZS_ERR_USAGE (n is 0), ZS_ERR_IO (a dump or its sidecar cannot be read),
 * ZS_ERR_FORMAT (not a 2-D float32 .npy, a sidecar field missing or wrong, a sidecar shape
 * that is not the array's, a dump of other data, windows or shape than the first, two
 * dumps of one size: the message names the file and the field). On failure *out is
 * zeroed. */
zs_status zs_token_loss_family_read(zs_token_loss_family *out, const char *const *paths, size_t n,
                                    zs_error *err);
void zs_token_loss_family_free(zs_token_loss_family *f);

/* ---- examples and the summary file ---------------------------------------------------------
 * Up to `want` tokens of class k, evenly spaced among the class's tokens (ordinals
 * floor(s * count / want), s = 0 .. want - 1): idx (room for want) receives their indices in
 * token order. Returns how many (min(want, count[k])). */
size_t zs_token_examples_pick(const zs_token_classes *c, int k, size_t want, size_t *idx);

/* One example token of a summary. */
typedef struct {
    int cls;                   /* a zs_token_class */
    uint64_t window, position; /* window first_window + window, predicting position + 1 */
    uint32_t mono_at;          /* monogenic: the model where its loss drops; else 0 */
    double slope, r2;          /* the line of loss on ln N (r2 NAN when undefined) */
    double *loss;              /* n_models losses (nats) */
    uint64_t *context;         /* n_context tokens before the target, oldest first */
    size_t n_context;
    int64_t target; /* the predicted token; -1 when the data file was not read */
} zs_token_example;

/* The summary `zipscale quanta tokens -o FILE.json` writes ("zipscale-quanta-tokens",
 * version 1; docs/quanta.md lists the fields), read back for the report. */
typedef struct {
    zs_token_class_opts opts;
    /* the aggregates only: n_models, n_tokens, n_params, count, mono_count_at and
     * class_mean_loss; cls, mono_at, slope and r2 are NULL */
    zs_token_classes classes;
    char **paths;      /* n_models: the dumps, in increasing n_params */
    double *mean_loss; /* n_models: every token's mean loss (nats) */
    char *data_path;   /* the token file the dumps scored */
    uint64_t first_window, windows, context;
    zs_token_example *examples; /* by class (monogenic, polygenic, other), token order */
    size_t n_examples;
} zs_token_summary;

/* Writes the summary of the classes c of the family f under opts atomically to path, with up
 * to `examples` examples per class, each with up to context_shown tokens of context when
 * `data` (the family's token file, may be NULL) is given. Errors: ZS_ERR_NOMEM, ZS_ERR_IO
 * (cannot write path). */
zs_status zs_token_summary_write(const char *path, const zs_token_loss_family *f,
                                 const zs_token_classes *c, const zs_token_class_opts *opts,
                                 size_t examples, size_t context_shown, const zs_tokens *data,
                                 zs_error *err);
/* Errors: ZS_ERR_IO (cannot read path), ZS_ERR_FORMAT (bad JSON, another format or version, a
 * field missing or out of range: fewer than 2 models, n_params not increasing, class counts
 * that do not sum to n_tokens, a mean_loss list not of one entry per model, thresholds
 * zs_token_class_opts_check refuses: "PATH: FIELD: expected ..."), ZS_ERR_NOMEM. On failure *out is
 * zeroed. */
zs_status zs_token_summary_read(zs_token_summary *out, const char *path, zs_error *err);
void zs_token_summary_free(zs_token_summary *s);

#ifdef __cplusplus
}
#endif

#endif
