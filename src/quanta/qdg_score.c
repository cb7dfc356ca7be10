/* quanta, QDG: scores of a clustering against ground truth (zipscale/quanta_qdg.h): the
 * adjusted Rand index and normalised mutual information from the contingency table (its
 * non-empty cells, by sorting), as scikit-learn computes them; cluster sizes and the
 * rank-frequency slope. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta_qdg.h"

typedef struct {
    uint32_t a, b;
} pair;

static int by_a_then_b(const void *x, const void *y) {
    const pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

static int by_b(const void *x, const void *y) {
    const pair *p = x, *q = y;
    return (p->b > q->b) - (p->b < q->b);
}

static int by_u32(const void *x, const void *y) {
    uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;
    return (p > q) - (p < q);
}

size_t zs_qdg_count_classes(const uint32_t *labels, size_t n) {
    if (n == 0) return 0;
    uint32_t *s = malloc(n * sizeof *s);
    if (!s) return 0;
    for (size_t i = 0; i < n; i++) s[i] = labels[i];
    qsort(s, n, sizeof *s, by_u32);
    size_t c = 1;
    for (size_t i = 1; i < n; i++) c += s[i] != s[i - 1];
    free(s);
    return c;
}

/* The contingency table's sufficient statistics. The callback sees each run of equal keys. */
typedef struct {
    double n;
    double sum_cells_sq, sum_a_sq, sum_b_sq; /* Σ n_ij², Σ a_i², Σ b_j² */
    double mi, ha, hb;                       /* mutual information and entropies, nats */
    size_t classes_a, classes_b;
    int ok;
} table;

static double plogp(double count, double n) {
    return count > 0.0 ? count / n * log(count / n) : 0.0;
}

static table tabulate(const uint32_t *a, const uint32_t *b, size_t n) {
    table t = {.n = (double)n};
    pair *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) return t;
    t.ok = 1;
    for (size_t i = 0; i < n; i++) p[i] = (pair){a[i], b[i]};
    qsort(p, n, sizeof *p, by_a_then_b);
    /* a's marginals */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].a == p[i].a) j++;
        double ai = (double)(j - i);
        t.sum_a_sq += ai * ai;
        t.ha -= plogp(ai, t.n);
        t.classes_a++;
        i = j;
    }
    /* cells */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].a == p[i].a && p[j].b == p[i].b) j++;
        double c = (double)(j - i);
        t.sum_cells_sq += c * c;
        i = j;
    }
    /* mutual information needs both marginals of each cell: keep a's total per run */
    double *a_tot = malloc((n ? n : 1) * sizeof *a_tot);
    if (!a_tot) {
        free(p);
        t.ok = 0;
        return t;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].a == p[i].a) j++;
        for (size_t q = i; q < j; q++) a_tot[q] = (double)(j - i);
        i = j;
    }
    /* the cells' (count, a total) then b's totals: sort a copy by b, stable enough via index */
    double mi_partial = 0.0; /* Σ n_ij/n · ln(n·n_ij / a_i) */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].a == p[i].a && p[j].b == p[i].b) j++;
        double c = (double)(j - i);
        mi_partial += c / t.n * log(t.n * c / a_tot[i]);
        i = j;
    }
    free(a_tot);
    /* Σ_ij n_ij/n · ln(1/b_j) = Σ_j b_j/n · ln(1/b_j): b's marginals alone */
    qsort(p, n, sizeof *p, by_b);
    double b_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].b == p[i].b) j++;
        double bj = (double)(j - i);
        t.sum_b_sq += bj * bj;
        t.hb -= plogp(bj, t.n);
        b_term += bj / t.n * log(bj);
        t.classes_b++;
        i = j;
    }
    t.mi = mi_partial - b_term;
    free(p);
    return t;
}

double zs_qdg_ari(const uint32_t *a, const uint32_t *b, size_t n) {
    table t = tabulate(a, b, n);
    if (!t.ok) return NAN;
    double tp = t.sum_cells_sq - t.n;
    double fp = t.sum_b_sq - t.sum_cells_sq;
    double fn = t.sum_a_sq - t.sum_cells_sq;
    double tn = t.n * t.n - fp - fn - t.sum_cells_sq;
    if (fn == 0.0 && fp == 0.0) return 1.0;
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

double zs_qdg_nmi(const uint32_t *a, const uint32_t *b, size_t n) {
    table t = tabulate(a, b, n);
    if (!t.ok) return NAN;
    if (t.classes_a == t.classes_b && t.classes_a <= 1) return 1.0;
    if (t.mi <= 0.0) return 0.0;
    double norm = 0.5 * (t.ha + t.hb);
    if (norm < 2.220446049250313e-16) norm = 2.220446049250313e-16;
    return t.mi / norm;
}

void zs_qdg_cluster_sizes(const uint32_t *labels, size_t n, size_t k, uint64_t *sizes) {
    for (size_t c = 0; c < k; c++) sizes[c] = 0;
    for (size_t i = 0; i < n; i++)
        if (labels[i] < k) sizes[labels[i]]++;
}

static int by_u64_desc(const void *x, const void *y) {
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return (p < q) - (p > q);
}

double zs_qdg_rank_slope(const uint64_t *sizes, size_t k, size_t rank_lo, size_t rank_hi) {
    uint64_t *s = malloc((k ? k : 1) * sizeof *s);
    if (!s) return NAN;
    size_t m = 0;
    for (size_t c = 0; c < k; c++)
        if (sizes[c] > 0) s[m++] = sizes[c];
    qsort(s, m, sizeof *s, by_u64_desc);
    if (rank_lo < 1) rank_lo = 1;
    if (rank_hi > m) rank_hi = m;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, cnt = 0;
    for (size_t r = rank_lo; r <= rank_hi; r++) {
        double x = log((double)r), y = log((double)s[r - 1]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        cnt++;
    }
    free(s);
    if (cnt < 2) return NAN;
    double den = cnt * sxx - sx * sx;
    return den > 0 ? (cnt * sxy - sx * sy) / den : NAN;
}
