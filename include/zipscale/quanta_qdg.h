/* zipscale quanta, QDG: quanta discovery from gradients ([QM] Michaud et al. 2023, "The
 * Quantization Model of Neural Scaling", §5 and its appendix). Per-sample gradients (rows of
 * G) are L2-normalised, their cosine matrix C = G·Gᵀ becomes an affinity, and spectral
 * clustering of the affinity gives the "quanta". Plus what checks it against ground truth:
 * the adjusted Rand index and normalised mutual information, and the rank-frequency of
 * cluster sizes. Guide: docs/quanta.md ("Quanta discovery from gradients"). */
#ifndef ZIPSCALE_QUANTA_QDG_H
#define ZIPSCALE_QUANTA_QDG_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gradients -> affinity ----------------------------------------------------------------
 * G is (n, d) row-major float, one sample per row. */

/* Subtracts each column's mean (the mean gradient) from G, in place: the "mean-centred"
 * variant. Column means are accumulated in double. Errors: ZS_ERR_NOMEM. */
zs_status zs_qdg_center_columns(float *g, size_t n, size_t d, zs_error *err);
/* Scales each row of G to unit L2 norm in place (norms in double); an all-zero row stays
 * zero. Entries that end below 1e-12 in magnitude become 0 (their products would be
 * subnormal and slow the SYRK many times over; a cosine moves by at most d·1e-12).
 * Returns the number of zero rows. */
size_t zs_qdg_normalize_rows(float *g, size_t n, size_t d);
/* C (n, n) row-major double, both triangles = G·Gᵀ, clipped to [-1, 1]: single-precision
 * SYRK (OpenBLAS) over blocks of 2048 columns, each block's product summed in double; needs
 * n² floats of scratch. Errors: ZS_ERR_USAGE (n or d of 2^31 or more), ZS_ERR_NOMEM. */
zs_status zs_qdg_cosine(const float *g, size_t n, size_t d, double *c, zs_error *err);

typedef enum {
    ZS_QDG_ANGULAR = 0, /* 1 - arccos(C)/π, in [0, 1]: the paper's affinity */
    ZS_QDG_ABS_COS = 1, /* |C|: opposite gradients count as the same mechanism */
} zs_qdg_affinity;
/* Turns the cosine matrix into the affinity, in place. Names: "angular", "abs". */
void zs_qdg_affinity_apply(double *c, size_t n, zs_qdg_affinity kind);
const char *zs_qdg_affinity_name(zs_qdg_affinity kind);

/* A seeded sparse random projection of G to m dimensions (Li, Hastie and Church 2006, "Very
 * sparse random projections"): out (n, m) = G·R with R (d, m) of entries +-sqrt(s/m) with
 * probability 1/(2s) each and 0 otherwise, s = sqrt(d); row j of R comes from its own
 * stream (seed, j), so the bytes do not depend on the thread count. Inner products are kept
 * in expectation; for unit rows a cosine's error has standard deviation about
 * sqrt((1 + cos²)/m) (docs/quanta.md). Errors: ZS_ERR_USAGE (m or d is 0), ZS_ERR_NOMEM. */
zs_status zs_qdg_project(const float *g, size_t n, size_t d, size_t m, uint64_t seed, float *out,
                         zs_error *err);

/* ---- spectral clustering ------------------------------------------------------------------ */
typedef enum {
    /* the eigenvectors divided by sqrt(degree), as scikit-learn's spectral_embedding does
     * (what the paper's code ran: SpectralClustering(affinity='precomputed')) */
    ZS_QDG_EMBED_SKLEARN = 0,
    /* each row of the eigenvectors scaled to unit length (Ng, Jordan and Weiss 2001) */
    ZS_QDG_EMBED_ROWNORM = 1,
    ZS_QDG_EMBED_RAW = 2, /* the eigenvectors as they are */
} zs_qdg_embed;
const char *zs_qdg_embed_name(zs_qdg_embed mode); /* "sklearn", "rownorm", "raw" */
/* Parses a zs_qdg_embed_name. Errors: ZS_ERR_USAGE (another name). */
zs_status zs_qdg_embed_parse(const char *name, zs_qdg_embed *mode, zs_error *err);

