"""Engines of a campaign: libFuzzer (-fork) and AFL++ (-M/-S), started side by side,
sampled into one stats language, stopped cleanly.

Normalized sample (the same for both engines, see reports/schema/run.json):
    {"t": seconds since the campaign started, "execs": total executions,
     "exec_per_s": current rate, "corpus_size": entries, "coverage": edges or null,
     "crashes": crash artifacts so far, "hangs": timeout/hang artifacts so far}
"""
import math
import os
import re
import signal
import socket
import subprocess
import time

# libFuzzer progress lines: "#1234\tNEW cov: ..." and fork mode "#1234: cov: ...".
LF_LINE = re.compile(r"^#(\d+):?\s+(?:\w+\s+)?cov: (\d+) ft: (\d+) corp: (\d+)")
LF_RATE = re.compile(r"exec/s:? (\d+)")
LF_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")

# AFL++ renamed fields over the years; the first name found wins.
AFL_ALIASES = {
    "execs": ("execs_done", "total_execs"),
    "exec_per_s": ("execs_per_sec",),
    "corpus_size": ("corpus_count", "paths_total"),
    "coverage": ("edges_found",),
    "crashes": ("saved_crashes", "unique_crashes"),
    "hangs": ("saved_hangs", "unique_hangs"),
}


def _num(v):
    try:
        f = float(str(v).strip().rstrip("%"))
    except ValueError:
        return None
    # AFL++'s first plot_data line can say "inf" exec/s (no time elapsed yet);
    # JSON has no infinity, so it counts as no value.
    if not math.isfinite(f):
        return None
    return int(f) if f.is_integer() else f


class Engine:
    """One engine: its processes, log files and the samples taken so far."""

    name = "engine"

    def __init__(self, cfg, workdir, budget_s, jobs):
        self.cfg = cfg
        self.workdir = workdir
        self.budget_s = budget_s
        self.jobs = jobs
        self.procs = []
        self.logs = []
        self.samples = []
        self.command = []
        self.started = None
        self.ended = None
        self.status = "not-started"
        self.error = ""
        os.makedirs(workdir, exist_ok=True)

    def _spawn(self, argv, env, log_path):
        log = open(log_path, "wb")
        self.logs.append(log_path)
        p = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True,
                             cwd=self.workdir)
        log.close()
        self.procs.append(p)
        self.command.append(argv)
        return p

    def running(self):
        return any(p.poll() is None for p in self.procs)

    def stop(self, sig=signal.SIGINT):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass

    def wait(self, grace):
        deadline = time.time() + grace
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                self.stop(signal.SIGKILL)
                p.wait()
        self.ended = self.ended or time.time()

    def finish_status(self, interrupted):
        codes = [p.returncode for p in self.procs]
        if interrupted:
            self.status = "interrupted"
        elif self.last() is None and codes and all(c not in (0, None) for c in codes):
            self.status = "failed"
            self.error = self.error or "exited with %s before any progress (see %s)" % (
                codes, os.path.relpath(self.logs[0], self.cfg["run_dir"]))
        else:
            self.status = "ok"

    def last(self):
        return self.samples[-1] if self.samples else None

    def sample(self, t0):
        s = self.read_stats()
        if s is not None:
            s["t"] = round(time.time() - t0, 1)
            s["crashes"], s["hangs"] = self.count_artifacts()
            self.samples.append(s)
        return s

    def run_json(self, t0):
        last = self.last() or {}
        dur = (self.ended or time.time()) - (self.started or t0)
        execs = last.get("execs") or 0
        return {
            "schema": "shmfuzz-run/1",
            "engine": self.name,
            "provider": self.cfg["provider"],
            "status": self.status,
            "error": self.error or None,
            "instances": len(self.procs),
            "started_s": round((self.started or t0) - t0, 1),
            "duration_s": round(dur, 1),
            "execs": execs,
            "exec_per_s": round(execs / dur, 1) if dur > 0 else 0,
            "corpus_size": last.get("corpus_size"),
            "coverage": {"edges": last.get("coverage"), "unit": self.coverage_unit},
            "crashes": last.get("crashes", 0),
            "hangs": last.get("hangs", 0),
            "command": [" ".join(a) for a in self.command],
            "logs": [os.path.relpath(p, self.cfg["run_dir"]) for p in self.logs],
            "samples": self.samples,
            "stats": self.final_stats(),
        }


