/* The runs-table column options' defaults (runs_opts.h): shown from the library's names,
 * passed on as NULL unless the user gave a name. */
#include "cli/runs_opts.h"

void zs_cli_runs_columns_given(zs_runs_columns *cols) {
    zs_runs_columns d;
    zs_runs_columns_init(&d);
    const char **names[] = {&cols->n_params, &cols->n_tokens, &cols->loss, &cols->dataset,
                            &cols->h,        &cols->flops,    &cols->seed, &cols->weight,
                            &cols->steps,    &cols->e_max};
    const char *const defaults[] = {d.n_params, d.n_tokens, d.loss,   d.dataset, d.h,
                                    d.flops,    d.seed,     d.weight, d.steps,   d.e_max};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (*names[i] == defaults[i]) *names[i] = NULL; /* the pointer, not the text */
}
