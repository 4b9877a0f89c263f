#!/usr/bin/env python3
"""Where one input's time goes in a campaign's libFuzzer worker: perf samples
(with DWARF call stacks) of fuzz_reference fuzzing in-process from the seeds,
split into the parts of an input and libFuzzer's own work.

Usage: split.py FUZZ_REFERENCE SEEDS_DIR DICT SECS IN.json OUT.json

Each sample is put in one part by its call stack:
  engine            not under LLVMFuzzerTestOneInput: libFuzzer mutating, collecting
                    features, managing its corpus (start-up before the fuzzing loop
                    is counted apart, as startup, and left out of the split)
  world_reset       under shmf_rt_reset, shmf_rt_release, shmf_nic_create or
                    shmf_nic_clear: the fresh world each input gets
  provider          else, by the source file (`nm -l`) of the innermost frame that
  runtime_verifier  has one: providers/** (the provider's own code), ndis/** (WDK
  executor          runtime and verifier checks), harness/** (decode, executor,
                    NIC model, ring verifier)
Frames of no part (libc, the sanitizer runtimes, the kernel: a page fault, an
ASan check) are charged to the code that called them. Time per input is the
worker's CPU time (rusage) over its executions, times each part's share.

Adds "per_input_split" to the bench JSON, or a note saying why it could not
(perf missing or not permitted). Deterministic it is not: a profile of a fuzzing
run, whose inputs differ run to run; its shares move by a few percent.
"""
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

PARTS = ("provider", "runtime_verifier", "executor", "world_reset", "engine")
RESET_ROOTS = {"shmf_rt_reset", "shmf_rt_release", "shmf_nic_clear", "shmf_nic_create"}
INPUT_ROOT = "LLVMFuzzerTestOneInput"
LOOP = re.compile(r"^fuzzer::Fuzzer::(Loop|MutateAndTestOne|RunOne|ReadAndExecuteSeedCorpora|"
                  r"RereadOutputCorpus|ExecuteCallback)")
FREQ = 499


def part_of_file(path):
    if "/providers/" in path:
        return "provider"
    if "/ndis/" in path:
        return "runtime_verifier"
    if "/harness/" in path:
        return "executor"
    return None


def function_parts(binary):
    """{function name: part} from `nm -l` (the source file of each symbol)."""
    out = subprocess.run(["nm", "-l", "--defined-only", binary], capture_output=True, text=True)
    parts = {}
    for line in out.stdout.splitlines():
        f = line.split()
        if len(f) >= 4 and f[1] in "tTwW":
            p = part_of_file(f[3].rsplit(":", 1)[0])
            if p:
                parts.setdefault(f[2], p)
    return parts


def samples(script_text):
    """Call stacks (innermost first, function names) from `perf script -F ip,sym`."""
    for block in script_text.split("\n\n"):
        frames = []
        for line in block.splitlines():
            f = line.strip().split(None, 1)
            if len(f) == 2:
                frames.append(re.sub(r"\+0x[0-9a-f]+$", "", f[1].rsplit(" (", 1)[0]).strip())
        if frames:
            yield frames


def classify(frames, parts):
    """(part, innermost function of that part) of one sample."""
    if INPUT_ROOT not in frames:
        if any(LOOP.match(f) for f in frames):
            # Named by libFuzzer's innermost function (mutation, features, I/O).
            return "engine", next((f for f in frames if f.startswith("fuzzer::")), frames[0])
        return "startup", frames[0]
    inside = frames[:frames.index(INPUT_ROOT)]
    if RESET_ROOTS.intersection(inside):
        return "world_reset", frames[0]
    for f in inside:
        if f in parts:
            return parts[f], f
    return "unattributed", frames[0]


def profile(binary, seeds, dictionary, secs, tmp):
    corpus = os.path.join(tmp, "corpus")
    os.makedirs(corpus)
    for n in os.listdir(seeds):
        shutil.copy(os.path.join(seeds, n), corpus)
    data = os.path.join(tmp, "perf.data")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:symbolize=0")
    argv = ["perf", "record", "-q", "-F", str(FREQ), "--call-graph=dwarf,16384", "-o", data, "--",
            binary, "-seed=1", "-max_total_time=%d" % secs, "-detect_leaks=0", "-timeout=10",
            "-print_final_stats=1", "-reload=0", "-dict=" + dictionary, corpus]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
    if not m or not os.path.exists(data):
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError("perf record failed: %s" % last[:200])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True,
                          text=True).stdout
    return int(m.group(1)), cpu, text


def split(binary, seeds, dictionary, secs):
    parts = function_parts(binary)
    if "shmf_fuzz_one" not in parts:
        raise RuntimeError("%s has no shmf_fuzz_one with a harness source file (nm -l)" % binary)
    with tempfile.TemporaryDirectory(prefix="shmf-split-") as tmp:
        execs, cpu, text = profile(binary, seeds, dictionary, secs, tmp)
    count = Counter()
    top = defaultdict(Counter)
    for frames in samples(text):
        part, fn = classify(frames, parts)
        count[part] += 1
        top[part][fn] += 1
    counted = sum(v for k, v in count.items() if k != "startup")
    if not counted or not execs:
        raise RuntimeError("no samples in the fuzzing loop")
    # The worker's CPU time, start-up taken out in proportion to its samples.
    loop_cpu = cpu * counted / (counted + count["startup"])
    per_input_us = loop_cpu / execs * 1e6
    out = {p: {"samples": count[p], "share": round(count[p] / counted, 4),
               "us_per_input": round(per_input_us * count[p] / counted, 2)}
           for p in PARTS + ("unattributed",) if count[p] or p in PARTS}
    return {
        "binary": binary, "seconds": secs, "execs": execs, "samples": counted,
        "startup_samples": count["startup"], "cpu_s": round(cpu, 2),
        "us_per_input": round(per_input_us, 1), "parts": out,
        "top_functions": {p: [[fn, round(n / counted, 4)] for fn, n in top[p].most_common(6)]
                          for p in PARTS if top[p]},
        "method": "perf record -F %d --call-graph=dwarf of fuzz_reference fuzzing in-process "
                  "(-seed=1) from the seeds; samples split by call stack (split.py)" % FREQ,
    }


def main():
    binary, seeds, dictionary, secs, src, dst = sys.argv[1:7]
    with open(src) as f:
        data = json.load(f)
    notes = data.setdefault("notes", [])
    missing = [t for t in ("perf", "nm") if shutil.which(t) is None]
    if missing:
        notes.append("per_input_split: %s not installed (Debian linux-perf, binutils), not "
                     "measured" % ", ".join(missing))
    else:
        try:
            t0 = time.time()
            s = split(binary, seeds, dictionary, int(secs))
            data["per_input_split"] = s
            print("per-input split of fuzz_reference (%.0f us per input, %d samples, %.0f s): %s" % (
                s["us_per_input"], s["samples"], time.time() - t0,
                ", ".join("%s %.1f%%" % (p, 100 * v["share"]) for p, v in s["parts"].items())))
        except (RuntimeError, OSError) as ex:
            notes.append("per_input_split: %s; not measured" % ex)
    tmp = dst + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, dst)


if __name__ == "__main__":
    main()
