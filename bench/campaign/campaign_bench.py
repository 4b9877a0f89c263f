#!/usr/bin/env python3
"""bench/campaign driver (run.sh builds, then calls this).

For each engine, in one run and interleaved round by round:
  in-process  the engine alone on the reference provider: libFuzzer as one
              process with a campaign worker's flags; AFL++ as one afl-fuzz with
              the campaign main instance's flags (-M, -c CMPLOG twin, -x dict,
              the custom mutator, the campaign's AFL_* settings);
  campaign    scripts/campaign.sh --engine E --jobs 1, same budget, same seeds
              (a fresh --out: no persistent corpus), rate = its runs/E.json
              exec_per_s (executions over the engine's run time);
  jobs 2      the same campaign with --jobs 2.
libFuzzer is also run as the campaigns ran it before (-fork=1 -ignore_*), for
the record (--no-fork leaves it out).

Figures (each with per-round values and their spread): campaign / in-process
per engine (target >= 0.8), jobs 2 / jobs 1 per engine (target >= 1.6).
Every run notes the machine's load average: on a shared machine only figures
of the same round compare.
"""
import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CAMPAIGN = os.path.join(ROOT, "scripts", "campaign.sh")
DICT = os.path.join(ROOT, "corpus", "shmfuzz.dict")
ENGINES = ("libfuzzer", "afl")
TARGET_CAMPAIGN = 0.8
TARGET_JOBS2 = 1.6


def die(msg):
    print("bench-campaign: " + msg, file=sys.stderr)
    sys.exit(2)


def parse(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench.sh campaign", add_help=False)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--engines", default="libfuzzer,afl")
    ap.add_argument("--no-fork", action="store_true")
    ap.add_argument("--check-args", action="store_true")
    ap.add_argument("--print-engines", action="store_true")
    ap.add_argument("--dev")
    ap.add_argument("--lf")
    ap.add_argument("--afl")
    ap.add_argument("--work")
    ap.add_argument("--out")
    try:
        a, rest = ap.parse_known_args(argv)
    except SystemExit:
        die("bad arguments (see scripts/bench.sh campaign --help)")
    if rest:
        die("unknown argument '%s' (see scripts/bench.sh campaign --help)" % rest[0])
    a.engines = [e for e in a.engines.split(",") if e]
    for e in a.engines:
        if e not in ENGINES:
            die("--engines takes libfuzzer and/or afl, not '%s'" % e)
    if not a.engines:
        die("--engines is empty")
    if a.rounds is not None and not 1 <= a.rounds <= 20:
        die("--rounds must be 1..20")
    if a.budget is not None and not 2 <= a.budget <= 3600:
        die("--budget must be 2..3600 seconds")
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.budget = a.budget or (5 if a.quick else 60)
    if a.quick:
        a.no_fork = True
    return a


def load():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def seeds(dev):
    d = os.path.join(dev, "corpus", "seeds")
    if not os.path.isdir(d) or not os.listdir(d):
        die("no seed corpus in %s (build shmf_seed_corpus)" % d)
    return d


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def rates(execs, wall, cpu):
    return {"execs": execs, "seconds": round(wall, 2), "cpu_s": round(cpu, 2),
            "exec_per_s": round(execs / wall, 1) if wall else 0,
            "exec_per_cpu_s": round(execs / cpu, 1) if cpu else 0}


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def staged(src, dst):
    """The seeds as a campaign's libFuzzer workers see them: hard-linked (else
    copied) under their sha1, so the alone run loads them in the same order."""
    fresh(dst)
    for n in sorted(os.listdir(src)):
        p = os.path.join(src, n)
        with open(p, "rb") as f:
            h = hashlib.sha1(f.read()).hexdigest()
        try:
            os.link(p, os.path.join(dst, h))
        except OSError:
            shutil.copyfile(p, os.path.join(dst, h))
    return dst


# === The engines alone ===

