#!/usr/bin/env python3
"""bench/detect: time to first detection of the planted bugs, per engine.

For each planted-bug provider x engine (libfuzzer, afl, stress, random) and each
of T trials (different seeds), run the engine from the seed corpus for a time
budget and record when a finding of the EXPECTED kind (corpus/regressions/
<bug>.ops, "# expect:") first appears. Then compare every engine against the
unguided random baseline with Mann-Whitney U and Vargha-Delaney A12, as
FuzzBench does, and write reports/out/bench-detect.json and .md.

Two tiers of planted bugs: shallow (providers/buggy/<bug>.c, provider
buggy_<bug>, the default) and deep (providers/deep/<x>.c, provider and bug
deep_<x>: several ops in order and/or exact field values; 300 s budget by
default). --tier all runs both.

Usage (normally through bench/detect/run.sh, which builds first):
  detect.py [--quick] [--tier shallow|deep|all] [--trials T] [--budget S]
            [--bugs a,b] [--engines e1,e2] [--out DIR] [--print-targets] [--print-plan]

The binaries come from build/<preset> (SHMF_BUILD_DIR overrides build/, and
SHMF_DEV_TREE the dev tree, as in scripts/lib.sh).

Only the python3 standard library. See bench/detect/README.md.
"""
import argparse
import glob
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENGINES = ("libfuzzer", "afl", "stress", "random", "campaign")
# Without --engines: the deep tier (and all) adds the campaign, which its
# acceptance names (both engines as the README runs them).
TIER_ENGINES = {"shallow": ENGINES[:4], "deep": ENGINES, "all": ENGINES}
CAMPAIGN_JOBS = 2  # the README's campaign on this project's 2-core machines
ENGINE_ASAN_OPTIONS = "detect_leaks=0:symbolize=0"  # the same for every ASan engine
RACE = "race_unlocked_remove"
QUICK_BUGS = ("double_free", "lock_on_reject", "contig_ignored")
# The deep tier's quick set checks the plumbing only: none of them is expected
# to be found in the quick budget.
QUICK_DEEP_BUGS = ("deep_vport_refs", "deep_node_cache")
TIERS = ("shallow", "deep", "all")
TIER_BUDGET = {"shallow": 60.0, "deep": 300.0, "all": 60.0}  # default seconds per trial
POLL = 0.05
GRACE = 5.0  # seconds past the budget before an engine is killed


def log(msg):
    print("detect: " + msg, file=sys.stderr, flush=True)


# === Build trees (as scripts/lib.sh: SHMF_BUILD_DIR, SHMF_DEV_TREE) ===

def build_dir(preset):
    if preset == "dev" and os.environ.get("SHMF_DEV_TREE"):
        return os.environ["SHMF_DEV_TREE"]
    return os.path.join(os.environ.get("SHMF_BUILD_DIR") or os.path.join(ROOT, "build"), preset)


# === Bugs ===

def tier_sources(tier):
    """(tier, bug, provider, source) of every planted bug of the tier: shallow bugs
    are named as their file (provider buggy_<bug>), deep bugs as their provider
    (deep_<file>); the regression input is corpus/regressions/<bug>.ops."""
    out = []
    if tier in ("shallow", "all"):
        for path in sorted(glob.glob(os.path.join(ROOT, "providers", "buggy", "*.c"))):
            name = os.path.splitext(os.path.basename(path))[0]
            out.append(("shallow", name, "buggy_" + name, path))
    if tier in ("deep", "all"):
        for path in sorted(glob.glob(os.path.join(ROOT, "providers", "deep", "*.c"))):
            name = "deep_" + os.path.splitext(os.path.basename(path))[0]
            out.append(("deep", name, name, path))
    return out


def load_bugs(tier="shallow"):
    """{bug: {"provider", "tier", "expected" (list of kinds, ["any"] for the race)}}
    from corpus/regressions/<bug>.ops, for the providers of the tier."""
    bugs = {}
    for bug_tier, name, provider, _src in tier_sources(tier):
        reg = os.path.join(ROOT, "corpus", "regressions", name + ".ops")
        expect, also = None, []
        try:
            with open(reg) as f:
                for line in f:
                    m = re.match(r"#\s*(expect|also):\s*(\S+)", line)
                    if m and m.group(1) == "expect" and expect is None:
                        expect = m.group(2)
                    elif m and m.group(1) == "also":
                        also += [k for k in m.group(2).split(",") if k]
        except OSError:
            pass
        if expect is None:
            continue
        single = expect != "none"
        bugs[name] = {
            "provider": provider,
            "tier": bug_tier,
            # The race is clean single-threaded by design: under the stress runner
            # any finding counts (the reference is clean under stress).
            # `# also:` kinds are the same root cause reported on another path
            # (documented in the bug's header): they count as detections.
            "expected": [expect] + also if single else ["any"],
            "single_threaded": single,
        }
    return bugs


# === Binaries: a private snapshot, so concurrent rebuilds of build/ do not
#     change the programs in the middle of a run ===

