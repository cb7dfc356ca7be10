/* nn: the float matmuls training uses (matmul.h), through oneDNN's matmul primitive. Each
 * distinct problem (shapes, strides, operand types, scale, accumulation) gets its primitive
 * once, cached in the context; bf16 operands are rounded (nearest-even) into the context's
 * scratch buffers, accumulation and outputs stay fp32. While the weights are held
 * (zs_mm_hold_weights), a bf16 context keeps each weight rounded and packed in the layout the
 * primitive chose (format "any"), one copy per weight and product, refreshed once per hold.
 * oneDNN here runs on OpenMP and uses the calling thread's team size, which is set to the
 * context's thread count around every creation and execution; a fixed count gives the same
 * bytes on every run.
 *
 * oneDNN 2.6 has bf16 matmul kernels only on CPUs with AVX-512 (its primitive descriptor is
 * "unimplemented" on an AVX2 CPU). There a bf16 context "widens": every bf16 operand is rounded
 * as usual and then turned back into floats (exactly), and the product runs as an fp32 one. The
 * arithmetic is the same as the bf16 kernels' (each product of two bf16 values is exact in fp32,
 * every sum is fp32); only the order of the sums is oneDNN's fp32 order. */
#include "nn/matmul.h"

#include <limits.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    zs_mm_problem problem;
    int packed_b; /* b in the layout oneDNN chose for it (a packed weight), not b_strides */
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c; /* created without data; each call sets the pointers */
} mm_entry;

/* A weight packed for one entry's b: rounded to bf16 in bf16 contexts, then reordered into the
 * entry's layout; valid while its generation is the context's. */
typedef struct {
    const float *weight;
    size_t entry;               /* index into entries */
    unsigned long generation;   /* packed from the weight as it was in this generation */
    dnnl_memory_t from, packed; /* from: the plain b, no data of its own; packed owns its buffer */
    dnnl_primitive_t reorder;
} packed_weight;

struct zs_mm {
    zs_precision precision;
    int threads;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    mm_entry *entries;
    size_t n_entries, cap_entries;
    packed_weight *packed;
    size_t n_packed, cap_packed;
    unsigned long generation; /* 0: weights not held (zs_mm_hold_weights) */
    void *bf16[2];            /* the two operands of a bf16 product (uint16_t) */
    size_t bf16_cap[2];       /* bytes */
    int widen;                /* bf16 context on a CPU without oneDNN bf16 kernels (above) */
    void *wide[2];            /* a and b of a widened product (float) */
    size_t wide_cap[2];       /* bytes */
};

/* Sets the calling thread's OpenMP team size for oneDNN; returns the previous one. */
static int enter_threads(const zs_mm *mm) {
    int previous = omp_get_max_threads();
    omp_set_num_threads(mm->threads);
    return previous;
}

static zs_status dnnl_fail(zs_error *err, dnnl_status_t st, const char *what,
                           const zs_mm_problem *p) {
    return zs_fail(err, st == dnnl_out_of_memory ? ZS_ERR_NOMEM : ZS_ERR_INTERNAL,
                   "oneDNN %s failed (%s) for a matmul of batch %zux%zu, M=%zu K=%zu N=%zu, "
                   "operands %s·%s",
                   what, dnnl_status2str(st), p->batch[0], p->batch[1], p->M, p->K, p->N,
                   p->a_bf16 ? "bf16" : "f32", p->b_bf16 ? "bf16" : "f32");
}

static int has_bf16_kernels(zs_mm *mm);

zs_status zs_mm_create(zs_mm **out, zs_precision precision, int threads, zs_error *err) {
    zs_mm *mm = zs_calloc(1, sizeof *mm, "matmul context", err);
    if (!mm) return ZS_ERR_NOMEM;
    mm->precision = precision;
    mm->threads = zs_threads_resolve(threads);
    dnnl_status_t st = dnnl_engine_create(&mm->engine, dnnl_cpu, 0);
    if (st == dnnl_success)
        st = dnnl_stream_create(&mm->stream, mm->engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        zs_mm_free(mm);
        return zs_fail(err, ZS_ERR_INTERNAL, "oneDNN: cannot create a CPU engine and stream (%s)",
                       dnnl_status2str(st));
    }
    mm->widen = precision == ZS_PRECISION_BF16 && !has_bf16_kernels(mm);
    *out = mm;
    return ZS_OK;
}