class LibFuzzer(Engine):
    name = "libfuzzer"
    coverage_unit = "libfuzzer-cov"

    def __init__(self, cfg, workdir, budget_s, jobs):
        super().__init__(cfg, workdir, budget_s, jobs)
        self.corpus = os.path.join(workdir, "corpus")
        self.artifacts = os.path.join(workdir, "artifacts")
        self.log = os.path.join(workdir, "libfuzzer.log")
        self._pos = 0
        self._state = {}
        self._stats = {}

    def start(self, inputs, env):
        os.makedirs(self.corpus, exist_ok=True)
        os.makedirs(self.artifacts, exist_ok=True)
        stop_on_crash = self.cfg["mode"] == "code-change"
        argv = [self.cfg["lf_bin"], "-fork=%d" % self.jobs,
                "-ignore_crashes=%d" % (0 if stop_on_crash else 1),
                "-ignore_timeouts=1", "-ignore_ooms=1",
                "-max_total_time=%d" % self.budget_s, "-timeout=10", "-rss_limit_mb=2048",
                "-detect_leaks=0", "-print_final_stats=1",
                "-dict=%s" % self.cfg["dict"], "-artifact_prefix=%s/" % self.artifacts,
                self.corpus] + [d for d in inputs if os.path.isdir(d)]
        self.started = time.time()
        self._spawn(argv, env, self.log)
        self.status = "running"

    def _scan_log(self):
        try:
            with open(self.log, "rb") as f:
                f.seek(self._pos)
                data = f.read()
        except OSError:
            return
        cut = data.rfind(b"\n") + 1
        self._pos += cut
        for raw in data[:cut].decode("utf-8", "replace").splitlines():
            m = LF_LINE.match(raw)
            if m:
                r = LF_RATE.search(raw)
                self._state = {"execs": int(m.group(1)), "coverage": int(m.group(2)),
                               "features": int(m.group(3)), "corpus_size": int(m.group(4)),
                               "exec_per_s": int(r.group(1)) if r else None}
            m = LF_STAT.match(raw)
            if m:
                self._stats[m.group(1)] = int(m.group(2))

    def read_stats(self):
        self._scan_log()
        if not self._state:
            return None
        s = dict(self._state)
        try:
            s["corpus_size"] = max(s["corpus_size"] or 0, len(os.listdir(self.corpus)))
        except OSError:
            pass
        return s

    def count_artifacts(self):
        try:
            names = os.listdir(self.artifacts)
        except OSError:
            return 0, 0
        crashes = sum(1 for n in names if n.startswith(("crash-", "leak-", "oom-")))
        hangs = sum(1 for n in names if n.startswith("timeout-"))
        return crashes, hangs

    def final_stats(self):
        self._scan_log()
        return dict(self._stats)

    def artifact_files(self):
        out = []
        for n in sorted(os.listdir(self.artifacts)) if os.path.isdir(self.artifacts) else []:
            kind = n.split("-", 1)[0]
            if kind in ("crash", "leak", "oom", "timeout"):
                out.append((os.path.join(self.artifacts, n), "hang" if kind == "timeout" else kind))
        return out

    def queue_dirs(self):
        return [self.corpus]


# CMPLOG (afl-fuzz -c, the cmplog twin of the target) adds a colorization stage
# and a second binary's runs per queue entry: the main instance and every third
# secondary use it, the others fuzz at full speed.
CMPLOG_EVERY = 3


def _host_tag():
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:20] or "host"