def snapshot(bin_dir, bugs, engines):
    dev, rel, lf, afl = (build_dir(p) for p in ("dev", "release", "libfuzzer", "afl"))
    need = {
        "dev/shmfuzz": os.path.join(dev, "harness", "shmfuzz"),
        "seeds": os.path.join(dev, "corpus", "seeds"),
        "dict": os.path.join(ROOT, "corpus", "shmfuzz.dict"),
    }
    for bug, info in bugs.items():
        p = info["provider"]
        need["dev/providers/libshmfprov_%s.so" % p] = os.path.join(
            dev, "providers", "libshmfprov_%s.so" % p)
        if "stress" in engines:
            need["release/providers/libshmfprov_%s.so" % p] = os.path.join(
                rel, "providers", "libshmfprov_%s.so" % p)
        if uses(engines, "libfuzzer") and info["single_threaded"]:
            need["libfuzzer/fuzz_%s" % p] = os.path.join(lf, "fuzz", "fuzz_" + p)
        if uses(engines, "afl") and info["single_threaded"]:
            need["afl/afl_%s" % p] = os.path.join(afl, "fuzz", "afl_" + p)
            cmplog = os.path.join(afl, "fuzz", "afl_%s_cmplog" % p)
            if os.path.exists(cmplog):  # optional: AFL++ runs without -c otherwise
                need["afl/afl_%s_cmplog" % p] = cmplog
        if "random" in engines and info["single_threaded"]:
            need["random/bench_detect_random_%s" % p] = os.path.join(
                lf, "bench", "detect", "bench_detect_random_" + p)
    if "stress" in engines:
        need["release/shmfuzz"] = os.path.join(rel, "harness", "shmfuzz")
    if uses(engines, "afl"):
        need["afl/libshmf_afl_mutator.so"] = os.path.join(afl, "campaign",
                                                          "libshmf_afl_mutator.so")
    missing = [src for src in need.values() if not os.path.exists(src)]
    if missing:
        raise SystemExit("detect: missing (build first: scripts/bench.sh detect): " +
                         ", ".join(missing))
    shutil.rmtree(bin_dir, ignore_errors=True)
    for dst, src in need.items():
        dst = os.path.join(bin_dir, dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    return bin_dir


def build_targets(bugs, engines):
    """(preset, target) pairs a run needs; run.sh builds them."""
    out = [("dev", "shmfuzz"), ("dev", "shmf_seed_corpus")]
    for info in bugs.values():
        p = info["provider"]
        out.append(("dev", "shmfprov_" + p))
        if "stress" in engines:
            out.append(("release", "shmfprov_" + p))
        if info["single_threaded"]:
            if uses(engines, "libfuzzer"):
                out.append(("libfuzzer", "fuzz_" + p))
            if uses(engines, "afl"):
                out.append(("afl", "afl_" + p))
                out.append(("afl", "afl_%s_cmplog" % p))
            if "random" in engines:
                out.append(("libfuzzer", "bench_detect_random_" + p))
    if "stress" in engines:
        out.append(("release", "shmfuzz"))
    if uses(engines, "afl"):
        out.append(("afl-mutator", "libshmf_afl_mutator.so"))
    return out


def uses(engines, engine):
    """Does the run need engine's binaries (the campaign runs libFuzzer and AFL++)?"""
    return engine in engines or (engine in ("libfuzzer", "afl") and "campaign" in engines)


# === Variants: one engine with other flags, environment, binaries or seeds ===

VARIANT_KEYS = ("arg", "env", "bin", "mutator", "seeds")


def parse_variants(specs):
    """--variant NAME=ENGINE[,arg=X][,env=K=V][,bin=TREE][,mutator=SO][,seeds=DIR]...
    (each key may repeat) -> {NAME: {"engine", "args", "env", "bin", "mutator", "seeds"}}.
    arg: an extra engine argument (libFuzzer flag, afl-fuzz option); env: an extra
    environment variable; bin: a build tree of the engine's preset (TREE/fuzz/fuzz_<p>,
    TREE/fuzz/afl_<p>, TREE/bench/detect/bench_detect_random_<p>) instead of the
    default one; mutator: the AFL++ custom mutator .so; seeds: a folder of extra seeds
    (.ops text, encoded with the dev tree's shmfuzz, or binary inputs) added to the
    seed corpus."""
    out = {}
    for spec in specs or []:
        name, _, rest = spec.partition("=")
        parts = rest.split(",")
        if not name or name in ENGINES or not parts[0] in ENGINES or name in out:
            raise ValueError("bad --variant %r: NAME=ENGINE[,key=value...] with a new NAME "
                             "and ENGINE one of %s" % (spec, ",".join(ENGINES)))
        v = {"engine": parts[0], "args": [], "env": {}, "bin": None, "mutator": None,
             "seeds": []}
        for kv in parts[1:]:
            k, sep, val = kv.partition("=")
            if k not in VARIANT_KEYS or not sep:
                raise ValueError("bad --variant %r: unknown key %r (keys: %s)" % (
                    spec, k, ",".join(VARIANT_KEYS)))
            if k == "arg":
                v["args"].append(val)
            elif k == "env":
                ek, sep, ev = val.partition("=")
                if not sep:
                    raise ValueError("bad --variant %r: env=NAME=VALUE" % spec)
                v["env"][ek] = ev
            elif k == "seeds":
                v["seeds"].append(os.path.abspath(val))
            else:
                v[k] = os.path.abspath(val)
        out[name] = v
    return out


def base_engine(eng, variants):
    return variants[eng]["engine"] if eng in variants else eng


def snapshot_variants(bin_dir, bugs, variants):
    """bin/variants/<NAME>/: the main snapshot's layout (symlinks), with the
    variant's own binaries and seeds in place of the default ones."""
    for name, v in variants.items():
        vdir = os.path.join(bin_dir, "variants", name)
        os.makedirs(vdir)
        for entry in os.listdir(bin_dir):
            if entry != "variants":
                os.symlink(os.path.join(bin_dir, entry), os.path.join(vdir, entry))
        eng = v["engine"]
        if v["bin"] or v["mutator"]:
            sub = {"libfuzzer": "libfuzzer", "afl": "afl", "random": "random"}.get(eng)
            if sub is None:
                raise SystemExit("detect: variant %s: bin=/mutator= apply to libfuzzer, afl "
                                 "and random" % name)
            os.remove(os.path.join(vdir, sub))
            os.makedirs(os.path.join(vdir, sub))
            main_sub = os.path.join(bin_dir, sub)
            for f in os.listdir(main_sub):
                os.symlink(os.path.join(main_sub, f), os.path.join(vdir, sub, f))
            files = {}
            for info in bugs.values():
                if not info["single_threaded"] or not v["bin"]:
                    continue
                p = info["provider"]
                if eng == "libfuzzer":
                    files["fuzz_" + p] = os.path.join(v["bin"], "fuzz", "fuzz_" + p)
                elif eng == "afl":
                    files["afl_" + p] = os.path.join(v["bin"], "fuzz", "afl_" + p)
                    cmplog = os.path.join(v["bin"], "fuzz", "afl_%s_cmplog" % p)
                    if os.path.exists(cmplog):
                        files["afl_%s_cmplog" % p] = cmplog
                else:
                    files["bench_detect_random_" + p] = os.path.join(
                        v["bin"], "bench", "detect", "bench_detect_random_" + p)
            if v["mutator"]:
                files["libshmf_afl_mutator.so"] = v["mutator"]
            for f, src in files.items():
                if not os.path.exists(src):
                    raise SystemExit("detect: variant %s: missing %s" % (name, src))
                dst = os.path.join(vdir, sub, f)
                if os.path.lexists(dst):
                    os.remove(dst)
                shutil.copy2(src, dst)
        if v["seeds"]:
            os.remove(os.path.join(vdir, "seeds"))
            shutil.copytree(os.path.join(bin_dir, "seeds"), os.path.join(vdir, "seeds"))
            for d in v["seeds"]:
                for f in sorted(os.listdir(d)):
                    src, dst = os.path.join(d, f), os.path.join(vdir, "seeds", "extra-" + f)
                    if f.endswith(".ops"):
                        subprocess.run([os.path.join(bin_dir, "dev", "shmfuzz"), "encode", src,
                                        "-o", dst[:-4]], check=True, stdout=subprocess.DEVNULL)
                    elif os.path.isfile(src):
                        shutil.copy2(src, dst)


def variant_cfg(cfg, eng, variants):
    if eng not in variants:
        return cfg
    v = variants[eng]
    return dict(cfg, bin=os.path.join(cfg["bin"], "variants", eng), extra_args=v["args"],
                extra_env=v["env"])


# === Running things ===

class Child:
    """One engine process in its own process group; killed only by its id."""

    def __init__(self, argv, env, cwd, log_path):
        self.log_path = log_path
        with open(log_path, "ab") as logf:
            self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=logf,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)

    def running(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        else:
            # The engine is gone; make sure nothing it forked lingers.
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class Replayer:
    """Kind of an engine's crash input: `shmfuzz replay --json` (ASan+UBSan dev
    build), cached by content."""

    def __init__(self, bin_dir):
        self.shmfuzz = os.path.join(bin_dir, "dev", "shmfuzz")
        self.env = dict(os.environ, SHMF_PROVIDER_PATH=os.path.join(bin_dir, "dev", "providers"),
                        ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="print_stacktrace=0")
        self.cache = {}
        self.replays = 0

    def kind(self, provider, path):
        try:
            with open(path, "rb") as f:
                key = (provider, hashlib.sha1(f.read()).hexdigest())
        except OSError:
            return None
        if key in self.cache:
            return self.cache[key]
        self.replays += 1
        with tempfile.TemporaryDirectory(prefix="shmf-detect-") as tmp:
            out = os.path.join(tmp, "run.json")
            try:
                subprocess.run([self.shmfuzz, "replay", "--provider", provider, "--json", out, path],
                               env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=20)
                with open(out) as f:
                    findings = json.load(f).get("findings") or []
                kind = findings[0]["kind"] if findings else "clean"
            except subprocess.TimeoutExpired:
                kind = "hang"
            except (OSError, ValueError, KeyError, IndexError):
                kind = "replay-failed"
        self.cache[key] = kind
        return kind


def is_expected(kind, expected):
    return kind not in (None, "clean", "hang", "replay-failed") and (
        "any" in expected or kind in expected)


def watch_artifacts(child, list_artifacts, t0, budget, provider, expected, replayer, res):
    """Poll the engine's crash artifacts ((path, time or None for its mtime)),
    replay each new one; stop the engine at the first of the expected kind
    (time = when the artifact appeared - t0). Returns True when the engine ended
    on its own."""
    seen = set()
    try:
        while True:
            alive = child.running()
            new = []
            for p, t_abs in list_artifacts():
                if p in seen:
                    continue
                try:
                    new.append((p, (t_abs or os.path.getmtime(p)) - t0))
                except OSError:
                    continue
            new.sort(key=lambda e: e[1])
            for p, t in new:
                seen.add(p)
                kind = replayer.kind(provider, p)
                res["kinds_seen"][kind] = res["kinds_seen"].get(kind, 0) + 1
                if is_expected(kind, expected) and t <= budget:
                    res["time_s"] = round(max(t, 0.0), 3)
                    res["kind"] = kind
                    res["input"] = p
                    return
            if not alive:
                return True
            if time.time() - t0 > budget + GRACE:
                return False
            time.sleep(POLL)
    finally:
        child.stop()


def libfuzzer_execs(log_path):
    n = 0
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                m = re.match(r"^#(\d+)", line) or re.search(r"number_of_executed_units: (\d+)", line)
                if m:
                    n = max(n, int(m.group(1)))
    except OSError:
        pass
    return n


def afl_execs(sync_dir):
    """execs_done summed over the AFL++ instances of sync_dir (a glob)."""
    n = 0
    for st in glob.glob(os.path.join(sync_dir, "*", "fuzzer_stats")):
        try:
            with open(st) as f:
                n += sum(int(v) for k, _, v in (ln.partition(":") for ln in f)
                         if k.strip() == "execs_done")
        except (OSError, ValueError):
            pass
    return n


def run_libfuzzer(cfg, bug, info, seed, budget, wd, res):
    """libFuzzer in its plain mode (one process, stops at the first crash). When
    that crash is of another kind, start again for the rest of the budget from
    its grown corpus, leaving out the inputs that crashed (a crashing seed would
    otherwise stop every restart at once)."""
    corpus = os.path.join(wd, "corpus")
    os.makedirs(corpus)
    p = info["provider"]
    # symbolize=0: libFuzzer prints a stack trace at every crash, and running
    # llvm-symbolizer over the ASan binary takes ~0.5 s before the crash input
    # is written; the finding and its input are what is timed (as for random).
    env = dict(os.environ, ASAN_OPTIONS=ENGINE_ASAN_OPTIONS)
    env.update(cfg.get("extra_env", {}))
    seeds_src = os.path.join(cfg["bin"], "seeds")
    bad = set()  # sha1 of inputs that crashed with another kind
    t0 = time.time()
    execs = 0
    restart = 0
    while True:
        left = budget - (time.time() - t0)
        if left < 0.05:
            break
        seeds = os.path.join(wd, "seeds-%d" % restart)
        arts = os.path.join(wd, "artifacts-%d" % restart)
        os.makedirs(seeds)
        os.makedirs(arts)
        for n in sorted(os.listdir(seeds_src)):
            with open(os.path.join(seeds_src, n), "rb") as f:
                data = f.read()
            if hashlib.sha1(data).hexdigest() not in bad:
                with open(os.path.join(seeds, n), "wb") as f:
                    f.write(data)
        argv = [os.path.join(cfg["bin"], "libfuzzer", "fuzz_" + p),
                "-seed=%d" % (seed * 1000003 + restart), "-max_total_time=%d" % max(1, math.ceil(left)),
                "-timeout=10", "-rss_limit_mb=2048", "-detect_leaks=0", "-print_final_stats=1",
                "-dict=" + os.path.join(cfg["bin"], "dict"), "-artifact_prefix=" + arts + "/"]
        argv += cfg.get("extra_args", []) + [corpus, seeds]
        if restart == 0:
            res["command"] = " ".join(argv)
        log_path = os.path.join(wd, "libfuzzer-%d.log" % restart)
        child = Child(argv, env, wd, log_path)

        def arts_list():
            try:
                return [(os.path.join(arts, n), None) for n in os.listdir(arts)
                        if n.startswith(("crash-", "leak-"))]
            except OSError:
                return []
        ended = watch_artifacts(child, arts_list, t0, budget, p, info["expected"],
                                cfg["replayer"], res)
        execs += libfuzzer_execs(log_path)
        if res["time_s"] is not None or not ended:
            break
        new = os.listdir(arts)
        if not new:
            break  # ended without a crash: budget over
        for n in new:
            with open(os.path.join(arts, n), "rb") as f:
                bad.add(hashlib.sha1(f.read()).hexdigest())
        restart += 1
    res["execs"] = execs
    res["restarts"] = restart


def run_afl(cfg, bug, info, seed, budget, wd, res):
    indir, outdir = os.path.join(wd, "in"), os.path.join(wd, "out")
    shutil.copytree(os.path.join(cfg["bin"], "seeds"), indir)
    p = info["provider"]
    argv = ["afl-fuzz", "-i", indir, "-o", outdir, "-s", str(seed),
            "-V", str(max(1, math.ceil(budget))), "-t", "1000",
            "-x", os.path.join(cfg["bin"], "dict")] + cfg.get("extra_args", [])
    cmplog = os.path.join(cfg["bin"], "afl", "afl_%s_cmplog" % p)
    if os.path.exists(cmplog):  # CMPLOG twin (input-to-state), as campaigns run it
        argv += ["-c", cmplog]
    argv += ["--", os.path.join(cfg["bin"], "afl", "afl_" + p)]
    env = dict(os.environ, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1",
               AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_SKIP_CRASHES="1",
               AFL_FAST_CAL="1", AFL_IGNORE_UNKNOWN_ENVS="1", AFL_NO_WARN_INSTABILITY="1",
               AFL_CUSTOM_MUTATOR_LIBRARY=os.path.join(cfg["bin"], "afl", "libshmf_afl_mutator.so"),
               AFL_CUSTOM_MUTATOR_ONLY="1")  # as the campaign's main instance
    env.update(cfg.get("extra_env", {}))
    if env["AFL_CUSTOM_MUTATOR_ONLY"] == "0":  # --variant NAME=afl,env=AFL_CUSTOM_MUTATOR_ONLY=0
        del env["AFL_CUSTOM_MUTATOR_ONLY"]
    res["command"] = " ".join(argv)
    log_path = os.path.join(wd, "afl.log")
    dry = {}  # seeds that crash in the dry run: AFL skips them, they are findings too

    def arts_list():
        out = []
        for d in glob.glob(os.path.join(outdir, "*", "crashes")):
            try:
                out += [(os.path.join(d, n), None) for n in os.listdir(d) if n.startswith("id:")]
            except OSError:
                pass
        try:
            with open(log_path, errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        for name in re.findall(r"Test case '([^']+)' results in a crash", text):
            if name not in dry:
                m = re.search(r"orig:(.+)$", name)
                cands = glob.glob(os.path.join(outdir, "*", "queue", name))
                path = cands[0] if cands else os.path.join(indir, m.group(1) if m else name)
                dry[name] = (path, time.time())
        return out + list(dry.values())
    t0 = time.time()
    child = Child(argv, env, wd, log_path)
    watch_artifacts(child, arts_list, t0, budget, p, info["expected"], cfg["replayer"], res)
    res["execs"] = afl_execs(outdir)


def run_stress(cfg, bug, info, seed, budget, wd, res):
    """shmfuzz stress stops at its first finding: on another kind, start again
    with the next seed for the rest of the budget."""
    p = info["provider"]
    env = dict(os.environ, SHMF_PROVIDER_PATH=os.path.join(cfg["bin"], "release", "providers"))
    t0 = time.time()
    restart = 0
    res["execs"] = 0
    while True:
        left = budget - (time.time() - t0)
        if left < 0.05:
            return
        d = os.path.join(wd, "run%d" % restart)
        os.makedirs(d)
        rj = os.path.join(d, "run.json")
        argv = [os.path.join(cfg["bin"], "release", "shmfuzz"), "stress", "--provider", p,
                "--threads", str(cfg["stress_threads"]), "--seconds", "%.3f" % left,
                "--seed", str(seed * 1000003 + restart), "--json", rj, "--out", d, "--quiet"]
        if restart == 0:
            res["command"] = " ".join(argv)
        t_spawn = time.time() - t0
        child = Child(argv, env, d, os.path.join(d, "stress.log"))
        try:
            child.p.wait(timeout=left + GRACE + 30)
        except subprocess.TimeoutExpired:
            pass
        child.stop()
        try:
            with open(rj) as f:
                run = json.load(f)
        except (OSError, ValueError):
            res["kinds_seen"]["stress-failed"] = res["kinds_seen"].get("stress-failed", 0) + 1
            return
        res["execs"] += run.get("ops") or 0
        findings = run.get("findings") or []
        if not findings:
            return
        kind = findings[0].get("kind")
        res["kinds_seen"][kind] = res["kinds_seen"].get(kind, 0) + 1
        t = t_spawn + float(run.get("duration") or 0)
        if is_expected(kind, info["expected"]) and t <= budget:
            res["time_s"] = round(t, 3)
            res["kind"] = kind
            res["input"] = os.path.join(d, "stress-finding.json")
            return
        restart += 1


DETECT_LINE = re.compile(r"^==detect== (?:kind=(\S+)|none) t=([\d.]+) iter=(\d+) execs=(\d+)"
                         r"(?: expected=(\d) crash=(\d))?")


def run_random(cfg, bug, info, seed, budget, wd, res):
    """The unguided baseline. A sanitizer report ends the process: when its kind is
    not the expected one, continue with the next program for the rest of the budget."""
    p = info["provider"]
    env = dict(os.environ, ASAN_OPTIONS=ENGINE_ASAN_OPTIONS, UBSAN_OPTIONS="print_stacktrace=0")
    t0 = time.time()
    start = 0
    res["execs"] = 0
    restarts = 0
    while True:
        left = budget - (time.time() - t0)
        if left < 0.05:
            return
        argv = [os.path.join(cfg["bin"], "random", "bench_detect_random_" + p),
                "--seed", str(seed), "--seconds", "%.3f" % left,
                "--expect", ",".join(info["expected"]), "--start", str(start),
                "--seeds", os.path.join(cfg["bin"], "seeds"), "--out", wd,
                "--gen", cfg["random_gen"]]
        if restarts == 0:
            res["command"] = " ".join(argv)
        t_spawn = time.time() - t0
        log_path = os.path.join(wd, "random-%d.log" % restarts)
        child = Child(argv, env, wd, log_path)
        try:
            child.p.wait(timeout=left + GRACE)
        except subprocess.TimeoutExpired:
            pass
        child.stop()
        last = None
        with open(log_path, errors="replace") as f:
            for line in f:
                m = DETECT_LINE.match(line)
                if not m:
                    continue
                last = m
                if m.group(1):
                    k = m.group(1)
                    res["kinds_seen"][k] = res["kinds_seen"].get(k, 0) + 1
        if last is None:
            res["kinds_seen"]["runner-failed"] = res["kinds_seen"].get("runner-failed", 0) + 1
            return
        res["execs"] += int(last.group(4))
        kind, t = last.group(1), t_spawn + float(last.group(2))
        if kind and last.group(5) == "1" and t <= budget:
            res["time_s"] = round(t, 3)
            res["kind"] = kind
            found = os.path.join(wd, "found-%s" % last.group(3))
            res["input"] = found if os.path.exists(found) else None
            return
        if not kind or last.group(6) != "1":
            return  # budget over (or the runner stopped on its own)
        start = int(last.group(3)) + 1  # died on a sanitizer report: go on
        restarts += 1


def campaign_execs(out):
    """Executions of a campaign stopped mid-run: its libFuzzer workers' logs and
    its AFL++ instances' fuzzer_stats."""
    work = os.path.join(out, "campaigns", "*", "work")
    return sum(libfuzzer_execs(p) for p in glob.glob(
        os.path.join(work, "libfuzzer", "libfuzzer*.log"))) + \
        afl_execs(os.path.join(work, "afl", "sync"))


def run_campaign(cfg, bug, info, seed, budget, wd, res):
    """scripts/campaign.sh as the README runs it (both engines, --jobs 2), on
    the preset trees (--no-build: the bench built them), SHMF_CAMPAIGN_SEED
    fixed per trial. Detection: the first crash artifact of either engine that
    replays as the expected kind, timed from the campaign's start (its set-up
    included); the campaign is then interrupted."""
    p = info["provider"]
    out = os.path.join(wd, "out")
    argv = [os.path.join(ROOT, "scripts", "campaign.sh"), "--provider", p, "--engine", "both",
            "--jobs", str(CAMPAIGN_JOBS), "--time", "%ds" % max(1, math.ceil(budget)),
            "--out", out, "--no-build"] + cfg.get("extra_args", [])
    env = dict(os.environ, SHMF_CAMPAIGN_SEED=str(seed))
    env.update(cfg.get("extra_env", {}))
    res["command"] = " ".join(argv)
    work = os.path.join(out, "campaigns", "*", "work")
    patterns = [os.path.join(work, "libfuzzer", "artifacts", "crash-*"),
                os.path.join(work, "libfuzzer", "artifacts", "leak-*"),
                os.path.join(work, "afl", "sync", "*", "crashes", "id:*")]

    def arts_list():
        return [(q, None) for pat in patterns for q in glob.glob(pat)]
    t0 = time.time()
    child = Child(argv, env, wd, os.path.join(wd, "campaign.log"))
    ended = watch_artifacts(child, arts_list, t0, budget, p, info["expected"], cfg["replayer"],
                            res)
    if ended and child.p.returncode == 2:  # could not run: never a clean "not found"
        res["kinds_seen"]["campaign-failed"] = res["kinds_seen"].get("campaign-failed", 0) + 1
    kill_leftovers(wd)
    res["execs"] = campaign_execs(out)


def kill_leftovers(wd):
    """The campaign starts its engines in sessions of their own: one still
    running after the campaign was stopped (killed before it stopped them)
    would take a core from the next trial. Any process whose command line
    names the trial's directory is killed."""
    me, mark = os.getpid(), (wd.rstrip("/") + "/").encode()
    for pid in (int(d) for d in os.listdir("/proc") if d.isdigit()):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if pid != me and any(mark in a for a in argv):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


RUNNERS = {"libfuzzer": run_libfuzzer, "afl": run_afl, "stress": run_stress,
           "random": run_random, "campaign": run_campaign}


# === Statistics ===

def censored(times, budget):
    return [t if t is not None else budget + 1.0 for t in times]


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def mann_whitney(x, y):
    """Two-sided Mann-Whitney U, normal approximation with tie correction and
    continuity correction. Returns (U of x, p)."""
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return None, None
    allv = sorted((v, i) for i, v in enumerate(x + y))
    ranks = [0.0] * (n1 + n2)
    ties = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        r = (i + j) / 2.0 + 1
        for k in range(i, j + 1):
            ranks[allv[k][1]] = r
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    r1 = sum(ranks[:n1])
    u1 = r1 - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    mu = n1 * n2 / 2.0
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return u1, 1.0
    z = (abs(u1 - mu) - 0.5) / math.sqrt(var)
    z = max(z, 0.0)
    p = math.erfc(z / math.sqrt(2))
    return u1, min(1.0, p)


def a12_faster(x, y):
    """Vargha-Delaney A12 for times: P(X < Y) + 0.5 P(X == Y). Above 0.5 means
    engine X detects faster than Y."""
    if not x or not y:
        return None
    s = 0.0
    for a in x:
        for b in y:
            s += 1.0 if a < b else 0.5 if a == b else 0.0
    return s / (len(x) * len(y))


def summarize(results, bugs, engines, budget, baseline="random"):
    rows, comps = [], []
    by = {}
    for r in results:
        by.setdefault((r["bug"], r["engine"]), []).append(r)
    for bug in bugs:
        for eng in engines:
            trials = by.get((bug, eng))
            if not trials:
                continue
            times = [t["time_s"] for t in trials]
            cens = censored(times, budget)
            med = median(cens)
            det = sum(1 for t in times if t is not None)
            rows.append({
                "bug": bug, "provider": bugs[bug]["provider"], "engine": eng,
                "expected": bugs[bug]["expected"], "trials": len(trials), "times_s": times,
                "detected": det, "detection_rate": round(det / len(trials), 3),
                "median_s": round(med, 3) if med is not None and med <= budget else None,
                "median_censored_s": round(med, 3) if med is not None else None,
                "range_censored_s": [round(min(cens), 3), round(max(cens), 3)],
                "median_of_detected_s": round(median([t for t in times if t is not None]), 3)
                if det else None,
                "execs": [t.get("execs") for t in trials],
                "other_kinds": merge_kinds(trials, bugs[bug]["expected"]),
            })
    base = {r["bug"]: r for r in rows if r["engine"] == baseline}
    for r in rows:
        if r["engine"] == baseline or r["bug"] not in base:
            continue
        b = base[r["bug"]]
        x, y = censored(r["times_s"], budget), censored(b["times_s"], budget)
        u, p = mann_whitney(x, y)
        a12 = a12_faster(x, y)
        mx, my = median(x), median(y)
        comps.append({
            "bug": r["bug"], "engine": r["engine"], "baseline": baseline,
            "u": u, "p_value": round(p, 5) if p is not None else None,
            "a12": round(a12, 3) if a12 is not None else None,
            "significant": bool(p is not None and p < 0.05),
            "speedup_median": round(my / mx, 2) if mx else None,
            "speedup_is_lower_bound": b["detected"] < b["trials"] and my > budget,
        })
    agg = {}
    for eng in engines:
        if eng == baseline:
            continue
        cs = [c for c in comps if c["engine"] == eng and c["speedup_median"]]
        mine = [r for r in rows if r["engine"] == eng and r["bug"] in base]
        theirs = [base[r["bug"]] for r in mine]
        if not cs:
            continue
        gm = math.exp(sum(math.log(c["speedup_median"]) for c in cs) / len(cs))
        s_eng = sum(r["median_censored_s"] for r in mine)
        s_base = sum(r["median_censored_s"] for r in theirs)
        agg[eng] = {
            "bugs_compared": len(cs),
            "geomean_speedup_median": round(gm, 2),
            # sum_median_random_s: the baseline's (random unless --baseline says otherwise)
            "sum_median_s": round(s_eng, 3), "sum_median_random_s": round(s_base, 3),
            "baseline": baseline,
            "speedup_sum_median": round(s_base / s_eng, 2) if s_eng else None,
            "a12_mean": round(sum(c["a12"] for c in cs) / len(cs), 3),
            "significant_faster": sum(1 for c in cs if c["significant"] and c["a12"] > 0.5),
            "significant_slower": sum(1 for c in cs if c["significant"] and c["a12"] < 0.5),
        }
    for eng in engines:
        mine = [r for r in rows if r["engine"] == eng]
        if mine:
            agg.setdefault(eng, {})
            agg[eng]["bugs_run"] = len(mine)
            agg[eng]["bugs_median_within_budget"] = sum(1 for r in mine if r["median_s"] is not None)
            agg[eng]["bugs_detected_at_least_once"] = sum(1 for r in mine if r["detected"])
            agg[eng]["detection_rate_mean"] = round(
                sum(r["detection_rate"] for r in mine) / len(mine), 3)
    return rows, comps, agg


def merge_kinds(trials, expected):
    out = {}
    for t in trials:
        for k, v in t.get("kinds_seen", {}).items():
            if not is_expected(k, expected):
                out[k] = out.get(k, 0) + v
    return out


# === Markdown ===

def fmt_time(r, budget):
    if r is None:
        return "–"
    rate = "%d/%d" % (r["detected"], r["trials"])
    if r["median_s"] is None:
        return "> %gs (%s)" % (budget, rate)
    m = r["median_s"]
    return "%s (%s)" % (("%.2fs" % m) if m < 10 else ("%.1fs" % m), rate)


def markdown(doc):
    budget = doc["settings"]["budget_s"]
    engines = doc["settings"]["engines"]
    rows = {(r["bug"], r["engine"]): r for r in doc["results"]}
    comps = {(c["bug"], c["engine"]): c for c in doc["comparisons"]}
    bl = doc["settings"].get("baseline", "random")
    vs = [e for e in engines if e != bl] if bl in engines else []
    s = doc["settings"]
    out = ["# bench/detect: time to first detection of the planted bugs (%s tier)" %
           s.get("tier", "shallow"), ""]
    out.append("%d trial(s) per bug x engine, %g s budget per trial, seeds %s; commit %s, %s "
               "(%s cores). Cells: median time to the first finding of the expected kind "
               "(undetected trials count as budget + 1 s), then trials that detected it. "
               "A12 = P(engine faster than the baseline, %s) (+0.5 ties); p = two-sided Mann-Whitney U "
               "(normal approximation, tie-corrected)." % (
                   s["trials"], budget, s["seeds"], doc.get("commit", "?"),
                   doc.get("machine", {}).get("cpu_model", "?"),
                   doc.get("machine", {}).get("cores", "?"), bl))
    out.append("")
    hdr = ["bug", "expected kind"] + engines + ["%s vs %s: A12 (p)" % (e, bl) for e in vs]
    out.append("| " + " | ".join(hdr) + " |")
    out.append("|" + "---|" * len(hdr))
    for bug in doc["settings"]["bugs"]:
        exp = "/".join(doc["bugs"][bug]["expected"])
        cells = [bug, exp] + [fmt_time(rows.get((bug, e)), budget) for e in engines]
        for e in vs:
            c = comps.get((bug, e))
            cells.append("%.2f (%.3g)%s" % (c["a12"], c["p_value"], " *" if c["significant"] else "")
                         if c else "–")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("`*` p < 0.05. `–`: not run (the race is for the stress runner only).")
    out.append("")
    out.append("| engine | bugs run | median within budget | detected at least once | "
               "mean detection rate | geomean speedup vs %s (medians) | "
               "sum of medians vs %s |" % (bl, bl))
    out.append("|---|---|---|---|---|---|---|")
    for e in engines:
        a = doc["aggregate"].get(e, {})
        gm = a.get("geomean_speedup_median")
        sm = a.get("speedup_sum_median")
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            e, a.get("bugs_run", 0), a.get("bugs_median_within_budget", 0),
            a.get("bugs_detected_at_least_once", 0), a.get("detection_rate_mean", "–"),
            "%.1fx" % gm if gm else "–",
            "%.1fx (%.1fs vs %.1fs)" % (sm, a["sum_median_s"], a["sum_median_random_s"])
            if sm else "–"))
    out.append("")
    out.append("Speedups use censored medians (budget + 1 s when not detected), so where the "
               "baseline (%s) misses a bug they are lower bounds." % bl)
    out.append("")
    out.append("Censored times of each trial, in trial order (s), their median, and the execs of each:")
    out.append("")
    for bug in doc["settings"]["bugs"]:
        for e in engines:
            r = rows.get((bug, e))
            if r:
                c = censored(r["times_s"], budget)
                out.append("- %s / %s: %s (median %.1f; %s)" % (
                    bug, e, " ".join("%.1f" % t for t in c), median(c),
                    "execs " + " ".join(str(x) for x in r["execs"])))
    other = [(r["bug"], r["engine"], r["other_kinds"]) for r in doc["results"] if r["other_kinds"]]
    if other:
        out.append("")
        out.append("Other finding kinds seen on the way (not counted):")
        out.append("")
        for bug, eng, ks in other:
            out.append("- %s / %s: %s" % (bug, eng, ", ".join(
                "%s x%d" % (k, v) for k, v in sorted(ks.items()))))
    out.append("")
    return "\n".join(out)


