/* Fuzzes the checkpoint reader: the input is opened as a safetensors file, its model
 * config read (zs_checkpoint_read_config) and, for a model of at most 2^22 parameters,
 * the parameters and AdamW state loaded (zs_checkpoint_load) against the config's layout. */
#include "zipscale/safetensors.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "in.safetensors", data, size);
    zs_safetensors *st = NULL;
    zs_error err;
    if (zs_safetensors_open(&st, path, &err)) return 0;
    zs_model_config cfg;
    zs_layout layout = {0};
    if (zs_checkpoint_read_config(st, &cfg, &err) == ZS_OK &&
        (cfg.kind == ZS_MODEL_GPT ? zs_gpt_layout(&cfg.gpt, &layout, &err)
                                  : zs_mlp_layout(&cfg.mlp, &layout, &err)) == ZS_OK &&
        layout.numel <= (1u << 22)) {
        float *params = malloc((layout.numel ? layout.numel : 1) * sizeof *params);
        FUZZ_CHECK(params, "malloc");
        (void)zs_checkpoint_load(st, &layout, params, NULL, &err);
        zs_adamw_opts o;
        zs_adamw_opts_init(&o);
        zs_adamw opt;
        if (zs_adamw_init(&opt, &layout, &o, &err) == ZS_OK) {
            (void)zs_checkpoint_load(st, &layout, params, &opt, &err);
            zs_adamw_free(&opt);
        }
        free(params);
    }
    zs_layout_free(&layout);
    zs_safetensors_close(st);
    return 0;
}
