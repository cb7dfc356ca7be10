/* Runs tables: the CSV of training runs (N, D, loss; optionally dataset, H, flops, seed,
 * weight, steps, e_max) that every fit starts from, whoever trained the models. Reads and validates
 * it row by row, naming FILE:LINE and the reason for any bad row; groups rows by dataset. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "zipscale/fit.h"

enum {
    COL_N,
    COL_D,
    COL_LOSS,
    COL_DATASET,
    COL_H,
    COL_FLOPS,
    COL_SEED,
    COL_WEIGHT,
    COL_STEPS,
    COL_E_MAX,
    COL_COUNT
};

static const char *const default_names[COL_COUNT] = {"N",     "D",    "loss",   "dataset", "H",
                                                     "flops", "seed", "weight", "steps",   "e_max"};
static const int required[COL_COUNT] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
/* The zs_runs_columns member that names each column, as errors record it (err->field). */
static const char *const column_fields[COL_COUNT] = {
    "columns.n_params", "columns.n_tokens", "columns.loss",   "columns.dataset", "columns.h",
    "columns.flops",    "columns.seed",     "columns.weight", "columns.steps",   "columns.e_max"};

typedef struct {
    const char *name; /* the file, for messages */
    const char *names[COL_COUNT];
    int named[COL_COUNT];    /* the caller named this column: it must be there */
    int field_of[COL_COUNT]; /* header position, or -1 */
    int n_fields;
    size_t capacity, datasets_capacity;
    size_t *dataset_line; /* the line that set each dataset's H and e_max */
} reader;

void zs_runs_columns_init(zs_runs_columns *cols) {
    *cols = (zs_runs_columns){.n_params = default_names[COL_N],
                              .n_tokens = default_names[COL_D],
                              .loss = default_names[COL_LOSS],
                              .dataset = default_names[COL_DATASET],
                              .h = default_names[COL_H],
                              .flops = default_names[COL_FLOPS],
                              .seed = default_names[COL_SEED],
                              .weight = default_names[COL_WEIGHT],
                              .steps = default_names[COL_STEPS],
                              .e_max = default_names[COL_E_MAX]};
}

static const char *column_option(const zs_runs_columns *c, int col) {
    if (!c) return NULL;
    const char *const by_col[COL_COUNT] = {c->n_params, c->n_tokens, c->loss, c->dataset,
                                           c->h,        c->flops,    c->seed, c->weight,
                                           c->steps,    c->e_max};
    return by_col[col];
}

/* Trims spaces and tabs around [*start, *end). */
static void trim(const char **start, const char **end) {
    while (*start < *end && (**start == ' ' || **start == '\t')) (*start)++;
    while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) (*end)--;
}

/* Splits one line into at most max fields (pointers and lengths into the line); returns
 * the number of fields found (which may exceed max: the rest are only counted). */
static int split(const char *line, const char *line_end, const char **field, int *len, int max) {
    int n = 0;
    const char *start = line;
    for (;;) {
        const char *end = memchr(start, ',', (size_t)(line_end - start));
        if (!end) end = line_end;
        const char *s = start, *e = end;
        trim(&s, &e);
        if (n < max) {
            field[n] = s;
            len[n] = (int)(e - s);
        }
        n++;
        if (end == line_end) return n;
        start = end + 1;
    }
}

static zs_status read_header(reader *rd, const char *line, const char *line_end, size_t line_no,
                             zs_error *err) {
    enum { MAX_FIELDS = 256 };
    const char *field[MAX_FIELDS];
    int len[MAX_FIELDS];
    int n = split(line, line_end, field, len, MAX_FIELDS);
    if (n > MAX_FIELDS)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: %d columns in the header: at most %d", rd->name,
                       line_no, n, MAX_FIELDS);
    rd->n_fields = n;
    for (int c = 0; c < COL_COUNT; c++) {
        rd->field_of[c] = -1;
        for (int i = 0; i < n; i++) {
            if ((int)strlen(rd->names[c]) != len[i] || memcmp(field[i], rd->names[c], len[i]))
                continue;
            if (rd->field_of[c] >= 0)
                return zs_fail(err, ZS_ERR_FORMAT,
                               "%s:%zu: column '%s' appears twice in the header", rd->name, line_no,
                               rd->names[c]);
            rd->field_of[c] = i;
        }
        if (required[c] && rd->field_of[c] < 0)
            return zs_fail_field(err, ZS_ERR_FORMAT, column_fields[c],
                                 "%s:%zu: missing column '%s' in the header (expected columns %s, "
                                 "%s and %s; zs_runs_columns n_params, n_tokens, loss rename them)",
                                 rd->name, line_no, rd->names[c], rd->names[COL_N],
                                 rd->names[COL_D], rd->names[COL_LOSS]);
        if (rd->named[c] && rd->field_of[c] < 0)
            return zs_fail_field(
                err, ZS_ERR_FORMAT, column_fields[c],
                "%s:%zu: missing column '%s' in the header (named for the %s column)", rd->name,
                line_no, rd->names[c], default_names[c]);
    }
    return ZS_OK;
}