# === Plan ===

def resolve_bug(name, bugs):
    """A bug by its name, or by its provider's (buggy_<bug>; a deep bug without
    its deep_ prefix is accepted too)."""
    if name in bugs:
        return name
    if name.startswith("buggy_") and name[len("buggy_"):] in bugs:
        return name[len("buggy_"):]
    if "deep_" + name in bugs:
        return "deep_" + name
    return name


def make_plan(names, bugs, engines, trials, variants=None):
    """Trial k of every engine before trial k + 1 of any, so a candidate and its
    baseline share whatever the machine was doing meanwhile."""
    plan = []
    for bug in names:
        for k in range(trials):
            for eng in engines:
                if not bugs[bug]["single_threaded"] and base_engine(eng, variants or {}) != "stress":
                    continue  # the race needs concurrency: stress runner only
                plan.append((bug, eng, k))
    return plan


def print_plan(bugs, engines, trials, budget, tier, variants=None):
    """What a run would do and its worst case (nothing found: every trial runs its
    whole budget, plus about 2 s of start-up and replays each), without running."""
    plan = make_plan(list(bugs), bugs, engines, trials, variants)
    per_engine = {}
    for _bug, eng, _k in plan:
        per_engine[eng] = per_engine.get(eng, 0) + 1
    worst = len(plan) * (budget + 2)
    print("tier %s: %d bug(s) x %s, %d trial(s), %g s budget: %d runs" % (
        tier, len(bugs), ",".join(engines), trials, budget, len(plan)))
    for eng in engines:
        print("  %-9s %3d runs, at most %.1f h" % (
            eng, per_engine.get(eng, 0), per_engine.get(eng, 0) * (budget + 2) / 3600.0))
    print("worst case (nothing found): %.0f s = %.1f h, one trial at a time" % (worst, worst / 3600.0))
    for bug, info in bugs.items():
        print("  %-24s %-22s expect %s" % (bug, info["provider"], "/".join(info["expected"])))


