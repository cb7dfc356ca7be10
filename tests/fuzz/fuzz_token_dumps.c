/* Fuzzes the per-token loss dump reader (zs_token_loss_family_read) and the classes on what
 * it accepts. The first input byte picks the part fuzzed, the rest is that file: odd, the
 * dump's float32 .npy (beside a valid sidecar); even, the dump's sidecar .npy.json (beside a
 * valid 2 x 3 float32 .npy). A valid reference dump of another size joins it in the family.
 * What is accepted must score the reference's tokens; the classes compute, or refuse a loss
 * with ZS_ERR_RANGE. */
#include <math.h>

#include "zipscale/quanta_tokens.h"

#include "fuzz_util.h"

/* A (2, 3) float32 .npy: the header padded to 128 bytes, then six losses. */
static void write_npy(const char *name, char *path) {
    static const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    char header[128];
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (char)(sizeof header - 10), header[9] = 0;
    memset(header + 10, ' ', sizeof header - 10);
    memcpy(header + 10, dict, sizeof dict - 1);
    header[sizeof header - 1] = '\n';
    const float loss[6] = {3.5f, 0.1f, 2.5f, 0.2f, 6.0f, 0.0f};
    uint8_t bytes[sizeof header + sizeof loss];
    memcpy(bytes, header, sizeof header);
    memcpy(bytes + sizeof header, loss, sizeof loss);
    fuzz_write(path, name, bytes, sizeof bytes);
}

static void write_sidecar(const char *name, char *path, unsigned n_params) {
    char text[256];
    int n = snprintf(text, sizeof text,
                     "{\"data\": \"tokens.npy\", \"first_window\": 4, \"shape\": [2, 3], "
                     "\"n_params\": %u}",
                     n_params);
    fuzz_write(path, name, (const uint8_t *)text, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char ref[FUZZ_PATH_MAX], ref_side[FUZZ_PATH_MAX], dump[FUZZ_PATH_MAX], side[FUZZ_PATH_MAX];
    write_npy("ref.npy", ref);
    write_sidecar("ref.npy.json", ref_side, 1000);
    if (data[0] & 1) {
        fuzz_write(dump, "dump.npy", data + 1, size - 1);
        write_sidecar("dump.npy.json", side, 5000);
    } else {
        write_npy("dump.npy", dump);
        fuzz_write(side, "dump.npy.json", data + 1, size - 1);
    }
    const char *paths[2] = {dump, ref};
    zs_token_loss_family f;
    zs_error err = {0};
    if (zs_token_loss_family_read(&f, paths, 2, &err)) return 0;
    FUZZ_CHECK(f.n_models == 2 && f.windows == 2 && f.context == 3 && f.first_window == 4,
               "an accepted dump scores the reference's tokens");
    FUZZ_CHECK(f.n_params[0] < f.n_params[1], "ordered by size");
    FUZZ_CHECK(strcmp(f.data_path, "tokens.npy") == 0, "the same data");
    zs_token_class_opts o;
    zs_token_class_opts_init(&o);
    zs_token_classes c;
    zs_status s =
        zs_token_classes_compute(&c, f.n_params, (const float *const *)f.loss, 2, 6, &o, &err);
    FUZZ_CHECK(s == ZS_OK || s == ZS_ERR_RANGE, "classes: %s", err.msg);
    if (s == ZS_OK) {
        FUZZ_CHECK(c.count[0] + c.count[1] + c.count[2] == 6, "every token has a class");
        FUZZ_CHECK(c.count[2] == 0, "two models: no polygenic token");
        zs_token_classes_free(&c);
    }
    zs_token_loss_family_free(&f);
    return 0;
}
