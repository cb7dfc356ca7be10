/* libzipscale: every public header. Link with -lzipscale (and its dependencies: zlib,
 * zstd, jansson, GSL, LAPACKE, OpenBLAS, OpenMP). docs/design.md describes the modules. */
#ifndef ZIPSCALE_ZIPSCALE_H
#define ZIPSCALE_ZIPSCALE_H

#include "zipscale/version.h"           /* ZS_VERSION_MAJOR, _MINOR, _PATCH, _STRING */
#include "zipscale/core.h"              /* errors, RNG streams, alias tables, files */
#include "zipscale/tokens.h"            /* token files and provenance sidecars */
#include "zipscale/pcfg.h"              /* random PCFGs: generate, read/write, analyse, sample */
#include "zipscale/parity.h"            /* multitask sparse parity */
#include "zipscale/measure.h"           /* gzip compressibility and other complexity measures */
#include "zipscale/plot.h"              /* figures: SVG, PNG and PDF from one layout */
#include "zipscale/fit.h"               /* runs tables, Chinchilla fits, bootstrap, law.json */
#include "zipscale/frontier.h"          /* OLS, power laws, frontier, regression on H, prediction */
#include "zipscale/quanta_theory.h"     /* the quantization model: exponents, L_n, simulations */
#include "zipscale/quanta.h"            /* quanta: learning points, emergence, rank correlation */
#include "zipscale/quanta_experiment.h" /* the quantization model's experiments' results */
#include "zipscale/quanta_qdg.h"        /* QDG: gradient clustering, ARI/NMI against ground truth */
#include "zipscale/quanta_qdg_file.h"   /* QDG results read back: qdg.json, labels, affinity */
#include "zipscale/quanta_tokens.h"     /* monogenic and polygenic tokens across model sizes */
#include "zipscale/figures.h"           /* the fits, frontiers and training logs as figures */
#include "zipscale/report.h"            /* the self-contained HTML report of all results */
#include "zipscale/nn.h"                /* models, AdamW, safetensors */
#include "zipscale/train.h"             /* the training loop, schedules, checkpoints */
#include "zipscale/sweep.h"             /* sweeps: specs, the ledger, runs, analysis */

#endif