void zs_mm_free(zs_mm *mm) {
    if (!mm) return;
    for (size_t i = 0; i < mm->n_entries; i++) {
        dnnl_primitive_destroy(mm->entries[i].prim);
        dnnl_memory_destroy(mm->entries[i].a);
        dnnl_memory_destroy(mm->entries[i].b);
        dnnl_memory_destroy(mm->entries[i].c);
    }
    free(mm->entries);
    for (size_t i = 0; i < mm->n_packed; i++) {
        dnnl_primitive_destroy(mm->packed[i].reorder);
        dnnl_memory_destroy(mm->packed[i].from);
        dnnl_memory_destroy(mm->packed[i].packed);
    }
    free(mm->packed);
    if (mm->stream) dnnl_stream_destroy(mm->stream);
    if (mm->engine) dnnl_engine_destroy(mm->engine);
    free(mm->bf16[0]);
    free(mm->bf16[1]);
    free(mm->wide[0]);
    free(mm->wide[1]);
    free(mm);
}

zs_precision zs_mm_precision(const zs_mm *mm) {
    return mm->precision;
}

int zs_mm_threads(const zs_mm *mm) {
    return mm->threads;
}

static int same_problem(const zs_mm_problem *x, const zs_mm_problem *y) {
    if (x->batch[0] != y->batch[0] || x->batch[1] != y->batch[1] || x->M != y->M || x->K != y->K ||
        x->N != y->N || x->a_bf16 != y->a_bf16 || x->b_bf16 != y->b_bf16 || x->alpha != y->alpha ||
        x->accumulate != y->accumulate)
        return 0;
    for (int d = 0; d < 4; d++)
        if (x->a_strides[d] != y->a_strides[d] || x->b_strides[d] != y->b_strides[d] ||
            x->c_strides[d] != y->c_strides[d])
            return 0;
    return 1;
}

/* A plain strided descriptor: 2 dims (rows, cols) when the problem has no batch, else 4.
 * The sizes and strides are within int64 (zs_mm_run checked). */
static dnnl_status_t describe(dnnl_memory_desc_t *md, const zs_mm_problem *p, size_t rows,
                              size_t cols, const size_t strides[4], int bf16) {
    const int batched = p->batch[0] * p->batch[1] != 1;
    const size_t sizes[4] = {p->batch[0], p->batch[1], rows, cols};
    dnnl_dims_t dims, dstrides;
    const int first = batched ? 0 : 2;
    for (int d = first; d < 4; d++) {
        dims[d - first] = (dnnl_dim_t)sizes[d];
        dstrides[d - first] = (dnnl_dim_t)strides[d];
    }
    return dnnl_memory_desc_init_by_strides(md, 4 - first, dims, bf16 ? dnnl_bf16 : dnnl_f32,
                                            dstrides);
}

/* Whether every size and stride of p fits oneDNN's signed 64-bit dimensions. */
static int within_int64(const zs_mm_problem *p) {
    const size_t limit = (size_t)INT64_MAX;
    if (p->batch[0] > limit || p->batch[1] > limit || p->M > limit || p->K > limit || p->N > limit)
        return 0;
    for (int d = 0; d < 4; d++)
        if (p->a_strides[d] > limit || p->b_strides[d] > limit || p->c_strides[d] > limit) return 0;
    return 1;
}

/* Whether oneDNN has a bf16·bf16 → f32 matmul on this CPU (a 16×16×16 product's primitive
 * descriptor can be made). */
static int has_bf16_kernels(zs_mm *mm) {
    const zs_mm_problem p = {.batch = {1, 1},
                             .M = 16,
                             .K = 16,
                             .N = 16,
                             .a_strides = {0, 0, 16, 1},
                             .b_strides = {0, 0, 16, 1},
                             .c_strides = {0, 0, 16, 1},
                             .a_bf16 = 1,
                             .b_bf16 = 1,
                             .alpha = 1.0f};
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = describe(&a_md, &p, p.M, p.K, p.a_strides, 1);
    if (st == dnnl_success) st = describe(&b_md, &p, p.K, p.N, p.b_strides, 1);
    if (st == dnnl_success) st = describe(&c_md, &p, p.M, p.N, p.c_strides, 0);
    if (st == dnnl_success) st = dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md);
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &desc, NULL, mm->engine, NULL);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return st == dnnl_success;
}

