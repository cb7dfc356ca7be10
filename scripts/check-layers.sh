#!/usr/bin/env bash
# Checks that dependencies between zipscale's modules point downward only: a module's
# sources (src/<module>/*.c, *.h, *.inc) and its public headers (include/zipscale/*.h) may
# include zipscale headers of their own module or of a lower layer, never of a higher one.
# Prints file:line and the offending include for each violation and exits 1; exits 0 when
# the tree is clean.
#
# Layers, lowest first (a module may include its own and lower ones):
#   0 core
#   1 data
#   2 measure   (measure reads token files: it may include data, data may not include it)
#   3 nn
#   4 train
#   5 fit
#   6 quanta    (the quantization model: theory, emergence, QDG)
#   7 plot
#   8 figures
#   9 report
#  10 sweep
#  11 cli
# The umbrella header zipscale/zipscale.h may be included only by cli (and the tests).
# A module's private headers (src/<module>/*.h) are its own: another module may include
# only the few shared on purpose (the `shared` list below), and only from a higher layer.
#
#   scripts/check-layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A layer=(
    [core]=0 [data]=1 [measure]=2 [nn]=3 [train]=4 [fit]=5 [quanta]=6
    [plot]=7 [figures]=8 [report]=9 [sweep]=10 [cli]=11
)

# The module that owns each public header.
declare -A public=(
    [core.h]=core [version.h]=core
    [tokens.h]=data [pcfg.h]=data [parity.h]=data
    [measure.h]=measure
    [nn.h]=nn [layout.h]=nn [gpt.h]=nn [mlp.h]=nn [optim.h]=nn [safetensors.h]=nn
    [train.h]=train
    [law.h]=fit [fit.h]=fit [frontier.h]=fit
    [quanta.h]=quanta [quanta_theory.h]=quanta [quanta_experiment.h]=quanta
    [quanta_tokens.h]=quanta [quanta_qdg.h]=quanta [quanta_qdg_file.h]=quanta
    [plot.h]=plot
    [figures.h]=figures
    [report.h]=report
    [sweep.h]=sweep
    [zipscale.h]=umbrella
)

# Private headers shared across modules on purpose: JSON and markup helpers every writer
# uses, and the frontier's JSON pieces that `zipscale frontier --json` prints.
shared=" core/json.h core/markup.h fit/frontier_json.h "

status=0
fail() {
    echo "$1: $2" >&2
    status=1
}

# Sets `target` to the module an include names; "" when it is not a zipscale header
# (libc, a library). $1: the file that includes, $2: its module, $3: the included path.
target_module() {
    local path=$3
    target=""
    case $path in
    zipscale/*)
        local name=${path#zipscale/}
        target=${public[$name]:-unknown}
        ;;
    */*)
        local folder=${path%%/*}
        if [[ -n ${layer[$folder]+x} ]]; then target=$folder; fi
        ;;
    *)
        # A bare name: a header next to the including file, in its own module.
        if [[ -e "${1%/*}/$path" ]]; then target=$2; fi
        ;;
    esac
}

check_file() {
    local file=$1 module=$2 line text path
    while IFS=: read -r line text; do
        [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"\<]([^\"\>]+)[\"\>] ]] || continue
        path=${BASH_REMATCH[1]}
        target_module "$file" "$module" "$path"
        case $target in
        "") continue ;;
        unknown)
            fail "$file:$line" "#include \"$path\": a zipscale header missing from the layer table in $0"
            ;;
        umbrella)
            [[ $module == cli || $module == umbrella ]] ||
                fail "$file:$line" "#include \"$path\": the umbrella header, only for cli and tests ($module)"
            ;;
        *)
            if [[ $path != zipscale/* && $path == */* && $target != "$module" && $shared != *" $path "* ]]; then
                fail "$file:$line" "#include \"$path\": a private header of module $target (only the shared list in $0 may cross modules)"
            fi
            if [[ $module != umbrella && ${layer[$target]} -gt ${layer[$module]} ]]; then
                fail "$file:$line" "#include \"$path\": $module (layer ${layer[$module]}) includes $target (layer ${layer[$target]}), a higher layer"
            fi
            ;;
        esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file" || true)
}

# Every module folder must be in the table, so a new module cannot slip past the check.
for dir in src/*/; do
    module=$(basename "$dir")
    if [[ -z ${layer[$module]+x} ]]; then
        fail "$dir" "a module missing from the layer table in $0"
        continue
    fi
    for file in "$dir"*.c "$dir"*.h "$dir"*.inc; do
        if [[ -e $file ]]; then check_file "$file" "$module"; fi
    done
done

for file in include/zipscale/*.h; do
    name=$(basename "$file")
    module=${public[$name]:-}
    if [[ -z $module ]]; then
        fail "$file" "a public header missing from the layer table in $0"
        continue
    fi
    check_file "$file" "$module"
done

if [[ $status -eq 0 ]]; then echo "check-layers: every include points downward"; fi
exit $status
