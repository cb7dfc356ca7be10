/* `zipscale plot gzip`: the gzip paper's first figure, per-sequence gzip ratios of each
 * dataset as box plots (or violins), from token files (measured here, as `zipscale
 * gzip` does) or from saved `zipscale gzip --json` results. Draws through zipscale/plot.h. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "zipscale/measure.h"
#include "zipscale/figures.h"
#include "zipscale/tokens.h"

typedef struct {
    uint64_t sample, seed, sequence_tokens;
    double width_pt, height_pt;
    int threads, violin;
    const char *output, *names, *title, *dtype;
} plot_gzip_args;

static plot_gzip_args args;

/* The library's defaults (zs_measure_opts_init, zs_figure_size_init), which the help shows. */
static void plot_gzip_defaults(void) {
    zs_measure_opts o;
    zs_measure_opts_init(&o);
    zs_figure_size size;
    zs_figure_size_init(&size);
    memset(&args, 0, sizeof args);
    args.sample = o.sample;
    args.seed = o.seed;
    args.sequence_tokens = o.sequence_tokens;
    args.threads = o.threads;
    args.width_pt = size.width_pt;
    args.height_pt = size.height_pt;
}

static const zs_opt plot_gzip_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &args.output, "FIGURE", "the figure: .svg, .png or .pdf",
     .required = 1},
    {"sample", 0, ZS_OPT_U64, &args.sample, "N",
     "sequences sampled per token file; 0 = all (as zipscale gzip)"},
    ZS_OPT_SEED(&args.seed),
    {"sequence-length", 0, ZS_OPT_U64, &args.sequence_tokens, "L",
     "tokens per sequence in token files"},
    {"dtype", 0, ZS_OPT_STRING, &args.dtype, "D",
     "token dtype of raw files: uint8, uint16, uint32, int32, int64"},
    {"names", 0, ZS_OPT_STRING, &args.names, "A,B,...",
     "one name per dataset, comma-separated (default: file names without extension)"},
    {"title", 0, ZS_OPT_STRING, &args.title, "T", "the figure's title (default: none)"},
    {"violin", 0, ZS_OPT_FLAG, &args.violin, NULL, "violins instead of box plots"},
    {"width", 0, ZS_OPT_DOUBLE, &args.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &args.height_pt, "PT", "figure height in points"},
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_END,
};

static const zs_cli_spec plot_gzip_spec = {
    "plot gzip",
    "FILE... -o FIGURE [--sample N] [--seed S] [--names A,B,...] [--title T] [--violin]",
    "box plots of per-sequence gzip ratios per dataset (the gzip paper's figure 1)",
    "Each FILE is a token file (measured as `zipscale gzip` does: N sampled sequences of\n"
    "L tokens, ratio = gzip-9 compressed / raw bytes) or a `zipscale gzip --json` result\n"
    "(recognised by its content; every file it records becomes one dataset). Draws one\n"
    "box per dataset: median (= H), quartiles, whiskers at 1.5 IQR, outliers; or a\n"
    "violin with --violin. The figure's format follows -o's extension.",
    plot_gzip_opts,
    1,
    -1,
    .defaults = plot_gzip_defaults,
};

/* One dataset: its name and its per-sequence ratios. */
typedef struct {
    char *name;
    double *ratios;
    size_t n;
} dataset;

typedef struct {
    dataset *items;
    size_t n, cap;
} dataset_list;

static void datasets_free(dataset_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].ratios);
    }
    free(l->items);
}

/* Takes ownership of ratios. */
static zs_status datasets_add(dataset_list *l, const char *source, double *ratios, size_t n,
                              zs_error *err) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        dataset *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            free(ratios);
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory (datasets)");
        }
        l->items = items;
        l->cap = cap;
    }
    char *name = zs_path_stem(source);
    if (!name) {
        free(ratios);
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (dataset name)");
    }
    l->items[l->n++] = (dataset){name, ratios, n};
    return ZS_OK;
}

static zs_status measure_file(const char *path, dataset_list *l, zs_error *err) {
    zs_measure_opts opts;
    zs_measure_opts_init(&opts);
    opts.sample = args.sample;
    opts.seed = args.seed;
    opts.sequence_tokens = args.sequence_tokens;
    opts.zstd_level = 0; /* only gzip is drawn */
    opts.threads = args.threads;
    zs_measure_result r;
    zs_status s = zs_measure_token_file(path, args.dtype, &opts, &r, NULL, NULL, err);
    if (s) return s;
    /* the result's ratios move into the dataset; the rest is freed */
    double *ratios = r.gzip_ratios;
    size_t n = r.gzip.n;
    r.gzip_ratios = NULL;
    zs_measure_result_free(&r);
    return datasets_add(l, path, ratios, n, err);
}

