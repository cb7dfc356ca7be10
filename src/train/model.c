/* The model kinds the trainer knows: one implementation file each (train/model.h). */
#include <stddef.h>

#include "train/model.h"

static const zs_train_model_ops *const kinds[] = {&zs_train_model_gpt, &zs_train_model_mlp};

const zs_train_model_ops *zs_train_model_find(zs_model_kind kind) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i]->kind == kind) return kinds[i];
    return NULL;
}
