/* The MLP's data: sparse-parity batches for each micro-step (a fresh online stream per
 * step, or a fixed training set cycled in order), the test set (exact proportions) and
 * the per-subtask evaluation sets, all from zipscale/parity.h's seeded streams. */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

zs_status zs_train_parity_open(zs_train_parity *p, const zs_train_opts *opt, zs_error *err) {
    memset(p, 0, sizeof *p);
    p->threads = opt->threads;
    p->train_size = opt->train_size;
    p->eval_per_subtask = opt->eval_per_subtask;
    p->comm = opt->comm;
    p->row0 = (uint64_t)zs_comm_rank(opt->comm) * zs_train_local_batch(opt);
    zs_status s = zs_parity_init(&p->task, &opt->parity, err);
    if (s) return s;
    const zs_parity_task *t = &p->task;
    uint64_t n_subtask = t->spec.n_tasks * opt->eval_per_subtask;
    zs_parity_stream test = {.kind = ZS_PARITY_TEST, .size = opt->test_size};
    zs_parity_stream train = {.kind = ZS_PARITY_TRAIN};
    if ((s = zs_parity_batch_init(&p->step_batch, t, zs_train_local_batch(opt), err))) goto fail;
    if ((s = zs_parity_batch_init(&p->test_set, t, opt->test_size, err))) goto fail;
    if ((s = zs_parity_fill(t, &test, 0, &p->test_set, p->threads, err))) goto fail;
    if ((s = zs_parity_batch_init(&p->subtask_set, t, n_subtask, err))) goto fail;
    for (uint64_t task = 0; task < t->spec.n_tasks; task++) {
        zs_parity_stream eval = {.kind = ZS_PARITY_EVAL, .subtask = (uint32_t)task};
        zs_parity_batch rows = zs_parity_batch_rows(&p->subtask_set, task * opt->eval_per_subtask,
                                                    opt->eval_per_subtask);
        if ((s = zs_parity_fill(t, &eval, 0, &rows, p->threads, err))) goto fail;
    }
    if (p->train_size) {
        if ((s = zs_parity_batch_init(&p->train_set, t, p->train_size, err))) goto fail;
        if ((s = zs_parity_fill(t, &train, 0, &p->train_set, p->threads, err))) goto fail;
    }
    return ZS_OK;
fail:
    zs_train_parity_close(p);
    return s;
}

void zs_train_parity_close(zs_train_parity *p) {
    zs_parity_batch_free(&p->train_set);
    zs_parity_batch_free(&p->step_batch);
    zs_parity_batch_free(&p->test_set);
    zs_parity_batch_free(&p->subtask_set);
    zs_parity_free(&p->task);
    memset(p, 0, sizeof *p);
}

/* Copies row `src_row` of src into row `dst_row` of dst (same task). */
static void copy_row(zs_parity_batch *dst, uint64_t dst_row, const zs_parity_batch *src,
                     uint64_t src_row) {
    uint32_t words = src->words_per_example;
    dst->subtask[dst_row] = src->subtask[src_row];
    dst->label[dst_row] = src->label[src_row];
    memcpy(dst->bits + dst_row * words, src->bits + src_row * words, words * sizeof *dst->bits);
}

zs_status zs_train_parity_batch(zs_train_parity *p, uint64_t step, uint32_t micro, uint32_t batch,
                                uint32_t accum, zs_error *err) {
    if (!p->train_size) {
        zs_parity_stream online = {.kind = ZS_PARITY_ONLINE, .step = step};
        return zs_parity_fill(&p->task, &online, (uint64_t)micro * batch + p->row0, &p->step_batch,
                              p->threads, err);
    }
    uint64_t first = (step * accum + micro) * (uint64_t)batch + p->row0;
    for (uint64_t b = 0; b < p->step_batch.n_examples; b++)
        copy_row(&p->step_batch, b, &p->train_set, (first + b) % p->train_size);
    return ZS_OK;
}

/* Mean loss over all rows of set, max_rows a forward, each example's loss summed in
 * double in row order. */
static zs_status mean_loss(zs_mlp *mlp, const zs_parity_batch *set, uint32_t max_rows,
                           float *losses, double *loss_nats, zs_error *err) {
    double sum = 0;
    for (uint64_t done = 0; done < set->n_examples;) {
        uint64_t rows = set->n_examples - done < max_rows ? set->n_examples - done : max_rows;
        zs_parity_batch part = zs_parity_batch_rows(set, done, rows);
        double batch_nats;
        zs_status s = zs_mlp_forward(mlp, &part, &batch_nats, losses, err);
        if (s) return s;
        for (uint64_t i = 0; i < rows; i++) sum += losses[i];
        done += rows;
    }
    *loss_nats = sum / (double)set->n_examples;
    return ZS_OK;
}

/* mean_loss over the ranks: each scores its share of the rows, the per-example losses are
 * gathered, and every rank sums all of them in row order, as one process does: the same
 * mean to the bit as long as an example's loss does not depend on its forward's rows. */
static zs_status mean_loss_ranks(const zs_comm *comm, zs_mlp *mlp, const zs_parity_batch *set,
                                 uint32_t max_rows, double *loss_nats, zs_error *err) {
    float *all = zs_alloc(set->n_examples * sizeof *all, "evaluation losses", err);
    if (!all) return ZS_ERR_NOMEM;
    uint64_t first, count;
    zs_comm_share(comm, set->n_examples, &first, &count);
    zs_status s = ZS_OK;
    for (uint64_t done = 0; !s && done < count;) {
        uint64_t rows = count - done < max_rows ? count - done : max_rows;
        zs_parity_batch part = zs_parity_batch_rows(set, first + done, rows);
        double batch_nats;
        s = zs_mlp_forward(mlp, &part, &batch_nats, all + first + done, err);
        done += rows;
    }
    s = zs_comm_agree(comm, s, err);
    if (!s) s = zs_comm_gather_f32(comm, all, set->n_examples, 1, err);
    double sum = 0;
    for (uint64_t i = 0; !s && i < set->n_examples; i++) sum += all[i];
    if (!s) *loss_nats = sum / (double)set->n_examples;
    free(all);
    return s;
}

zs_status zs_train_parity_eval(zs_train_parity *p, zs_mlp *mlp, uint32_t max_rows,
                               double *test_loss_nats, double *subtask_loss_nats, zs_error *err) {
    if (zs_comm_parallel(p->comm)) {
        zs_status s = mean_loss_ranks(p->comm, mlp, &p->test_set, max_rows, test_loss_nats, err);
        for (uint64_t task = 0; !s && task < p->task.spec.n_tasks; task++) {
            zs_parity_batch rows = zs_parity_batch_rows(&p->subtask_set, task * p->eval_per_subtask,
                                                        p->eval_per_subtask);
            s = mean_loss_ranks(p->comm, mlp, &rows, max_rows, &subtask_loss_nats[task], err);
        }
        return s;
    }
    float *losses = zs_alloc((size_t)max_rows * sizeof *losses, "evaluation losses", err);
    if (!losses) return ZS_ERR_NOMEM;
    zs_status s = mean_loss(mlp, &p->test_set, max_rows, losses, test_loss_nats, err);
    for (uint64_t task = 0; !s && task < p->task.spec.n_tasks; task++) {
        zs_parity_batch rows =
            zs_parity_batch_rows(&p->subtask_set, task * p->eval_per_subtask, p->eval_per_subtask);
        s = mean_loss(mlp, &rows, max_rows, losses, &subtask_loss_nats[task], err);
    }
    free(losses);
    return s;
}