/* ---- the leading eigenpairs of a dense symmetric matrix (the embedding's eigensolver) ---- */
typedef enum {
    /* dsyevr below auto_min_n samples, the iterative solver from there */
    ZS_QDG_EIG_AUTO = 0,
    ZS_QDG_EIG_DSYEVR = 1, /* LAPACKE dsyevr for the index range: exact, O(n³) */
    /* Chebyshev-filtered subspace iteration with Rayleigh-Ritz (Zhou, Saad, Tiago and
     * Chelikowsky 2006), block products by OpenBLAS dgemm; dsyevr when it does not converge
     * within max_products */
    ZS_QDG_EIG_ITERATIVE = 2,
} zs_qdg_eigensolver;
const char *zs_qdg_eigensolver_name(zs_qdg_eigensolver s); /* "auto", "dsyevr", "iterative" */
/* Parses a zs_qdg_eigensolver_name. Errors: ZS_ERR_USAGE (another name). */
zs_status zs_qdg_eigensolver_parse(const char *name, zs_qdg_eigensolver *s, zs_error *err);

typedef struct {
    zs_qdg_eigensolver solver; /* ZS_QDG_EIG_AUTO */
    size_t auto_min_n;         /* auto: dsyevr below this many rows (2000) */
    /* iterative: converged when every wanted pair has ||M v - λ v||₂ <= tol · norm_bound */
    double tol; /* 1e-10 */
    /* (n, n)·(n, block) products before falling back to dsyevr (also earlier, from the third
     * round, when the last round's rate of convergence would not reach tol within them);
     * 0 = n / 40 (about dsyevr's own cost, measured), at least 200 for ZS_QDG_EIG_ITERATIVE */
    uint64_t max_products;
    uint32_t degree; /* the Chebyshev filter's highest degree per round (16) */
    uint32_t guard;  /* extra block vectors beyond the wanted; 0 = max(10, n_vec / 2) */
    uint64_t seed;   /* the start block: column j from RNG stream (seed, j) */
} zs_qdg_eigen_opts;
void zs_qdg_eigen_opts_init(zs_qdg_eigen_opts *opts);

typedef struct {
    zs_qdg_eigensolver used; /* ZS_QDG_EIG_DSYEVR or ZS_QDG_EIG_ITERATIVE: what gave the result */
    int fell_back;           /* the iterative solver ran and did not converge */
    uint32_t rounds;         /* iterative filter rounds run */
    uint64_t products;       /* (n, n)·(n, block) products run */
    size_t block;            /* the iterative block size */
    double max_residual;     /* iterative: the largest ||M v - λ v||₂ of the wanted pairs */
} zs_qdg_eigen_info;

/* The n_vec largest eigenvalues of the symmetric M (n, n), row-major, both triangles set,
 * whose spectrum lies in [-norm_bound, norm_bound], descending in vals (n_vec), and their
 * unit eigenvectors as the columns of vecs (n, n_vec) row-major, by opts (NULL: defaults).
 * M is overwritten when dsyevr runs. The bytes depend on the seed, not on the thread count.
 * info may be NULL. Errors: ZS_ERR_USAGE (n_vec not 1..n, n of 2^31 or more, norm_bound not
 * > 0), ZS_ERR_NOMEM, ZS_ERR_INTERNAL (LAPACK fails). */
zs_status zs_qdg_eigen_leading(double *m, size_t n, size_t n_vec, double norm_bound,
                               const zs_qdg_eigen_opts *opts, double *vecs, double *vals,
                               zs_qdg_eigen_info *info, zs_error *err);