/* Builds the primitive and its three memory objects for p into e; b in the layout oneDNN
 * prefers when packed_b. */
static zs_status create_entry(zs_mm *mm, mm_entry *e, const zs_mm_problem *p, int packed_b,
                              zs_error *err) {
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_status_t st = describe(&a_md, p, p->M, p->K, p->a_strides, p->a_bf16);
    if (st == dnnl_success && packed_b) {
        const dnnl_dims_t dims = {(dnnl_dim_t)p->K, (dnnl_dim_t)p->N};
        st = dnnl_memory_desc_init_by_tag(&b_md, 2, dims, p->b_bf16 ? dnnl_bf16 : dnnl_f32,
                                          dnnl_format_tag_any);
    } else if (st == dnnl_success) {
        st = describe(&b_md, p, p->K, p->N, p->b_strides, p->b_bf16);
    }
    if (st == dnnl_success) st = describe(&c_md, p, p->M, p->N, p->c_strides, 0);
    if (st != dnnl_success) return dnnl_fail(err, st, "memory descriptor", p);
    dnnl_matmul_desc_t desc;
    st = dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md);
    if (st != dnnl_success) return dnnl_fail(err, st, "matmul descriptor", p);

    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success && p->alpha != 1.0f)
        st = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &p->alpha);
    if (st == dnnl_success && p->accumulate) {
        st = dnnl_post_ops_create(&ops);
        if (st == dnnl_success) st = dnnl_post_ops_append_sum(ops, 1.0f);
        if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &desc, attr, mm->engine, NULL);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return dnnl_fail(err, st, "matmul primitive descriptor", p);
    e->problem = *p;
    e->packed_b = packed_b;
    e->a = e->b = e->c = NULL;
    if (packed_b) b_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    st = dnnl_primitive_create(&e->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) return dnnl_fail(err, st, "matmul primitive", p);
    st = dnnl_memory_create(&e->a, &a_md, mm->engine, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&e->b, &b_md, mm->engine, DNNL_MEMORY_NONE);
    if (st == dnnl_success) st = dnnl_memory_create(&e->c, &c_md, mm->engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success) {
        dnnl_primitive_destroy(e->prim);
        dnnl_memory_destroy(e->a);
        dnnl_memory_destroy(e->b);
        return dnnl_fail(err, st, "memory object", p);
    }
    return ZS_OK;
}

/* The cached entry for p, created on first use. */
static zs_status find_entry(zs_mm *mm, const zs_mm_problem *p, int packed_b, mm_entry **out,
                            zs_error *err) {
    for (size_t i = 0; i < mm->n_entries; i++)
        if (mm->entries[i].packed_b == packed_b && same_problem(&mm->entries[i].problem, p)) {
            *out = &mm->entries[i];
            return ZS_OK;
        }
    if (mm->n_entries == mm->cap_entries) {
        size_t cap = mm->cap_entries ? 2 * mm->cap_entries : 16;
        mm_entry *grown = realloc(mm->entries, cap * sizeof *grown);
        if (!grown)
            return zs_fail(err, ZS_ERR_NOMEM, "out of memory for the matmul primitive cache");
        mm->entries = grown;
        mm->cap_entries = cap;
    }
    mm_entry *e = &mm->entries[mm->n_entries];
    zs_status st = create_entry(mm, e, p, packed_b, err);
    if (st != ZS_OK) return st;
    mm->n_entries++;
    *out = e;
    return ZS_OK;
}

/* Whether p has something to compute, or ZS_ERR_RANGE if oneDNN cannot describe it. */
static zs_status check_problem(const zs_mm_problem *p, int *empty, zs_error *err) {
    *empty = p->batch[0] * p->batch[1] * p->M * p->N == 0;
    if (*empty || within_int64(p)) return ZS_OK;
    return zs_fail(err, ZS_ERR_RANGE,
                   "matmul of batch %zux%zu, M=%zu K=%zu N=%zu: a size or stride beyond "
                   "oneDNN's int64 dimensions",
                   p->batch[0], p->batch[1], p->M, p->K, p->N);
}

