/* The quantization model's experiments on multitask sparse parity [QM] as built-in sweep
 * specs: for each preset (quick, default, paper) one spec per experiment (parameters,
 * data, steps), which `zipscale quanta parity --preset NAME` runs and `zipscale quanta
 * preset NAME PART` prints. Why these numbers: docs/quanta.md "Presets". */
#include <string.h>

#include "zipscale/sweep.h"

/* The task and the training settings every experiment of a preset shares. */
#define TASK_DEFAULT "parity: {tasks: 100, bits: 30, k: 3, zipf_exponent: 1.4, seed: 0}"
#define TASK_QUICK "parity: {tasks: 20, bits: 16, k: 3, zipf_exponent: 1.4, seed: 0}"
#define TASK_PAPER "parity: {tasks: 500, bits: 100, k: 3, zipf_exponent: 1.4, seed: 0}"
#define ADAM(lr)                                                                                   \
    "  schedule: constant\n  lr: " lr "\n  warmup_fraction: 0\n  weight_decay: 0\n"                \
    "  grad_clip: 0\n"

// clang-format off
static const char default_params[] =
    "# zipscale quanta parity (default), parameter scaling: 19 widths 8-300, about 1.22x\n"
    "# apart, two seeds each (averaged), online data, 30,000 steps of 2,000 examples each.\n"
    "# docs/quanta.md \"Presets\".\n"
    "name: quanta-params\n"
    "datasets:\n  - {name: parity, " TASK_DEFAULT "}\n"
    "models:\n"
    "  - {name: w8, width: 8}\n  - {name: w10, width: 10}\n  - {name: w12, width: 12}\n"
    "  - {name: w15, width: 15}\n  - {name: w18, width: 18}\n  - {name: w22, width: 22}\n"
    "  - {name: w27, width: 27}\n  - {name: w33, width: 33}\n  - {name: w40, width: 40}\n"
    "  - {name: w49, width: 49}\n  - {name: w60, width: 60}\n  - {name: w73, width: 73}\n"
    "  - {name: w89, width: 89}\n  - {name: w109, width: 109}\n  - {name: w134, width: 134}\n"
    "  - {name: w164, width: 164}\n  - {name: w200, width: 200}\n  - {name: w245, width: 245}\n"
    "  - {name: w300, width: 300}\n"
    "budgets: [60_000_000]\n"
    "seeds: [0, 1]\n"
    "train:\n  batch: 2000\n" ADAM("0.003")
    "  evals: 30\n  parity_eval_per_subtask: 500\n";

static const char default_data[] =
    "# zipscale quanta parity (default), data scaling: width 200 on fixed training sets of\n"
    "# 1e4-1e7 examples, each run stopped early (10 rises in a row after step 4000) and\n"
    "# scored by its minimum test loss; at most 30,000 steps, evaluated every 100 (small\n"
    "# sets overfit within a few hundred steps). docs/quanta.md \"Presets\".\n"
    "name: quanta-data\n"
    "datasets:\n"
    "  - {name: d1e4, train_size: 10000, " TASK_DEFAULT "}\n"
    "  - {name: d2.2e4, train_size: 22000, " TASK_DEFAULT "}\n"
    "  - {name: d4.6e4, train_size: 46000, " TASK_DEFAULT "}\n"
    "  - {name: d1e5, train_size: 100000, " TASK_DEFAULT "}\n"
    "  - {name: d2.2e5, train_size: 220000, " TASK_DEFAULT "}\n"
    "  - {name: d4.6e5, train_size: 460000, " TASK_DEFAULT "}\n"
    "  - {name: d1e6, train_size: 1000000, " TASK_DEFAULT "}\n"
    "  - {name: d2.2e6, train_size: 2200000, " TASK_DEFAULT "}\n"
    "  - {name: d4.6e6, train_size: 4600000, " TASK_DEFAULT "}\n"
    "  - {name: d1e7, train_size: 10000000, " TASK_DEFAULT "}\n"
    "models:\n  - {name: w200, width: 200}\n"
    "budgets: [60_000_000]\n"
    "train:\n  batch: 2000\n" ADAM("0.003")
    "  evals: 300\n  parity_eval_per_subtask: 500\n"
    "  early_stop_patience: 10\n  early_stop_after: 4000\n";

