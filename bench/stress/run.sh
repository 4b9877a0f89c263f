#!/usr/bin/env bash
# bench/stress: stress-runner scaling against the machine's own ceiling (issue 21).
# Per round and for each N in 2..cores (at least N = 2): the 1-thread rate, the
# N-thread rate, N independent 1-thread processes at once (the ceiling: what the
# machine gives N processors that share nothing, at that moment), and
#   ratio_to_ceiling = (N-thread / 1-thread) / (independent N / 1-thread)
# all with the verifier on; plus, for N = 2, the verifier off and interleave
# mode.  Where time goes at the largest N: `perf record` (cpu-clock) top symbols
# when perf is usable.  The load average is recorded before every round.
# Usage: scripts/bench.sh stress [--quick]
# Env:   BENCH_BUILD_DIR (default build/bench), BENCH_SECONDS (default 5),
#        BENCH_ROUNDS (default 5), BENCH_NMAX (default: the machine's cores),
#        BENCH_PERF=0 to skip perf, BENCH_BIN (a shmfuzz binary to measure
#        instead of the one built here, e.g. an older commit's bench build).
# Writes reports/out/bench-stress.json: each figure with its unit, the baseline
# measured in this run, their ratio (medians over the rounds), each round's
# ratios, load and cache-line round trip, the machine and the commit.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${BENCH_SECONDS:-5}; rounds=${BENCH_ROUNDS:-5}
if [ "${1:-}" = "--quick" ]; then secs=${BENCH_SECONDS:-1.5}; rounds=${BENCH_ROUNDS:-1}; fi
cores=$(nproc)
nmax=${BENCH_NMAX:-$cores}
[ "$nmax" -ge 2 ] || nmax=2
[ "$nmax" -le 64 ] || nmax=64
build=${BENCH_BUILD_DIR:-build/bench}
cmake --preset bench -B "$build" >/dev/null
cmake --build "$build" -j"$cores" --target shmfuzz shmfprov_reference bench_coherence >/dev/null
mkdir -p reports/out
out=reports/out/bench-stress.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${BENCH_BIN:-$build/harness/shmfuzz}

# run NAME THREADS MODE VERIFY(on|off) ROUND: one run.json in $work/NAME.ROUND.json
run() {
  local name=$1 threads=$2 mode=$3 verify=$4 r=$5 extra=()
  [ "$verify" = off ] && extra+=(--verify-off)
  "$bin" stress --quiet --provider reference --threads "$threads" \
    --mode "$mode" --seconds "$secs" --seed "$r" --out "$work" \
    --json "$work/$name.$r.json" "${extra[@]}"
}
# N independent processes of one thread each, at once (their ops/s summed in the
# report): the ceiling of any N-thread ratio at that moment.
run_indep() {
  local n=$1 r=$2 pids=() i
  for i in $(seq 1 "$n"); do
    run "ind${n}_$i" 1 threads on "$r" & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
}
# Every round runs every configuration, the 1-thread baseline first and the
# ceiling right after the N-thread run, so each ratio is taken within minutes
# of the conditions it is compared with.
for r in $(seq 1 "$rounds"); do
  cut -d' ' -f1-3 /proc/loadavg >"$work/load.$r"
  "$build/bench/bench_coherence" --round-trip >"$work/rt.$r"
  run t1_on 1 threads on "$r"
  for n in $(seq 2 "$nmax"); do
    run "t${n}_on" "$n" threads on "$r"
    run_indep "$n" "$r"
  done
  run t1_off 1 threads off "$r"
  run t2_off 2 threads off "$r"
  run il2_on 2 interleave on "$r"
done

# Where time goes at N = nmax threads: cpu-clock samples by symbol (lock waits
# show as the spin loops and sched_yield; hardware cache events are not
# available in most VMs, so cache-line transfers show as time in the
# instructions that take them: the lock words' exchange).
perf_ok=0
if [ "${BENCH_PERF:-1}" != 0 ] && command -v perf >/dev/null &&
   perf record -q -e cpu-clock -o "$work/probe.data" true >/dev/null 2>&1; then
  perf_ok=1
  perf record -q -e cpu-clock -F 2000 -o "$work/perf.data" -- "$bin" stress --quiet \
    --provider reference --threads "$nmax" --seconds "$secs" --seed 1 --out "$work" \
    --json "$work/perf_run.json" >/dev/null 2>&1 || perf_ok=0
  [ "$perf_ok" = 1 ] && perf report -i "$work/perf.data" --no-children --sort symbol \
    --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -n 25 >"$work/perf.txt" || true
fi

# The machine's cost of sharing, at the 1-thread rate and op mix just measured.
read -r t1rate afrac < <(python3 -c "
import json, statistics
runs = [json.load(open(f'$work/t1_on.{r}.json')) for r in range(1, $rounds + 1)]
mix = runs[0]['op_mix']  # exec_per_s below: ops_per_s before the rename (BENCH_BIN)
print(statistics.median(r.get('exec_per_s', r.get('ops_per_s')) for r in runs),
      (mix.get('alloc', 0) + mix.get('free', 0)) / max(1, sum(mix.values())))")
"$build/bench/bench_coherence" "$t1rate" "$afrac" "$secs" "$work/coherence.json"

python3 - "$work" "$rounds" "$secs" "$nmax" "$perf_ok" "$out.raw" <<'PY'
import json, statistics, sys
work, rounds, secs, nmax, perf_ok, dst = (sys.argv[1], int(sys.argv[2]), float(sys.argv[3]),
                                          int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6])
