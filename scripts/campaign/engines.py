"""Engines of a campaign: libFuzzer (in-process workers under a supervisor) and
AFL++ (-M/-S), started side by side, sampled into one stats language, stopped
cleanly.

libFuzzer runs as N long-lived in-process workers (N = its share of --jobs), not
-fork=N: fork mode runs job k for k seconds (so a 60 s campaign is ~10 jobs of
1-10 s), starts each job from sqrt(corpus) seeds, re-executes each job's new
inputs in a merge subprocess and lets the last job overrun the budget; measured
on the 2-core VM that cost 20-40 % of libFuzzer's own rate (docs/campaigns.md,
"Throughput"). A worker fuzzes until the budget ends, sharing one corpus
directory with the others (-reload=1); a worker that stops on a crash, timeout
or OOM has written its artifact and is restarted at once (after a short back-off
when it keeps dying at start-up) for the rest of the budget, so the campaign
continues after a finding as fork mode's -ignore_crashes did. An input that
crashes while a worker loads the corpus is taken out of the staged seeds and of
the corpus before the restart (its artifact stays for triage).

Normalized sample (the same for both engines, see reports/schema/run.json):
    {"t": seconds since the campaign started, "execs": total executions,
     "exec_per_s": current rate, "corpus_size": entries, "coverage": edges or null,
     "crashes": crash artifacts so far, "hangs": timeout/hang artifacts so far}
A sample's rate is computed from the executions: since the previous sample, or
since the engine started for the first one (libFuzzer's own exec/s is a
process's average; AFL++'s is used when it gives one). In-process libFuzzer
prints its execution count only with new coverage and at powers of two, so
between those lines a running worker's count is extrapolated from its last line
and its printed rate (the sample says "execs_estimated": true); a run's total
(runs/<engine>.json `execs`) is exact: each worker process's
stat::number_of_executed_units, printed on every exit path.

An engine's status at the end (finish_status): "ok", "interrupted" (the
campaign got SIGINT/SIGTERM), or "failed" with `error` saying why: it could
not start, a process exited non-zero or was killed by a signal the campaign
did not send, or it executed nothing.
"""
import hashlib
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import time

# libFuzzer progress lines: "#1234\tNEW cov: ..." and fork mode "#1234: cov: ...".
LF_LINE = re.compile(r"^#(\d+):?\s+(?:\w+\s+)?cov: (\d+) ft: (\d+) corp: (\d+)")
LF_RATE = re.compile(r"exec/s:? (\d+)")
LF_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")

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


CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid):
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
        return data[data.rindex(")") + 2:].split()
    except (OSError, ValueError):
        return None


def proc_cpu(pid, seen=None):
    """CPU seconds of a process, its reaped children and its live descendants
    (AFL++'s fork server and target), from /proc; None once it is gone.
    seen (a dict) gets every descendant: pid -> its start time."""
    fields = _stat(pid)
    try:
        total = sum(int(x) for x in fields[11:15]) / CLK_TCK  # utime stime cutime cstime
    except (TypeError, ValueError, IndexError):
        return None
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        tasks = []
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids = f.read().split()
        except OSError:
            continue
        for k in kids:
            k = int(k)
            if seen is not None and k not in seen:
                f = _stat(k)
                if f and len(f) > 19:
                    seen[k] = f[19]
            total += proc_cpu(k, seen) or 0
    return total


class _Proc(subprocess.Popen):
    """A Popen reaped with wait4(2), so that its exit brings its exact CPU time:
    user + system seconds of the process and of every descendant it (or they)
    waited for (AFL++'s fork server and its targets), in exit_cpu. The /proc
    samples of Engine.account_cpu see only live processes, up to the last tick
    before the exit."""

    exit_cpu = None

    def _reap(self, flags):
        try:
            pid, status, ru = os.wait4(self.pid, flags)
        except ChildProcessError:       # reaped elsewhere: Popen knows the status
            return False
        if pid != self.pid:
            return False
        self.exit_cpu = ru.ru_utime + ru.ru_stime
        self.returncode = os.waitstatus_to_exitcode(status)
        return True

    def poll(self):
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return super().poll()

    def wait(self, timeout=None):
        if self.returncode is None and timeout is None:
            self._reap(0)
        return super().wait(timeout)


