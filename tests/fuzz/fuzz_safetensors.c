/* Fuzzes the safetensors reader: zs_safetensors_open on the input as DIR/in.safetensors,
 * then every tensor and metadata pair it accepted is walked and small tensors are copied
 * out (ASan checks that each lies inside the map). */
#include "zipscale/safetensors.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "in.safetensors", data, size);
    zs_safetensors *st = NULL;
    zs_error err;
    if (zs_safetensors_open(&st, path, &err)) return 0;
    size_t n = zs_safetensors_count(st);
    for (size_t i = 0; i < n; i++) {
        const zs_safetensors_tensor *t = zs_safetensors_tensor_at(st, i);
        FUZZ_CHECK(t && t->name, "tensor %zu", i);
        FUZZ_CHECK(zs_safetensors_find(st, t->name) == t, "find %s", t->name);
        size_t bytes = zs_safetensors_dtype_bytes(t->dtype);
        for (int d = 0; d < t->ndim && bytes; d++)
            bytes = t->shape[d] <= (1u << 20) / bytes ? bytes * (size_t)t->shape[d] : 0;
        if (!bytes || bytes > (1u << 20)) continue;
        void *buf = malloc(bytes);
        FUZZ_CHECK(buf, "malloc");
        FUZZ_CHECK(zs_safetensors_read(st, t->name, t->dtype, t->ndim, t->shape, buf, &err) ==
                       ZS_OK,
                   "reading back an accepted tensor: %s", err.msg);
        free(buf);
    }
    (void)zs_safetensors_meta_value(st, "format");
    zs_safetensors_close(st);
    return 0;
}
