/* Option parsing, help text and error reporting shared by every subcommand. */
#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int zs_cli_parse_u64(const char *text, uint64_t *out) {
    if (!text || !*text || *text == '-' || isspace((unsigned char)*text)) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (end != text && *end == '\0' && errno == 0) {
        *out = v;
        return 0;
    }
    /* 1e6, 2.5M, 100K, 1G: a decimal number with an exponent or a suffix, integral result. */
    double d = strtod(text, &end);
    if (end == text || !isfinite(d) || d < 0) return -1;
    double scale = 1;
    if (*end == 'K' || *end == 'k')
        scale = 1e3, end++;
    else if (*end == 'M')
        scale = 1e6, end++;
    else if (*end == 'G')
        scale = 1e9, end++;
    else if (*end == 'T')
        scale = 1e12, end++;
    if (*end != '\0') return -1;
    d *= scale;
    if (d != floor(d) || d >= 18446744073709551616.0) return -1;
    *out = (uint64_t)d;
    return 0;
}

int zs_cli_parse_double(const char *text, double *out) {
    if (!text || !*text || isspace((unsigned char)*text)) return -1;
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(d) || errno == ERANGE) return -1;
    *out = d;
    return 0;
}

static int parse_int(const char *text, int *out) {
    if (!text || !*text || isspace((unsigned char)*text)) return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno || v < -2147483647L || v > 2147483647L) return -1;
    *out = (int)v;
    return 0;
}

static const char *kind_expectation(zs_opt_kind k) {
    switch (k) {
    case ZS_OPT_INT:
        return "an integer";
    case ZS_OPT_U64:
        return "a non-negative integer (e.g. 1000000, 1e6, 1M)";
    case ZS_OPT_DOUBLE:
        return "a finite number";
    default:
        return "a value";
    }
}

static int set_value(const zs_cli_spec *spec, const zs_opt *o, const char *value) {
    int bad = 0;
    switch (o->kind) {
    case ZS_OPT_FLAG:
        *(int *)o->target = 1;
        break;
    case ZS_OPT_INT:
        bad = parse_int(value, (int *)o->target);
        break;
    case ZS_OPT_U64:
        bad = zs_cli_parse_u64(value, (uint64_t *)o->target);
        break;
    case ZS_OPT_DOUBLE:
        bad = zs_cli_parse_double(value, (double *)o->target);
        break;
    case ZS_OPT_STRING:
        *(const char **)o->target = value;
        break;
    }
    if (bad)
        return zs_cli_usage_error(spec, "--%s: '%s' is not %s", o->name, value,
                                  kind_expectation(o->kind));
    return -1;
}

/* "-o FILE" or "--tokens N": how a message names an option. */
static void flag_name(const zs_opt *o, char *buf, size_t size) {
    const char *sep = o->metavar ? " " : "", *meta = o->metavar ? o->metavar : "";
    if (o->short_name)
        snprintf(buf, size, "-%c%s%s", o->short_name, sep, meta);
    else
        snprintf(buf, size, "--%s%s%s", o->name, sep, meta);
}

int zs_cli_parse(const zs_cli_spec *spec, int argc, char **argv, int *npos, char ***pos) {
    enum { MAX_OPTS = 256 };
    unsigned char given[MAX_OPTS] = {0};
    if (spec->defaults) spec->defaults();
    /* Positional arguments are compacted to the front of argv[1..]: every write lands at
     * an index already read, so no allocation is needed. */
    char **positional = argv + 1;
    int n = 0, only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            positional[n++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            zs_cli_print_help(spec, stdout);
            return ZS_EXIT_OK;
        }
        const zs_opt *o = NULL;
        const char *inline_value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            for (const zs_opt *c = spec->opts; c && c->name; c++)
                if (strlen(c->name) == len && strncmp(c->name, name, len) == 0) o = c;
            if (eq) inline_value = eq + 1;
        } else if (arg[2] == '\0') {
            for (const zs_opt *c = spec->opts; c && c->name; c++)
                if (c->short_name && c->short_name == arg[1]) o = c;
        }
        if (!o) {
            int code = zs_cli_usage_error(spec, "unknown option '%s'", arg);
            return code;
        }
        const char *value = inline_value;
        if (o->kind == ZS_OPT_FLAG) {
            if (inline_value) {
                int code = zs_cli_usage_error(spec, "--%s takes no value", o->name);
                return code;
            }
        } else if (!value) {
            if (i + 1 >= argc) {
                int code = zs_cli_usage_error(spec, "--%s needs a value (%s)", o->name,
                                              o->metavar ? o->metavar : "VALUE");
                return code;
            }
            value = argv[++i];
        }
        int code = set_value(spec, o, value);
        if (code >= 0) {
            return code;
        }
        if (o - spec->opts < MAX_OPTS) given[o - spec->opts] = 1;
    }
    if (n < spec->min_positional || (spec->max_positional >= 0 && n > spec->max_positional)) {
        int code =
            n < spec->min_positional
                ? zs_cli_usage_error(spec, "missing argument; usage: zipscale %s %s", spec->name,
                                     spec->usage)
                : zs_cli_usage_error(spec, "unexpected argument '%s'; usage: zipscale %s %s",
                                     positional[spec->max_positional], spec->name, spec->usage);
        return code;
    }
    for (const zs_opt *o = spec->opts; o && o->name && o - spec->opts < MAX_OPTS; o++)
        if (o->required && !given[o - spec->opts]) {
            char flag[96];
            flag_name(o, flag, sizeof flag);
            return zs_cli_usage_error(spec, "%s is required", flag);
        }
    *npos = n;
    *pos = positional;
    return -1;
}

