/* Multitask sparse parity, reading examples out: a bit-packed row as the dense input
 * vector (one-hot control code, then task bits) for a dense reference layer, or packed
 * most-significant-bit first as numpy.packbits does, for the files `parity sample` writes. */
#include "zipscale/parity.h"

#include <string.h>

void zs_parity_unpack_f32(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                          float *out) {
    const uint64_t n_tasks = task->spec.n_tasks;
    memset(out, 0, n_tasks * sizeof *out);
    out[batch->subtask[row]] = 1.0f;
    for (uint64_t j = 0; j < task->spec.n_bits; j++)
        out[n_tasks + j] = (float)zs_parity_bit(batch, row, j);
}

void zs_parity_unpack_u8(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                         uint8_t *out) {
    const uint64_t n_tasks = task->spec.n_tasks;
    memset(out, 0, n_tasks);
    out[batch->subtask[row]] = 1;
    for (uint64_t j = 0; j < task->spec.n_bits; j++)
        out[n_tasks + j] = (uint8_t)zs_parity_bit(batch, row, j);
}

static void set_packed(uint8_t *out, uint64_t element) {
    out[element / 8] |= (uint8_t)(0x80u >> (element % 8));
}

void zs_parity_pack_input(const zs_parity_task *task, const zs_parity_batch *batch, uint64_t row,
                          uint8_t *out) {
    const uint64_t n_tasks = task->spec.n_tasks;
    memset(out, 0, zs_parity_packed_bytes(task));
    set_packed(out, batch->subtask[row]);
    const uint64_t *bits = batch->bits + row * batch->words_per_example;
    for (uint32_t w = 0; w < batch->words_per_example; w++)
        for (uint64_t word = bits[w]; word; word &= word - 1)
            set_packed(out, n_tasks + w * 64 + (uint64_t)__builtin_ctzll(word));
}

void zs_parity_pack_batch(const zs_parity_task *task, const zs_parity_batch *batch, uint8_t *out,
                          int threads) {
    const uint64_t bytes = zs_parity_packed_bytes(task);
    const int64_t rows = (int64_t)batch->n_examples;
#pragma omp parallel for schedule(static) num_threads(zs_threads_resolve(threads))
    for (int64_t row = 0; row < rows; row++)
        zs_parity_pack_input(task, batch, (uint64_t)row, out + (uint64_t)row * bytes);
}