# === Main ===

def main(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench.sh detect", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="2 trials, %s (deep: %s), 5 s budget (about a minute)" % (
                        ",".join(QUICK_BUGS), ",".join(QUICK_DEEP_BUGS)))
    ap.add_argument("--tier", choices=TIERS, default="shallow",
                    help="planted bugs of providers/buggy (shallow), providers/deep (deep) "
                         "or both (all)")
    ap.add_argument("--trials", type=int)
    ap.add_argument("--budget", type=float,
                    help="seconds per trial (default 60; 300 with --tier deep)")
    ap.add_argument("--bugs", help="comma-separated bug names (default: all)")
    ap.add_argument("--engines", help="comma-separated, of %s (default: the first four; "
                    "with --tier deep or all, all five)" % ",".join(ENGINES))
    ap.add_argument("--seed", type=int, default=1, help="seed of trial 1 (trial k: seed + k - 1)")
    ap.add_argument("--stress-threads", type=int, default=2)
    ap.add_argument("--random-gen", choices=("records", "bytes"), default="records")
    ap.add_argument("--out", default=os.path.join(ROOT, "reports", "out"))
    ap.add_argument("--variant", action="append", metavar="NAME=ENGINE[,key=value...]",
                    help="an engine run another way, usable in --engines as NAME: keys "
                         "arg=FLAG (extra engine argument), env=K=V, bin=TREE (that "
                         "preset's build tree), mutator=SO (AFL++), seeds=DIR (extra "
                         "seeds, .ops or binary); each may repeat. E.g. "
                         "--variant vp=libfuzzer,arg=-use_value_profile=1")
    ap.add_argument("--baseline", default="random",
                    help="engine or variant the others are compared with (default random)")
    ap.add_argument("--print-targets", action="store_true",
                    help="print 'PRESET TARGET' lines of what this run needs built, then exit")
    ap.add_argument("--print-plan", action="store_true",
                    help="print the runs this would make and their worst-case time, then exit")
    a = ap.parse_args(argv)

    all_bugs = load_bugs(a.tier)
    trials = a.trials or (2 if a.quick else 5)
    budget = a.budget or (5.0 if a.quick else TIER_BUDGET[a.tier])
    if a.bugs:
        names = [b.strip() for b in a.bugs.split(",") if b.strip()]
    elif a.quick:
        names = {"shallow": list(QUICK_BUGS), "deep": list(QUICK_DEEP_BUGS),
                 "all": list(QUICK_BUGS) + list(QUICK_DEEP_BUGS)}[a.tier]
    else:
        names = sorted(all_bugs)
    names = [resolve_bug(n, all_bugs) for n in names]
    unknown = [n for n in names if n not in all_bugs]
    engines = [e.strip() for e in (a.engines or ",".join(TIER_ENGINES[a.tier])).split(",")
               if e.strip()]
    try:
        variants = parse_variants(a.variant)
    except ValueError as e:
        log(str(e))
        return 2
    bad = [e for e in engines if e not in ENGINES and e not in variants]
    if unknown or bad or trials < 1 or budget <= 0:
        log("bad arguments: unknown bugs %s, unknown engines %s (engines: %s; bugs: %s)" % (
            unknown, bad, ",".join(ENGINES), ",".join(sorted(all_bugs))))
        return 2
    bugs = {n: all_bugs[n] for n in names}
    base_engines = sorted({base_engine(e, variants) for e in engines})
    if a.print_targets:
        for t in build_targets(bugs, base_engines):
            print(" ".join(t))
        return 0
    if a.print_plan:
        print_plan(bugs, engines, trials, budget, a.tier, variants)
        return 0

    out_dir = os.path.abspath(a.out)
    work = os.path.join(out_dir, "bench-detect")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cfg = {"bin": snapshot(os.path.join(work, "bin"), bugs, base_engines),
           "stress_threads": a.stress_threads, "random_gen": a.random_gen}
    snapshot_variants(cfg["bin"], bugs, {n: v for n, v in variants.items() if n in engines})
    cfg["replayer"] = Replayer(cfg["bin"])

    plan = make_plan(names, bugs, engines, trials, variants)
    seeds = [a.seed + k for k in range(trials)]
    log("%d bug(s) x %s, %d trial(s), %g s budget: %d runs, at most %.0f s" % (
        len(names), ",".join(engines), trials, budget, len(plan), len(plan) * (budget + 2)))
    results = []
    status = "complete"
    t_all = time.time()
    try:
        for i, (bug, eng, k) in enumerate(plan):
            wd = os.path.join(work, "runs", bug, eng, "trial-%d" % (k + 1))
            os.makedirs(wd)
            res = {"bug": bug, "engine": eng, "trial": k + 1, "seed": seeds[k], "time_s": None,
                   "kind": None, "kinds_seen": {}, "execs": None}
            t = time.time()
            RUNNERS[base_engine(eng, variants)](variant_cfg(cfg, eng, variants), bug, bugs[bug],
                                                seeds[k], budget, wd, res)
            res["wall_s"] = round(time.time() - t, 2)
            if res.get("input"):
                res["input"] = os.path.relpath(res["input"], out_dir)
            results.append(res)
            log("[%d/%d] %-22s %-9s trial %d: %s" % (
                i + 1, len(plan), bug, eng, k + 1,
                "%.3fs (%s)" % (res["time_s"], res["kind"]) if res["time_s"] is not None
                else "not found in %gs%s" % (budget, " (saw %s)" % ",".join(sorted(res["kinds_seen"]))
                                               if res["kinds_seen"] else "")))
    except KeyboardInterrupt:
        status = "interrupted"
        log("interrupted: writing what was measured")

    rows, comps, agg = summarize(results, bugs, engines, budget, a.baseline)
    doc = {
        "bench": "detect",
        "schema": "shmfuzz-bench-detect/1",
        "status": status,
        "settings": {"tier": a.tier, "trials": trials, "budget_s": budget, "engines": engines,
                     "bugs": names,
                     "seeds": seeds, "quick": a.quick, "stress_threads": a.stress_threads,
                     "random_generator": a.random_gen, "baseline": a.baseline,
                     "variants": {n: v for n, v in variants.items() if n in engines},
                     "libfuzzer": "one process, seeds + dict, ASan+UBSan; restarted from its corpus on another kind",
                     "afl": "afl-fuzz -s SEED -V BUDGET, seeds + dict + custom mutator, no sanitizer",
                     "stress": "shmfuzz stress (release), threads mode; restarted on another kind",
                     "random": "bench_detect_random_<provider> (ASan+UBSan), no feedback",
                     "campaign": "scripts/campaign.sh --engine both --jobs %d --no-build, "
                                 "SHMF_CAMPAIGN_SEED=SEED; timed from its start" % CAMPAIGN_JOBS},
        "baseline": "random: unguided random op-stream programs, lengths from the seed corpus",
        "metric": "time to first finding of the expected kind (s); undetected = budget + 1 "
                  "(censored) in medians and tests",
        "bugs": bugs,
        "results": rows,
        "comparisons": comps,
        "aggregate": agg,
        "trials": results,
        "replays": cfg["replayer"].replays,
        "wall_s": round(time.time() - t_all, 1),
    }
    raw = os.path.join(out_dir, "bench-detect.json.raw")
    dst = os.path.join(out_dir, "bench-detect.json")
    with open(raw, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "machine.py"), raw, dst],
                   cwd=ROOT, check=True)
    os.remove(raw)
    with open(dst) as f:
        doc = json.load(f)
    md = markdown(doc)
    tmp = os.path.join(out_dir, "bench-detect.md.tmp")
    with open(tmp, "w") as f:
        f.write(md)
    os.replace(tmp, os.path.join(out_dir, "bench-detect.md"))
    print(md)
    log("wrote %s and %s (%.0f s)" % (os.path.relpath(dst, ROOT),
                                     os.path.relpath(os.path.join(out_dir, "bench-detect.md"), ROOT),
                                     time.time() - t_all))
    return 0 if status == "complete" else 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
