/* nn internal: what the safetensors reader shares with the checkpoint reader. */
#ifndef ZS_NN_SAFETENSORS_INTERNAL_H
#define ZS_NN_SAFETENSORS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* "[384, 128]" into buf (0-d tensors print "[]"), for messages; returns buf. */
const char *zs_safetensors_shape_text(char *buf, size_t cap, int ndim, const uint64_t *shape);

#endif
