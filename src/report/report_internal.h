/* The report module's shared internals: the loaded inputs (report_inputs.c; sweep
 * summaries in report_sweep.c), the HTML writer helpers (report_html.c), the sections
 * (report_sections.c, report_sweep_html.c, report_quanta.c, report_qdg.c, report_tokens.c) and the
 * provenance (report_provenance.c). */
#ifndef ZS_REPORT_INTERNAL_H
#define ZS_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

#include "zipscale/figures.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"
#include "zipscale/plot.h"
#include "zipscale/quanta_experiment.h"
#include "zipscale/report.h"
#include "report/report_sweep.h"

/* One dataset with its H: a measured token file or one entry of a gzip JSON. */
typedef struct {
    char *name;         /* the file's name without directories and extension */
    const char *source; /* the input it came from */
    double h;
    uint64_t size;     /* in `units` */
    const char *units; /* "tokens", or "bytes" for a gzip JSON measured with --bytes */
    double *ratios;    /* per-sequence gzip ratios; NULL when the input had none */
    size_t n_ratios;
} zs_report_dataset;

typedef struct {
    const char *path;
    zs_report_kind kind;
    char sha256[65];
    uint64_t bytes;
    zs_runs runs;            /* ZS_REPORT_RUNS */
    zs_lawfile law;          /* ZS_REPORT_LAW */
    zs_regressfile reg;      /* ZS_REPORT_REGRESSION */
    zs_trainlog log;         /* ZS_REPORT_TRAINLOG */
    zs_predictfile predict;  /* ZS_REPORT_PREDICT */
    zs_report_sweep sweep;   /* ZS_REPORT_SWEEP */
    zs_quanta_result quanta; /* ZS_REPORT_QUANTA */
    zs_qdg_file qdg;         /* ZS_REPORT_QDG */
    zs_token_summary tokens; /* ZS_REPORT_TOKEN_CLASSES */
} zs_report_input;

typedef struct {
    zs_report_input *inputs;
    size_t n_inputs;
    zs_report_dataset *datasets;
    size_t n_datasets;
} zs_report_data;

zs_status zs_report_load(zs_report_data *data, const char *const *paths, size_t n,
                         const zs_report_opts *opts, zs_error *err);
void zs_report_data_free(zs_report_data *data);
/* How many inputs of a kind were given. */
size_t zs_report_count(const zs_report_data *data, zs_report_kind kind);

/* ---- HTML helpers: all write to out; errors are caught by ferror at the end ---------- */
void zs_html_text(FILE *out, const char *text);    /* escaped for text and attributes */
void zs_html_num(FILE *out, double v);             /* 4 significant digits; "n/a" for NaN */
void zs_html_td_num(FILE *out, double v);          /* the same in a right-aligned cell */
void zs_html_td_text(FILE *out, const char *text); /* escaped text in a cell */
void zs_html_head(FILE *out, const char *title);
void zs_html_tail(FILE *out);
/* A figure inlined as SVG, with a caption; frees fig. */
zs_status zs_html_figure(FILE *out, zs_plot *fig, const char *caption, zs_error *err);
/* <table> with a header row of n cells (escaped); "num" cells are right-aligned. */
void zs_html_table_head(FILE *out, const char *const *cells, size_t n);
void zs_html_table_tail(FILE *out);

/* The Sweep section (report_sweep_html.c): every sweep summary given. */
void zs_report_sweep_section(FILE *out, const zs_report_data *data);
/* The Quanta section (report_quanta.c): every quanta.json given. */
zs_status zs_report_quanta_section(FILE *out, const zs_report_data *data, zs_error *err);
/* The QDG section (report_qdg.c): every qdg.json given, with the affinity heatmap when its
 * file is found beside it. */
zs_status zs_report_qdg_section(FILE *out, const zs_report_data *data, zs_error *err);
/* The token classes section (report_tokens.c): every `quanta tokens -o` summary given. */
zs_status zs_report_tokens_section(FILE *out, const zs_report_data *data, zs_error *err);
zs_status zs_report_sections(FILE *out, const zs_report_data *data, zs_error *err);
zs_status zs_report_provenance(FILE *out, const zs_report_data *data, const zs_report_opts *opts,
                               zs_error *err);

#endif