def lf_alone(a, work, fork, seed):
    """fuzz_reference as one process with a campaign worker's flags and seed (or,
    fork, the flags campaigns used with -fork=1). Rate: executed units over wall
    time."""
    corpus = fresh(os.path.join(work, "corpus"))
    art = fresh(os.path.join(work, "artifacts"))
    argv = [os.path.join(a.lf, "fuzz", "fuzz_reference"), "-max_total_time=%d" % a.budget,
            "-timeout=10", "-rss_limit_mb=2048", "-detect_leaks=0", "-print_final_stats=1"]
    if fork:
        argv += ["-fork=1", "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
                 "-dict=" + DICT, "-artifact_prefix=%s/" % art]
    else:
        argv += ["-reload=0", "-print_funcs=0", "-dict=" + DICT, "-artifact_prefix=%s/" % art]
    argv += ["-seed=%d" % seed, corpus, staged(seeds(a.dev), os.path.join(work, "seeds"))]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:symbolize=0")
    l0, c0 = load(), children_cpu()
    t0 = time.time()
    with open(os.path.join(work, "log"), "wb") as log:
        rc = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL).returncode
    wall, cpu = time.time() - t0, children_cpu() - c0
    text = open(os.path.join(work, "log"), errors="replace").read()
    execs = [int(x) for x in re.findall(r"^stat::number_of_executed_units:\s*(\d+)", text, re.M)]
    lines = [int(x) for x in re.findall(r"^#(\d+)", text, re.M)]
    return dict(rates(max(execs + lines + [0]), wall, cpu), exit=rc, load=[l0, load()],
                command=" ".join(argv), log=os.path.join(work, "log"))


def afl_alone(a, work, seed):
    """afl-fuzz alone with the campaign main instance's flags, environment and seed."""
    out = fresh(os.path.join(work, "sync"))
    afl = os.path.join(a.afl, "fuzz", "afl_reference")
    argv = ["afl-fuzz", "-i", seeds(a.dev), "-o", out, "-M", "main-bench"]
    if os.access(afl + "_cmplog", os.X_OK):
        argv += ["-c", afl + "_cmplog"]
    argv += ["-s", str(seed), "-V", str(a.budget), "-t", "1000", "-x", DICT, "--", afl]
    env = dict(os.environ, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1",
               AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_AUTORESUME="1",
               AFL_SKIP_CRASHES="1", AFL_FAST_CAL="1", AFL_IGNORE_UNKNOWN_ENVS="1",
               AFL_CUSTOM_MUTATOR_LIBRARY=os.path.join(a.afl, "campaign", "libshmf_afl_mutator.so"))
    l0, c0 = load(), children_cpu()
    t0 = time.time()
    with open(os.path.join(work, "log"), "wb") as log:
        rc = subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL).returncode
    wall, cpu = time.time() - t0, children_cpu() - c0
    stats = {}
    try:
        with open(os.path.join(out, "main-bench", "fuzzer_stats")) as f:
            for line in f:
                k, _, v = line.partition(":")
                stats[k.strip()] = v.strip()
    except OSError:
        pass
    return dict(rates(int(stats.get("execs_done", 0) or 0), wall, cpu), exit=rc,
                load=[l0, load()], command=" ".join(argv),
                afl_execs_per_sec=stats.get("execs_per_sec"))


# === The same engine in a campaign ===

def campaign(a, work, engine, jobs, seed):
    out = fresh(work)
    argv = [CAMPAIGN, "--no-build", "--engine", engine, "--jobs", str(jobs),
            "--time", "%ds" % a.budget, "--out", out]
    env = dict(os.environ, SHMF_CAMPAIGN_SEED=str(seed))
    l0 = load()
    t0 = time.time()
    with open(os.path.join(work, "campaign.txt"), "wb") as log:
        rc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL).returncode
    wall = time.time() - t0
    try:
        with open(os.path.join(out, "latest", "runs", engine + ".json")) as f:
            run = json.load(f)
    except (OSError, ValueError):
        tail = open(os.path.join(work, "campaign.txt"), errors="replace").read().strip()
        return {"error": "campaign exited %d: %s" % (rc, tail.splitlines()[-1] if tail else "")}
    r = rates(run["execs"], run["duration_s"], run.get("cpu_s") or 0)
    r["exec_per_s"] = run["exec_per_s"]   # the campaign's own figure (same formula)
    logs = [os.path.join(out, "latest", l) for l in run.get("logs", [])]
    return dict(r, status=run["status"], instances=run["instances"], exit=rc, logs=logs,
            campaign_wall_s=round(wall, 1), load=[l0, load()],
            command=" ".join(argv), stats=run.get("stats"))


# === Figures ===

LF_PROGRESS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\S+).*exec/s: (\d+)")


def lf_lines(path):
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = LF_PROGRESS.match(line)
                if m:
                    out.append((m.groups()[:5], int(m.group(6))))
    except OSError:
        pass
    return out