/* The shortest %g form that reads back to the same double. */
static void format_double(double v, char *buf, size_t size) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    char *e = strchr(buf, 'e'); /* 1e-08 -> 1e-8 */
    if (e && (e[1] == '-' || e[1] == '+') && e[2] == '0' && e[3])
        memmove(e + 2, e + 3, strlen(e + 3) + 1);
}

/* " (default: X)" from the target's value, or "" for flags, required options, unset values
 * (a NULL string, a NAN double) and help texts that mention the default themselves. */
static void default_text(const zs_opt *o, char *buf, size_t size) {
    char value[64] = "";
    buf[0] = '\0';
    if (o->required || o->kind == ZS_OPT_FLAG || !o->target || strstr(o->help, "default")) return;
    switch (o->kind) {
    case ZS_OPT_INT:
        snprintf(value, sizeof value, "%d", *(const int *)o->target);
        break;
    case ZS_OPT_U64:
        snprintf(value, sizeof value, "%llu", (unsigned long long)*(const uint64_t *)o->target);
        break;
    case ZS_OPT_DOUBLE:
        if (isnan(*(const double *)o->target)) return; /* NAN: not set */
        format_double(*(const double *)o->target, value, sizeof value);
        break;
    case ZS_OPT_STRING:
        if (!*(const char *const *)o->target) return;
        snprintf(buf, size, " (default: %s)", *(const char *const *)o->target);
        return;
    default:
        return;
    }
    snprintf(buf, size, " (default: %s)", value);
}

void zs_cli_print_help(const zs_cli_spec *spec, FILE *out) {
    if (spec->defaults) spec->defaults();
    fprintf(out, "usage: zipscale %s %s\n\n%s\n", spec->name, spec->usage, spec->summary);
    if (spec->description) fprintf(out, "\n%s\n", spec->description);
    fprintf(out, "\noptions:\n");
    for (const zs_opt *o = spec->opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        char dflt[512];
        default_text(o, dflt, sizeof dflt);
        fprintf(out, "  %-28s %s%s%s\n", left, o->help, dflt, o->required ? " (required)" : "");
    }
    fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
    fprintf(out, "\nexit status: 0 success, 1 runtime failure, 2 usage error\n");
}

int zs_cli_usage_error(const zs_cli_spec *spec, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "zipscale %s: ", spec->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see 'zipscale help %s')\n", spec->name);
    va_end(ap);
    return ZS_EXIT_USAGE;
}

int zs_cli_fail(const zs_error *err) {
    fprintf(stderr, "zipscale: %s\n", err->msg[0] ? err->msg : zs_status_name(err->code));
    return err->code == ZS_ERR_USAGE ? ZS_EXIT_USAGE : ZS_EXIT_FAILURE;
}

/* The command's option for one field (len bytes of a comma-separated list), or NULL. */
static const zs_opt *field_option(const zs_cli_spec *spec, const zs_cli_field *fields,
                                  const char *field, size_t len) {
    char name[ZS_ERROR_FIELD_MAX];
    if (len >= sizeof name) return NULL;
    memcpy(name, field, len);
    name[len] = '\0';
    const char *flag = NULL;
    for (const zs_cli_field *f = fields; f && f->field && !flag; f++)
        if (strcmp(f->field, name) == 0) flag = f->flag;
    if (!flag) {
        for (char *c = name; *c; c++)
            if (*c == '_') *c = '-';
        flag = name;
    }
    for (const zs_opt *o = spec->opts; o && o->name; o++)
        if (strcmp(o->name, flag) == 0) return o;
    return NULL;
}

int zs_cli_fail_cmd(const zs_cli_spec *spec, const zs_cli_field *fields, const zs_error *err) {
    char flags[256] = "";
    size_t used = 0;
    for (const char *f = err->field; *f;) {
        size_t len = strcspn(f, ",");
        const zs_opt *o = field_option(spec, fields, f, len);
        if (o && used + strlen(o->name) + 4 < sizeof flags)
            used += (size_t)snprintf(flags + used, sizeof flags - used, "%s--%s", used ? "/" : "",
                                     o->name);
        f += len;
        if (*f == ',') f++;
    }
    if (!used) return zs_cli_fail(err);
    fprintf(stderr, "zipscale %s: %s: %s\n", spec->name, flags, err->msg);
    if (err->code == ZS_ERR_USAGE) fprintf(stderr, "(see 'zipscale help %s')\n", spec->name);
    return err->code == ZS_ERR_USAGE ? ZS_EXIT_USAGE : ZS_EXIT_FAILURE;
}

zs_status zs_cli_emit_json(json_t *value, const char *path, zs_error *err) {
    if (!value) return zs_fail(err, ZS_ERR_NOMEM, "out of memory building JSON output");
    char *text = json_dumps(value, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(value);
    if (!text) return zs_fail(err, ZS_ERR_NOMEM, "out of memory printing JSON output");
    zs_status s = ZS_OK;
    size_t len = strlen(text);
    text[len] = '\n'; /* replace the NUL: we write len+1 bytes and never use it as a string */
    if (path) {
        s = zs_write_file_atomic(path, text, len + 1, err);
    } else if (fwrite(text, 1, len + 1, stdout) != len + 1) {
        s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
    }
    free(text);
    return s;
}