/* Runs e's primitive on a, b, c; the caller has set the thread count. */
static zs_status execute(zs_mm *mm, const mm_entry *e, const void *a, const void *b, float *c,
                         zs_error *err) {
    dnnl_status_t st = dnnl_memory_set_data_handle(e->a, (void *)a);
    if (st == dnnl_success) st = dnnl_memory_set_data_handle(e->b, (void *)b);
    if (st == dnnl_success) st = dnnl_memory_set_data_handle(e->c, c);
    const dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    if (st == dnnl_success) st = dnnl_primitive_execute(e->prim, mm->stream, 3, args);
    if (st == dnnl_success) st = dnnl_stream_wait(mm->stream);
    if (st != dnnl_success) return dnnl_fail(err, st, "matmul execution", &e->problem);
    return ZS_OK;
}

/* Below this many values a second thread costs more than it saves. */
#define BF16_PARALLEL_MIN 65536

/* *buf (capacity *cap bytes) grown to at least `bytes`, its contents not kept; never NULL for
 * 0 bytes (an empty product still needs a pointer); NULL when out of memory (err names
 * `what`). */
static void *scratch(void **buf, size_t *cap, size_t bytes, const char *what, zs_error *err) {
    if (bytes == 0) bytes = 1;
    if (*cap < bytes) {
        void *grown = zs_alloc(bytes, what, err);
        if (!grown) return NULL;
        free(*buf);
        *buf = grown;
        *cap = bytes;
    }
    return *buf;
}

/* Float scratch slot `slot` holding at least n values (widened operands). */
static float *wide_scratch(zs_mm *mm, int slot, size_t n, zs_error *err) {
    return scratch(&mm->wide[slot], &mm->wide_cap[slot], n * sizeof(float),
                   "widened bf16 matmul operands", err);
}

/* The n bf16 values at src as floats (exact) in float scratch slot `slot`; NULL when out of
 * memory. */
static const float *widened(zs_mm *mm, int slot, const uint16_t *src, size_t n, zs_error *err) {
    float *dst = wide_scratch(mm, slot, n, err);
    if (!dst) return NULL;
    const int split = n >= BF16_PARALLEL_MIN;
#pragma omp parallel for simd if (parallel : split) num_threads(mm->threads) schedule(static)
    for (size_t i = 0; i < n; i++) {
        const uint32_t bits = (uint32_t)src[i] << 16;
        float x;
        memcpy(&x, &bits, sizeof x);
        dst[i] = x;
    }
    return dst;
}

/* Elements an operand of (rows, cols) with p's batch and these strides spans (0: none). */
static size_t span(const zs_mm_problem *p, size_t rows, size_t cols, const size_t strides[4]) {
    const size_t sizes[4] = {p->batch[0], p->batch[1], rows, cols};
    size_t last = 0;
    for (int d = 0; d < 4; d++) {
        if (sizes[d] == 0) return 0;
        last += (sizes[d] - 1) * strides[d];
    }
    return last + 1;
}

/* A widening context's bf16 problem p as the fp32 problem *q, its bf16 operands *a and *b
 * (those p marks bf16) replaced by widened copies in float slots 0 and 1. */
static zs_status widen_problem(zs_mm *mm, const zs_mm_problem *p, zs_mm_problem *q, const void **a,
                               const void **b, zs_error *err) {
    *q = *p;
    q->a_bf16 = q->b_bf16 = 0;
    if (p->a_bf16 && !(*a = widened(mm, 0, *a, span(p, p->M, p->K, p->a_strides), err)))
        return ZS_ERR_NOMEM;
    if (p->b_bf16 && !(*b = widened(mm, 1, *b, span(p, p->K, p->N, p->b_strides), err)))
        return ZS_ERR_NOMEM;
    return ZS_OK;
}