/* The spectral embedding of the affinity A (n, n) symmetric, non-negative: the diagonal is
 * ignored (as scipy's laplacian), degrees d_i = Σ_{j≠i} A_ij, and the n_vec eigenvectors of
 * D^-1/2 (A - diag) D^-1/2 with the largest eigenvalues (those of the normalised Laplacian
 * with the smallest), by zs_qdg_eigen_leading with default options (auto: dsyevr below 2000
 * samples, the iterative solver from there, residual 1e-10). emb (n, n_vec) row-major,
 * column j the eigenvector of the j-th largest eigenvalue (eigvals, may be NULL, descending),
 * each column's sign fixed so its largest-magnitude entry is positive, then scaled by `mode`.
 * A node of degree 0 keeps degree 1 (as scipy). Errors: ZS_ERR_USAGE (n_vec not 1..n),
 * ZS_ERR_RANGE (a negative or non-finite affinity: the message names the entry),
 * ZS_ERR_NOMEM, ZS_ERR_INTERNAL (LAPACK fails). */
zs_status zs_qdg_spectral_embedding(const double *a, size_t n, size_t n_vec, zs_qdg_embed mode,
                                    double *emb, double *eigvals, zs_error *err);
/* The same with the eigensolver's options (NULL: defaults) and what it did (info, may be
 * NULL). Errors: as zs_qdg_spectral_embedding, and ZS_ERR_USAGE (an unknown solver). */
zs_status zs_qdg_spectral_embedding_eig(const double *a, size_t n, size_t n_vec, zs_qdg_embed mode,
                                        const zs_qdg_eigen_opts *eig, double *emb, double *eigvals,
                                        zs_qdg_eigen_info *info, zs_error *err);

typedef struct {
    uint32_t restarts; /* k-means++ restarts, best inertia kept; 30 as the paper's code */
    uint32_t max_iter; /* Lloyd iterations per restart; 300 as scikit-learn */
    uint64_t seed;
    int threads; /* restarts run in parallel; 0 = all cores. Labels do not depend on it */
} zs_qdg_kmeans_opts;
void zs_qdg_kmeans_opts_init(zs_qdg_kmeans_opts *opts); /* 30, 300, seed 0, threads 0 */

/* k-means of x (n, dim) row-major into k clusters: each restart r seeds greedy k-means++
 * (2 + floor(ln k) candidates per centre, as scikit-learn) from stream (seed, r), then
 * Lloyd's iterations until no label changes or max_iter; the restart of least inertia wins
 * (the lowest r on a tie). labels (n) in 0..k-1; *inertia (may be NULL) the winner's sum
 * of squared distances. Errors: ZS_ERR_USAGE (k not 1..n, restarts or max_iter 0),
 * ZS_ERR_NOMEM. */
zs_status zs_qdg_kmeans(const double *x, size_t n, size_t dim, size_t k,
                        const zs_qdg_kmeans_opts *opts, uint32_t *labels, double *inertia,
                        zs_error *err);

/* The CPQR assignment of labels (Damle, Minden and Ying 2019, "Simple, direct and efficient
 * multi-way spectral clustering"; scikit-learn's SpectralClustering(assign_labels=
 * 'cluster_qr')): x (n, k) row-major, a k-column spectral embedding. The first k pivots of a
 * column-pivoted QR of xᵀ (the row of largest norm after removing the rows picked before,
 * the lowest index on a tie) name k rows; with B = x[pivots]ᵀ = U·S·Vᵀ, labels (n) in
 * 0..k-1 are each row's argmax of |x·U·Vᵀ| (the lowest column on a tie). No seed and no
 * restarts. Errors: ZS_ERR_USAGE (k not 1 .. min(n, 65535)), ZS_ERR_NOMEM, ZS_ERR_INTERNAL
 * (the SVD did not converge). */
zs_status zs_qdg_cluster_qr(const double *x, size_t n, size_t k, uint32_t *labels, zs_error *err);

