#!/usr/bin/env python3
"""bench/throughput driver: run each engine on the reference target and on the
empty target, same seed corpus, same seed, same time; write the figures."""
import argparse, json, os, re, shutil, subprocess, tempfile, time

def seeds(tree):
    d = os.path.join(tree, "corpus", "seeds")
    if not os.path.isdir(d) or not os.listdir(d):
        raise SystemExit(f"throughput: no seed corpus in {d} (build shmf_seed_corpus)")
    return d

def copy_corpus(src):
    d = tempfile.mkdtemp(prefix="shmf-tp-")
    for f in sorted(os.listdir(src)):
        shutil.copy(os.path.join(src, f), d)
    return d

def libfuzzer(binary, corpus, secs):
    """exec/s from libFuzzer's final stats (-print_final_stats=1)."""
    work = copy_corpus(corpus)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:" + os.environ.get("ASAN_OPTIONS", ""))
    t0 = time.time()
    p = subprocess.run([binary, "-seed=1", f"-max_total_time={secs}", "-print_final_stats=1",
                        "-max_len=4096", "-timeout=10", "-rss_limit_mb=4096", work],
                       capture_output=True, text=True, env=env)
    wall = time.time() - t0
    shutil.rmtree(work, ignore_errors=True)
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
    execs = int(m.group(1)) if m else 0
    crashed = "==ERROR" in p.stderr or "==shmfuzz== finding" in p.stderr
    return {"execs": execs, "seconds": round(wall, 2),
            "exec_per_s": execs / wall if wall > 0 else 0.0, "stopped_on_crash": crashed}

def afl(binary, corpus, secs):
    """execs_per_sec from AFL++'s fuzzer_stats."""
    out = tempfile.mkdtemp(prefix="shmf-tp-afl-")
    env = dict(os.environ, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1",
               AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_NO_AFFINITY="1",
               AFL_SKIP_CRASHES="1", AFL_BENCH_UNTIL_CRASH="0")
    t0 = time.time()
    p = subprocess.run(["afl-fuzz", "-V", str(secs), "-s", "1", "-i", corpus, "-o", out, "--",
                        binary], capture_output=True, text=True, env=env)
    wall = time.time() - t0
    stats = {}
    for root, _, files in os.walk(out):
        if "fuzzer_stats" in files:
            with open(os.path.join(root, "fuzzer_stats")) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    stats[k.strip()] = v.strip()
    shutil.rmtree(out, ignore_errors=True)
    if not stats:
        return {"error": (p.stdout + p.stderr)[-600:], "exec_per_s": 0.0}
    return {"execs": int(stats.get("execs_done", 0)), "seconds": round(wall, 2),
            "exec_per_s": float(stats.get("execs_per_sec", 0.0))}

def figure(name, engine, target, base, goal):
    ratio = target["exec_per_s"] / base["exec_per_s"] if base.get("exec_per_s") else 0.0
    return {"name": name, "engine": engine, "unit": "exec/s", "value": target["exec_per_s"],
            "baseline": base["exec_per_s"], "ratio": ratio, "target_ratio": goal,
            "met": ratio >= goal, "detail": {"reference": target, "empty": base}}

ap = argparse.ArgumentParser()
ap.add_argument("--secs", type=int, default=20)
ap.add_argument("--lf", required=True)
ap.add_argument("--afl", default="")
ap.add_argument("--out", required=True)
a = ap.parse_args()
figs, notes = [], []
corpus = seeds(a.lf)
ref = libfuzzer(os.path.join(a.lf, "fuzz", "fuzz_reference"), corpus, a.secs)
emp = libfuzzer(os.path.join(a.lf, "fuzz", "fuzz_empty"), corpus, a.secs)
figs.append(figure("libfuzzer_exec_per_s", "libfuzzer", ref, emp, 0.5))
print(f"libFuzzer: reference {ref['exec_per_s']:.0f} exec/s, empty {emp['exec_per_s']:.0f} exec/s")
if a.afl:
    ref = afl(os.path.join(a.afl, "fuzz", "afl_reference"), corpus, a.secs)
    emp = afl(os.path.join(a.afl, "fuzz", "afl_empty"), corpus, a.secs)
    figs.append(figure("afl_exec_per_s", "afl++", ref, emp, 0.8))
    print(f"AFL++: reference {ref['exec_per_s']:.0f} exec/s, empty {emp['exec_per_s']:.0f} exec/s")
else:
    notes.append("AFL++ (afl-fuzz, afl-clang-fast) not installed: AFL++ figures not measured")
doc = {"bench": "throughput", "seconds_per_run": a.secs, "seed": 1,
       "baseline": "empty target (LLVMFuzzerTestOneInput / __AFL_LOOP body ignores the bytes), "
                   "same flags, same seed corpus, same seed and duration, same run",
       "corpus": corpus, "figures": figs, "notes": notes}
with open(a.out, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=True)
