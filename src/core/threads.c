/* Thread-count policy: 0 means every core the process may use. */
#include "zipscale/core.h"

#include <omp.h>

int zs_threads_resolve(int requested) {
    if (requested > 0) return requested;
    int n = omp_get_num_procs();
    return n > 0 ? n : 1;
}
