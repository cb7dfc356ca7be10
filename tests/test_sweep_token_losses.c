/* `zipscale quanta tokens --sweep` (zs_sweep_token_losses, zs_train_dump_token_losses): the
 * family of a finished sweep's models, each run's per-token losses recomputed from its
 * final checkpoint. Checked against what the runs themselves recorded (the ledger's final
 * loss, read with python's sqlite3; the dumps' means with numpy), against the command on
 * the same dumps named one by one, and the refusals (a checkpoint of another run, names
 * that are not in the sweep). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* A finished sweep of three GPT sizes (two budgets) on one PCFG dataset. */
static const char *sweep_with(const char *name, const char *train_extra) {
    const char *dir = zs_test_path(name);
    char spec[1100];
    snprintf(spec, sizeof spec, "%s.yaml", dir);
    static const char text[] =
        "name: tl\n"
        "datasets:\n"
        "  - {name: a, pcfg: {nonterminals: 5, terminals: 20, max_options: 3, max_length: 3, "
        "seed: 1}, tokens: 61440, val_tokens: 4096}\n"
        "models:\n"
        "  - {name: d8, d_model: 8, layers: 1, heads: 1}\n"
        "  - {name: d16, d_model: 16, layers: 1, heads: 2}\n"
        "  - {name: d24, d_model: 24, layers: 1, heads: 2}\n"
        "budgets: [15360, 30720]\n"
        "train: {context: 32, batch: 4, min_steps: 10, lr: 0.003, eval_tokens: 1024, %s}\n";
    char full[sizeof text + 256];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = snprintf(full, sizeof full, text, train_extra);
#pragma GCC diagnostic pop
    cr_assert_eq(zs_test_write(spec, full, (size_t)n), 0);
    /* six runs are too few for the law's fit: trained, not analysed */
    zs_run r = zs_test_cli("sweep run '%s' -o '%s' --jobs 2 --no-analyse", spec, dir);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    zs_run_free(&r);
    return dir;
}

static const char *sweep(void) {
    return sweep_with("tl", "evals: 2");
}

Test(sweep_token_losses, dumps_are_the_runs_last_evaluations) {
    const char *dir = sweep();
    zs_run r = zs_test_cli("quanta tokens --sweep '%s' --examples 1", dir);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    /* the largest budget, smallest model first; each dump made once */
    cr_assert(strstr(r.out, "dataset a, budget 30720, seed 0: d8 d16 d24"), "%s", r.out);
    cr_assert(strstr(r.out, "3 models on 1024 held-out tokens"), "%s", r.out);
    cr_assert(strstr(r.out, "rule's tokens"), "the sweep's rule labels were not found:\n%s", r.out);
    const char *p = r.err;
    int made = 0;
    while ((p = strstr(p, "from its checkpoint"))) made++, p++;
    cr_assert_eq(made, 3, "%s", r.err);
    zs_run_free(&r);

    /* every dump's mean (numpy, float64) is the run's recorded final loss (sqlite3) */
    const char *py = zs_test_python("numpy");
    zs_run chk = zs_test_sh(
        "'%s' - '%s' <<'EOF'\n"
        "import sys, json, sqlite3, numpy as np\n"
        "d = sys.argv[1]\n"
        "db = sqlite3.connect(d + '/sweep.db')\n"
        "rows = db.execute(\"select id, final_loss, budget, steps from runs where "
        "budget = 30720\")\n"
        "n = 0\n"
        "for rid, final, budget, steps in rows:\n"
        "    a = np.load(f'{d}/runs/{rid}/token_losses.npy')\n"
        "    side = json.load(open(f'{d}/runs/{rid}/token_losses.npy.json'))\n"
        "    if a.dtype != np.float32 or a.shape != (32, 32): raise SystemExit(f'{a.dtype} "
        "{a.shape}')\n"
        "    m = a.astype(np.float64).mean()\n"
        "    if abs(m - final) > 1e-12 * final: raise SystemExit(f'{rid}: mean {m} ledger "
        "{final}')\n"
        "    if side['step'] != steps or side['first_window'] != 0: raise SystemExit(str(side))\n"
        "    n += 1\n"
        "if n != 3: raise SystemExit(f'{n} runs at budget 30720')\n"
        "lab = np.load(side['data'].replace('val.npy', 'val_rules.npy'))\n"
        "tok = np.load(side['data'])\n"
        "if lab.dtype != np.int32 or lab.shape != tok.shape:\n"
        "    raise SystemExit(f'labels {lab.dtype} {lab.shape}, tokens {tok.shape}')\n"
        "if not ((lab >= -1).all() and (lab >= 0).mean() > 0.5):\n"
        "    raise SystemExit('labels: expected rule ids, -1 at separators')\n"
        "print('ok')\n"
        "EOF\n",
        py, dir);
    cr_assert(chk.exit_code == 0 && strstr(chk.out, "ok"), "%s%s", chk.out, chk.err);
    zs_run_free(&chk);

    /* again: the dumps are reused (none made), and the report is the one the command gives
       on the same dumps named in order with the labels */
    zs_run again = zs_test_cli("quanta tokens --sweep '%s' --examples 1", dir);
    cr_assert_eq(again.exit_code, 0, "%s", again.err);
    cr_assert_null(strstr(again.err, "from its checkpoint"), "%s", again.err);
    /* the per-model lines name the dumps: pass the same files explicitly */
    zs_run list = zs_test_sh(
        "sed -n 's/^[0-2] .*  \\(.*token_losses.npy\\)$/\\1/p' <<'EOF'\n%s\nEOF\n", again.out);
    cr_assert_eq(list.exit_code, 0);
    char args[4096] = "";
    for (char *line = strtok(list.out, "\n"); line; line = strtok(NULL, "\n")) {
        strncat(args, " '", sizeof args - strlen(args) - 1);
        strncat(args, line, sizeof args - strlen(args) - 1);
        strncat(args, "'", sizeof args - strlen(args) - 1);
    }
    zs_run direct =
        zs_test_cli("quanta tokens%s --examples 1 --labels '%s/data/'a-*/val_rules.npy", args, dir);
    cr_assert_eq(direct.exit_code, 0, "%s", direct.err);
    const char *body = strchr(again.out, '\n');
    cr_assert(body);
    cr_assert_str_eq(body + 1, direct.out);
    zs_run_free(&direct);
    zs_run_free(&list);
    zs_run_free(&again);
}

