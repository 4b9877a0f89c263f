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
# Env: SOAK_TSAN_BUILD, SOAK_ASAN_BUILD (build trees, default build/tsan and
#      build/ci), SOAK_TSAN_SECONDS, SOAK_ASAN_SECONDS, SOAK_RACE_SECONDS,
#      SOAK_THREADS (default 2), SOAK_SKIP_BUILD=1 (use the trees as they are).
set -euo pipefail
cd "$(dirname "$0")/../.."
t_tsan=60; t_asan=600; t_race=60
if [ "${1:-}" = "--quick" ]; then t_tsan=10; t_asan=60; t_race=20; fi
t_tsan=${SOAK_TSAN_SECONDS:-$t_tsan}; t_asan=${SOAK_ASAN_SECONDS:-$t_asan}
t_race=${SOAK_RACE_SECONDS:-$t_race}; threads=${SOAK_THREADS:-2}
tsan_build=${SOAK_TSAN_BUILD:-build/tsan}; asan_build=${SOAK_ASAN_BUILD:-build/ci}
targets=(shmfuzz shmfprov_reference shmfprov_buggy_race_unlocked_remove)
if [ "${SOAK_SKIP_BUILD:-0}" != 1 ]; then
  cmake --preset tsan -B "$tsan_build" >/dev/null
  cmake --build "$tsan_build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
  cmake --preset ci -B "$asan_build" >/dev/null
  cmake --build "$asan_build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME BUILD PROVIDER SECONDS: one stress run; its run.json and stderr in $work.
run() {
  local name=$1 build=$2 provider=$3 secs=$4 rc=0
  local cmd=("$build/harness/shmfuzz" stress --quiet --provider "$provider" --threads "$threads"
             --seconds "$secs" --seed 7 --out "$work/$name" --json "$work/$name.json")
  mkdir -p "$work/$name"
  echo "soak: $name: ${cmd[*]}"
  TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0" "${cmd[@]}" >/dev/null \
    2>"$work/$name.err" || rc=$?
  echo "$rc ${cmd[*]}" >"$work/$name.cmd"
}
run tsan-reference "$tsan_build" reference "$t_tsan"
run asan-reference "$asan_build" reference "$t_asan"
run tsan-race "$tsan_build" buggy_race_unlocked_remove "$t_race"

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
            # run.json's names (SHMF_RUN_FIELDS); binaries before the rename wrote
            # duration / ops / ops_per_s.
            "seconds": run.get("duration_s", run.get("duration")),
            "ops": run.get("execs", run.get("ops")),
            "ops_per_s": run.get("exec_per_s", run.get("ops_per_s")), "findings": findings,
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