/* Spectral clustering: zs_qdg_spectral_embedding with n_vec = max(k, n_vec) eigenvectors
 * (n_vec 0: k), then zs_qdg_kmeans into k clusters. Errors: as those two. */
zs_status zs_qdg_spectral_cluster(const double *a, size_t n, size_t k, size_t n_vec,
                                  zs_qdg_embed mode, const zs_qdg_kmeans_opts *opts,
                                  uint32_t *labels, zs_error *err);

/* ---- scores against ground truth ----------------------------------------------------------
 * Two labelings of the same n samples (any uint32 values). */
/* The adjusted Rand index (Hubert and Arabie 1985), as sklearn.metrics.adjusted_rand_score:
 * 1 when the two agree up to renaming (also when both are one cluster), ~0 by chance. */
double zs_qdg_ari(const uint32_t *a, const uint32_t *b, size_t n);
/* Normalised mutual information, arithmetic mean of the entropies (sklearn's default
 * normalized_mutual_info_score): 1 when both are one cluster. */
double zs_qdg_nmi(const uint32_t *a, const uint32_t *b, size_t n);
/* The number of distinct values. */
size_t zs_qdg_count_classes(const uint32_t *labels, size_t n);

/* ---- cluster sizes ------------------------------------------------------------------------- */
/* sizes (k): how many of the labels (each below k) are each value. */
void zs_qdg_cluster_sizes(const uint32_t *labels, size_t n, size_t k, uint64_t *sizes);
/* The least-squares slope of ln(size) against ln(rank) over ranks rank_lo..rank_hi
 * (1-based, inclusive) of the sizes sorted descending, empty clusters left out; NAN when
 * fewer than two ranks remain. */
double zs_qdg_rank_slope(const uint64_t *sizes, size_t k, size_t rank_lo, size_t rank_hi);

/* ---- sample selection ----------------------------------------------------------------------
 * The samples QDG clusters: those of loss below max_loss_nats, in order, then an evenly
 * spaced subsample of at most n of them: kept index floor((i + u)·kept/n) for i = 0 .. n-1,
 * u uniform in [0, 1) from the stream (seed, "qdg.subsample"). chosen (capacity n) receives
 * the indices into loss, increasing; *n_below (may be NULL) how many were below. Returns
 * how many were chosen: min(n, below). NaN losses are never below. */
size_t zs_qdg_select(const float *loss, size_t count, double max_loss_nats, size_t n, uint64_t seed,
                     size_t *chosen, size_t *n_below);

/* ---- QDG on a sparse-parity MLP, checked against each example's true subtask ------------
 * zs_qdg_parity_run: score `pool` examples of the checkpoint's test stream, keep those of
 * loss below max_loss_nats, take an evenly spaced subsample of n of them (a seeded offset),
 * compute their per-sample gradients (zs_mlp_sample_grads, every layer), and for each
 * variant: its layers' columns, centred or not, projected or not, row-normalised, cosine,
 * affinity, spectral embedding, k-means (or CPQR) for k and each k of the sweep, ARI and NMI
 * against the subtasks. docs/quanta.md ("Quanta discovery from gradients"). */
