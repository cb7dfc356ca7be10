#!/usr/bin/env bash
# Checks the error contract's rule 1 (include/zipscale/core.h, "status and errors"): every
# public function that returns a zs_status lists the codes it can return in an "Errors:"
# line. For each declaration whose return type is zs_status (it may span several lines),
# the nearest /* ... */ comment above it, with only other function declarations (and
# their trailing comments) in between, must contain "Errors:". Prints file:line and the
# function for each one that lacks it and exits 1; exits 0 when every one documents them.
#
#   scripts/check-error-docs.sh [HEADER...]     (default: the repository's include/zipscale/*.h)
set -euo pipefail
if [[ $# -eq 0 ]]; then
    cd "$(dirname "$0")/.."
    set -- include/zipscale/*.h
fi

exec python3 - "$@" <<'PY'
import re
import sys

# Items of a header, in order: ("comment", text, line, trailing) for a /* */ or // comment
# (trailing: code precedes it on its first line); ("code", text, line) for a statement up to
# ";" or "{" or "}"; ("pp", text, line) for a preprocessor line.
def items(src):
    out, i, n, line = [], 0, len(src), 1
    stmt, stmt_line, line_has_code = "", None, False
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            line_has_code = False
            stmt += c
            i += 1
        elif src.startswith("/*", i) or src.startswith("//", i):
            end = src.find("*/", i + 2) + 2 if src[i + 1] == "*" else src.find("\n", i)
            if end < 2 or end == -1:
                end = n
            text = src[i:end]
            out.append(("comment", text, line, line_has_code))
            line += text.count("\n")
            i = end
        elif c == "#" and not stmt.strip():
            end = i
            while True:  # a directive continues over backslash-newlines
                end = src.find("\n", end)
                if end == -1 or src[end - 1] != "\\":
                    break
                end += 1
            end = n if end == -1 else end
            out.append(("pp", src[i:end], line))
            line += src[i:end].count("\n")
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            if stmt_line is None:
                stmt_line = line
            stmt += src[i : j + 1]
            line_has_code = True
            i = j + 1
        elif c in ";{}":
            stmt += c
            if stmt.strip():
                out.append(("code", stmt.strip(), stmt_line or line))
            stmt, stmt_line = "", None
            line_has_code = True
            i += 1
        else:
            if not c.isspace():
                if stmt_line is None:
                    stmt_line = line
                line_has_code = True
            stmt += c
            i += 1
    return out

status_decl = re.compile(r"^(?:extern\s+)?zs_status\s+(zs_\w+)\s*\(")
prototype = re.compile(r"^[A-Za-z_][\w\s\*]*?\b\w+\s*\([^{}]*\)[^{}]*;$", re.S)

bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        its = items(f.read())
    for k, it in enumerate(its):
        if it[0] != "code":
            continue
        m = status_decl.match(it[1])
        if not m or not it[1].endswith(";"):
            continue
        found = None
        for prev in reversed(its[:k]):
            if prev[0] == "comment":
                if prev[3]:  # a trailing comment belongs to the code before it
                    continue
                found = prev[1]
                break
            if prev[0] == "code" and prototype.match(prev[1]) and not prev[1].startswith("typedef"):
                continue
            break
        if found is None or "Errors:" not in found:
            print(f'{path}:{it[2]}: {m.group(1)}: no "Errors:" line in its comment')
            bad = 1

if not bad:
    print("check-error-docs: every zs_status function documents its errors")
sys.exit(bad)
PY