def fixed_seed():
    """SHMF_CAMPAIGN_SEED=N (for benchmarks): libFuzzer worker k runs with
    -seed=N+k (its restarts too) and AFL++ instance k with -s N+k, so a campaign
    repeats the same mutations as an engine run alone with that seed. None
    (random seeds, the default) when unset or not a number."""
    v = os.environ.get("SHMF_CAMPAIGN_SEED", "")
    return int(v) if v.isdigit() else None


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
        self.proc_logs = []  # the log of each process of self.procs
        self.logs = []       # each log once
        self.samples = []
        self.command = []
        self.started = None
        self.ended = None
        self.status = "not-started"
        self.error = ""
        self.signalled = set()  # pids of the processes the campaign sent a stop signal
        self.cpu = {}           # pid -> CPU seconds last seen (proc_cpu)
        self._pidfds = {}       # pid -> pidfd (pidfds())
        self.descendants = {}   # pid -> start time of every descendant seen (reap_leftovers)
        os.makedirs(workdir, exist_ok=True)

    def _spawn(self, argv, env, log_path, append=False, record=True):
        log = open(log_path, "ab" if append else "wb")
        if log_path not in self.logs:
            self.logs.append(log_path)
        try:
            p = _Proc(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                      stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.workdir)
        finally:
            log.close()
        self.procs.append(p)
        self.proc_logs.append(log_path)
        if record:
            self.command.append(argv)
        try:
            self._pidfds[p.pid] = os.pidfd_open(p.pid)
        except (AttributeError, OSError):    # Python < 3.9 or Linux < 5.3: polled only
            pass
        return p

    def pidfds(self):
        """File descriptors that become readable when a running process of the
        engine exits (the campaign's loop waits on them, so a worker stopped by a
        finding is restarted at once, not at the next tick). Those of the
        processes that have ended are closed."""
        out = []
        for p in self.procs:
            fd = self._pidfds.get(p.pid)
            if fd is None:
                continue
            if p.returncode is None:
                out.append(fd)
            else:
                os.close(self._pidfds.pop(p.pid))
        return out

    def running(self):
        return any(p.poll() is None for p in self.procs)

    def tick(self, now):
        """Called about every 0.25 s while the campaign fuzzes, and when one of its
        processes exits (reap, restart)."""
        self.account_cpu()
        for p in self.procs:
            p.poll()            # reaped: its pidfd leaves the loop's wait

    def account_cpu(self):
        """Note the CPU time of every process of the engine: the run's `cpu_s`
        (what the engine got of the cores). A live process's comes from /proc
        (itself, its reaped children and its live descendants); an ended one's
        from wait4 (itself and every descendant waited for), or, when something
        else reaped it, from the last /proc reading."""
        for p in self.procs:
            if p.returncode is None:
                c = proc_cpu(p.pid, self.descendants)
            else:
                c = getattr(p, "exit_cpu", None)
            if c is not None:
                self.cpu[p.pid] = max(c, self.cpu.get(p.pid, 0))

    def cpu_s(self):
        """CPU seconds of the engine's processes and their children so far."""
        self.account_cpu()
        return round(sum(self.cpu.values()), 1)

    def instances(self):
        return len(self.procs)

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
        while time.time() < deadline:
            self.account_cpu()
            if all(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.05)
        for p in self.procs:
            if p.poll() is None:
                self.stop(signal.SIGKILL)
                p.wait()
        self.ended = self.ended or time.time()
        self.reap_leftovers()

    def reap_leftovers(self):
        """Kill what the engine's processes left behind: afl-fuzz 4.x leaves its
        CMPLOG target's persistent-mode child stopped (SIGSTOP between two runs),
        orphaned, for ever. Only processes seen as descendants while the engine
        ran, with the same start time (not a reused pid), are touched."""
        own = {p.pid for p in self.procs}
        for pid, start in self.descendants.items():
            f = _stat(pid)
            if pid in own or not f or len(f) <= 19 or f[19] != start:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

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
                who = self.instance_name(i) if self.instances() > 1 else ""
                problems.append("%s%s" % (who + " " if who else "", self._exit_text(p.returncode)))
        text = ", ".join(problems)
        if not self.execs():
            text = text + " before any execution" if text else "executed nothing"
        if not text:
            self.status, self.error = "ok", ""
            return
        log = self.logs[0] if self.logs else ""
        for i, p in enumerate(self.procs):   # the log of the first process that failed
            if not self._expected_exit(p) and i < len(self.proc_logs):
                log = self.proc_logs[i]
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

    def rate_so_far(self, t0):
        """The rate of the progress line: the last sample's executions over the
        wall time from the engine's start to that sample (never the engine's own
        printed rate, which for AFL++ is the last few seconds' of each instance)."""
        s = self.last() or {}
        dur = s.get("t", 0) - ((self.started or t0) - t0)
        return round((s.get("execs") or 0) / dur, 1) if dur > 0 else 0

    @staticmethod
    def per_cpu(execs, cpu_s):
        """Executions per CPU second (what a core gives), None without CPU time."""
        return round(execs / cpu_s, 1) if cpu_s and cpu_s > 0 else None

    def run_json(self, t0):
        """runs/<engine>.json (shmfuzz-run/1). Its fields are those of
        SHMF_RUN_FIELDS (harness/report/report_fields.h), the list the C writers
        (replay, stress) build from; tests/report/schema_fields.py checks this
        document against that list and reports/schema/run.json, which forbids
        unlisted fields: a new field goes in all three."""
        last = self.last() or {}
        dur = (self.ended or time.time()) - (self.started or t0)
        execs = self.execs()
        return {
            "schema": "shmfuzz-run/1",
            "engine": self.name,
            "provider": self.cfg["provider"],
            "status": self.status,
            "error": self.error or None,
            "instances": self.instances(),
            "started_s": round((self.started or t0) - t0, 1),
            "duration_s": round(dur, 1),
            "execs": execs,
            "exec_per_s": round(execs / dur, 1) if dur > 0 else 0,
            "cpu_s": self.cpu_s(),
            "corpus_size": last.get("corpus_size"),
            "coverage": {"edges": last.get("coverage"), "unit": self.coverage_unit},
            "crashes": last.get("crashes", 0),
            "hangs": last.get("hangs", 0),
            "command": [" ".join(a) for a in self.command],
            "logs": [os.path.relpath(p, self.cfg["run_dir"]) for p in self.logs],
            "samples": self.samples,
            "stats": self.final_stats(),
        }