typedef enum {
    ZS_QDG_PART_ALL = 0,     /* weights and biases */
    ZS_QDG_PART_WEIGHTS = 1, /* weights only */
    ZS_QDG_PART_BIASES = 2,  /* biases only */
    ZS_QDG_PART_MLP = 3,     /* GPT: the blocks' MLP matrices (mlp_gate_up, mlp_down) */
    ZS_QDG_PART_ATTN = 4,    /* GPT: the blocks' attention matrices (attn_qkv, attn_out) */
} zs_qdg_part;
typedef enum {
    ZS_QDG_ASSIGN_KMEANS = 0, /* k-means of the first max(k, n_vec) columns (the paper's) */
    ZS_QDG_ASSIGN_QR = 1,     /* zs_qdg_cluster_qr of the first k columns */
} zs_qdg_assign;
const char *zs_qdg_assign_name(zs_qdg_assign a); /* "kmeans", "cluster_qr" */
typedef struct {
    char name[32];
    /* MLP: layers 0 (the input layer) .. depth (the output layer); GPT: blocks 0 .. layers-1 */
    uint32_t first_layer;
    uint32_t last_layer; /* UINT32_MAX: the last (MLP: the output layer); UINT32_MAX - 1: the
                            one before it */
    zs_qdg_part part;    /* which tensors of those layers */
    int centre;          /* subtract the mean gradient first */
    zs_qdg_affinity affinity;
    double power;         /* the affinity raised to this power (1: as is; > 1 sharpens it) */
    zs_qdg_assign assign; /* how the embedding becomes labels (ZS_QDG_ASSIGN_KMEANS) */
} zs_qdg_variant;
/* The named variants: "signed" (every layer, 1 - arccos/π: the paper's), "abs" (|cos|),
 * "centred" (mean-centred, angular), "abs-centred", "first" (the input layer only, angular;
 * a GPT's first block), "first-abs", "first-bias" (the input layer's bias:
 * dloss/d(pre-activation); MLP only), "first-bias-abs", "last" (the output layer only; a GPT's
 * last block), "last-abs", "hidden" (every layer but the output; a GPT's blocks but the last),
 * and for a GPT "mlp", "mlp-abs" (every block's MLP matrices), "attn", "attn-abs" (every
 * block's attention matrices). A suffix ":pP" raises the affinity to the power P > 0
 * ("abs:p4"); a suffix ":qr" assigns the labels by zs_qdg_cluster_qr instead of k-means
 * ("abs:p16:qr"); each suffix at most once, in either order. Errors: ZS_ERR_USAGE (another
 * name, a bad power or suffix; the message lists the names). Whether a variant applies to the model
 * is checked by the run. */
zs_status zs_qdg_variant_parse(const char *name, zs_qdg_variant *v, zs_error *err);

enum { ZS_QDG_MAX_SWEEP = 32, ZS_QDG_MAX_VARIANTS = 16 };
/* The options of a QDG run, on a parity MLP or a GPT. */
typedef struct {
    double max_loss_nats; /* keep samples below this loss (parity: 0.1 nats, the paper's
                             Pythia run; GPT: 0.693, 1 bit, as the paper's later code) */
    uint64_t pool;        /* examples of the test stream (GPT: tokens of the file) scored
                             (100000; a GPT scores whole windows, rounded up) */
    uint64_t n;           /* the subsample (10000); all when fewer pass */
    uint64_t seed;        /* subsample offset, projection, k-means */
    uint32_t k;           /* clusters; 0 = the true subtasks present among the n */
    uint32_t k_sweep[ZS_QDG_MAX_SWEEP]; /* further cluster counts, each scored */
    size_t n_k_sweep;
    uint32_t n_vec;      /* eigenvectors per k-means clustering: max(k, n_vec); 0 = k (CPQR: k) */
    uint64_t projection; /* project gradients to this many dimensions; 0 = no projection */
    zs_qdg_embed embed;  /* ZS_QDG_EMBED_SKLEARN (the paper's code) */
    zs_qdg_eigensolver eigensolver; /* the embedding's (ZS_QDG_EIG_AUTO); its start: seed */
    uint32_t restarts;              /* k-means restarts (30) */
    size_t rank_lo, rank_hi;        /* the rank window of the cluster-size slope; 0 = 1 and k */
    int threads;                    /* 0 = all cores */
    /* when set, the first variant's affinity is written there as raw little-endian float32
     * (n, n), rows in the order of the clustered examples (for a heatmap or a peer) */
    const char *affinity_path;
    zs_qdg_variant variants[ZS_QDG_MAX_VARIANTS];
    size_t n_variants; /* 0 = "signed" alone */
} zs_qdg_opts;
typedef zs_qdg_opts zs_qdg_parity_opts;
void zs_qdg_parity_opts_init(zs_qdg_parity_opts *opts); /* max_loss_nats 0.1 */