def same_path(alone, camp):
    """With one seed, the campaign's worker 0 and the alone run execute the same
    inputs until something outside the seed (timing) makes them part: compare
    their rates (libFuzzer's exec/s: executions since start over wall time) at
    the last progress line they share. Load-dependent like any wall figure, but
    free of the 5x spread between fuzzing paths."""
    if not alone or not camp or alone.get("error") or camp.get("error") or not camp.get("logs"):
        return None
    a = lf_lines(os.path.join(os.path.dirname(alone["log"]), "log")) if alone.get("log") else []
    c = lf_lines(camp["logs"][0])
    n = 0
    while n < min(len(a), len(c)) and a[n][0] == c[n][0]:
        n += 1
    # The first second prints exec/s 0: use the last shared line with a rate.
    while n > 0 and not (a[n - 1][1] and c[n - 1][1]):
        n -= 1
    if n == 0:
        return None
    return {"lines": n, "execs": int(a[n - 1][0][0]), "alone_exec_per_s": a[n - 1][1],
            "campaign_exec_per_s": c[n - 1][1], "ratio": round(c[n - 1][1] / a[n - 1][1], 3)}


def ratio(x, y, key):
    if not x or not y or x.get("error") or y.get("error") or not y.get(key):
        return None
    return round(x[key] / y[key], 3)


def figure(name, engine, rounds, num, den, target, what, key="exec_per_s"):
    per = [ratio(r.get(num), r.get(den), key) for r in rounds]
    ok = [p for p in per if p is not None]
    vals = [r[num][key] for r in rounds if r.get(num) and not r[num].get("error")]
    base = [r[den][key] for r in rounds if r.get(den) and not r[den].get("error")]
    med = round(statistics.median(ok), 3) if ok else None
    return {"name": name, "engine": engine, "unit": "exec/s" if key == "exec_per_s" else
            "exec per CPU second", "what": what,
            "value": statistics.median(vals) if vals else None,
            "baseline": statistics.median(base) if base else None,
            "ratio": med, "ratio_per_round": per,
            "ratio_spread": [min(ok), max(ok)] if ok else None,
            "target_ratio": target, "met": (med >= target) if (med is not None and target) else None}


