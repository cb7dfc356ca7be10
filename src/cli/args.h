/* Table-driven option parsing and help for every `zipscale` subcommand, and the shared
 * output helpers (errors to exit codes, JSON to stdout or -o). Each command declares a
 * zs_cli_spec; parsing, `--help` and `zipscale help CMD` all come from that one table. */
#ifndef ZS_CLI_ARGS_H
#define ZS_CLI_ARGS_H

#include <jansson.h>
#include <stdint.h>

#include "zipscale/core.h"

/* Exit codes, documented in README.md and docs/cli.md. */
enum { ZS_EXIT_OK = 0, ZS_EXIT_FAILURE = 1, ZS_EXIT_USAGE = 2, ZS_EXIT_INTERRUPTED = 130 };

typedef enum {
    ZS_OPT_FLAG,   /* int, set to 1 */
    ZS_OPT_INT,    /* int */
    ZS_OPT_U64,    /* uint64_t; accepts 1000000, 1e6, 1M, 100K, 2G */
    ZS_OPT_DOUBLE, /* double, finite */
    ZS_OPT_STRING, /* const char * */
} zs_opt_kind;

/* Option tables and specs list the first members in order and set the trailing ones
 * (required, defaults) by designator, leaving the rest zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct {
    const char *name; /* long name without dashes: "tokens" for --tokens */
    char short_name;  /* 'o' for -o, or 0 */
    zs_opt_kind kind;
    void *target;
    const char *metavar; /* "N", "FILE"; NULL for flags */
    /* One line. The help appends "(default: X)" from the target's initial value, so the
     * text never states a default; a text that mentions "default" (one computed, e.g.
     * "default: the data's") is left as it is. */
    const char *help;
    /* Set only by designator, `.required = 1`: zs_cli_parse fails with "-o FILE is
     * required" when the option is not given, and the help says "(required)". */
    int required;
} zs_opt;

typedef struct {
    const char *name;        /* "pcfg sample" */
    const char *usage;       /* the part after the name: "GRAMMAR --tokens N [options]" */
    const char *summary;     /* one line for the command list */
    const char *description; /* paragraphs for --help; may be NULL */
    const zs_opt *opts;      /* terminated by an entry with name == NULL */
    int min_positional, max_positional; /* max -1 = unlimited */
    /* Fills the option targets with their defaults, taken from the library (_opts_init);
     * zs_cli_parse and the help call it first. NULL: the targets' static values are the
     * defaults. Set by designator, `.defaults = fn`. */
    void (*defaults)(void);
} zs_cli_spec;

/* The options most commands share, spelled the same everywhere. */
#define ZS_OPT_JSON(p)                                                                             \
    { "json", 0, ZS_OPT_FLAG, (p), NULL, "print the result as JSON" }
#define ZS_OPT_OUTPUT(p, what)                                                                     \
    { "output", 'o', ZS_OPT_STRING, (p), "FILE", (what) }
#define ZS_OPT_SEED(p)                                                                             \
    { "seed", 0, ZS_OPT_U64, (p), "S", "random seed" }
#define ZS_OPT_THREADS(p)                                                                          \
    { "threads", 0, ZS_OPT_INT, (p), "N", "threads; 0 = all cores; output is identical for any N" }
#define ZS_OPT_END                                                                                 \
    { NULL, 0, ZS_OPT_FLAG, NULL, NULL, NULL }

/* Parses argv (argv[0] is the command name) after spec->defaults. Positional arguments are
 * left in pos[0..*npos) (pointers into argv). Returns -1 to go on, or an exit code to return
 * at once: 0 after printing --help, 2 after printing a usage error (an unknown option, a bad
 * value, the wrong number of arguments, a required option missing). */
int zs_cli_parse(const zs_cli_spec *spec, int argc, char **argv, int *npos, char ***pos);
/* Prints the help, each option's default read from its target after spec->defaults. */
void zs_cli_print_help(const zs_cli_spec *spec, FILE *out);
/* Prints "zipscale <cmd>: <message>" and a pointer to help; returns ZS_EXIT_USAGE. */
int zs_cli_usage_error(const zs_cli_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "zipscale: <message>"; returns the exit code for err->code. */
int zs_cli_fail(const zs_error *err);

/* A library field (zs_error.field) a command sets from one of its options, e.g.
 * {"lr_max", "lr"}: zs_train_opts' schedule.lr_max comes from --lr. Tables end with
 * {NULL, NULL}. */
typedef struct {
    const char *field;
    const char *flag; /* the long option without dashes */
} zs_cli_field;

/* zs_cli_fail for a command whose error may name library fields: each field in
 * err->field is mapped to its flag by `fields` (may be NULL), else to the command's
 * option spelled like it with '-' for '_' ("eval_every" -> --eval-every); with a flag
 * found, prints "zipscale <cmd>: --<flag>: <message>" (and, for a usage error, a pointer
 * to help), otherwise as zs_cli_fail. Returns the exit code for err->code. */
int zs_cli_fail_cmd(const zs_cli_spec *spec, const zs_cli_field *fields, const zs_error *err);
/* Strict number parsing, shared by the option table and by commands. */
int zs_cli_parse_u64(const char *text, uint64_t *out);
int zs_cli_parse_double(const char *text, double *out);
/* Prints a JSON value to stdout (2-space indent, newline), or writes it atomically to
 * path when path is non-NULL. Reals carry 17 significant digits, so they read back
 * exactly. Steals the reference. */
zs_status zs_cli_emit_json(json_t *value, const char *path, zs_error *err);

#endif
