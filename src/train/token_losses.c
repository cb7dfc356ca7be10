/* --dump-token-losses: the final evaluation's per-token losses as a float32 .npy of
 * shape (windows, T), written atomically, with a JSON sidecar <file>.json saying what the
 * numbers are and where they came from. */
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

enum { NPY_ALIGN_BYTES = 64 };

/* The .npy v1.0 header: magic, version, header length, the dict padded with spaces and a
 * newline so the data starts on a 64-byte boundary (as numpy.save writes it). */
static size_t npy_header(char *buf, size_t cap, uint64_t rows, uint64_t cols) {
    char dict[128];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %llu), }",
                     (unsigned long long)rows, (unsigned long long)cols);
    size_t total = 10 + (size_t)n + 1;
    total = (total + NPY_ALIGN_BYTES - 1) / NPY_ALIGN_BYTES * NPY_ALIGN_BYTES;
    if (total > cap) return 0;
    size_t dict_len = total - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(dict_len & 0xff);
    buf[9] = (char)(dict_len >> 8);
    memset(buf + 10, ' ', dict_len);
    memcpy(buf + 10, dict, (size_t)n);
    buf[total - 1] = '\n';
    return total;
}

static zs_status write_sidecar(const char *path, uint64_t windows, uint64_t T, double mean,
                               const char *data_path, uint64_t first_window, uint64_t step,
                               uint64_t n_params, uint64_t n_params_nonembed, zs_error *err) {
    json_t *j = json_pack(
        "{s:s, s:s, s:[I,I], s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:s}", "what",
        "per-token cross-entropy of the model on the evaluation windows (nats): row w is window "
        "first_window + w, column t the loss of predicting token t+1 of the window from tokens "
        "0..t",
        "dtype", "float32", "shape", (json_int_t)windows, (json_int_t)T, "data", data_path, "units",
        "nats", "first_window", (json_int_t)first_window, "step", (json_int_t)step,
        "mean_loss_nats", mean, "n_params", (json_int_t)n_params, "n_params_nonembed",
        (json_int_t)n_params_nonembed, "zipscale_version", zs_version());
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    if (!text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (token-loss sidecar)");
    size_t len = strlen(path);
    char *side = zs_alloc(len + 6, "sidecar path", err);
    zs_status s = ZS_ERR_NOMEM;
    if (side) {
        memcpy(side, path, len);
        strcpy(side + len, ".json");
        size_t text_len = strlen(text);
        text[text_len] = '\n';
        s = zs_write_file_atomic(side, text, text_len + 1, err);
    }
    free(side);
    free(text);
    return s;
}

zs_status zs_train_token_losses_write(const char *path, const float *losses, uint64_t windows,
                                      uint64_t T, double mean_loss_nats, const char *data_path,
                                      uint64_t first_window, uint64_t step, uint64_t n_params,
                                      uint64_t n_params_nonembed, zs_error *err) {
    char header[256];
    size_t header_bytes = npy_header(header, sizeof header, windows, T);
    zs_atomic_file f;
    zs_status s = zs_atomic_open(&f, path, err);
    if (s) return s;
    size_t n = (size_t)(windows * T);
    if (fwrite(header, 1, header_bytes, f.fp) != header_bytes ||
        fwrite(losses, sizeof *losses, n, f.fp) != n) {
        zs_atomic_abort(&f);
        return zs_fail(err, ZS_ERR_IO, "%s: write failed", path);
    }
    s = zs_atomic_commit(&f, err);
    if (!s)
        s = write_sidecar(path, windows, T, mean_loss_nats, data_path, first_window, step, n_params,
                          n_params_nonembed, err);
    return s;
}
