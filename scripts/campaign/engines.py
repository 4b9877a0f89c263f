"""Engines of a campaign: libFuzzer (-fork) and AFL++ (-M/-S), started side by side,
sampled into one stats language, stopped cleanly.

Normalized sample (the same for both engines, see reports/schema/run.json):
    {"t": seconds since the campaign started, "execs": total executions,
     "exec_per_s": current rate, "corpus_size": entries, "coverage": edges or null,
     "crashes": crash artifacts so far, "hangs": timeout/hang artifacts so far}
When an engine prints no rate, or 0 (libFuzzer's fork mode always says
"exec/s 0"), the rate is computed from the executions: since the previous
sample, or since the engine started for the first one.

An engine's status at the end (finish_status): "ok", "interrupted" (the
campaign got SIGINT/SIGTERM), or "failed" with `error` saying why: it could
not start, a process exited non-zero or was killed by a signal the campaign
did not send, or it executed nothing.
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
# Fork mode's wrap-up: "INFO: exiting: 1 time: 9s" (1 when a crash was seen and
# ignored: -ignore_crashes=1 still exits 1 at the end of a run that found one).
LF_EXIT = re.compile(r"^INFO: exiting: (-?\d+)")

# Log lines that say why an engine stopped (the last one found is quoted).
REASON_LINE = re.compile(r"PROGRAM ABORT|SYSTEM ERROR|ERROR:|^shmfuzz: |\berror: |"
                         r"Segmentation fault|Killed|Aborted")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

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
        self.signalled = set()  # pids of the processes the campaign sent a stop signal
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
                    self.signalled.add(p.pid)
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

    def execs(self):
        return (self.last() or {}).get("execs") or 0

    def _log_reason(self, log_path):
        """The last line among the last 30 of a log that says why the engine
        stopped, or '' (earlier lines may be a crash report of a fuzzed input)."""
        try:
            with open(log_path, "rb") as f:
                f.seek(max(0, os.path.getsize(log_path) - 65536))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        tail = [ln for ln in text.splitlines() if ln.strip()][-30:]
        hits = [ANSI.sub("", ln).strip() for ln in tail if REASON_LINE.search(ln)]
        hits = [h for h in hits if h]
        return hits[-1][:200] if hits else ""

    def _expected_exit(self, p):
        """Exits that are not a failure: 0, anything after the campaign's own stop
        signal, and the crash exit of an engine told to stop at the first crash
        (mode code-change)."""
        rc = p.returncode
        if rc == 0 or p.pid in self.signalled:
            return True
        return self.cfg["mode"] == "code-change" and rc is not None and rc > 0 and \
            self.count_artifacts()[0] > 0

    def _exit_text(self, rc):
        if rc is None:
            return "did not exit"
        if rc < 0:
            try:
                return "was killed by %s" % signal.Signals(-rc).name
            except ValueError:
                return "was killed by signal %d" % -rc
        return "exited with code %d" % rc

    def finish_status(self, interrupted):
        """ok, interrupted or failed (with self.error): see the module's doc.
        interrupted: the name of the signal that stopped the campaign, or ''."""
        if interrupted:
            self.status = "interrupted"
            self.error = self.error or "stopped early: the campaign got %s" % interrupted
            return
        if self.status == "failed":       # could not start
            return
        problems = []
        for i, p in enumerate(self.procs):
            if not self._expected_exit(p):
                who = self.instance_name(i) if len(self.procs) > 1 else ""
                problems.append("%s%s" % (who + " " if who else "", self._exit_text(p.returncode)))
        text = ", ".join(problems)
        if not self.execs():
            text = text + " before any execution" if text else "executed nothing"
        if not text:
            self.status, self.error = "ok", ""
            return
        log = self.logs[0] if self.logs else ""
        for i, p in enumerate(self.procs):   # the log of the first process that failed
            if not self._expected_exit(p) and i < len(self.logs):
                log = self.logs[i]
                break
        why = self._log_reason(log) if log else ""
        where = os.path.relpath(log, self.cfg["run_dir"]) if log else ""
        self.status = "failed"
        self.error = text + (": %s" % why if why else "") + \
            (" (see %s)" % where if where else "")

    def instance_name(self, i):
        return ""

    def last(self):
        return self.samples[-1] if self.samples else None

    def sample(self, t0):
        s = self.read_stats()
        if s is not None:
            now = time.time()
            s["t"] = round(now - t0, 1)
            s["crashes"], s["hangs"] = self.count_artifacts()
            if not s.get("exec_per_s") and s.get("execs"):
                s["exec_per_s"] = self._computed_rate(s["execs"], now - t0, t0)
            self.samples.append(s)
        return s

    def _computed_rate(self, execs, t, t0):
        """Executions per second since the previous sample that had fewer, else
        since the engine started."""
        for prev in reversed(self.samples):
            if prev.get("execs") is not None and prev["execs"] < execs and t - prev["t"] >= 1:
                return round((execs - prev["execs"]) / (t - prev["t"]), 1)
        since = t - ((self.started or t0) - t0)
        return round(execs / since, 1) if since > 0 else None

    def rate(self):
        """The run's rate: total executions over the run's duration."""
        dur = (self.ended or time.time()) - (self.started or time.time())
        return round(self.execs() / dur, 1) if dur > 0 else 0

    def run_json(self, t0):
        last = self.last() or {}
        dur = (self.ended or time.time()) - (self.started or t0)
        execs = self.execs()
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
        self._exit_said = None

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
                # Fork mode ("#N: cov: ...") prints the last job's rate, mostly 0:
                # sample() computes the campaign's from the executions instead.
                r = None if raw.startswith("#%s:" % m.group(1)) else LF_RATE.search(raw)
                self._state = {"execs": int(m.group(1)), "coverage": int(m.group(2)),
                               "features": int(m.group(3)), "corpus_size": int(m.group(4)),
                               "exec_per_s": int(r.group(1)) if r else None}
            m = LF_EXIT.match(raw)
            if m:
                self._exit_said = int(m.group(1))
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

    def execs(self):
        self._scan_log()
        return max(super().execs(), self._stats.get("number_of_executed_units", 0))

    def _expected_exit(self, p):
        """Also the code libFuzzer announced at its own wrap-up ("INFO: exiting: N")."""
        self._scan_log()
        return super()._expected_exit(p) or (p.returncode is not None and
                                             p.returncode == self._exit_said)

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

    def instance_name(self, i):
        return self.names[i] if i < len(self.names) else ""

    def final_stats(self):
        return {n: self._read_stats(n) for n in self.names}

    def artifact_files(self):
        return [(p, "crash") for p in self._files("crashes")] + \
               [(p, "hang") for p in self._files("hangs")]

    def queue_dirs(self):
        return [os.path.join(self.sync, n, "queue") for n in self.names
                if os.path.isdir(os.path.join(self.sync, n, "queue"))]
