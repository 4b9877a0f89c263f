#!/usr/bin/env bash
# bench/diff: differential mode's cost (exec/s of a differential run against the
# provider alone, same programs, same run; target >= 0.4x) in process and under
# libFuzzer, and its detection: the four validation-gap providers found with
# --against reference and not without it, the correct providers clean.
# Usage: scripts/bench.sh diff [--quick]
# Trees: SHMF_BENCH_DIR (default build/bench, preset bench), SHMF_BENCH_LF_DIR
# (default build/libfuzzer), SHMF_BENCH_DEV_DIR (default build/dev); configured
# with their presets when missing.  Full: 5 rounds of 2 s, 3 trials of 60 s per
# gap; --quick: 2 rounds of 0.5 s, 1 trial of 15 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=2; rounds=5; trials=3; budget=60; esecs=20
[ "${1:-}" = "--quick" ] && { secs=0.5; rounds=2; trials=1; budget=15; esecs=5; }
bench=${SHMF_BENCH_DIR:-build/bench}
lf=${SHMF_BENCH_LF_DIR:-build/libfuzzer}
dev=${SHMF_BENCH_DEV_DIR:-build/dev}
rules=corpus/differential/reference.rules
provs="reference alt_pfvport alt_small gaps_length_zero gaps_usage_range gaps_vport_ignored gaps_quota_short"
[ -f "$bench/CMakeCache.txt" ] || cmake --preset bench -B "$bench" >/dev/null
[ -f "$lf/CMakeCache.txt" ] || cmake --preset libfuzzer -B "$lf" >/dev/null
[ -f "$dev/CMakeCache.txt" ] || cmake --preset dev -B "$dev" >/dev/null
cmake --build "$bench" -j"$(nproc)" --target bench_diff >/dev/null
# shellcheck disable=SC2086
cmake --build "$lf" -j"$(nproc)" --target fuzz_generic $(printf 'shmfprov_%s ' $provs) >/dev/null
# shellcheck disable=SC2086
cmake --build "$dev" -j"$(nproc)" --target shmfuzz shmf_seed_corpus $(printf 'shmfprov_%s ' $provs) >/dev/null
out=reports/out/bench-diff.json
rc=0
"$bench/bench/bench_diff" "$bench/providers" "$rules" "$secs" "$rounds" "$out.cost" || rc=$?
python3 bench/diff/detect_diff.py --lf "$lf" --dev "$dev" --rules "$PWD/$rules" --root "$PWD" \
  --trials "$trials" --budget "$budget" --engine-secs "$esecs" --out "$out.detect" || rc=1
python3 - "$out.cost" "$out.detect" "$out.raw" <<'PY'
import json, sys
cost, det = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
cost["detection"] = det
cost["met"] = bool(cost.get("met")) and bool(det.get("met"))
json.dump(cost, open(sys.argv[3], "w"), indent=2, sort_keys=True)
PY
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw" "$out.cost" "$out.detect"
echo "bench: wrote $out"
exit "$rc"
