#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) for each variant on a reduced workload: less
# noisy than time on a shared machine. Whole process, so compare against "none".
#   [PROFILES='small default'] [VARIANTS='none ...'] bench/gc-overhead/callgrind.sh [iterations=2000000]
set -euo pipefail
cd "$(dirname "$0")"
export GC_BENCH_ITERATIONS="${1:-2000000}"
out=../out/callgrind
mkdir -p "$out"
for profile in ${PROFILES:-small default}; do
  flags=()
  [ "$profile" = small ] && flags=(--max-semi-space-size=1)
  for v in ${VARIANTS:-none heapwatch-loaded heapwatch-stats heapwatch-gc perf_hooks-gc airbnb-node-memwatch sematext-gc-stats}; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$profile-$v.out" \
      node --jitless "${flags[@]}" workload.mjs "$v" >/dev/null 2>"$out/$profile-$v.log"
    ir=$(grep -E '^summary:|^totals:' "$out/$profile-$v.out" | head -1 | awk '{print $2}')
    echo "$profile $v $ir"
  done
done