static zs_status grow(zs_runs *runs, reader *rd, zs_error *err) {
    if (runs->n_rows < rd->capacity) return ZS_OK;
    size_t cap = rd->capacity ? 2 * rd->capacity : 64;
    double **arrays[] = {&runs->n_params, &runs->n_tokens, &runs->loss_nats,
                         &runs->flops,    &runs->weight,   &runs->steps};
    size_t n_arrays = sizeof arrays / sizeof *arrays - !runs->has_steps; /* steps is last */
    for (size_t k = 0; k < n_arrays; k++) {
        double *p = realloc(*arrays[k], cap * sizeof **arrays[k]);
        if (!p) return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", rd->name);
        *arrays[k] = p;
    }
    size_t *idx = realloc(runs->dataset_index, cap * sizeof *idx);
    if (!idx) return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", rd->name);
    runs->dataset_index = idx;
    rd->capacity = cap;
    return ZS_OK;
}

/* The shortest of %.15g and %.17g that reads back as x. */
static const char *shortest(double x, char buf[32]) {
    snprintf(buf, 32, "%.15g", x);
    if (strtod(buf, NULL) != x) snprintf(buf, 32, "%.17g", x);
    return buf;
}

/* A per-dataset value for messages: the number, or "no bound" for an e_max left empty. */
static const char *per_dataset_text(double x, char buf[32]) {
    if (isnan(x)) return "no bound";
    return shortest(x, buf);
}

/* Fails when row `line` gives dataset i another value of column col (H or e_max) than the
 * line that created it; NAN (an unbounded e_max) equals only NAN. */
static zs_status check_same(const zs_runs *runs, const reader *rd, size_t i, int col, double now,
                            double before, size_t line, zs_error *err) {
    if (now == before || (isnan(now) && isnan(before))) return ZS_OK;
    const char *name = runs->dataset_names[i];
    char a[32], b[32];
    return zs_fail(err, ZS_ERR_FORMAT,
                   "%s:%zu: column '%s': %s differs from %s given on line %zu for %s%s%s: "
                   "expected one %s per dataset",
                   rd->name, line, rd->names[col], per_dataset_text(now, a),
                   per_dataset_text(before, b), rd->dataset_line[i],
                   name ? "dataset '" : "the table", name ? name : "", name ? "'" : "",
                   default_names[col]);
}

/* The dataset named field[0..len), created on first sight with its H and e_max; fails when
 * a later row gives it another H or e_max. */
static zs_status find_dataset(zs_runs *runs, reader *rd, const char *field, int len, double h,
                              double e_max, size_t line, size_t *index, zs_error *err) {
    size_t i = 0;
    for (; i < runs->n_datasets; i++) {
        const char *name = runs->dataset_names[i];
        if (!name || ((int)strlen(name) == len && !memcmp(name, field, (size_t)len))) break;
    }
    if (i < runs->n_datasets) {
        zs_status s = ZS_OK;
        if (runs->has_h) s = check_same(runs, rd, i, COL_H, h, runs->dataset_h[i], line, err);
        if (!s && runs->has_e_max)
            s = check_same(runs, rd, i, COL_E_MAX, e_max, runs->dataset_e_max[i], line, err);
        if (s) return s;
        *index = i;
        return ZS_OK;
    }
    if (runs->n_datasets == rd->datasets_capacity) {
        size_t cap = rd->datasets_capacity ? 2 * rd->datasets_capacity : 8;
        char **names = realloc(runs->dataset_names, cap * sizeof *names);
        if (names) runs->dataset_names = names;
        double *hs = realloc(runs->dataset_h, cap * sizeof *hs);
        if (hs) runs->dataset_h = hs;
        double *bounds = realloc(runs->dataset_e_max, cap * sizeof *bounds);
        if (bounds) runs->dataset_e_max = bounds;
        size_t *lines = realloc(rd->dataset_line, cap * sizeof *lines);
        if (lines) rd->dataset_line = lines;
        if (!names || !hs || !bounds || !lines)
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", rd->name);
        rd->datasets_capacity = cap;
    }
    char *name = NULL;
    if (runs->has_dataset) {
        name = strndup(field, (size_t)len);
        if (!name) return zs_fail(err, ZS_ERR_NOMEM, "out of memory reading %s", rd->name);
    }
    runs->dataset_names[i] = name;
    runs->dataset_h[i] = runs->has_h ? h : NAN;
    runs->dataset_e_max[i] = runs->has_e_max ? e_max : NAN;
    rd->dataset_line[i] = line;
    runs->n_datasets++;
    *index = i;
    return ZS_OK;
}