def main():
    a = parse(sys.argv[1:])
    if a.check_args:
        return 0
    if a.print_engines:
        print(",".join(a.engines))
        return 0
    for k in ("dev", "lf", "afl", "work", "out"):
        if not getattr(a, k):
            die("--%s is required" % k)
    engines = list(a.engines)
    notes = []
    if "afl" in engines and (shutil.which("afl-fuzz") is None or
                             not os.access(os.path.join(a.afl, "fuzz", "afl_reference"), os.X_OK)):
        engines.remove("afl")
        notes.append("AFL++ (afl-fuzz, build/afl/fuzz/afl_reference) not available: AFL++ not measured")
    if "libfuzzer" in engines and not os.access(os.path.join(a.lf, "fuzz", "fuzz_reference"), os.X_OK):
        die("missing %s/fuzz/fuzz_reference" % a.lf)
    work = os.path.abspath(a.work)
    fresh(work)
    plan = []
    for e in engines:
        plan += [(e, "alone"), (e, "campaign_j1"), (e, "campaign_j2")]
        if e == "libfuzzer" and not a.no_fork:
            plan.append((e, "fork_alone"))
    rounds = {e: [] for e in engines}
    print("bench-campaign: %d round(s) of %d s runs: %s (load average %s on %d cores)" % (
        a.rounds, a.budget, ", ".join("%s %s" % p for p in plan), load(), os.cpu_count()),
        flush=True)
    for r in range(a.rounds):
        # Odd rounds run the plan backwards, so a load that drifts during a round
        # does not always favour the same side of a ratio.
        order = plan if r % 2 == 0 else plan[::-1]
        res = {e: {} for e in engines}
        for e, what in order:
            d = os.path.join(work, "r%d" % (r + 1), "%s-%s" % (e, what))
            os.makedirs(d, exist_ok=True)
            # One seed per round, the same for every run of it: the campaign's
            # worker 0 / main instance repeats the alone run's mutations.
            seed = 1000 + r
            if what == "alone":
                x = lf_alone(a, d, False, seed) if e == "libfuzzer" else afl_alone(a, d, seed)
            elif what == "fork_alone":
                x = lf_alone(a, d, True, seed)
            else:
                x = campaign(a, d, e, 1 if what == "campaign_j1" else 2, seed)
            res[e][what] = x
            print("  round %d %-9s %-12s %s" % (
                r + 1, e, what, x["error"] if x.get("error") else
                "%8.1f exec/s  (%d execs / %.1f s; %.1f CPU s: %.0f exec/CPU-s; load %s)" % (
                    x["exec_per_s"], x["execs"], x["seconds"], x["cpu_s"], x["exec_per_cpu_s"],
                    x["load"])),
                flush=True)
        if "libfuzzer" in res:
            sp = same_path(res["libfuzzer"].get("alone"), res["libfuzzer"].get("campaign_j1"))
            if sp:  # a round without a progress line both runs reached has none
                res["libfuzzer"]["same_path"] = sp
                print("  round %d libfuzzer same path: the first %d executions at %d exec/s alone, "
                      "%d in the campaign: %.3fx" % (r + 1, sp["execs"], sp["alone_exec_per_s"],
                                                     sp["campaign_exec_per_s"], sp["ratio"]),
                      flush=True)
        for e in engines:
            rounds[e].append(res[e])
    figs = []
    for e in engines:
        figs.append(figure("%s_campaign_vs_inprocess" % e, e, rounds[e], "campaign_j1", "alone",
                           TARGET_CAMPAIGN, "campaign --jobs 1 rate / the engine alone, same budget "
                           "and seeds"))
        figs.append(figure("%s_jobs2_vs_jobs1" % e, e, rounds[e], "campaign_j2", "campaign_j1",
                           TARGET_JOBS2, "campaign --jobs 2 rate / campaign --jobs 1 rate"))
        # Load-independent: executions per CPU second the engine's processes got.
        # What orchestration wastes shows here even when other processes take
        # the cores; scaling with cores does not (that needs free cores).
        figs.append(figure("%s_campaign_vs_inprocess_per_cpu" % e, e, rounds[e], "campaign_j1",
                           "alone", None, "executions per CPU second: campaign --jobs 1 / the "
                           "engine alone", key="exec_per_cpu_s"))
        if e == "libfuzzer":
            per = [(rr.get("same_path") or {}).get("ratio") for rr in rounds[e]]
            ok = [p for p in per if p is not None]
            figs.append({"name": "libfuzzer_campaign_vs_inprocess_same_path", "engine": e,
                         "unit": "exec/s", "what": "the campaign's worker and the alone run, same "
                         "seed, at the last progress line they share (same inputs executed)",
                         "ratio": round(statistics.median(ok), 3) if ok else None,
                         "ratio_per_round": per, "ratio_spread": [min(ok), max(ok)] if ok else None,
                         "target_ratio": None, "met": None})
        if e == "libfuzzer" and not a.no_fork:
            figs.append(figure("libfuzzer_fork_vs_inprocess", e, rounds[e], "fork_alone", "alone",
                               None, "libFuzzer -fork=1 (the campaigns' former mode) / in-process"))
    loads = [l for e in engines for rr in rounds[e] for x in rr.values()
             for l in (x or {}).get("load", []) if l is not None]
    cores = os.cpu_count() or 1
    if loads and max(loads) > 0.5 * cores:
        notes.append("the 1-minute load average was %.1f-%.1f on %d cores during the runs: other "
                     "processes took CPU the engines wanted, so rates move from run to run; compare "
                     "within a round (ratio_per_round), and on a quiet machine rerun "
                     "scripts/bench.sh campaign for the figures" % (min(loads), max(loads), cores))
    if cores < 2:
        notes.append("one core: --jobs 2 cannot scale here")
    print("bench-campaign: results (median of per-round ratios, spread over rounds)")
    for f in figs:
        print("  %-32s %s  (per round %s)%s" % (
            f["name"], "n/a" if f["ratio"] is None else "%.2fx" % f["ratio"], f["ratio_per_round"],
            "" if f["target_ratio"] is None else "  target >= %.1fx: %s" % (
                f["target_ratio"], {True: "met", False: "NOT met", None: "n/a"}[f["met"]])))
    for n in notes:
        print("  note: " + n)
    # A run that failed leaves its figures n/a: the bench failed, not "no data".
    failed = ["round %d %s %s: %s" % (k + 1, e, what, x["error"]) for e in engines
              for k, rr in enumerate(rounds[e]) for what, x in sorted(rr.items())
              if isinstance(x, dict) and x.get("error")]
    for f in failed:
        print("bench-campaign: failed: " + f, file=sys.stderr)
    doc = {"bench": "campaign", "schema": "shmfuzz-bench-campaign/1", "budget_s": a.budget,
           "status": "failed" if failed else "complete", "failed_runs": failed,
           "rounds": a.rounds, "provider": "reference", "engines": engines,
           "baseline": "each engine alone with a campaign worker's (libFuzzer) or main "
                       "instance's (AFL++) flags, same budget, same seeds, same round",
           "figures": figs, "runs": rounds, "notes": notes, "load_average": [min(loads), max(loads)]
           if loads else None}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