static const char default_steps[] =
    "# zipscale quanta parity (default), step scaling: one width-200 run on online data,\n"
    "# 60,000 steps of 2,000 examples, evaluated 120 times. docs/quanta.md \"Presets\".\n"
    "name: quanta-steps\n"
    "datasets:\n  - {name: parity, " TASK_DEFAULT "}\n"
    "models:\n  - {name: w200, width: 200}\n"
    "budgets: [120_000_000]\n"
    "train:\n  batch: 2000\n" ADAM("0.003")
    "  evals: 120\n  parity_eval_per_subtask: 500\n";

static const char quick_params[] =
    "# zipscale quanta parity --preset quick: a smoke test of the pipeline (seconds).\n"
    "name: quanta-params\n"
    "datasets:\n  - {name: parity, " TASK_QUICK "}\n"
    "models:\n  - {name: w8, width: 8}\n  - {name: w16, width: 16}\n"
    "  - {name: w32, width: 32}\n  - {name: w64, width: 64}\n"
    "budgets: [1_500_000]\n"
    "train:\n  batch: 500\n" ADAM("0.003")
    "  evals: 10\n  parity_eval_per_subtask: 200\n  parity_test_size: 2000\n";

static const char quick_data[] =
    "# zipscale quanta parity --preset quick: a smoke test of the pipeline (seconds).\n"
    "name: quanta-data\n"
    "datasets:\n"
    "  - {name: d1e3, train_size: 1000, " TASK_QUICK "}\n"
    "  - {name: d1e4, train_size: 10000, " TASK_QUICK "}\n"
    "  - {name: d1e5, train_size: 100000, " TASK_QUICK "}\n"
    "models:\n  - {name: w64, width: 64}\n"
    "budgets: [1_500_000]\n"
    "train:\n  batch: 500\n" ADAM("0.003")
    "  evals: 20\n  parity_eval_per_subtask: 200\n  parity_test_size: 2000\n"
    "  early_stop_patience: 4\n  early_stop_after: 600\n";

static const char quick_steps[] =
    "# zipscale quanta parity --preset quick: a smoke test of the pipeline (seconds).\n"
    "name: quanta-steps\n"
    "datasets:\n  - {name: parity, " TASK_QUICK "}\n"
    "models:\n  - {name: w64, width: 64}\n"
    "budgets: [2_000_000]\n"
    "train:\n  batch: 500\n" ADAM("0.003")
    "  evals: 40\n  parity_eval_per_subtask: 200\n  parity_test_size: 2000\n";

#define PAPER_TRAIN                                                                                \
    "train:\n  batch: 20000\n" ADAM("0.001") "  parity_eval_per_subtask: 1000\n"

