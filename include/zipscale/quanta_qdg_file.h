/* zipscale quanta, QDG results read back: the qdg.json that `zipscale quanta qdg -o DIR`
 * writes (zs_qdg_parity_write, "zipscale-quanta-qdg" version 1), the int32 label arrays
 * beside it and the raw float32 affinity matrix of --dump-affinity, for the figures and the
 * report (docs/quanta.md, "QDG figures and report"). */
#ifndef ZIPSCALE_QUANTA_QDG_FILE_H
#define ZIPSCALE_QUANTA_QDG_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One variant of a qdg.json: what the recovery table and the rank-frequency figure need. */
typedef struct {
    char *name;              /* "signed", "abs:p4", ... */
    char *affinity;          /* "angular" or "abs" */
    uint64_t dim;            /* gradient dimensions used */
    uint64_t k;              /* clusters */
    double ari, nmi;         /* against the ground truth; NAN when null */
    double slope;            /* of ln size on ln rank over the window; NAN when null */
    size_t rank_lo, rank_hi; /* the window, 1-based inclusive */
    uint64_t *sizes_ranked;  /* (k) the cluster sizes, largest first */
    size_t n_sweep;          /* further cluster counts scored */
    uint64_t *sweep_k;       /* (n_sweep) */
    double *sweep_ari, *sweep_nmi;
} zs_qdg_file_variant;

typedef struct {
    int gpt;                  /* a GPT's tokens ("model": "gpt"), else the parity MLP's examples */
    uint64_t n;               /* samples clustered */
    uint64_t pool, n_below;   /* scored, below the loss threshold */
    uint64_t classes_present; /* distinct true classes among the n */
    uint64_t n_tasks;         /* true classes there could be (parity; 0 for a GPT) */
    double target_ari, target_nmi; /* GPT: the predicted token taken as the cluster, scored
                                      against the truth; NAN without one (and for parity) */
    double max_loss_nats;          /* the selection threshold */
    char *affinity_file;           /* --dump-affinity's path as given; NULL when not recorded */
    zs_qdg_file_variant *variants;
    size_t n_variants;
} zs_qdg_file;

/* Reads a qdg.json. Errors: ZS_ERR_IO (cannot read path), ZS_ERR_FORMAT (bad JSON, another
 * format or version, a field missing or of the wrong type, sizes_ranked not k non-increasing
 * counts summing to n, a slope window not 1 <= LO <= HI: "PATH: variants[I].FIELD: expected
 * ..."), ZS_ERR_NOMEM. On failure *out is zeroed. */
zs_status zs_qdg_file_read(zs_qdg_file *out, const char *path, zs_error *err);
void zs_qdg_file_free(zs_qdg_file *f);

/* The least-squares intercept b of ln size = b + slope ln rank over the variant's window,
 * empty clusters left out (the line the rank-frequency figure draws); NAN when the slope is
 * NAN or no rank of the window has a cluster. */
double zs_qdg_file_intercept(const zs_qdg_file_variant *v);

/* Where the files beside a qdg.json at json_path are: labels_<variant>.npy in its folder,
 * written to buf (truncated names fail: returns 0), and the affinity matrix of the first
 * variant: the recorded affinity_file's name in the qdg.json's folder when that exists,
 * else the recorded path as it was given when that exists. Returns 1 when a file exists
 * there (buf holds its path), 0 otherwise (affinity: none recorded or none found). */
int zs_qdg_file_labels_path(const char *json_path, const char *variant, char *buf, size_t size);
int zs_qdg_file_affinity_path(const zs_qdg_file *f, const char *json_path, char *buf, size_t size);

/* Cluster labels from an int32 (or any integer) 1-D .npy (labels_<variant>.npy, truth.npy),
 * as uint32 in *labels (free()), *n of them. Errors: ZS_ERR_IO (cannot open path),
 * ZS_ERR_FORMAT (not a 1-D integer .npy, a negative label: the message names path). */
zs_status zs_qdg_labels_read(const char *path, uint32_t **labels, size_t *n, zs_error *err);

/* The affinity matrix of --dump-affinity: raw little-endian float32 (n, n), read into
 * *a (free()). `labels_what` names what gave n in the message (the labels file).
 * Errors: ZS_ERR_IO (cannot open or read path), ZS_ERR_FORMAT (the file is not n * n * 4
 * bytes: "PATH: B bytes: expected N x N float32 (X bytes) for the N labels of LABELS"; a
 * value not finite), ZS_ERR_NOMEM. */
zs_status zs_qdg_affinity_read(const char *path, size_t n, const char *labels_what, float **a,
                               zs_error *err);

/* The heatmap order: samples grouped by cluster, clusters by size (largest first, the lower
 * label on a tie), samples of a cluster in their original order. order (n) receives the
 * sample indices. Errors: ZS_ERR_NOMEM. */
zs_status zs_qdg_cluster_order(const uint32_t *labels, size_t n, size_t *order, zs_error *err);

/* The heatmap's cells: z (m, m) row-major, z[i m + j] the mean of a (n, n) over the ordered
 * positions [floor(i n / m), floor((i + 1) n / m)) x [floor(j n / m), floor((j + 1) n / m)),
 * position p being sample order[p]; 1 <= m <= n (m = n: the matrix reordered). */
void zs_qdg_affinity_blocks(const float *a, const size_t *order, size_t n, size_t m, double *z);

#ifdef __cplusplus
}
#endif
#endif
