/* `zipscale`: git-style dispatch to the subcommands, `help`, `--version`. The command is a
 * thin client of libzipscale: each cmd_*.c parses options, calls the library, prints. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/train.h"

/* One command a line (kept so by clang-format off), in the order `zipscale help` lists them. */
// clang-format off
static const zs_command *const commands[] = {
    &zs_cmd_pcfg_generate,
    &zs_cmd_pcfg_sample,
    &zs_cmd_pcfg_analyse,
    &zs_cmd_pcfg_paper,
    &zs_cmd_parity_sample,
    &zs_cmd_tokens_info,
    &zs_cmd_tokens_import,
    &zs_cmd_gzip,
    &zs_cmd_fit,
    &zs_cmd_powerlaw,
    &zs_cmd_frontier,
    &zs_cmd_regress,
    &zs_cmd_predict,
    &zs_cmd_train,
    &zs_cmd_eval,
    &zs_cmd_sweep_plan,
    &zs_cmd_sweep_run,
    &zs_cmd_sweep_status,
    &zs_cmd_sweep_retry,
    &zs_cmd_sweep_merge,
    &zs_cmd_sweep_slurm,
    &zs_cmd_sweep_export,
    &zs_cmd_sweep_analyse,
    &zs_cmd_sweep_preset,
    &zs_cmd_quanta_parity,
    &zs_cmd_quanta_analyse,
    &zs_cmd_quanta_compare,
    &zs_cmd_quanta_emergence,
    &zs_cmd_quanta_theory,
    &zs_cmd_quanta_simulate,
    &zs_cmd_quanta_tokens,
    &zs_cmd_quanta_qdg,
    &zs_cmd_quanta_preset,
    &zs_cmd_plot_gzip,
    &zs_cmd_plot_runs,
    &zs_cmd_plot_frontier,
    &zs_cmd_plot_law,
    &zs_cmd_plot_curves,
    &zs_cmd_plot_qdg,
    &zs_cmd_report,
    &zs_cmd_demo,
};
// clang-format on
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_overview(FILE *out) {
    fprintf(out, "usage: zipscale <command> [<subcommand>] [options]\n\n"
                 "zipscale measures how complex a dataset is and how loss scales on it.\n\n"
                 "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-18s %s\n", commands[i]->spec->name, commands[i]->spec->summary);
    fprintf(out, "\n  zipscale help <command>   a command's options (or <command> --help)\n"
                 "  zipscale --version        the version\n\n"
                 "exit status: 0 success, 1 runtime failure, 2 usage error\n");
}

/* Finds the command named by argv[0] (and argv[1] for two-word commands); *words is
 * how many arguments its name took. */
static const zs_command *find(int argc, char **argv, int *words) {
    for (int i = 0; i < N_COMMANDS; i++) {
        const char *name = commands[i]->spec->name;
        const char *space = strchr(name, ' ');
        if (!space) {
            if (strcmp(name, argv[0]) == 0) {
                *words = 1;
                return commands[i];
            }
        } else if (argc >= 2 && strncmp(name, argv[0], (size_t)(space - name)) == 0 &&
                   argv[0][space - name] == '\0' && strcmp(space + 1, argv[1]) == 0) {
            *words = 2;
            return commands[i];
        }
    }
    return NULL;
}

/* "zipscale pcfg" alone, or "zipscale pcfg bogus": list that group's subcommands. */
static int group_usage(const char *group, const char *bad) {
    size_t len = strlen(group);
    int found = 0;
    for (int i = 0; i < N_COMMANDS; i++) {
        const char *name = commands[i]->spec->name;
        if (strncmp(name, group, len) == 0 && name[len] == ' ') {
            if (!found) {
                if (bad) fprintf(stderr, "zipscale %s: unknown subcommand '%s'\n", group, bad);
                fprintf(stderr, "usage: zipscale %s <subcommand> [options]\n\nsubcommands:\n",
                        group);
            }
            found = 1;
            fprintf(stderr, "  %-18s %s\n", name, commands[i]->spec->summary);
        }
    }
    if (!found) {
        fprintf(stderr, "zipscale: unknown command '%s' (see 'zipscale help')\n", group);
    }
    return ZS_EXIT_USAGE;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_overview(stderr);
        return ZS_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0 ||
        strcmp(first, "version") == 0) {
        printf("zipscale %s\n", zs_version());
        return ZS_EXIT_OK;
    }
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_overview(stdout);
        return ZS_EXIT_OK;
    }
    int words = 0;
    if (strcmp(first, "help") == 0) {
        if (argc == 2) {
            print_overview(stdout);
            return ZS_EXIT_OK;
        }
        const zs_command *c = find(argc - 2, argv + 2, &words);
        if (!c) return group_usage(argv[2], argc > 3 ? argv[3] : NULL);
        zs_cli_print_help(c->spec, stdout);
        return ZS_EXIT_OK;
    }
    const zs_command *c = find(argc - 1, argv + 1, &words);
    if (!c) return group_usage(first, argc > 2 && argv[2][0] != '-' ? argv[2] : NULL);
    /* argv[words] becomes the command's argv[0]. */
    int code = c->run(argc - words, argv + words);
    zs_comm_finalize(); /* a command that started MPI (under mpirun) ends it */
    return code;
}