typedef struct {
    zs_qdg_variant variant;
    uint32_t layer_lo, layer_hi; /* the layers used, resolved against the model's depth */
    size_t dim;                  /* gradient dimensions used (after any projection) */
    uint32_t k;                  /* clusters */
    uint32_t *labels;            /* (n) in 0..k-1 */
    uint64_t *sizes;             /* (k) */
    double ari, nmi;             /* against the subtasks */
    double slope;                /* of ln size on ln rank over the window; NAN if under two ranks */
    double *eigvals; /* (n_eig) the leading eigenvalues of D^-1/2 A D^-1/2, descending */
    /* ari, nmi and the sweep's are NAN when there is no ground truth (a GPT without one) */
    size_t n_eig;
    double sweep_ari[ZS_QDG_MAX_SWEEP], sweep_nmi[ZS_QDG_MAX_SWEEP];
    double seconds_affinity, seconds_embedding, seconds_kmeans;
    zs_qdg_eigen_info eigen; /* what the embedding's eigensolver did */
} zs_qdg_variant_result;

typedef struct {
    uint64_t pool, n_below, n; /* scored, below the threshold, clustered */
    uint32_t n_tasks, depth, width;
    uint32_t classes;  /* distinct subtasks among the n */
    uint32_t *subtask; /* (n) each example's true subtask */
    uint64_t *example; /* (n) its index in the test stream */
    float *loss_nats;  /* (n) its loss */
    size_t grad_dim;   /* every layer's parameters */
    double seconds_select, seconds_gradients;
    zs_qdg_variant_result variants[ZS_QDG_MAX_VARIANTS];
    size_t n_variants;
} zs_qdg_parity_result;

/* Variants that differ only in the affinity (signed, abs, :pP) reuse one cosine matrix.
 * Errors: ZS_ERR_IO (cannot write affinity_path), ZS_ERR_USAGE (opts out of range: n or pool
 * 0, a k of the sweep above n; a variant's layers beyond the model, or a GPT's variant
 * (mlp*, attn*); fewer than two examples below the threshold), and
 * zs_train_open_parity_mlp's. On failure *res is zeroed. */
zs_status zs_qdg_parity_run(const char *checkpoint, const zs_qdg_parity_opts *opts,
                            zs_qdg_parity_result *res, zs_error *err);
void zs_qdg_parity_result_free(zs_qdg_parity_result *res);
/* Writes DIR/qdg.json (zipscale-quanta-qdg, version 1: the options, the selection, and per
 * variant ARI, NMI, the sweep, the sizes ranked, the slope, eigenvalues, each cluster's three
 * commonest subtasks, timings), DIR/truth.npy (int32 subtasks) and DIR/labels_<variant>.npy
 * (int32); DIR must exist. Errors: ZS_ERR_IO (cannot write a file). */
zs_status zs_qdg_parity_write(const char *dir, const zs_qdg_parity_opts *opts,
                              const zs_qdg_parity_result *res, zs_error *err);

/* ---- QDG on a GPT and a token file, checked against each token's class ------------------
 * zs_qdg_gpt_run: score the first ceil(pool / T) windows of the token file (T the
 * checkpoint's context; window w is tokens w·T .. w·T + T, as the trainer reads them), keep
 * the predicted tokens of loss below max_loss_nats, take an evenly spaced subsample of n
 * (zs_qdg_select), and compute each one's gradient: the loss of that one token given its
 * window's tokens before it (zs_gpt_sample_grads, LAST position, on the window's prefix),
 * over every parameter but the embeddings, the output projection and the norm gains; then
 * each variant as for parity. The truth (optional) is one int32 class per token of the token
 * file (pcfg sample --labels: the emitting rule, -1 for a separator, which is one more
 * class); a sample's class is that of the token it predicts. docs/quanta.md. */