zs_status zs_mm_run(zs_mm *mm, const zs_mm_problem *p, const void *a, const void *b, float *c,
                    zs_error *err) {
    int empty;
    zs_status status = check_problem(p, &empty, err);
    if (status != ZS_OK || empty) return status;
    zs_mm_problem q;
    if (mm->widen && (p->a_bf16 || p->b_bf16)) {
        status = widen_problem(mm, p, &q, &a, &b, err);
        if (status != ZS_OK) return status;
        p = &q;
    }
    const int previous = enter_threads(mm);
    mm_entry *e = NULL;
    status = find_entry(mm, p, 0, &e, err);
    if (status == ZS_OK) status = execute(mm, e, a, b, c, err);
    omp_set_num_threads(previous);
    return status;
}

void zs_mm_to_bf16(zs_mm *mm, uint16_t *dst, const float *src, size_t n) {
    /* the if clause on the parallel construct only (not the simd: see adamw.c) */
    const int split = n >= BF16_PARALLEL_MIN;
#pragma omp parallel for simd if (parallel : split) num_threads(mm->threads) schedule(static)
    for (size_t i = 0; i < n; i++) dst[i] = zs_bf16_round(src[i]);
}

/* Scratch slot `slot` holding at least n bf16 values. */
static uint16_t *bf16_scratch(zs_mm *mm, int slot, size_t n, zs_error *err) {
    return scratch(&mm->bf16[slot], &mm->bf16_cap[slot], n * sizeof(uint16_t),
                   "bf16 matmul operands", err);
}

/* A 2-D problem (M,K)·(K,N) with the given (row, column) strides of each operand. */
static zs_mm_problem plain(size_t M, size_t K, size_t N, size_t a_row, size_t a_col, size_t b_row,
                           size_t b_col, int bf16, int accumulate) {
    zs_mm_problem p = {
        .batch = {1, 1},
        .M = M,
        .K = K,
        .N = N,
        .a_strides = {0, 0, a_row, a_col},
        .b_strides = {0, 0, b_row, b_col},
        .c_strides = {0, 0, N, 1},
        .a_bf16 = bf16,
        .b_bf16 = bf16,
        .alpha = 1.0f,
        .accumulate = accumulate,
    };
    return p;
}

/* weight as p's b takes it: as it is, or rounded into scratch slot 1 when b is bf16; NULL when
 * out of memory (err says so). */
static const void *weight_operand(zs_mm *mm, const zs_mm_problem *p, const float *weight,
                                  zs_error *err) {
    if (!p->b_bf16) return weight;
    uint16_t *w16 = bf16_scratch(mm, 1, p->K * p->N, err);
    if (w16) zs_mm_to_bf16(mm, w16, weight, p->K * p->N);
    return w16;
}

/* A new packed_weight for entry e (index ei) and weight, not yet packed. */
static packed_weight *new_packed(zs_mm *mm, const mm_entry *e, size_t ei, const float *weight,
                                 zs_status *status, zs_error *err) {
    if (mm->n_packed == mm->cap_packed) {
        size_t cap = mm->cap_packed ? 2 * mm->cap_packed : 16;
        packed_weight *grown = realloc(mm->packed, cap * sizeof *grown);
        if (!grown) {
            *status = zs_fail(err, ZS_ERR_NOMEM, "out of memory for the packed weights' list");
            return NULL;
        }
        mm->packed = grown;
        mm->cap_packed = cap;
    }
    const zs_mm_problem *p = &e->problem;
    packed_weight *w = &mm->packed[mm->n_packed];
    *w = (packed_weight){.weight = weight, .entry = ei};
    dnnl_memory_desc_t from_md;
    const dnnl_memory_desc_t *packed_md = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = describe(&from_md, p, p->K, p->N, p->b_strides, p->b_bf16);
    if (st == dnnl_success) st = dnnl_memory_get_memory_desc(e->b, &packed_md);
    if (st == dnnl_success)
        st = dnnl_memory_create(&w->from, &from_md, mm->engine, DNNL_MEMORY_NONE);
    if (st == dnnl_success)
        st = dnnl_memory_create(&w->packed, packed_md, mm->engine, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&pd, &from_md, mm->engine, packed_md, mm->engine,
                                                NULL);
    if (st == dnnl_success) st = dnnl_primitive_create(&w->reorder, pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) {
        dnnl_memory_destroy(w->from);
        dnnl_memory_destroy(w->packed);
        *status = dnnl_fail(err, st, "weight packing", p);
        return NULL;
    }
    mm->n_packed++;
    return w;
}