# A worker run that stopped on a finding restarts at once when it had fuzzed, or
# when it died loading the corpus on an input that could be taken out of it
# (buggy_double_free crashes on 10 of the 15 seeds: ten quick restarts). One that
# died at load on nothing removable (the empty input libFuzzer starts from, the
# provider's start-up) is restarted after 0.5 s, 1 s, 2 s ... (at most
# RESTART_MAX_DELAY_S; back to none once a run gets going): it cannot spin the CPU.
RESTART_MAX_DELAY_S = 10.0
# Less budget than this left: a worker that stopped is not restarted.
RESTART_MIN_LEFT_S = 1.0
LF_ARTIFACT = re.compile(r"Test unit written to (\S+)")
LF_INITED = re.compile(r"^#\d+\s+INITED\b")
# libFuzzer exits 1 when a corpus file it listed is gone before it reads it: another
# worker took out an input that crashed it (a race at load, never a failure).
LF_VANISHED = re.compile(r"^No such file or directory: .*; exiting")


class _LfWorker:
    """One slot of libFuzzer's share of --jobs: the in-process libFuzzer runs it
    has had (one at a time; a new one after a finding) and what their log said."""

    def __init__(self, index, log):
        self.index = index
        self.log = log
        self.proc = None
        self.runs = 0
        self.pos = 0                # how far the log has been read
        self.done_execs = 0         # executions of the runs that have ended
        self.line = None            # last "#N ..." line of the current run
        self.final = None           # its stat::number_of_executed_units, once printed
        self.inited = False         # the current run loaded the corpus ("INITED")
        self.written = []           # artifacts the current run wrote
        self.vanished = False       # the current run stopped on a corpus file taken out
        self.run_started = None
        self.restart_at = None      # when to start the next run (None: none pending)
        self.fast_exits = 0
        self.coverage = 0           # best cov/ft/corp seen in any run
        self.features = 0
        self.corp = 0
        self.stats = {}             # stat:: lines, summed over the runs


