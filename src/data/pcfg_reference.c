/* The grammar knobs of the gzip paper's three dataset sets and the gzip compressibility it
 * measured for each (docs/science.md §4, [GZ]): the demo's targets and a sweep's defaults;
 * and the defaults of `zipscale pcfg paper`, which samples them. */
#include "zipscale/pcfg.h"

static const zs_pcfg_reference_grammar reference_grammars[] = {
    {"main", {3, 20, 2, 2, 0}, 0.11},
    {"main", {10, 150, 5, 3, 0}, 0.22},
    {"main", {20, 300, 10, 5, 0}, 0.35},
    {"main", {30, 400, 10, 8, 0}, 0.42},
    {"main", {50, 500, 20, 15, 0}, 0.51},
    {"main", {100, 2000, 100, 30, 0}, 0.61},
    {"same-vocabulary", {3, 300, 2, 2, 0}, 0.11},
    {"same-vocabulary", {10, 300, 5, 3, 0}, 0.25},
    {"same-vocabulary", {20, 300, 10, 5, 0}, 0.36},
    {"same-vocabulary", {50, 300, 20, 10, 0}, 0.47},
    {"same-h", {10, 500, 5, 10, 0}, 0.32},
    {"same-h", {20, 300, 10, 5, 0}, 0.36},
    {"same-h", {30, 200, 15, 20, 0}, 0.40},
    {"same-h", {50, 100, 30, 15, 0}, 0.38},
};

void zs_pcfg_paper_opts_init(zs_pcfg_paper_opts *opts) {
    *opts = (zs_pcfg_paper_opts){
        .tokens = 4096 * ZS_PCFG_PAPER_CONTEXT, .set = "main", .dir = "zipscale-grammars"};
}

const zs_pcfg_reference_grammar *zs_pcfg_reference_grammars(size_t *count) {
    *count = sizeof reference_grammars / sizeof reference_grammars[0];
    return reference_grammars;
}
