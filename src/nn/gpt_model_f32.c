/* nn: the GPT's forward and backward in float, the path training runs (gpt_model.inc):
 * matmuls and attention through the model's zs_mm context (fp32 or bf16 operands). */
#include "nn/attention.h"
#include "nn/gpt_internal.h"

#define REAL float
#define FN(name) name##_f32
#define MM_FORWARD zs_mm_forward
#define MM_BACKWARD_WRITE zs_mm_backward_write
#define ATTN_FORWARD zs_attention_forward_f32
#define ATTN_BACKWARD zs_attention_backward_f32
#include "nn/gpt_model.inc"
