#!/usr/bin/env python3
"""bench/diff, under libFuzzer: the engine's exec/s with and without
differential mode, the validation-gap providers found with it and not without
it, and the correct providers against the reference.

Engine rate: `fuzz_generic` on the reference alone and reference against
reference (the shipped rules), 4 alternating rounds of SECS/4 each, the same
seed and seed corpus (each round from an empty corpus).

For each gap provider (corpus/differential/<gap>.ops names it and the expected
signature), T trials of `fuzz_generic` with SHMFUZZ_AGAINST=reference and the
shipped rules, each stopping at its first crash artifact: the time to it, and
the signature `shmfuzz replay --against` gives it.  Then the same provider for
the same budget without SHMFUZZ_AGAINST (the single-provider campaign): any
finding there is counted (the gaps must show none).  Then alt_pfvport,
alt_small and the reference against the reference for the budget: the
divergences seen (must be none).

usage: detect_diff.py --lf LF_TREE --dev DEV_TREE --rules RULES --root SRC
                      --trials T --budget S --engine-secs SECS --out OUT.json
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

GAPS = ["length_zero", "usage_range", "vport_ignored", "quota_short"]
CLEAN = ["alt_pfvport", "alt_small", "reference"]


def expected(root, gap):
    with open(os.path.join(root, "corpus", "differential", gap + ".ops")) as f:
        text = f.read()
    return (re.search(r"#\s*expect:\s*(\S+)", text).group(1),
            re.search(r"#\s*provider:\s*(\S+)", text).group(1))


class Run:
    def __init__(self, a):
        self.a = a
        self.so = os.path.join(a.lf, "providers")
        self.fuzz = os.path.join(a.lf, "harness", "fuzz_generic")
        self.shmfuzz = os.path.join(a.dev, "harness", "shmfuzz")
        self.seeds = os.path.join(a.dev, "corpus", "seeds")

    def libfuzzer(self, provider, against, seed, budget, work):
        """One libFuzzer run until its first crash or the budget: (seconds to the
        first artifact or None, artifact path, execs)."""
        os.makedirs(os.path.join(work, "corpus"), exist_ok=True)
        os.makedirs(os.path.join(work, "art"), exist_ok=True)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:symbolize=0",
                   SHMFUZZ_PROVIDER=os.path.join(self.so, "libshmfprov_%s.so" % provider))
        env.pop("SHMFUZZ_AGAINST", None)
        if against:
            env.update(SHMFUZZ_AGAINST=os.path.join(self.so, "libshmfprov_%s.so" % against),
                       SHMFUZZ_ALLOW=self.a.rules)
        argv = [self.fuzz, "-seed=%d" % seed, "-max_total_time=%d" % budget, "-timeout=10",
                "-rss_limit_mb=2048", "-print_final_stats=1",
                "-dict=%s" % os.path.join(self.a.root, "corpus", "shmfuzz.dict"),
                "-artifact_prefix=%s/" % os.path.join(work, "art"),
                os.path.join(work, "corpus"), self.seeds]
        t0 = time.time()
        with open(os.path.join(work, "libfuzzer.log"), "wb") as log:
            subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                           timeout=budget + 60)
        arts = sorted(glob.glob(os.path.join(work, "art", "*")), key=os.path.getmtime)
        with open(os.path.join(work, "libfuzzer.log"), errors="replace") as f:
            m = re.findall(r"stat::number_of_executed_units:\s+(\d+)", f.read())
        execs = int(m[-1]) if m else None
        if not arts:
            return None, None, execs
        return round(os.path.getmtime(arts[0]) - t0, 2), arts[0], execs

    def signature(self, provider, against, path):
        argv = [self.shmfuzz, "replay", "-q", "--provider", provider]
        if against:
            argv += ["--against", against, "--allow", self.a.rules]
        with tempfile.NamedTemporaryFile(suffix=".json") as js:
            p = subprocess.run(argv + ["--json", js.name, path], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            if p.returncode != 1:
                return None
            fs = json.load(open(js.name)).get("findings") or []
            return fs[0]["signature"] if fs else None


def main():
    ap = argparse.ArgumentParser()
    for k in ("lf", "dev", "rules", "root", "out"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--engine-secs", type=int, default=20)
    a = ap.parse_args()
    r = Run(a)
    work = a.out + ".work"
    shutil.rmtree(work, ignore_errors=True)
    gaps, clean, rate = [], [], {}
    # Rounds alternate the two modes, so both see the machine's load alike.
    rounds, execs = 4, {"single": 0, "differential": 0}
    secs = max(1, a.engine_secs // rounds)
    for k in range(rounds):
        for mode, against in (("single", None), ("differential", "reference")):
            _, _, n = r.libfuzzer("reference", against, 1, secs,
                                  os.path.join(work, "engine", "%s-%d" % (mode, k)))
            execs[mode] += n or 0
    for mode in execs:
        rate[mode] = round(execs[mode] / (rounds * secs), 1)
    rate["rounds"] = rounds
    rate["ratio"] = round(rate["differential"] / rate["single"], 3) if rate["single"] else None
    print("bench: libFuzzer exec/s on the reference: alone %s, against the reference %s "
          "(%sx)" % (rate["single"], rate["differential"], rate["ratio"]), flush=True)
    for gap in GAPS:
        want, prov = expected(a.root, gap)
        trials = []
        for k in range(a.trials):
            t, art, execs = r.libfuzzer(prov, "reference", 1 + k, a.budget,
                                        os.path.join(work, gap, "diff-%d" % k))
            sig = r.signature(prov, "reference", art) if art else None
            trials.append({"seed": 1 + k, "time_s": t if sig == want else None,
                           "signature": sig, "execs": execs})
            print("bench: %s --against reference, trial %d: %s in %s s" % (
                prov, k + 1, sig or "nothing", t), flush=True)
        t, art, execs = r.libfuzzer(prov, None, 1, a.budget, os.path.join(work, gap, "single"))
        single = r.signature(prov, None, art) if art else None
        print("bench: %s alone for %d s: %s" % (prov, a.budget, single or "no finding"), flush=True)
        times = [x["time_s"] for x in trials if x["time_s"] is not None]
        gaps.append({"provider": prov, "expected": want, "trials": trials,
                     "detected": len(times), "median_s": sorted(times)[len(times) // 2]
                     if times else None,
                     "single_provider": {"budget_s": a.budget, "finding": single,
                                         "execs": execs}})
    for prov in CLEAN:
        t, art, execs = r.libfuzzer(prov, "reference", 1, a.budget,
                                    os.path.join(work, prov, "diff"))
        sig = r.signature(prov, "reference", art) if art else None
        print("bench: %s --against reference for %d s: %s" % (prov, a.budget,
              sig or "no divergence"), flush=True)
        clean.append({"provider": prov, "against": "reference", "budget_s": a.budget,
                      "divergence": sig, "artifact": art, "execs": execs})
    ok = all(g["detected"] == a.trials and g["single_provider"]["finding"] is None for g in gaps) \
        and all(c["divergence"] is None for c in clean)
    with open(a.out, "w") as f:
        json.dump({"engine_rate": dict(rate, unit="exec/s", secs=a.engine_secs,
                                       engine="libfuzzer (ASan+UBSan, fuzz_generic)"),
                   "gaps": gaps, "clean": clean, "trials": a.trials, "budget_s": a.budget,
                   "met": ok}, f, indent=2, sort_keys=True)
        f.write("\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