/* Parses a number field; positive = 1 also requires > 0. */
static zs_status parse_number(const reader *rd, int col, const char *field, int len, size_t line,
                              int positive, double *out, zs_error *err) {
    char text[128];
    if (len == 0)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: column '%s' is empty: expected a number",
                       rd->name, line, rd->names[col]);
    if (len >= (int)sizeof text)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: column '%s': '%.20s...' is not a number",
                       rd->name, line, rd->names[col], field);
    memcpy(text, field, (size_t)len);
    text[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: column '%s': '%s' is not a number", rd->name,
                       line, rd->names[col], text);
    if (!isfinite(v) || (positive && !(v > 0)))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s:%zu: column '%s': expected a %sfinite number, found %s", rd->name, line,
                       rd->names[col], positive ? "positive " : "", text);
    *out = v;
    return ZS_OK;
}

/* An empty field or "nan" (any case): a value the dataset does not have. */
static int is_missing(const char *field, int len) {
    return len == 0 || (len == 3 && !strncasecmp(field, "nan", 3));
}

/* The e_max field: a positive finite bound on E, or empty / nan (any case) for none
 * (NAN). */
static zs_status parse_e_max(const reader *rd, const char *field, int len, size_t line, double *out,
                             zs_error *err) {
    if (is_missing(field, len)) {
        *out = NAN;
        return ZS_OK;
    }
    zs_status s = parse_number(rd, COL_E_MAX, field, len, line, 0, out, err);
    if (s) return s;
    if (!(*out > 0))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s:%zu: column '%s': expected a positive finite number, found %.*s (an "
                       "upper bound on E in nats; empty or nan for no bound)",
                       rd->name, line, rd->names[COL_E_MAX], len, field);
    return ZS_OK;
}

/* One data line: fills row `runs->n_rows` and counts it, or fails without counting. */
static zs_status read_row(zs_runs *runs, reader *rd, const char *line, const char *line_end,
                          size_t line_no, zs_error *err) {
    enum { MAX_FIELDS = 256 };
    const char *field[MAX_FIELDS];
    int len[MAX_FIELDS];
    int n = split(line, line_end, field, len, MAX_FIELDS);
    if (n != rd->n_fields)
        return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: %d fields: expected %d, as in the header",
                       rd->name, line_no, n, rd->n_fields);
    zs_status s = grow(runs, rd, err);
    if (s) return s;
    size_t row = runs->n_rows;
    double v[COL_COUNT] = {0};
    for (int c = 0; c < COL_COUNT; c++) {
        int f = rd->field_of[c];
        if (f < 0 || c == COL_DATASET) continue;
        int positive = c != COL_H && c != COL_SEED;
        if (c == COL_E_MAX)
            s = parse_e_max(rd, field[f], len[f], line_no, &v[c], err);
        else if (c == COL_H && is_missing(field[f], len[f]))
            v[c] = NAN; /* H unknown for this dataset (data without a compressibility) */
        else
            s = parse_number(rd, c, field[f], len[f], line_no, positive, &v[c], err);
        if (s) return s;
    }
    const char *name = "";
    int name_len = 0;
    if (runs->has_dataset) {
        name = field[rd->field_of[COL_DATASET]];
        name_len = len[rd->field_of[COL_DATASET]];
        if (name_len == 0)
            return zs_fail(err, ZS_ERR_FORMAT, "%s:%zu: column '%s' is empty: expected a name",
                           rd->name, line_no, rd->names[COL_DATASET]);
    }
    if (!runs->has_flops && !isfinite(6 * v[COL_N] * v[COL_D]))
        return zs_fail(err, ZS_ERR_FORMAT,
                       "%s:%zu: columns '%s' and '%s': 6 N D overflows to infinite flops, "
                       "expected a finite compute",
                       rd->name, line_no, rd->names[COL_N], rd->names[COL_D]);
    s = find_dataset(runs, rd, name, name_len, v[COL_H], v[COL_E_MAX], line_no,
                     &runs->dataset_index[row], err);
    if (s) return s;
    runs->n_params[row] = v[COL_N];
    runs->n_tokens[row] = v[COL_D];
    runs->loss_nats[row] = v[COL_LOSS];
    runs->flops[row] = runs->has_flops ? v[COL_FLOPS] : 6 * v[COL_N] * v[COL_D];
    runs->weight[row] = runs->has_weight ? v[COL_WEIGHT] : 1.0;
    if (runs->has_steps) runs->steps[row] = v[COL_STEPS];
    runs->n_rows++;
    return ZS_OK;
}