class Afl(Engine):
    name = "afl"
    coverage_unit = "afl-edges"

    def __init__(self, cfg, workdir, budget_s, jobs):
        super().__init__(cfg, workdir, budget_s, jobs)
        self.sync = cfg["sync_dir"] or os.path.join(workdir, "sync")
        host = _host_tag()
        self.names = ["main-" + host] + ["s%d-%s" % (i, host) for i in range(1, jobs)]
        self._final = {}

    def start(self, inputs, env):
        indir = os.path.join(self.workdir, "in")
        os.makedirs(indir, exist_ok=True)
        os.makedirs(self.sync, exist_ok=True)
        n = 0
        for d in inputs:
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                src = os.path.join(d, name)
                if os.path.isfile(src) and 0 < os.path.getsize(src) < (1 << 20):
                    dst = os.path.join(indir, "%06d" % n)
                    n += 1
                    with open(src, "rb") as a, open(dst, "wb") as b:
                        b.write(a.read())
        if n == 0:
            with open(os.path.join(indir, "empty"), "wb") as b:
                b.write(b"\x01" + b"\x00" * 7)
        env = dict(env, AFL_NO_UI="1", AFL_SKIP_CPUFREQ="1", AFL_NO_AFFINITY="1",
                   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_AUTORESUME="1",
                   AFL_SKIP_CRASHES="1", AFL_FAST_CAL="1", AFL_IGNORE_UNKNOWN_ENVS="1",
                   AFL_CUSTOM_MUTATOR_LIBRARY=self.cfg["afl_mutator"])
        if self.cfg["mode"] == "code-change":
            env["AFL_BENCH_UNTIL_CRASH"] = "1"
        self.started = time.time()
        for i, name in enumerate(self.names):
            role = ["-M", name] if i == 0 else ["-S", name]
            extra = [] if i % 2 == 0 else ["-p", "explore"]
            if self.cfg.get("afl_cmplog") and i % CMPLOG_EVERY == 0:
                extra += ["-c", self.cfg["afl_cmplog"]]
            argv = ["afl-fuzz", "-i", indir, "-o", self.sync] + role + extra + [
                "-V", str(self.budget_s), "-t", "1000", "-x", self.cfg["dict"],
                "--", self.cfg["afl_bin"]]
            self._spawn(argv, env, os.path.join(self.workdir, "afl-%s.log" % name))
        self.status = "running"

    def _read_stats(self, name):
        stats = {}
        try:
            with open(os.path.join(self.sync, name, "fuzzer_stats")) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    stats[k.strip()] = v.strip()
        except OSError:
            pass
        return stats

    def _read_plot(self, name):
        path = os.path.join(self.sync, name, "plot_data")
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError:
            return {}
        if len(lines) < 2 or not lines[0].startswith("#"):
            return {}
        keys = [k.strip() for k in lines[0].lstrip("# ").split(",")]
        vals = [v.strip() for v in lines[-1].split(",")]
        return dict(zip(keys, vals))

    @staticmethod
    def _pick(d, field):
        for k in AFL_ALIASES[field]:
            if k in d:
                return _num(d[k])
        return None

    def _instance(self, name):
        """Newest numbers of one instance: plot_data refreshes every 5 s,
        fuzzer_stats only every minute, so take whichever is newer."""
        st, pl = self._read_stats(name), self._read_plot(name)
        out = {}
        for field in AFL_ALIASES:
            a, b = self._pick(pl, field), self._pick(st, field)
            out[field] = a if a is not None else b
        run_time = _num(st.get("run_time", 0)) or 0
        rel = _num(pl.get("relative_time", pl.get("unix_time", 0))) or 0
        if st and run_time >= rel:
            for field in AFL_ALIASES:
                v = self._pick(st, field)
                out[field] = v if v is not None else out[field]
        return out if any(v is not None for v in out.values()) else None

    def read_stats(self):
        inst = [s for s in (self._instance(n) for n in self.names) if s]
        if not inst:
            return None
        total = {"execs": sum(s.get("execs") or 0 for s in inst),
                 "exec_per_s": round(sum(s.get("exec_per_s") or 0 for s in inst), 1),
                 "corpus_size": max(s.get("corpus_size") or 0 for s in inst),
                 "coverage": max(s.get("coverage") or 0 for s in inst)}
        return total

    def _files(self, sub):
        out = []
        for name in sorted(os.listdir(self.sync)) if os.path.isdir(self.sync) else []:
            d = os.path.join(self.sync, name, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.startswith("id:")]
        return out

    def count_artifacts(self):
        return len(self._files("crashes")), len(self._files("hangs"))

    def final_stats(self):
        return {n: self._read_stats(n) for n in self.names}

    def artifact_files(self):
        return [(p, "crash") for p in self._files("crashes")] + \
               [(p, "hang") for p in self._files("hangs")]

    def queue_dirs(self):
        return [os.path.join(self.sync, n, "queue") for n in self.names
                if os.path.isdir(os.path.join(self.sync, n, "queue"))]