typedef struct {
    zs_qdg_opts qdg;        /* zs_qdg_gpt_opts_init: as parity's, max_loss_nats 0.693 */
    const char *truth_path; /* int32 .npy, one class per token of the data; NULL: none */
} zs_qdg_gpt_opts;
void zs_qdg_gpt_opts_init(zs_qdg_gpt_opts *opts);

/* The labels file the data's sidecar names (pcfg sample --labels records it in params.labels,
 * as given): an absolute path if it exists, else the file of that name beside the data; a
 * relative one beside the data first, then from the working directory. Returns a malloc'd
 * path, or NULL when the sidecar names none or the file is not found (not an error). Errors
 * (*err set, NULL returned): ZS_ERR_IO, ZS_ERR_FORMAT (a sidecar that cannot be read),
 * ZS_ERR_NOMEM. */
char *zs_qdg_find_labels(const char *data_path, zs_error *err);

typedef struct {
    uint64_t pool, n_below, n; /* tokens scored, below the threshold, clustered */
    uint64_t windows;          /* windows scored */
    uint32_t vocab, context, layers, d_model;
    int has_truth;
    uint32_t classes;     /* distinct true classes among the n (0 without truth) */
    uint64_t *token;      /* (n) the predicted token's index in the file */
    uint32_t *target;     /* (n) its id */
    int32_t *truth;       /* (n) its class, or NULL */
    uint32_t *class_id;   /* (n) the class renumbered 0 .. classes-1 by ascending value (what
                             the scores compare), or NULL */
    int32_t *class_value; /* (classes) the truth value of each renumbered class */
    float *loss_nats;     /* (n) its loss */
    size_t grad_dim;
    /* The baseline a clustering must beat: the predicted token's id taken as the cluster,
     * scored against the truth (NAN without one); and how closely each variant's clusters
     * follow the predicted token (ARI and NMI of labels against target). */
    double target_ari, target_nmi;
    double variant_target_ari[ZS_QDG_MAX_VARIANTS], variant_target_nmi[ZS_QDG_MAX_VARIANTS];
    /* What the clusters say about the truth beyond the predicted token: H(truth | token) in
     * nats, and per variant the conditional mutual information I(truth; cluster | token)
     * (plug-in estimates over the n samples; NAN without a truth). */
    double truth_entropy_given_target;
    double variant_cmi[ZS_QDG_MAX_VARIANTS];
    double seconds_select, seconds_gradients;
    zs_qdg_variant_result variants[ZS_QDG_MAX_VARIANTS];
    size_t n_variants;
} zs_qdg_gpt_result;

/* Errors: ZS_ERR_USAGE (not a GPT checkpoint, opts out of range as for parity, a variant that
 * does not apply to a GPT (first-bias*) or whose blocks are beyond the model, fewer than two
 * tokens below the threshold, k 0 without a truth, data shorter than one window), ZS_ERR_IO,
 * ZS_ERR_FORMAT (a malformed checkpoint or token file; a truth file that is not int32 or not
 * one value per token of the data: the message names the file and what was expected),
 * ZS_ERR_RANGE (a token id beyond the checkpoint's vocabulary). On failure *res is zeroed. */
zs_status zs_qdg_gpt_run(const char *checkpoint, const char *data_path, const zs_qdg_gpt_opts *opts,
                         zs_qdg_gpt_result *res, zs_error *err);
void zs_qdg_gpt_result_free(zs_qdg_gpt_result *res);
/* Writes DIR/qdg.json (as parity's, with "model": "gpt"; the selection and clusters in terms
 * of tokens and true classes), DIR/tokens.npy (int64: each clustered token's index in the
 * data), DIR/truth.npy (int32 classes, with a truth) and DIR/labels_<variant>.npy; DIR must
 * exist. Errors: ZS_ERR_IO (cannot write a file). */
zs_status zs_qdg_gpt_write(const char *dir, const char *checkpoint, const char *data_path,
                           const zs_qdg_gpt_opts *opts, const zs_qdg_gpt_result *res,
                           zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
