#!/bin/sh
# Renders a zipscale report (HTML) to a PNG with Debian's headless chromium, for a visual
# check: scripts/screenshot-report.sh REPORT.html OUT.png. chromium is not a project
# dependency; the script says how to install it when it is missing.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 REPORT.html OUT.png" >&2
    exit 2
fi
report=$1
png=$2
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
    echo "$0: $chromium is missing; install it with: sudo apt-get install chromium" >&2
    exit 1
fi
if [ ! -f "$report" ]; then
    echo "$0: $report: no such file" >&2
    exit 1
fi

profile=$(mktemp -d "${TMPDIR:-/tmp}/zs-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
case $png in
/*) out=$png ;;
*) out="$(pwd)/$png" ;;
esac
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size=1280,2400 --screenshot="$out" "$url" \
    >/dev/null 2>&1
if [ ! -s "$out" ]; then
    echo "$0: chromium wrote no screenshot to $out" >&2
    exit 1
fi
echo "$out"
