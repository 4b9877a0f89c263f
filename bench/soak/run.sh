#!/usr/bin/env bash
# bench/soak: the stress runner's long runs, issue 8's nightly mode (not CI).
#   tsan-reference  reference provider, 2 threads, 60 s under ThreadSanitizer:
#                   no data race reported, no finding
#   asan-reference  reference provider, 2 threads, 10 min under ASan+UBSan:
#                   no finding
#   tsan-race       the planted race (buggy_race_unlocked_remove), 2 threads, up
#                   to 60 s under ThreadSanitizer: TSan reports the data race
# Usage: scripts/bench.sh soak [--quick]   (--quick: 10 s, 60 s and 20 s)
# Writes reports/out/bench-soak.json (each run: command, seconds, ops, findings,
# TSan reports, pass); exits 1 if a run does not pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
t_tsan=60; t_asan=600; t_race=60
if [ "${1:-}" = "--quick" ]; then t_tsan=10; t_asan=60; t_race=20; fi
targets=(shmfuzz shmfprov_reference shmfprov_buggy_race_unlocked_remove)
for preset in tsan ci; do
  cmake --preset "$preset" >/dev/null
  cmake --build "build/$preset" -j"$(nproc)" --target "${targets[@]}" >/dev/null
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME BUILD PROVIDER SECONDS: one stress run; its run.json and stderr in $work.
run() {
  local name=$1 build=$2 provider=$3 secs=$4 rc=0
  local cmd=("build/$build/harness/shmfuzz" stress --quiet --provider "$provider" --threads 2
             --seconds "$secs" --seed 7 --out "$work/$name" --json "$work/$name.json")
  mkdir -p "$work/$name"
  echo "soak: $name: ${cmd[*]}"
  TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0" "${cmd[@]}" >/dev/null \
    2>"$work/$name.err" || rc=$?
  echo "$rc ${cmd[*]}" >"$work/$name.cmd"
}
run tsan-reference tsan reference "$t_tsan"
run asan-reference ci reference "$t_asan"
run tsan-race tsan buggy_race_unlocked_remove "$t_race"

python3 - "$work" "$work/raw.json" <<'PY'
import json, os, sys
work, dst = sys.argv[1], sys.argv[2]
def result(name, want_race):
    rc, cmd = open(f"{work}/{name}.cmd").read().split(" ", 1)
    err = open(f"{work}/{name}.err", errors="replace").read()
    races = err.count("WARNING: ThreadSanitizer")
    try:
        run = json.load(open(f"{work}/{name}.json"))
    except (OSError, ValueError):
        run = {}
    findings = [f.get("kind") for f in run.get("findings", [])]
    ok = races > 0 if want_race else (races == 0 and not findings and rc == "0")
    return {"name": name, "command": cmd.strip(), "exit_code": int(rc),
            "seconds": run.get("duration"), "ops": run.get("ops"),
            "ops_per_s": run.get("ops_per_s"), "findings": findings,
            "tsan_reports": races, "expect": "a TSan data race" if want_race else
            "no TSan report, no finding", "pass": ok}
runs = [result("tsan-reference", False), result("asan-reference", False),
        result("tsan-race", True)]
json.dump({"schema": "shmfuzz-bench/1", "bench": "soak", "runs": runs,
           "pass": all(r["pass"] for r in runs)}, open(dst, "w"), indent=2)
for r in runs:
    print(f"soak: {r['name']}: {'pass' if r['pass'] else 'FAIL'}: {r['ops']} ops in "
          f"{r['seconds']} s, findings {r['findings']}, TSan reports {r['tsan_reports']}")
PY
mkdir -p reports/out
python3 bench/machine.py "$work/raw.json" reports/out/bench-soak.json
echo "bench: wrote reports/out/bench-soak.json"
python3 -c "import json,sys; sys.exit(0 if json.load(open('reports/out/bench-soak.json'))['pass'] else 1)"