/* *out = weight packed for entry e (index ei), packed anew if the generation has changed. */
static zs_status packed_for(zs_mm *mm, const mm_entry *e, size_t ei, const float *weight,
                            void **out, zs_error *err) {
    packed_weight *w = NULL;
    for (size_t i = 0; i < mm->n_packed && !w; i++)
        if (mm->packed[i].weight == weight && mm->packed[i].entry == ei) w = &mm->packed[i];
    zs_status status = ZS_OK;
    if (!w && !(w = new_packed(mm, e, ei, weight, &status, err))) return status;
    dnnl_status_t st = dnnl_success;
    if (w->generation != mm->generation) {
        const void *from = weight_operand(mm, &e->problem, weight, err);
        if (!from) return ZS_ERR_NOMEM;
        const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, w->from}, {DNNL_ARG_TO, w->packed}};
        st = dnnl_memory_set_data_handle(w->from, (void *)from);
        if (st == dnnl_success) st = dnnl_primitive_execute(w->reorder, mm->stream, 2, args);
        if (st == dnnl_success) st = dnnl_stream_wait(mm->stream);
        if (st == dnnl_success) w->generation = mm->generation;
    }
    if (st == dnnl_success) st = dnnl_memory_get_data_handle(w->packed, out);
    return st == dnnl_success ? ZS_OK : dnnl_fail(err, st, "weight packing", &e->problem);
}

int zs_mm_packs_weights(const zs_mm *mm) {
    return mm->precision == ZS_PRECISION_BF16 && !mm->widen;
}

int zs_mm_widens_bf16(const zs_mm *mm) {
    return mm->widen;
}

void zs_mm_force_widen(zs_mm *mm) {
    mm->widen = mm->precision == ZS_PRECISION_BF16;
}

void zs_mm_hold_weights(zs_mm *mm) {
    if (++mm->generation == 0) mm->generation = 1;
}

/* c (+)= a·b for p, b being weight (nn.Linear's (N_out, K_in) floats) read through p's b
 * strides and rounded to bf16 in bf16 contexts: packed once per generation while the weights
 * are held and `pack` (bf16 contexts with oneDNN's bf16 kernels: see zs_mm_hold_weights), else
 * read as it is (rounded into scratch slot 1 on every call in bf16, then widened in a widening
 * context, as fp32 contexts never pack). a is as p says. */
static zs_status with_weight(zs_mm *mm, const zs_mm_problem *p, const void *a, const float *weight,
                             float *c, int pack, zs_error *err) {
    if (!mm->generation || !pack || mm->widen) {
        const void *b = weight_operand(mm, p, weight, err);
        return b ? zs_mm_run(mm, p, a, b, c, err) : ZS_ERR_NOMEM;
    }
    int empty;
    zs_status status = check_problem(p, &empty, err);
    if (status != ZS_OK || empty) return status;
    const int previous = enter_threads(mm);
    mm_entry *e = NULL;
    void *b = NULL;
    status = find_entry(mm, p, 1, &e, err);
    if (status == ZS_OK) status = packed_for(mm, e, (size_t)(e - mm->entries), weight, &b, err);
    if (status == ZS_OK) status = execute(mm, e, a, b, c, err);
    omp_set_num_threads(previous);
    return status;
}

zs_status zs_mm_forward(zs_mm *mm, float *out, const float *inp, const float *weight, size_t M,
                        size_t K, size_t N, zs_error *err) {
    const int bf16 = mm->precision == ZS_PRECISION_BF16;
    if (K == 0) {
        memset(out, 0, M * N * sizeof *out);
        return ZS_OK;
    }
    /* weightᵀ (K,N) is weight read with strides (1, K). */
    const zs_mm_problem p = plain(M, K, N, K, 1, 1, K, bf16, 0);
    const void *a = inp;
    if (bf16) {
        uint16_t *a16 = bf16_scratch(mm, 0, M * K, err);
        if (!a16) return ZS_ERR_NOMEM;
        zs_mm_to_bf16(mm, a16, inp, M * K);
        a = a16;
    }
    return with_weight(mm, &p, a, weight, out, bf16, err);
}