Test(sweep_token_losses, refusals) {
    const char *dir = sweep();
    zs_run r = zs_test_cli("quanta tokens --sweep '%s' --dataset nope", dir);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--dataset") && strstr(r.err, "no dataset 'nope'") &&
                  strstr(r.err, "it has a"),
              "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta tokens --sweep '%s' --budget 1000", dir);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--budget") && strstr(r.err, "fewer than two completed runs"), "%s",
              r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta tokens --sweep '%s' '%s/x.npy'", dir, dir);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "no LOSSES.npy arguments"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta tokens '%s/x.npy'", dir);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "two LOSSES.npy files or more"), "%s", r.err);
    zs_run_free(&r);

    /* A run's checkpoint replaced by the same model's at the other budget: refused as not
       this run's (its stored options differ), no dump left for it, nothing else lost. */
    char *ids =
        zs_test_ledger_query(dir, "select id from runs where model = 'd16' order by budget");
    char small[17], large[17];
    cr_assert_eq(sscanf(ids, "sweep.db|%16s\nsweep.db|%16s", small, large), 2, "%s", ids);
    free(ids);
    zs_run sh =
        zs_test_sh("cp '%s/runs/%s/checkpoint.safetensors' '%s/runs/%s/checkpoint.safetensors'",
                   dir, small, dir, large);
    cr_assert_eq(sh.exit_code, 0);
    zs_run_free(&sh);
    r = zs_test_cli("quanta tokens --sweep '%s'", dir);
    cr_assert_eq(r.exit_code, 2, "%s%s", r.out, r.err);
    cr_assert(strstr(r.err, large) && strstr(r.err, "d16") && strstr(r.err, "steps"), "%s", r.err);
    zs_run_free(&r);
    sh = zs_test_sh("test ! -e '%s/runs/%s/token_losses.npy'", dir, large);
    cr_assert_eq(sh.exit_code, 0, "a dump was left for the refused run");
    zs_run_free(&sh);
}

/* Early stopping is part of a run's options (stored in its checkpoint): the remade
 * evaluation builds them the same way, so such runs are read, not refused. */
Test(sweep_token_losses, runs_with_early_stopping) {
    const char *dir = sweep_with("es", "evals: 4, early_stop_patience: 1");
    zs_run r = zs_test_cli("quanta tokens --sweep '%s' --examples 0", dir);
    cr_assert_eq(r.exit_code, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "3 models on 1024 held-out tokens"), "%s", r.out);
    zs_run_free(&r);
}
