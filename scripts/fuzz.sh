#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target for FUZZTIME (default 10s), one after
# the other.
#
#   scripts/fuzz.sh                      # every Fuzz* target of the repository
#   scripts/fuzz.sh ./internal/policy    # the targets of some packages
#   FUZZTIME=30s scripts/fuzz.sh         # longer (a duration, or e.g. 5000x)
#   FUZZFLAGS='-parallel=4' scripts/fuzz.sh
#
# FUZZMINIMIZETIME (default 3s) bounds the minimization of each new input;
# with go test's default, 60s, fuzzing stalls while a worker minimizes each
# new interesting input, which in a short run is most of it. Set it to 60s
# for a tidier failing input.
#
# Targets are the `func FuzzX(f *testing.F)` in *_test.go files. Each runs
# as `go test -run=^$ -fuzz=^FuzzX$ -fuzztime=$FUZZTIME ./pkg`. A failing
# input is written by go test to <pkg>/testdata/fuzz/FuzzX/<hash>, where it
# becomes a seed that plain `go test` runs: the script prints its path and
# the command that re-runs it, carries on with the other targets, and exits
# non-zero. (Seed corpora alone run with every `go test`.)
set -uo pipefail

FUZZTIME=${FUZZTIME:-10s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-3s}
GO=${GO:-go}
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  pkgs=("$@")
else
  mapfile -t pkgs < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' \
    --exclude-dir=node_modules --exclude-dir=build --exclude-dir=cdk.out --exclude-dir=.git . |
    xargs -r -n1 dirname | sort -u)
fi
if [ ${#pkgs[@]} -eq 0 ]; then
  echo "fuzz.sh: no fuzz targets found" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
summary=()
for pkg in "${pkgs[@]}"; do
  dir=${pkg#./}
  [[ $pkg == ./* ]] || pkg=./$dir
  targets=$(grep -hoE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' "$dir"/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' | sort -u)
  if [ -z "$targets" ]; then
    echo "fuzz.sh: no fuzz targets in $pkg" >&2
    failed+=("$pkg")
    continue
  fi
  for target in $targets; do
    echo "=== $target in $pkg for $FUZZTIME"
    started=$(date +%s)
    # shellcheck disable=SC2086 # FUZZFLAGS is a list of flags
    $GO test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime="$FUZZMINIMIZETIME" ${FUZZFLAGS:-} "$pkg" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    took=$(($(date +%s) - started))
    if [ "$status" -eq 0 ]; then
      summary+=("ok    $target $pkg ${took}s")
      continue
    fi
    summary+=("FAIL  $target $pkg ${took}s")
    failed+=("$target")
    # go test: "Failing input written to testdata/fuzz/FuzzX/<hash>"
    written=$(sed -nE 's/.*Failing input written to (testdata\/fuzz\/[^ ]+).*/\1/p' "$log" | tail -n1)
    if [ -n "$written" ]; then
      echo "--- $target: failing input written to $dir/$written"
      echo "    re-run: $GO test -run='^${target}/$(basename "$written")\$' $pkg"
    else
      echo "--- $target: failed without a failing input (build error or a failure outside the fuzz function; see above)"
    fi
  done
done

echo
echo "fuzz.sh summary (FUZZTIME=$FUZZTIME):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