static int blank(const char *line, const char *end) {
    for (; line < end; line++)
        if (!isspace((unsigned char)*line)) return 0;
    return 1;
}

zs_status zs_runs_parse(zs_runs *runs, const char *text, size_t len, const char *name,
                        const zs_runs_columns *cols, int skip_invalid, zs_error *err) {
    memset(runs, 0, sizeof *runs);
    reader rd = {.name = name};
    for (int c = 0; c < COL_COUNT; c++) {
        const char *given = column_option(cols, c);
        rd.names[c] = given ? given : default_names[c];
        rd.named[c] = given != NULL;
    }
    zs_sha256_hex(text, len, runs->sha256);
    const char *p = text, *end = text + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    size_t line_no = 0;
    int have_header = 0;
    zs_status s = ZS_OK;
    while (!s && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (line_end > p && line_end[-1] == '\r') line_end--;
        line_no++;
        if (blank(p, line_end)) {
            p = next;
            continue;
        }
        if (!have_header) {
            s = read_header(&rd, p, line_end, line_no, err);
            if (!s) {
                have_header = 1;
                runs->has_dataset = rd.field_of[COL_DATASET] >= 0;
                runs->has_h = rd.field_of[COL_H] >= 0;
                runs->has_flops = rd.field_of[COL_FLOPS] >= 0;
                runs->has_weight = rd.field_of[COL_WEIGHT] >= 0;
                runs->has_seed = rd.field_of[COL_SEED] >= 0;
                runs->has_steps = rd.field_of[COL_STEPS] >= 0;
                runs->has_e_max = rd.field_of[COL_E_MAX] >= 0;
            }
        } else {
            runs->rows_read++;
            s = read_row(runs, &rd, p, line_end, line_no, err);
            if (s == ZS_ERR_FORMAT && skip_invalid) {
                runs->rows_skipped++;
                s = ZS_OK;
            }
        }
        p = next;
    }
    if (!s && !have_header)
        s = zs_fail(err, ZS_ERR_FORMAT, "%s: empty file: expected a header line (N,D,loss,...)",
                    name);
    if (!s && runs->n_rows == 0)
        s = zs_fail(err, ZS_ERR_FORMAT, "%s: no valid data rows (%zu read, %zu skipped)", name,
                    runs->rows_read, runs->rows_skipped);
    free(rd.dataset_line);
    if (s) zs_runs_free(runs);
    return s;
}

zs_status zs_runs_read(zs_runs *runs, const char *path, const zs_runs_columns *cols,
                       int skip_invalid, zs_error *err) {
    char *text;
    size_t len;
    memset(runs, 0, sizeof *runs);
    zs_status s = zs_read_file(path, &text, &len, err);
    if (s) return s;
    s = zs_runs_parse(runs, text, len, path, cols, skip_invalid, err);
    free(text);
    return s;
}

size_t zs_runs_dataset_rows(const zs_runs *runs, size_t dataset, size_t *rows) {
    size_t n = 0;
    for (size_t i = 0; i < runs->n_rows; i++)
        if (runs->dataset_index[i] == dataset) rows[n++] = i;
    return n;
}

const char *zs_runs_dataset_label(const zs_runs *runs, size_t dataset) {
    return runs->dataset_names[dataset] ? runs->dataset_names[dataset] : "(all rows)";
}

void zs_runs_free(zs_runs *runs) {
    if (!runs) return;
    free(runs->n_params);
    free(runs->n_tokens);
    free(runs->loss_nats);
    free(runs->flops);
    free(runs->weight);
    free(runs->steps);
    free(runs->dataset_index);
    for (size_t i = 0; runs->dataset_names && i < runs->n_datasets; i++)
        free(runs->dataset_names[i]);
    free(runs->dataset_names);
    free(runs->dataset_h);
    free(runs->dataset_e_max);
    memset(runs, 0, sizeof *runs);
}