R = range(1, rounds + 1)
def runs(name):
    return [json.load(open(f"{work}/{name}.{r}.json")) for r in R]
def rate(name):
    # run.json's exec_per_s; ops_per_s from binaries before the rename (BENCH_BIN)
    return [x.get("exec_per_s", x.get("ops_per_s")) for x in runs(name)]
def fig(value, baseline, baseline_desc, desc):
    return {"value": round(value, 1), "unit": "ops/s", "baseline": round(baseline, 1),
            "baseline_is": baseline_desc, "ratio": round(value / baseline, 3) if baseline else None,
            "description": desc}
med = statistics.median
t1 = rate("t1_on")
scaling, figures = {}, {}
findings = sum(len(x["findings"]) for n in ("t1_on", "t1_off", "t2_off", "il2_on") for x in runs(n))
for n in range(2, nmax + 1):
    tn = rate(f"t{n}_on")
    ind = [sum(v) for v in zip(*(rate(f"ind{n}_{i}") for i in range(1, n + 1)))]
    findings += sum(len(x["findings"]) for x in runs(f"t{n}_on"))
    findings += sum(len(x["findings"]) for i in range(1, n + 1) for x in runs(f"ind{n}_{i}"))
    ratio = [round((a / b) / (c / b), 3) for a, b, c in zip(tn, t1, ind)]
    scaling[str(n)] = {
        "threads_1": [round(v, 1) for v in t1], "threads_n": [round(v, 1) for v in tn],
        "independent_n": [round(v, 1) for v in ind],
        "speedup": [round(a / b, 3) for a, b in zip(tn, t1)],
        "ceiling": [round(c / b, 3) for c, b in zip(ind, t1)],
        "ratio_to_ceiling": ratio, "ratio_to_ceiling_median": med(ratio),
        "contention": [x["contention"] for x in runs(f"t{n}_on")],
    }
    figures[f"threads{n}_vs_ceiling"] = {
        "value": med(ratio), "unit": "ratio", "baseline": 1.0,
        "baseline_is": f"{n} independent 1-thread processes at once, same round",
        "ratio": med(ratio),
        "description": f"({n}-thread / 1-thread) / (independent {n} / 1-thread), verifier on, "
                       "median over rounds (target for N = 2: >= 0.85)"}
c = {n: med(rate(n)) for n in ("t1_on", "t2_on", "t1_off", "t2_off", "il2_on")}
figures.update({
    "threads2_verify_on": fig(c["t2_on"], c["t1_on"], "1 thread, verifier on", "2 threads vs 1, verifier on"),
    "threads2_verify_off": fig(c["t2_off"], c["t1_off"], "1 thread, verifier off", "2 threads vs 1, verifier off"),
    "verify_on_1thread": fig(c["t1_on"], c["t1_off"], "1 thread, verifier off",
                             "verifier cost, 1 thread (ratio < 1 is the slowdown)"),
    "interleave_2cpus": fig(c["il2_on"], c["t1_on"], "1 thread, verifier on",
                            "deterministic interleave mode, 2 coroutines on one thread"),
    "independent_2proc": fig(med(scaling["2"]["independent_n"]), c["t1_on"], "1 thread, verifier on",
                             "two processes of 1 thread each at once: the machine's 2-processor ceiling"),
})
data = {
    "schema": "shmfuzz-bench/1", "bench": "stress", "provider": "reference",
    "seconds_per_run": secs, "rounds": rounds, "statistic": "median over rounds",
    "figures": figures, "scaling": scaling,
    "per_round": {
        "load_avg_1_5_15": [open(f"{work}/load.{r}").read().split() for r in R],
        "round_trip_ns": [float(open(f"{work}/rt.{r}").read()) for r in R],
    },
    "per_round_is": ("each round: load average, cache-line round trip, then 1 thread, and for "
                     "each N the N-thread run followed by N independent 1-thread processes at once"),
    "findings": findings,
    "where_time_goes": {
        "threads": nmax, "tool": "perf record -e cpu-clock" if perf_ok else None,
        "top_symbols": [l.strip() for l in open(f"{work}/perf.txt")] if perf_ok else [],
        "note": None if perf_ok else "perf not available or not permitted here",
    },
    "sharing_cost": json.load(open(f"{work}/coherence.json")),
}
json.dump(data, open(dst, "w"), indent=2, sort_keys=True)
PY
python3 bench/machine.py "$out.raw" "$out"
rm -f "$out.raw"
python3 -c "
import json; d = json.load(open('$out'))
print('  load (1/5/15 min) per round:', d['per_round']['load_avg_1_5_15'])
for n, s in sorted(d['scaling'].items(), key=lambda kv: int(kv[0])):
    print(f'  N={n}: speedup {s[\"speedup\"]}  ceiling {s[\"ceiling\"]}  ratio_to_ceiling {s[\"ratio_to_ceiling\"]} (median {s[\"ratio_to_ceiling_median\"]})')
for k, v in sorted(d['figures'].items()):
    print(f'  {k}: {v[\"value\"]} {v[\"unit\"]} vs {v[\"baseline\"]} ({v[\"baseline_is\"]}): x{v[\"ratio\"]}')
for l in d['where_time_goes']['top_symbols'][:12]: print('  perf:', l)
"
echo "bench: wrote $out"
