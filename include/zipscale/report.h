/* zipscale report: one self-contained HTML page (inline SVG figures, inline CSS, no
 * JavaScript, nothing fetched) from whatever results it is given: token files, gzip and
 * predict JSON, runs tables, law.json, regression.json, training logs, a sweep's
 * summary.json, the quantization model's quanta.json, QDG's qdg.json and the token classes'
 * summary. docs/report.md. */
#ifndef ZIPSCALE_REPORT_H
#define ZIPSCALE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What an input is, told by its content (see zs_report_detect). */
typedef enum {
    ZS_REPORT_TOKENS,        /* a token file, .npy or .bin: H is measured */
    ZS_REPORT_GZIP,          /* `zipscale gzip --json` output ("command": "gzip") */
    ZS_REPORT_RUNS,          /* a runs table, .csv */
    ZS_REPORT_LAW,           /* law.json ("format": "zipscale-law") */
    ZS_REPORT_REGRESSION,    /* regression.json ("format": "zipscale-regression") */
    ZS_REPORT_PREDICT,       /* `zipscale predict --json` output ("command": "predict") */
    ZS_REPORT_TRAINLOG,      /* a trainer's JSONL log, .jsonl */
    ZS_REPORT_SWEEP,         /* a sweep's summary.json ("format": "zipscale-sweep-summary") */
    ZS_REPORT_QUANTA,        /* quanta.json ("format": "zipscale-quanta") */
    ZS_REPORT_QDG,           /* qdg.json ("format": "zipscale-quanta-qdg"), its arrays beside it */
    ZS_REPORT_TOKEN_CLASSES, /* `quanta tokens -o` ("format": "zipscale-quanta-tokens") */
    ZS_REPORT_NKINDS
} zs_report_kind;

/* "tokens", "gzip", "runs", "law", "regression", "predict", "trainlog", "sweep", "quanta",
 * "qdg", "token-classes". */
const char *zs_report_kind_name(zs_report_kind kind);

/* By extension: .npy, .bin (tokens), .csv (runs), .jsonl (trainlog); a .json file by
 * its "format" (zipscale-law, zipscale-regression, zipscale-sweep-summary, zipscale-quanta,
 * zipscale-quanta-qdg, zipscale-quanta-tokens) or "command" (gzip, predict) field.
 * Anything else fails with a message naming the file and the kinds accepted.
 * Errors: ZS_ERR_USAGE (an extension of no known kind), ZS_ERR_IO (cannot open or read a
 * .json file), ZS_ERR_FORMAT (a .json file that is not JSON or of no known kind). */
zs_status zs_report_detect(const char *path, zs_report_kind *kind, zs_error *err);

typedef struct {
    const char *title;        /* default "zipscale report" */
    const char *date_utc;     /* the date line; NULL = now, as YYYY-MM-DD HH:MM:SS UTC */
    const char *command_line; /* recorded in the provenance; may be NULL */
    uint64_t seed;            /* of the H measurement of token files (default 0) */
    uint64_t sample;          /* sequences sampled per token file (default 1000) */
    int threads;              /* 0 = all cores; the output does not depend on it */
} zs_report_opts;

void zs_report_opts_init(zs_report_opts *opts);

/* The page as one NUL-terminated buffer (*len bytes; free() it). Identical bytes for the
 * same inputs, options and machine whatever the thread count.
 * Errors: ZS_ERR_USAGE (no inputs, an input of no known kind), ZS_ERR_IO (cannot open or
 * read an input), ZS_ERR_FORMAT (a malformed input: the message names the file and
 * field), ZS_ERR_RANGE (an input with values no figure can draw, a token file too short
 * to sample). On failure *html is NULL. */
zs_status zs_report_html(const char *const *paths, size_t n_paths, const zs_report_opts *opts,
                         char **html, size_t *len, zs_error *err);

/* The same, written atomically to out_path. Errors: those of zs_report_html, and
 * ZS_ERR_IO (cannot write or rename into out_path). */
zs_status zs_report_write(const char *const *paths, size_t n_paths, const zs_report_opts *opts,
                          const char *out_path, zs_error *err);

/* The sentence on where the compute-optimal frontier moves as H grows, from the slope of
 * a = beta/(alpha+beta) against H and its bootstrap interval [lo, hi] (NAN: none): whether a
 * falls (towards data, the gzip paper's finding) and whether the interval excludes zero.
 * `greek` writes the Greek letters (UTF-8). What the sweep's headline and report say. */
void zs_report_frontier_direction(double slope, double lo, double hi, size_t level_pct, int greek,
                                  char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
