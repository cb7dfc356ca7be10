/* `zipscale plot curves`: training curves of one or many runs from the trainer's JSONL
 * logs, val and train loss against tokens, one colour per log named by its file stem.
 * The figure is built by zipscale/figures.h. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/figures.h"

static struct {
    const char *output;
    zs_figure_size size;
} args;

static void plot_curves_defaults(void) {
    memset(&args, 0, sizeof args);
    zs_figure_size_init(&args.size);
}

static const zs_opt plot_curves_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &args.output, "FIGURE", "the figure: .svg, .png or .pdf",
     .required = 1},
    {"width", 0, ZS_OPT_DOUBLE, &args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_END,
};

static const zs_cli_spec plot_curves_spec = {
    "plot curves",
    "LOG.jsonl... -o FIGURE",
    "training curves (train and val loss against tokens) from JSONL logs",
    "Each LOG is a trainer log: one JSON object per line with step, tokens, lr,\n"
    "train_loss, val_loss (absent on steps without evaluation), grad_norm and tok_per_s.\n"
    "Draws train loss as a line and val loss as points against tokens (log x), one\n"
    "colour per log, named in the legend by the file name without its extension.",
    plot_curves_opts,
    1,
    -1,
    .defaults = plot_curves_defaults,
};

static zs_status plot_curves(char **paths, size_t n, zs_error *err) {
    zs_trainlog *logs = calloc(n, sizeof *logs);
    char **names = calloc(n, sizeof *names);
    zs_status s = logs && names ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < n; i++) {
        s = zs_trainlog_read(&logs[i], paths[i], err);
        if (!s && !(names[i] = zs_path_stem(paths[i])))
            s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    }
    zs_plot *fig = NULL;
    if (!s)
        s = zs_figure_training_curves(logs, (const char *const *)names, n, &args.size, &fig, err);
    if (!s) s = zs_plot_write(fig, args.output, err);
    zs_plot_free(fig);
    for (size_t i = 0; logs && names && i < n; i++) {
        zs_trainlog_free(&logs[i]);
        free(names[i]);
    }
    free(logs);
    free(names);
    return s;
}

static int plot_curves_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_curves_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    return plot_curves(pos, (size_t)npos, &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_curves = {&plot_curves_spec, plot_curves_run};
