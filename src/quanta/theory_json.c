/* The quanta theory file (format "zipscale-quanta-theory", version 1): what `zipscale quanta
 * theory --json` prints and -o writes. One writer; its fields are documented in
 * docs/quanta.md. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/json.h"
#include "zipscale/quanta_theory.h"

/* null for infinitely many; an integer, or a real beyond JSON integers' int64 range. */
static json_t *n_quanta_json(uint64_t n_quanta) {
    if (!n_quanta) return json_null();
    return n_quanta <= INT64_MAX ? json_integer((json_int_t)n_quanta) : json_real((double)n_quanta);
}

static json_t *theory_json(const zs_quanta_theory *t) {
    const zs_quanta_model *m = &t->model;
    json_t *model = json_pack(
        "{s:o, s:o, s:o, s:o}", "zipf_exponent", zs_json_number(m->zipf_exponent), "n_quanta",
        n_quanta_json(m->n_quanta), "loss_learned_nats", zs_json_number(m->loss_learned_nats),
        "loss_unlearned_nats", zs_json_number(m->loss_unlearned_nats));
    json_t *exponents =
        t->has_exponents
            ? json_pack("{s:o, s:o, s:o, s:o}", "alpha", zs_json_number(t->exponents.alpha),
                        "alpha_N", zs_json_number(t->exponents.alpha_n), "alpha_D",
                        zs_json_number(t->exponents.alpha_d), "alpha_S",
                        zs_json_number(t->exponents.alpha_s))
            : json_null();
    json_t *losses = json_array();
    for (size_t i = 0; losses && i < t->n_rows; i++) {
        const zs_quanta_theory_row *r = &t->rows[i];
        json_array_append_new(losses,
                              json_pack("{s:I, s:o, s:o}", "n", (json_int_t)r->n, "loss_nats",
                                        zs_json_number(r->loss_nats), "loss_approx_nats",
                                        zs_json_number(r->loss_approx_nats)));
    }
    return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o}", "format", ZS_QUANTA_THEORY_FORMAT,
                     "format_version", ZS_QUANTA_THEORY_VERSION, "zipscale_version", zs_version(),
                     "model", model, "gamma", zs_json_number(t->gamma), "normaliser",
                     zs_json_number(t->normaliser), "exponents", exponents, "losses", losses);
}

zs_status zs_quanta_theory_format(const zs_quanta_theory *theory, char **text, size_t *len,
                                  zs_error *err) {
    return zs_json_text(theory_json(theory), "quanta theory", text, len, err);
}

zs_status zs_quanta_theory_write(const zs_quanta_theory *theory, const char *path, zs_error *err) {
    return zs_json_write_file(theory_json(theory), "quanta theory", path, err);
}