static const char paper_params[] =
    "# zipscale quanta parity --preset paper: the quantization paper's parameter scaling\n"
    "# [QM]: 500 subtasks, 100 bits, k 3, Zipf exponent 1.4; 30 widths log-spaced 10-500,\n"
    "# online data, 200,000 steps of 20,000 examples, Adam at 1e-3. Days on a CPU.\n"
    "name: quanta-params\n"
    "datasets:\n  - {name: parity, " TASK_PAPER "}\n"
    "models:\n"
    "  - {name: w10, width: 10}\n  - {name: w11, width: 11}\n  - {name: w13, width: 13}\n"
    "  - {name: w15, width: 15}\n  - {name: w17, width: 17}\n  - {name: w20, width: 20}\n"
    "  - {name: w22, width: 22}\n  - {name: w26, width: 26}\n  - {name: w29, width: 29}\n"
    "  - {name: w34, width: 34}\n  - {name: w39, width: 39}\n  - {name: w44, width: 44}\n"
    "  - {name: w50, width: 50}\n  - {name: w58, width: 58}\n  - {name: w66, width: 66}\n"
    "  - {name: w76, width: 76}\n  - {name: w87, width: 87}\n  - {name: w99, width: 99}\n"
    "  - {name: w113, width: 113}\n  - {name: w130, width: 130}\n  - {name: w148, width: 148}\n"
    "  - {name: w170, width: 170}\n  - {name: w194, width: 194}\n  - {name: w223, width: 223}\n"
    "  - {name: w255, width: 255}\n  - {name: w291, width: 291}\n  - {name: w334, width: 334}\n"
    "  - {name: w382, width: 382}\n  - {name: w437, width: 437}\n  - {name: w500, width: 500}\n"
    "budgets: [4_000_000_000]\n"
    PAPER_TRAIN "  evals: 100\n";

#define PAPER_SIZE(n) "  - {name: d" #n ", train_size: " #n ", " TASK_PAPER "}\n"
static const char paper_data[] =
    "# zipscale quanta parity --preset paper: the quantization paper's data scaling [QM]:\n"
    "# width 500 on 30 training sets of 1e4-5e6 examples, stopped early (10 rises in a row\n"
    "# after step 4000) and scored by the minimum test loss; at most 200,000 steps,\n"
    "# evaluated every 100.\n"
    "name: quanta-data\n"
    "datasets:\n"
    PAPER_SIZE(10000) PAPER_SIZE(12390) PAPER_SIZE(15351) PAPER_SIZE(19020) PAPER_SIZE(23565)
    PAPER_SIZE(29197) PAPER_SIZE(36175) PAPER_SIZE(44820) PAPER_SIZE(55532) PAPER_SIZE(68804)
    PAPER_SIZE(85247) PAPER_SIZE(105620) PAPER_SIZE(130862) PAPER_SIZE(162137)
    PAPER_SIZE(200887) PAPER_SIZE(248897) PAPER_SIZE(308380) PAPER_SIZE(382080)
    PAPER_SIZE(473394) PAPER_SIZE(586531) PAPER_SIZE(726706) PAPER_SIZE(900381)
    PAPER_SIZE(1115564) PAPER_SIZE(1382173) PAPER_SIZE(1712499) PAPER_SIZE(2121770)
    PAPER_SIZE(2628852) PAPER_SIZE(3257123) PAPER_SIZE(4035544) PAPER_SIZE(5000000)
    "models:\n  - {name: w500, width: 500}\n"
    "budgets: [4_000_000_000]\n"
    PAPER_TRAIN "  evals: 2000\n  early_stop_patience: 10\n  early_stop_after: 4000\n";

static const char paper_steps[] =
    "# zipscale quanta parity --preset paper: the quantization paper's step scaling [QM]:\n"
    "# one width-500 run on online data, 200,000 steps of 20,000 examples.\n"
    "name: quanta-steps\n"
    "datasets:\n  - {name: parity, " TASK_PAPER "}\n"
    "models:\n  - {name: w500, width: 500}\n"
    "budgets: [4_000_000_000]\n"
    PAPER_TRAIN "  evals: 400\n";
// clang-format on

static const struct {
    const char *name;
    const char *spec[ZS_QUANTA_N_AXES];
} presets[] = {
    {"quick", {quick_params, quick_data, quick_steps}},
    {"default", {default_params, default_data, default_steps}},
    {"paper", {paper_params, paper_data, paper_steps}},
};

const char *zs_sweep_quanta_preset(const char *name, zs_quanta_axis e) {
    if (!name || (unsigned)e >= ZS_QUANTA_N_AXES) return NULL;
    for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
        if (strcmp(presets[i].name, name) == 0) return presets[i].spec[e];
    return NULL;
}
