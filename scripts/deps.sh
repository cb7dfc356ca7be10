#!/usr/bin/env bash
# Checks the Debian packages zipscale's build, tests and benchmarks need, and installs
# the missing ones with apt when run as root. Otherwise prints the exact apt command and
# exits 1. The table of why each package is here lives in docs/dependencies.md.
#
#   scripts/deps.sh          build + test packages (what `make test` needs)
#   scripts/deps.sh --build  build packages only (what `make demo` needs)
#   scripts/deps.sh --check  only report; never install
set -euo pipefail

build_pkgs=(
    build-essential cmake pkg-config
    zlib1g-dev libzstd-dev        # measure: gzip (H) and the second compressor
    libdnnl-dev                   # nn: training matmuls
    libopenblas-dev liblapacke-dev  # dense linear algebra, eigensolvers
    libgsl-dev                    # fit: minimisers, distributions
    libjansson-dev                # JSON: sidecars, configs, results
    libcairo2-dev                 # report: plots
    libopenmpi-dev openmpi-bin    # sweep: multi-machine runs
    libsqlite3-dev                # sweep: the ledger (sweep.db)
    libyaml-dev                   # sweep: spec files
)
test_pkgs=(
    libcriterion-dev              # unit and end-to-end tests
    clang-format                  # make format-check (CI)
    clang libclang-rt-14-dev libomp-dev  # make fuzz: libFuzzer + sanitizers, clang's OpenMP
    python3 python3-numpy python3-nltk python3-scipy python3-torch python3-sklearn  # test-time cross-checks only, never a runtime dependency
    slurm-wlm slurmctld slurmd slurm-client munge  # test_slurm: a real single-node Slurm cluster
)

check_only=0
wanted=("${build_pkgs[@]}" "${test_pkgs[@]}")
case "${1:-}" in
    --check) check_only=1 ;;
    --build) wanted=("${build_pkgs[@]}") ;;
esac

missing=()
for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ $check_only -eq 1 ] || [ "$(id -u)" -ne 0 ]; then
    echo "zipscale: missing system packages: ${missing[*]}" >&2
    echo "zipscale: install them with: sudo apt-get update && sudo $cmd" >&2
    exit 1
fi

echo "zipscale: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends -qq ${missing[*]} >/dev/null