class LibFuzzer(Engine):
    """libFuzzer as self.jobs in-process workers under the campaign's supervision
    (the module's doc says why not -fork)."""

    name = "libfuzzer"
    coverage_unit = "libfuzzer-cov"

    def __init__(self, cfg, workdir, budget_s, jobs):
        super().__init__(cfg, workdir, budget_s, jobs)
        self.corpus = os.path.join(workdir, "corpus")      # every worker's output, shared
        self.seeds = os.path.join(workdir, "seeds")        # persistent corpus + seeds, by sha1
        self.artifacts = os.path.join(workdir, "artifacts")
        self.log = os.path.join(workdir, "libfuzzer.log")  # worker 0 (w1: libfuzzer-w1.log ...)
        self.workers = [_LfWorker(i, self.log if i == 0 else
                                  os.path.join(workdir, "libfuzzer-w%d.log" % i))
                        for i in range(jobs)]
        self.deadline = None
        self.stopping = False
        self.env = None
        self.finding_exits = set()  # pids of runs that ended on an artifact (crash, timeout, OOM)
                                    # or on a corpus file another worker took out
        self.proc_worker = {}       # pid -> worker index
        self.dropped = []           # sha1 of inputs that crashed a worker at corpus load
        self.restarts = 0
        self.restart_error = ""
        self._reported = 0          # the largest execs a sample has shown (samples never go back)

    # === Start and restart ===

    def _stage_seeds(self, inputs):
        """Hard-link (else copy) every regular file of the input dirs into one
        directory under its sha1: duplicates collapse, and an input that crashes
        at load can be taken out without touching the persistent corpus."""
        os.makedirs(self.seeds, exist_ok=True)
        n = 0
        for d in inputs:
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                src = os.path.join(d, name)
                if name.startswith(".") or not os.path.isfile(src):
                    continue
                try:
                    with open(src, "rb") as f:
                        dst = os.path.join(self.seeds, hashlib.sha1(f.read()).hexdigest())
                    if os.path.exists(dst):
                        continue
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copyfile(src, dst)
                    n += 1
                except OSError:
                    continue
        return n

    def _argv(self, w, left):
        seed = fixed_seed()
        return [self.cfg["lf_bin"], "-max_total_time=%d" % max(1, int(math.ceil(left))),
                "-timeout=10", "-rss_limit_mb=2048", "-detect_leaks=0", "-print_final_stats=1",
                # Workers share self.corpus: each picks up the others' finds every second.
                "-reload=%d" % (1 if self.jobs > 1 else 0), "-print_funcs=0",
                "-dict=%s" % self.cfg["dict"], "-artifact_prefix=%s/" % self.artifacts] + \
            (["-seed=%d" % (seed + w.index)] if seed is not None else []) + \
            [self.corpus, self.seeds]

    def start(self, inputs, env):
        os.makedirs(self.corpus, exist_ok=True)
        os.makedirs(self.artifacts, exist_ok=True)
        self._stage_seeds(inputs)
        # No symbolized stack in the worker's crash report: llvm-symbolizer takes
        # 0.1-0.5 s per crash, during which the worker fuzzes nothing; triage
        # replays every artifact with a symbolized report anyway.
        asan = env.get("ASAN_OPTIONS", "")
        if "symbolize=" not in asan:
            env = dict(env, ASAN_OPTIONS=(asan + ":" if asan else "") + "symbolize=0")
        self.env = env
        self.started = time.time()
        self.deadline = self.started + self.budget_s
        for w in self.workers:
            self._run(w, self.started)
        self.status = "running"

    def _run(self, w, now):
        left = self.deadline - now
        w.restart_at = None
        if w.runs:
            with open(w.log, "ab") as f:
                f.write(("\ncampaign: worker %d: run %d, %.0f s of the budget left\n"
                         % (w.index, w.runs + 1, left)).encode())
        argv = self._argv(w, left)
        w.proc = self._spawn(argv, self.env, w.log, append=w.runs > 0, record=w.runs == 0)
        self.proc_worker[w.proc.pid] = w.index
        w.runs += 1
        w.run_started = now
        w.line, w.final, w.inited, w.written, w.vanished = None, None, False, [], False

    def tick(self, now):
        self.account_cpu()
        for w in self.workers:
            if w.proc is not None and w.proc.poll() is not None:
                self._reap(w, now)
            if w.restart_at is not None and now >= w.restart_at and not self.stopping:
                if self.deadline - now >= RESTART_MIN_LEFT_S:
                    try:
                        self._run(w, now)
                        self.restarts += 1
                    except OSError as ex:   # the binary went away: this worker is done
                        w.restart_at = None
                        self.restart_error = self.restart_error or \
                            "cannot restart worker w%d: %s" % (w.index, ex)
                else:
                    w.restart_at = None

    def _reap(self, w, now):
        """A run ended: count its executions; restart the worker after a finding."""
        p = w.proc
        self._scan(w)
        w.done_execs += w.final if w.final is not None else (w.line or {}).get("execs", 0)
        w.line, w.final, w.proc = None, None, None
        if p.returncode == 0 or p.pid in self.signalled:
            return                                  # budget spent, or stopped by us
        written = [a for a in w.written if os.path.isfile(a)]
        if not written and w.vanished and self.dropped:
            self.finding_exits.add(p.pid)           # not a failure: run it again
            if not self.stopping:
                w.fast_exits += 1
                w.restart_at = now + min(RESTART_MAX_DELAY_S, 0.25 * (2 ** w.fast_exits))
            return
        if not written:
            return                                  # no artifact: finish_status says failed
        self.finding_exits.add(p.pid)
        if self.stopping:
            return
        if w.inited or self._drop(written):
            # It fuzzed, or the input it died on at load is gone: at once.
            w.fast_exits, delay = 0, 0.0
        else:
            # It died at load on something not in the corpus (the empty input
            # libFuzzer starts from, or the provider's start-up): back off.
            w.fast_exits += 1
            delay = min(RESTART_MAX_DELAY_S, 0.25 * (2 ** w.fast_exits))
        w.restart_at = now + delay

    def _drop(self, artifacts):
        """Take the inputs of these artifacts out of the staged seeds and the corpus
        (libFuzzer names corpus files by sha1; an input longer than -max_len ran,
        and was saved, cut to it): a worker that loads them dies again. Returns
        how many were taken out (by this call, or already by another worker)."""
        gone = 0
        for a in artifacts:
            try:
                with open(a, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            h = hashlib.sha1(data).hexdigest()
            if h in self.dropped:
                gone += 1       # another worker died on it and took it out first
                continue
            hit = [os.path.join(d, h) for d in (self.seeds, self.corpus)
                   if os.path.exists(os.path.join(d, h))]
            if not hit:
                hit = [p for d in (self.seeds, self.corpus) for p in self._longer(d, data)]
            for p in hit:
                try:
                    os.unlink(p)
                except OSError:
                    pass
            if hit:
                self.dropped.append(h)
                gone += 1
        return gone

    @staticmethod
    def _longer(d, data):
        """Files of d that start with data and are longer (cut to -max_len at load)."""
        out = []
        for n in os.listdir(d) if os.path.isdir(d) else []:
            p = os.path.join(d, n)
            try:
                if os.path.getsize(p) > len(data):
                    with open(p, "rb") as f:
                        if f.read(len(data)) == data:
                            out.append(p)
            except OSError:
                continue
        return out

    def running(self):
        """A worker runs, has ended and is not reaped yet (tick restarts it), or
        waits for its restart."""
        return any(w.proc is not None or w.restart_at is not None for w in self.workers)

    def stop(self, sig=signal.SIGINT):
        self.stopping = True
        for w in self.workers:
            w.restart_at = None
        super().stop(sig)

    def wait(self, grace):
        super().wait(grace)
        for w in self.workers:
            if w.proc is not None:
                self._reap(w, time.time())

    def instances(self):
        return len(self.workers)

    def instance_name(self, i):
        if i < len(self.procs):
            return "w%d" % self.proc_worker.get(self.procs[i].pid, 0)
        return ""

    # === Stats ===

    def _scan(self, w):
        try:
            with open(w.log, "rb") as f:
                f.seek(w.pos)
                data = f.read()
        except OSError:
            return
        cut = data.rfind(b"\n") + 1
        w.pos += cut
        now = time.time()
        for raw in data[:cut].decode("utf-8", "replace").splitlines():
            m = LF_LINE.match(raw)
            if m:
                r = LF_RATE.search(raw)
                w.line = {"execs": int(m.group(1)), "rate": int(r.group(1)) if r else 0,
                          "seen": now}
                w.coverage = max(w.coverage, int(m.group(2)))
                w.features = max(w.features, int(m.group(3)))
                w.corp = max(w.corp, int(m.group(4)))
                if LF_INITED.match(raw):
                    w.inited = True
                continue
            m = LF_STAT.match(raw)
            if m:
                k, v = m.group(1), int(m.group(2))
                if k == "number_of_executed_units":
                    w.final = v
                if k in ("peak_rss_mb", "slowest_unit_time_sec", "average_exec_per_sec"):
                    w.stats[k] = max(w.stats.get(k, 0), v)
                else:
                    w.stats[k] = w.stats.get(k, 0) + v
                continue
            m = LF_ARTIFACT.search(raw)
            if m:
                w.written.append(m.group(1))
            elif LF_VANISHED.match(raw):
                w.vanished = True

    def _worker_execs(self, w, now, estimate):
        """(executions, estimated?) of a worker: its ended runs, plus the running
        one's final count, or its last line (extrapolated when estimate)."""
        if w.final is not None:
            return w.done_execs + w.final, False
        line = w.line or {}
        n = line.get("execs", 0)
        if estimate and w.proc is not None and w.proc.poll() is None and line.get("rate"):
            extra = line["rate"] * max(0.0, now - line["seen"])
            if extra >= line["rate"]:               # more than a second since the line
                return w.done_execs + n + int(extra), True
        return w.done_execs + n, False

    def read_stats(self):
        now = time.time()
        for w in self.workers:
            self._scan(w)
        if not any(w.line or w.done_execs or w.final for w in self.workers):
            return None
        execs, estimated = 0, False
        for w in self.workers:
            n, est = self._worker_execs(w, now, True)
            execs += n
            estimated = estimated or est
        self._reported = max(self._reported, execs)
        s = {"execs": self._reported, "exec_per_s": None,
             "coverage": max(w.coverage for w in self.workers),
             "features": max(w.features for w in self.workers),
             "corpus_size": max(w.corp for w in self.workers)}
        if estimated:
            s["execs_estimated"] = True
        try:
            s["corpus_size"] = max(s["corpus_size"], len(os.listdir(self.corpus)))
        except OSError:
            pass
        return s

    def execs(self):
        """Exact: every run's stat::number_of_executed_units (or its last line)."""
        now = time.time()
        total = 0
        for w in self.workers:
            self._scan(w)
            total += self._worker_execs(w, now, False)[0]
        return total

    def run_json(self, t0):
        self._settle_samples(t0)
        return super().run_json(t0)

    def _settle_samples(self, t0):
        """Samples estimated past what the workers turned out to execute (their
        exact stat:: counts, known at the end) are lowered to it: the series stays
        non-decreasing and ends at the run's executions, and its rates are
        computed again from the executions."""
        cap, changed = self.execs(), False
        for smp in reversed(self.samples):
            if (smp.get("execs") or 0) > cap:
                smp["execs"], changed = cap, True
            cap = smp.get("execs") or 0
        if not changed:
            return
        done, self.samples = self.samples, []
        for smp in done:
            smp["exec_per_s"] = self._computed_rate(smp["execs"], smp["t"], t0) \
                if smp["execs"] else 0
            self.samples.append(smp)

    def count_artifacts(self):
        try:
            names = os.listdir(self.artifacts)
        except OSError:
            return 0, 0
        crashes = sum(1 for n in names if n.startswith(("crash-", "leak-", "oom-")))
        hangs = sum(1 for n in names if n.startswith("timeout-"))
        return crashes, hangs

    def final_stats(self):
        for w in self.workers:
            self._scan(w)
        out = {}
        for w in self.workers:
            for k, v in w.stats.items():
                out[k] = max(out.get(k, 0), v) if k in ("peak_rss_mb", "slowest_unit_time_sec",
                                                        "average_exec_per_sec") \
                    else out.get(k, 0) + v
        out["number_of_executed_units"] = self.execs()
        out["workers"] = len(self.workers)
        out["worker_runs"] = sum(w.runs for w in self.workers)
        out["restarts"] = self.restarts
        out["inputs_dropped_at_load"] = len(set(self.dropped))
        return out

    def finish_status(self, interrupted):
        super().finish_status(interrupted)
        if self.restart_error and self.status == "ok":
            self.status, self.error = "failed", self.restart_error

    def _expected_exit(self, p):
        """Also a run that ended on a finding (it wrote an artifact: crash, timeout,
        OOM); the worker was restarted."""
        return super()._expected_exit(p) or p.pid in self.finding_exits

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


def afl_custom_only(i, env):
    """AFL_CUSTOM_MUTATOR_ONLY for instance i: the main instance and every even
    secondary mutate with the record-level mutator alone (on the deep tier, AFL++
    alone found every bug faster so: docs/planted-bugs.md); the odd ones, which
    also use -p explore, keep AFL++'s byte-level havoc.  AFL_CUSTOM_MUTATOR_ONLY=0
    in the environment keeps havoc on everywhere."""
    if env.get("AFL_CUSTOM_MUTATOR_ONLY") == "0":
        return {k: v for k, v in env.items() if k != "AFL_CUSTOM_MUTATOR_ONLY"}
    return dict(env, AFL_CUSTOM_MUTATOR_ONLY="1") if i % 2 == 0 else env


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
        # Always the empty program too: afl-fuzz gives up ("We need at least one
        # valid input seed that does not crash!") when every seed crashes, and a
        # provider with a shallow bug crashes on most of them (buggy_double_free
        # on 10 of the 15).
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
            if fixed_seed() is not None:
                extra += ["-s", str(fixed_seed() + i)]
            argv = ["afl-fuzz", "-i", indir, "-o", self.sync] + role + extra + [
                "-V", str(self.budget_s), "-t", "1000", "-x", self.cfg["dict"],
                "--", self.cfg["afl_bin"]]
            self._spawn(argv, afl_custom_only(i, env),
                        os.path.join(self.workdir, "afl-%s.log" % name))
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
