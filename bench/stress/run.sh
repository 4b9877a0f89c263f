#!/usr/bin/env bash
# bench/stress: stress-runner throughput (ops/s) with 1 vs 2 threads and with the
# verifier off vs on, and two independent 1-thread processes at once (the
# machine's own ceiling), all measured in the same run on the bench preset
# (release + LTO).
# Usage: scripts/bench.sh stress [--quick]
# Env:   BENCH_BUILD_DIR (default build/bench), BENCH_SECONDS, BENCH_ROUNDS.
# Writes reports/out/bench-stress.json: each figure with its unit, the baseline
# measured in this run, their ratio (medians over the rounds), each round's
# ratios and cache-line round trip, the machine and the commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-5}; rounds=${BENCH_ROUNDS:-3}
if [ "${1:-}" = "--quick" ]; then secs=${BENCH_SECONDS:-1.5}; rounds=${BENCH_ROUNDS:-1}; fi
build=${BENCH_BUILD_DIR:-build/bench}
cmake --preset bench -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target shmfuzz shmfprov_reference bench_coherence >/dev/null
mkdir -p reports/out
out=reports/out/bench-stress.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run NAME THREADS MODE VERIFY(on|off) ROUND: one run.json in $work/NAME.ROUND.json
run() {
  local name=$1 threads=$2 mode=$3 verify=$4 r=$5 extra=()
  [ "$verify" = off ] && extra+=(--verify-off)
  "$build/harness/shmfuzz" stress --quiet --provider reference --threads "$threads" \
    --mode "$mode" --seconds "$secs" --seed "$r" --out "$work" \
    --json "$work/$name.$r.json" "${extra[@]}"
}
# Two independent processes of one thread each, at once (their ops/s summed in
# the report): what the machine gives two processors that share nothing, the
# ceiling of any 2-thread ratio at that moment.
run_pair() {
  run p2a_on 1 threads on "$1" & local a=$!
  run p2b_on 1 threads on "$1" & local b=$!
  wait "$a"
  wait "$b"
}
# Every round runs every configuration, and measures the cache-line round trip
# between two threads first: on a VM the host moves the virtual processors, and
# the round trip (so the 2-thread ratio) can change several-fold between minutes.
for r in $(seq 1 "$rounds"); do
  "$build/bench/bench_coherence" --round-trip >"$work/rt.$r"
  run t1_on 1 threads on "$r"
  run t2_on 2 threads on "$r"
  run t1_off 1 threads off "$r"
  run t2_off 2 threads off "$r"
  run il2_on 2 interleave on "$r"
  run_pair "$r"
done

# The machine's cost of sharing, at the 1-thread rate and op mix just measured:
# the cache-line round trip, and the provider's own locking alone (coherence.c).
read -r t1rate afrac < <(python3 -c "
import json, statistics, sys
runs = [json.load(open(f'$work/t1_on.{r}.json')) for r in range(1, $rounds + 1)]
mix = runs[0]['op_mix']
print(statistics.median(r['ops_per_s'] for r in runs),
      (mix.get('alloc', 0) + mix.get('free', 0)) / max(1, sum(mix.values())))")
"$build/bench/bench_coherence" "$t1rate" "$afrac" "$secs" "$work/coherence.json"

python3 - "$work" "$rounds" "$secs" "$out.raw" <<'PY'
import json, statistics, sys
work, rounds, secs, dst = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def runs(name):
    return [json.load(open(f"{work}/{name}.{r}.json")) for r in range(1, rounds + 1)]
def med(name):
    return statistics.median(r["ops_per_s"] for r in runs(name))
def fig(value, baseline, baseline_desc, desc):
    return {"value": round(value, 1), "unit": "ops/s", "baseline": round(baseline, 1),
            "baseline_is": baseline_desc, "ratio": round(value / baseline, 3) if baseline else None,
            "description": desc}
cfg = {n: med(n) for n in ("t1_on", "t2_on", "t1_off", "t2_off", "il2_on")}
pair = [a["ops_per_s"] + b["ops_per_s"] for a, b in zip(runs("p2a_on"), runs("p2b_on"))]
cfg_pair = statistics.median(pair)
contention = {n: [r["contention"] for r in runs(n)] for n in ("t2_on", "t2_off")}
findings = sum(len(r["findings"]) for n in (*cfg, "p2a_on", "p2b_on") for r in runs(n))
per_thread = {n: [[t["ops_per_s"] for t in r["per_thread"]] for r in runs(n)] for n in cfg}
def per_round(a, b):
    return [round(x["ops_per_s"] / y["ops_per_s"], 3) for x, y in zip(runs(a), runs(b))]
rounds_detail = {
    "round_trip_ns": [float(open(f"{work}/rt.{r}").read()) for r in range(1, rounds + 1)],
    "threads2_verify_on_ratio": per_round("t2_on", "t1_on"),
    "threads2_verify_off_ratio": per_round("t2_off", "t1_off"),
    "independent_2proc_ratio": [round(p / t["ops_per_s"], 3)
                                for p, t in zip(pair, runs("t1_on"))],
}
data = {
    "schema": "shmfuzz-bench/1", "bench": "stress", "provider": "reference",
    "seconds_per_run": secs, "rounds": rounds, "statistic": "median over rounds",
    "figures": {
        "threads2_verify_on": fig(cfg["t2_on"], cfg["t1_on"], "1 thread, verifier on",
                                  "2 threads vs 1, verifier on (target: ratio >= 1.6)"),
        "threads2_verify_off": fig(cfg["t2_off"], cfg["t1_off"], "1 thread, verifier off",
                                   "2 threads vs 1, verifier off"),
        "verify_on_1thread": fig(cfg["t1_on"], cfg["t1_off"], "1 thread, verifier off",
                                 "verifier cost, 1 thread (ratio < 1 is the slowdown)"),
        "verify_on_2threads": fig(cfg["t2_on"], cfg["t2_off"], "2 threads, verifier off",
                                  "verifier cost, 2 threads"),
        "interleave_2cpus": fig(cfg["il2_on"], cfg["t1_on"], "1 thread, verifier on",
                                "deterministic interleave mode, 2 coroutines on one thread"),
        "independent_2proc": fig(cfg_pair, cfg["t1_on"], "1 thread, verifier on",
                                 "two processes of 1 thread each at once, sharing nothing: "
                                 "the machine's own 2-processor ceiling"),
    },
    "per_thread_ops_per_s": per_thread,
    "per_round": rounds_detail,
    "per_round_is": ("each round runs every configuration once (seed = round) after "
                     "measuring the cache-line round trip between two threads; the "
                     "ratios are 2 threads (or two 1-thread processes) over 1 thread "
                     "within the round"),
    "contention": contention,
    "findings": findings,
    "sharing_cost": json.load(open(f"{work}/coherence.json")),
    "sharing_cost_is": ("cache-line round trip between two threads, and the reference "
                        "provider's own spin lock and block list alone at the 1-thread op "
                        "rate and alloc/free share (bench/stress/coherence.c): "
                        "provider_model.ratio is the 2-thread ceiling if the runtime and "
                        "the harness shared nothing"),
}
json.dump(data, open(dst, "w"), indent=2, sort_keys=True)
PY
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
python3 -c "import json,sys; d=json.load(open('$out'));
[print(f'  {k}: {v[\"value\"]} {v[\"unit\"]} vs {v[\"baseline\"]} ({v[\"baseline_is\"]}): x{v[\"ratio\"]}') for k,v in sorted(d['figures'].items())]"
echo "bench: wrote $out"
