/* zipscale nn: the models the experiments grow (a Llama-style GPT, docs/science.md §6, and
 * the sparse-parity MLP, §1), the AdamW optimiser, and safetensors files and checkpoints.
 * This header includes the module's five: layout.h (precision, named tensors in one
 * buffer), gpt.h, mlp.h, optim.h (AdamW, gradient norm) and safetensors.h (safetensors and
 * checkpoints). The train module drives these; docs/model.md describes the architecture. */
#ifndef ZIPSCALE_NN_H
#define ZIPSCALE_NN_H

#include "zipscale/layout.h"
#include "zipscale/gpt.h"
#include "zipscale/mlp.h"
#include "zipscale/optim.h"
#include "zipscale/safetensors.h"

#endif
