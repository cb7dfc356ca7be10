/* quanta, QDG: the named variants (zs_qdg_variant_parse) and the sample selection every run
 * shares (zs_qdg_select: below a loss threshold, then an evenly spaced, seeded subsample). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/quanta_qdg.h"

static const struct {
    const char *name;
    uint32_t first, last;
    zs_qdg_part part;
    int centre;
    zs_qdg_affinity affinity;
} named[] = {
    {"signed", 0, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"abs", 0, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ABS_COS},
    {"centred", 0, UINT32_MAX, ZS_QDG_PART_ALL, 1, ZS_QDG_ANGULAR},
    {"abs-centred", 0, UINT32_MAX, ZS_QDG_PART_ALL, 1, ZS_QDG_ABS_COS},
    {"first", 0, 0, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"first-abs", 0, 0, ZS_QDG_PART_ALL, 0, ZS_QDG_ABS_COS},
    {"first-bias", 0, 0, ZS_QDG_PART_BIASES, 0, ZS_QDG_ANGULAR},
    {"first-bias-abs", 0, 0, ZS_QDG_PART_BIASES, 0, ZS_QDG_ABS_COS},
    {"last", UINT32_MAX, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"last-abs", UINT32_MAX, UINT32_MAX, ZS_QDG_PART_ALL, 0, ZS_QDG_ABS_COS},
    {"hidden", 0, UINT32_MAX - 1, ZS_QDG_PART_ALL, 0, ZS_QDG_ANGULAR},
    {"mlp", 0, UINT32_MAX, ZS_QDG_PART_MLP, 0, ZS_QDG_ANGULAR},
    {"mlp-abs", 0, UINT32_MAX, ZS_QDG_PART_MLP, 0, ZS_QDG_ABS_COS},
    {"attn", 0, UINT32_MAX, ZS_QDG_PART_ATTN, 0, ZS_QDG_ANGULAR},
    {"attn-abs", 0, UINT32_MAX, ZS_QDG_PART_ATTN, 0, ZS_QDG_ABS_COS},
};

const char *zs_qdg_assign_name(zs_qdg_assign a) {
    return a == ZS_QDG_ASSIGN_QR ? "cluster_qr" : "kmeans";
}

/* The suffixes after the name: ":pP" (a power P > 0) and ":qr" (CPQR labels), each at most
 * once, in either order. */
static zs_status parse_suffixes(const char *name, const char *colon, double *power,
                                zs_qdg_assign *assign, zs_error *err) {
    int seen_p = 0, seen_qr = 0;
    for (const char *at = colon; at; at = strchr(at + 1, ':')) {
        const char *next = strchr(at + 1, ':');
        size_t len = next ? (size_t)(next - at - 1) : strlen(at + 1);
        if (len == 2 && strncmp(at + 1, "qr", 2) == 0 && !seen_qr) {
            seen_qr = 1;
            *assign = ZS_QDG_ASSIGN_QR;
            continue;
        }
        char buf[32];
        char *end = NULL;
        int ok = at[1] == 'p' && !seen_p && len >= 2 && len < sizeof buf;
        if (ok) {
            memcpy(buf, at + 2, len - 1);
            buf[len - 1] = '\0';
            *power = strtod(buf, &end);
            ok = end != buf && *end == '\0' && *power > 0.0 && isfinite(*power);
        }
        if (!ok)
            return zs_fail(err, ZS_ERR_USAGE,
                           "QDG variant '%s': the suffix ':%.*s': expected :pP with a power "
                           "P > 0 or :qr, each at most once",
                           name, (int)len, at + 1);
        seen_p = 1;
    }
    return ZS_OK;
}

zs_status zs_qdg_variant_parse(const char *name, zs_qdg_variant *v, zs_error *err) {
    char base[32];
    double power = 1.0;
    zs_qdg_assign assign = ZS_QDG_ASSIGN_KMEANS;
    const char *colon = strchr(name, ':');
    size_t len = colon ? (size_t)(colon - name) : strlen(name);
    if (colon) {
        zs_status s = parse_suffixes(name, colon, &power, &assign, err);
        if (s) return s;
    }
    if (strlen(name) >= sizeof v->name)
        return zs_fail(err, ZS_ERR_USAGE, "QDG variant '%s': expected a name of at most %zu bytes",
                       name, sizeof v->name - 1);
    for (size_t i = 0; len < sizeof base && i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == len && strncmp(name, named[i].name, len) == 0) {
            *v = (zs_qdg_variant){.first_layer = named[i].first,
                                  .last_layer = named[i].last,
                                  .part = named[i].part,
                                  .centre = named[i].centre,
                                  .affinity = named[i].affinity,
                                  .power = power,
                                  .assign = assign};
            snprintf(v->name, sizeof v->name, "%s", name);
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE,
                   "QDG variant '%s': expected signed, abs, centred, abs-centred, first, "
                   "first-abs, first-bias, first-bias-abs, last, last-abs, hidden, mlp, mlp-abs, "
                   "attn or attn-abs, optionally with :pP and :qr",
                   name);
}

size_t zs_qdg_select(const float *loss, size_t count, double max_loss_nats, size_t n, uint64_t seed,
                     size_t *chosen, size_t *n_below) {
    size_t nb = 0;
    for (size_t r = 0; r < count; r++)
        if (loss[r] < max_loss_nats) nb++;
    if (n_below) *n_below = nb;
    size_t m = nb < n ? nb : n;
    if (m == 0) return 0;
    zs_rng rng;
    zs_rng_seed(&rng, seed, zs_rng_tag("qdg.subsample"));
    double offset = zs_rng_uniform(&rng), stride = (double)nb / (double)m;
    /* walk the kept indices once, taking the ones the subsample names */
    size_t kept = 0, i = 0;
    size_t want = (size_t)floor(offset * stride);
    for (size_t r = 0; r < count && i < m; r++) {
        if (!(loss[r] < max_loss_nats)) continue;
        if (want >= nb) want = nb - 1;
        while (i < m && kept == want) {
            chosen[i++] = r;
            want = (size_t)floor(((double)i + offset) * stride);
            if (want >= nb) want = nb - 1;
        }
        kept++;
    }
    return i;
}
