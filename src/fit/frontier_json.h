/* The frontier's JSON pieces, shared by the predict results file (predictfile.c) and
 * `zipscale frontier --json`, so both name the same columns the same way. */
#ifndef ZS_FIT_FRONTIER_JSON_H
#define ZS_FIT_FRONTIER_JSON_H

#include <jansson.h>

#include "zipscale/frontier.h"

/* {"E", "A", "B", "alpha", "beta"} */
json_t *zs_frontier_law_json(const zs_chinchilla *law);
/* {"compute_flops", "N_opt", "D_opt", "tokens_per_param", "loss", "interval"}; interval
 * may be NULL (then null). */
json_t *zs_frontier_point_json(const zs_frontier_point *p, const zs_frontier_interval *iv);

#endif