zs_status zs_mm_forward_rounded(zs_mm *mm, float *out, const uint16_t *inp16, const float *weight,
                                size_t M, size_t K, size_t N, zs_error *err) {
    if (mm->precision != ZS_PRECISION_BF16)
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "zs_mm_forward_rounded: bf16 operands in an fp32 matmul context");
    if (K == 0) {
        memset(out, 0, M * N * sizeof *out);
        return ZS_OK;
    }
    const zs_mm_problem p = plain(M, K, N, K, 1, 1, K, 1, 0);
    return with_weight(mm, &p, inp16, weight, out, 1, err);
}

/* dinp (+)= dout·weight and dweight += doutᵀ·inp, dinp accumulated when accumulate_dinp;
 * dout and inp are float, or (dout16 / inp16 not NULL, bf16 contexts only) already rounded. */
static zs_status backward(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                          const uint16_t *dout16, const float *inp, const uint16_t *inp16,
                          const float *weight, size_t M, size_t K, size_t N, int accumulate_dinp,
                          zs_error *err) {
    if (dinp && !accumulate_dinp && N == 0) memset(dinp, 0, M * K * sizeof *dinp);
    const int bf16 = mm->precision == ZS_PRECISION_BF16;
    /* In bf16, dout is rounded once for both products (slot 0); the weight, then inp, use
     * slot 1. */
    const void *d = dout16 ? (const void *)dout16 : dout;
    if (bf16 && !dout16 && (dinp || dweight)) {
        uint16_t *d16 = bf16_scratch(mm, 0, M * N, err);
        if (!d16) return ZS_ERR_NOMEM;
        zs_mm_to_bf16(mm, d16, dout, M * N);
        d = d16;
    }
    if (dinp) {
        const zs_mm_problem p = plain(M, N, K, N, 1, K, 1, bf16, accumulate_dinp);
        zs_status st = with_weight(mm, &p, d, weight, dinp, bf16, err);
        if (st != ZS_OK) return st;
    }
    if (dweight) {
        /* doutᵀ (N,M) is dout read with strides (1, N). */
        const zs_mm_problem p = plain(N, M, K, 1, N, K, 1, bf16, 1);
        const void *x = inp16 ? (const void *)inp16 : inp;
        if (bf16 && !inp16) {
            uint16_t *x16 = bf16_scratch(mm, 1, M * K, err);
            if (!x16) return ZS_ERR_NOMEM;
            zs_mm_to_bf16(mm, x16, inp, M * K);
            x = x16;
        }
        zs_status st = zs_mm_run(mm, &p, d, x, dweight, err);
        if (st != ZS_OK) return st;
    }
    return ZS_OK;
}

zs_status zs_mm_backward(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                         const float *inp, const float *weight, size_t M, size_t K, size_t N,
                         zs_error *err) {
    return backward(mm, dinp, dweight, dout, NULL, inp, NULL, weight, M, K, N, 1, err);
}

zs_status zs_mm_backward_write(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                               const float *inp, const float *weight, size_t M, size_t K, size_t N,
                               zs_error *err) {
    return backward(mm, dinp, dweight, dout, NULL, inp, NULL, weight, M, K, N, 0, err);
}

zs_status zs_mm_backward_write_rounded(zs_mm *mm, float *dinp, float *dweight, const float *dout,
                                       const uint16_t *inp16, const float *weight, size_t M,
                                       size_t K, size_t N, zs_error *err) {
    if (mm->precision != ZS_PRECISION_BF16)
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "zs_mm_backward_write_rounded: bf16 operands in an fp32 matmul context");
    return backward(mm, dinp, dweight, dout, NULL, NULL, inp16, weight, M, K, N, 0, err);
}

zs_status zs_mm_backward_write_rounded2(zs_mm *mm, float *dinp, float *dweight,
                                        const uint16_t *dout16, const uint16_t *inp16,
                                        const float *weight, size_t M, size_t K, size_t N,
                                        zs_error *err) {
    if (mm->precision != ZS_PRECISION_BF16)
        return zs_fail(err, ZS_ERR_INTERNAL,
                       "zs_mm_backward_write_rounded2: bf16 operands in an fp32 matmul context");
    return backward(mm, dinp, dweight, NULL, dout16, NULL, inp16, weight, M, K, N, 0, err);
}
