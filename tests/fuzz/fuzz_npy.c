/* Fuzzes the .npy reader: zs_tokens_open on the input as DIR/in.npy (header, dtype, shape
 * against the byte count, the id scan), then the accessors on what it accepted. */
#include "fuzz_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_token_file("in.npy", data, size);
}