/* A `zipscale gzip --json` result: each file it records, its ratios, named after its "file". */
static zs_status read_json(const char *path, dataset_list *l, zs_error *err) {
    zs_gzipfile gf;
    zs_status s = zs_gzipfile_read(&gf, path, err);
    for (size_t i = 0; !s && i < gf.n_files; i++) {
        zs_measure_result *r = &gf.files[i].result;
        if (!r->gzip_ratios)
            s = zs_fail(err, ZS_ERR_FORMAT,
                        "%s: files[%zu] (%s) has no per-sequence \"gzip_ratios\"; rerun "
                        "`zipscale gzip --json` (which records them) or pass the token file",
                        path, i, gf.files[i].file);
        if (!s) {
            s = datasets_add(l, gf.files[i].file, r->gzip_ratios, r->gzip.n, err);
            r->gzip_ratios = NULL; /* datasets_add took it, even on failure */
        }
    }
    zs_gzipfile_free(&gf);
    return s;
}

/* JSON by extension, or by a first non-blank byte of '{' (token files never start so:
 * .npy opens with \x93NUMPY, llm.c .bin with its magic number). */
static int looks_like_json(const char *path) {
    size_t len = strlen(path);
    if (len >= 5 && strcasecmp(path + len - 5, ".json") == 0) return 1;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int c;
    while ((c = fgetc(f)) != EOF && isspace(c)) continue;
    fclose(f);
    return c == '{';
}

/* --names a,b,c: one per dataset, replacing the file names. */
static int apply_names(dataset_list *l) {
    size_t given = 1;
    for (const char *p = args.names; *p; p++) given += *p == ',';
    if (given != l->n)
        return zs_cli_usage_error(&plot_gzip_spec, "--names lists %zu, but there are %zu datasets",
                                  given, l->n);
    const char *p = args.names;
    for (size_t i = 0; i < l->n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return zs_cli_usage_error(&plot_gzip_spec, "--names: name %zu is empty", i + 1);
        char *name = strndup(p, len);
        if (!name) {
            fprintf(stderr, "zipscale: out of memory (names)\n");
            return ZS_EXIT_FAILURE;
        }
        free(l->items[i].name);
        l->items[i].name = name;
        p += len + 1;
    }
    return -1;
}

static zs_status draw(const dataset_list *l, zs_error *err) {
    const char **names = calloc(l->n, sizeof *names);
    const double **values = calloc(l->n, sizeof *values);
    size_t *counts = calloc(l->n, sizeof *counts);
    zs_plot *fig = NULL;
    zs_status s = names && values && counts ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < l->n; i++) {
        names[i] = l->items[i].name;
        values[i] = l->items[i].ratios;
        counts[i] = l->items[i].n;
    }
    zs_figure_size size = {args.width_pt, args.height_pt};
    if (!s)
        s = zs_figure_gzip_ratios(names, values, counts, l->n, args.title, NULL,
                                  args.violin ? ZS_PLOT_VIOLIN : ZS_PLOT_BOX, &size, &fig, err);
    if (!s) s = zs_plot_write(fig, args.output, err);
    zs_plot_free(fig);
    free(names);
    free(values);
    free(counts);
    return s;
}

/* zs_tokens_open_opts.raw_dtype comes from --dtype. */
static const zs_cli_field dtype_fields[] = {{"raw_dtype", "dtype"}, {NULL, NULL}};

static int plot_gzip_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_gzip_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    dataset_list l = {0};
    zs_error err = {0};
    zs_status s = ZS_OK;
    for (int i = 0; !s && i < npos; i++)
        s = looks_like_json(pos[i]) ? read_json(pos[i], &l, &err) : measure_file(pos[i], &l, &err);
    code = -1;
    if (!s && args.names) code = apply_names(&l);
    if (!s && code < 0) s = draw(&l, &err);
    datasets_free(&l);
    if (code >= 0) return code;
    return s ? zs_cli_fail_cmd(&plot_gzip_spec, dtype_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_gzip = {&plot_gzip_spec, plot_gzip_run};
