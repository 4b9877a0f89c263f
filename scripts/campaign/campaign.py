#!/usr/bin/env python3
"""The campaign orchestrator behind scripts/campaign.sh (which builds everything and
hands over a JSON config): runs the engines, shows progress, triages findings,
merges the corpus, writes runs/ and findings/, and calls `shmfuzz report`.

Status (meta.json `status`, `error`; docs/campaigns.md "Statuses"):
    ok           every engine ran and executed inputs
    partial      an engine failed (could not start, exited non-zero, was killed,
                 executed nothing) while another ran
    failed       no engine ran (or the prune merge failed)
    interrupted  SIGINT/SIGTERM

Exit: 0 ok and nothing new; 1 new findings (ok, or interrupted); 2 failed or
partial (even with findings: the report is written first), interrupted with
nothing new, or could not run at all (one-line reason). Crashes no replay
reproduces count toward exit 1 only with --strict.
"""
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep scripts/campaign/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus as corpus_mod  # noqa: E402
from engines import Afl, LibFuzzer  # noqa: E402
from triage import Triage, iso, sig_hash  # noqa: E402

PROGRESS_EVERY_S = 5
STOP_GRACE_S = 20      # -V / -max_total_time overshoot we tolerate before SIGINT
TRIAGE_NICE = 10       # live triage's replays yield the CPU to the engines (batch mode)
TICK_S = 0.25          # how often the engines are polled (reaped, restarted)


def die(msg):
    print("campaign: " + msg, file=sys.stderr)
    sys.exit(2)


def log(msg):
    print("campaign: " + msg, file=sys.stderr, flush=True)


class Stop:
    """SIGINT/SIGTERM: stop the engines, keep everything, report 'interrupted'.
    A second signal also skips minimization."""

    def __init__(self):
        self.count = 0
        self.name = ""
        self.at = None          # when the first signal came
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum, frame):
        self.count += 1
        self.name = self.name or signal.Signals(signum).name
        self.at = self.at or time.time()

    def __bool__(self):
        return self.count > 0


# === Configuration ===

def resolve(cfg):
    root, trees = cfg["root"], cfg["trees"]
    kind, prov, so_dir = cfg["provider_kind"], cfg["provider"], cfg["so_dir"]
    named = kind == "name"
    cfg["shmfuzz"] = os.path.join(trees["dev"], "harness", "shmfuzz")
    cfg["lf_bin"] = os.path.join(trees["libfuzzer"], *(("fuzz", "fuzz_" + prov) if named
                                                      else ("harness", "fuzz_generic")))
    cfg["afl_bin"] = os.path.join(trees["afl"], *(("fuzz", "afl_" + prov) if named
                                                 else ("harness", "afl_generic")))
    # Its CMPLOG twin (afl-fuzz -c) when the afl tree has one (afl-clang-fast builds).
    cmplog = cfg["afl_bin"] + "_cmplog"
    cfg["afl_cmplog"] = cmplog if os.access(cmplog, os.X_OK) else ""
    cfg["afl_mutator"] = cfg.get("afl_mutator") or \
        os.path.join(trees["afl"], "campaign", "libshmf_afl_mutator.so")
    cfg["dict"] = os.path.join(root, "corpus", "shmfuzz.dict")
    cfg["seeds"] = os.path.join(trees["dev"], "corpus", "seeds")
    pick = {"name": lambda e: None, "so": lambda e: prov,
            "c": lambda e: os.path.join(so_dir, e + ".so")}
    pick["dir"] = pick["c"]
    cfg["replay_provider"] = prov if kind in ("name", "so") else pick[kind]("replay")
    cfg["env"] = {e: pick[kind](e) for e in ("libfuzzer", "afl")}
    if cfg.get("against"):
        resolve_against(cfg)
    label = cfg["provider_label"]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    cfg["run_dir"] = os.path.join(cfg["out"], "campaigns", "%s-%s-%s" % (label, cfg["mode"], stamp))
    cfg["known_file"] = os.path.join(cfg["out"], "known-signatures-%s.txt" % label)
    return cfg


def resolve_against(cfg):
    """Differential mode (docs/differential.md): the generic targets load both
    providers, each from the engine's own tree when it is a name."""
    trees, prov, against = cfg["trees"], cfg["provider"], cfg["against"]
    cfg["lf_bin"] = os.path.join(trees["libfuzzer"], "harness", "fuzz_generic")
    cfg["afl_bin"] = os.path.join(trees["afl"], "harness", "afl_generic")
    cmplog = cfg["afl_bin"] + "_cmplog"
    cfg["afl_cmplog"] = cmplog if os.access(cmplog, os.X_OK) else ""
    so = lambda tree, p: p if "/" in p or p.endswith(".so") else \
        os.path.join(trees[tree], "providers", "libshmfprov_%s.so" % p)
    for e in ("libfuzzer", "afl"):
        if cfg["provider_kind"] == "name":
            cfg["env"][e] = so(e, prov)
    cfg["against_env"] = {e: so(e, against) for e in ("libfuzzer", "afl")}
    cfg["replay_args"] = ["--against", against, "--allow", cfg["allow"]]


def engine_env(cfg, engine):
    env = dict(os.environ)
    for k in ("SHMFUZZ_PROVIDER", "SHMFUZZ_AGAINST", "SHMFUZZ_ALLOW", "SHMFUZZ_DIFF_STATS"):
        env.pop(k, None)
    if cfg["env"].get(engine):
        env["SHMFUZZ_PROVIDER"] = cfg["env"][engine]
    if cfg.get("against"):
        stats = os.path.join(cfg["run_dir"], "work", "diff-stats", engine)
        os.makedirs(stats, exist_ok=True)
        env.update(SHMFUZZ_AGAINST=cfg["against_env"][engine], SHMFUZZ_ALLOW=cfg["allow"],
                   SHMFUZZ_DIFF_STATS=stats)
    return env


def diff_stats(cfg, engine):
    """The engine's differential counters (diff-<pid>.json of each of its
    processes, summed): runs/<engine>.json stats.differential, campaign.json."""
    d = os.path.join(cfg["run_dir"], "work", "diff-stats", engine)
    total = {"against": cfg["against"], "allow": cfg["allow"], "processes": 0}
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        try:
            with open(os.path.join(d, name)) as f:
                s = json.load(f)
        except (OSError, ValueError):
            continue
        total["processes"] += 1
        for k in ("runs", "ops_compared", "divergences", "desyncs", "interleaved_skipped"):
            total[k] = total.get(k, 0) + s.get(k, 0)
        a = total.setdefault("allowed", {"total": 0, "by_property": {}, "by_rule": {}})
        a["total"] += s.get("allowed", {}).get("total", 0)
        for p, n in s.get("allowed", {}).get("by_property", {}).items():
            a["by_property"][p] = a["by_property"].get(p, 0) + n
        for r in s.get("allowed", {}).get("by_rule", []):
            key = "%s %s" % (r["where"], r["rule"])
            a["by_rule"][key] = a["by_rule"].get(key, 0) + r["count"]
    return total


def builds(cfg):
    """The binaries (and provider .so) each engine and the replay ran: a finding's
    meta.json `build` names the ones that saw it."""
    return {"replay": {"binary": cfg["shmfuzz"], "provider": cfg["replay_provider"] or cfg["provider"]},
            "libfuzzer": {"binary": cfg["lf_bin"], "provider": cfg["env"].get("libfuzzer")},
            "afl": {"binary": cfg["afl_bin"], "provider": cfg["env"].get("afl")}}


def check_binaries(cfg, engines):
    need = [cfg["shmfuzz"]]
    need += [cfg["lf_bin"]] if "libfuzzer" in engines else []
    need += [cfg["afl_bin"], cfg["afl_mutator"]] if "afl" in engines else []
    for p in need:
        if not os.access(p, os.X_OK) and not p.endswith(".so"):
            die("missing %s (build failed, or run without --no-build)" % p)


def split_jobs(cfg):
    """Engines and their share of --jobs (on 2 cores with both engines: 1 each)."""
    jobs = max(1, int(cfg["jobs"]))
    if cfg["engine"] == "both":
        lf = max(1, jobs // 2)
        return {"libfuzzer": lf, "afl": max(1, jobs - lf)}
    return {cfg["engine"]: jobs}


def load_known(path):
    try:
        with open(path) as f:
            return {ln.split("\t")[0].strip() for ln in f if ln.strip()}
    except OSError:
        return set()


# === Progress ===

def human(n):
    n = float(n or 0)
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return "%.1f%s" % (n / div, unit)
    return "%d" % n


def clock(s):
    s = int(s)
    return "%d:%02d:%02d" % (s // 3600, s % 3600 // 60, s % 60) if s >= 3600 else \
        "%d:%02d" % (s // 60, s % 60)


def progress_line(elapsed, budget, engines, unique, t0):
    """Per engine: executions, and their rate over the engine's wall time so far
    (as the summary line's, from executions and time, never an engine's own)."""
    parts = ["%s/%s" % (clock(elapsed), clock(budget))]
    for e in engines:
        s = e.last() or {}
        parts.append("%s %s execs %s/s corpus %s%s" % (
            e.name, human(s.get("execs")), human(e.rate_so_far(t0)), s.get("corpus_size", "-"),
            "" if e.running() else (" (failed)" if e.status == "failed" else " (done)")))
    parts.append("unique findings %d" % len(unique))
    return "  ".join(parts)


# === Phases ===

def fuzz(cfg, stop, triage, known):
    jobs = split_jobs(cfg)
    work = os.path.join(cfg["run_dir"], "work")
    classes = {"libfuzzer": LibFuzzer, "afl": Afl}
    engines = [classes[n](cfg, os.path.join(work, n), cfg["budget_s"], j) for n, j in jobs.items()]
    inputs = [cfg["corpus"], cfg["seeds"]]
    t0 = triage.t0
    for e in engines:
        try:
            e.start(inputs, engine_env(cfg, e.name))
        except OSError as ex:
            e.status, e.error = "failed", "cannot start: %s" % ex
    log("fuzzing %s for %ds (%s) -> %s" % (cfg["provider"], cfg["budget_s"],
        ", ".join("%s x%d" % kv for kv in jobs.items()), cfg["run_dir"]))
    # Code-change mode waits on triage to stop at the first new finding: not niced.
    live = LiveTriage(triage, TRIAGE_NICE if cfg["mode"] == "batch" else 0)
    last_print, last_triage = 0.0, 0.0
    while True:
        # A short tick, cut short when an engine process exits: a libFuzzer worker
        # stopped by a finding restarts at once (a shallow bug stops it several
        # times a second).
        wait_tick(engines, TICK_S)
        now = time.time()
        for e in engines:
            e.tick(now)
        for e in engines:
            if e.procs and (not e.samples or now - t0 - e.samples[-1]["t"] >= PROGRESS_EVERY_S):
                e.sample(t0)
        if now - last_triage >= 1:
            last_triage = now
            live.submit(engines)
        if cfg["tty"] and now - last_print >= PROGRESS_EVERY_S:
            last_print = now
            print("campaign: " + progress_line(now - t0, cfg["budget_s"], engines, live.unique(),
                                               t0),
                  file=sys.stderr, flush=True)
        new = live.unique() - known
        if stop or not any(e.running() for e in engines) or \
                now - t0 > cfg["budget_s"] + STOP_GRACE_S or \
                (cfg["mode"] == "code-change" and new):
            break
    for e in engines:
        e.stop()
    live.finish()   # the replay under way; what is left is triaged after the engines stop
    for e in engines:
        e.wait(10)
        e.sample(t0)
        e.finish_status((stop.name or "a signal") if stop else "")
    return engines


def wait_tick(engines, timeout):
    fds = [fd for e in engines for fd in e.pidfds()]
    if not fds:
        time.sleep(timeout)
        return
    try:
        select.select(fds, [], [], timeout)
    except (OSError, ValueError, InterruptedError):
        time.sleep(timeout)


class LiveTriage:
    """Replays the engines' new artifacts while they fuzz, in a thread of its own:
    a replay takes 0.1-2 s, and the supervisor's loop must keep reaping and
    restarting engine processes meanwhile. The thread lowers its own priority
    (Linux applies nice to the calling thread, and its replays inherit it), so on
    a machine whose cores the engines fill, triage takes what they leave."""

    def __init__(self, triage, nice):
        self.triage = triage
        self.nice = nice
        self.todo = queue.Queue()
        self.queued = set()
        self.quit = False
        self.thread = threading.Thread(target=self._run, name="live-triage", daemon=True)
        self.thread.start()

    def submit(self, engines):
        for e in engines:
            for path, art in e.artifact_files():
                if path not in self.queued:
                    self.queued.add(path)
                    self.todo.put((path, e.name, art))

    def _run(self):
        if self.nice:
            try:
                os.nice(self.nice)
            except OSError:
                pass
        while not self.quit:
            try:
                item = self.todo.get(timeout=0.5)
            except queue.Empty:
                continue
            if item is None:
                break
            self.triage.classify(*item)

    def unique(self):
        """The signatures so far. No lock (a replay takes up to 10 s, and the loop
        must not wait for it): copying the dict is one step under the GIL; should
        it change size meanwhile anyway, copy again."""
        while True:
            try:
                return set(self.triage.by_sig)
            except RuntimeError:
                continue

    def finish(self):
        """Stop after the replay under way (live_triage replays the rest)."""
        self.quit = True
        self.todo.put(None)
        self.thread.join()


def live_triage(engines, triage, done):
    for e in engines:
        for path, art in e.artifact_files():
            if path not in done:
                done.add(path)
                triage.classify(path, e.name, art)


def keep_corpus(cfg, engines, stop):
    """Merge and prune into the persistent corpus; on interrupt, only copy."""
    persistent = cfg["corpus"]
    queues = [q for e in engines for q in e.queue_dirs()]
    log_path = os.path.join(cfg["run_dir"], "work", "corpus.log")
    before = corpus_mod.count(persistent)
    if stop:
        new = corpus_mod.copy_hashed(queues, persistent)
        return {"dir": persistent, "before": before, "after": before + new, "method": "copy"}
    afl = [e for e in engines if e.name == "afl"]
    if afl and os.access(cfg["afl_bin"], os.X_OK):
        cmin = os.path.join(cfg["run_dir"], "work", "afl", "cmin")
        if corpus_mod.afl_cmin(cfg["afl_bin"], engine_env(cfg, "afl"), afl[0].queue_dirs(),
                               cmin, log_path):
            queues = [q for q in queues if q not in afl[0].queue_dirs()] + [cmin]
    if os.access(cfg["lf_bin"], os.X_OK):
        r = corpus_mod.lf_merge(cfg["lf_bin"], engine_env(cfg, "libfuzzer"), persistent,
                                queues + [cfg["seeds"]], log_path)
        if r:
            return {"dir": persistent, "before": r[0], "after": r[1], "method": "libfuzzer-merge"}
    new = corpus_mod.copy_hashed(queues, persistent)
    return {"dir": persistent, "before": before, "after": before + new, "method": "copy"}


def run_coverage(cfg):
    """scripts/coverage.sh over the persistent corpus and the seeds; its totals go
    into campaign.json `source_coverage`."""
    out = os.path.join(cfg["out"], "coverage", cfg["provider_label"])
    argv = [os.path.join(cfg["root"], "scripts", "coverage.sh"), "--provider", cfg["provider"],
            "--corpus", cfg["corpus"], "--out", out] + (["--no-build"] if cfg["no_build"] else [])
    log("coverage of %s over %s + seeds -> %s" % (cfg["provider"], cfg["corpus"], out))
    if subprocess.run(argv, stdout=subprocess.DEVNULL).returncode != 0:
        die("could not measure coverage (scripts/coverage.sh said why above)")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    summary = {k: s[k] for k in ("lines", "branches", "functions", "regions") if k in s}
    summary.update(inputs=s.get("inputs"), files=[f["file"] for f in s.get("files", [])],
                   html=os.path.join(out, "html", "index.html"),
                   summary=os.path.join(out, "summary.json"))
    return summary


# === Results ===

def write_json(path, obj):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def mark_new(cfg, metas, known):
    new = []
    for m in metas:
        m["new"] = m["signature"] not in known
        write_json(os.path.join(cfg["run_dir"], "findings",
                                sig_hash(m["signature"]), "meta.json"), m)
        if m["new"]:
            new.append(m)
    if new:
        with open(cfg["known_file"], "a") as f:
            for m in new:
                f.write("%s\t%s\t%s\n" % (m["signature"], m["first_seen"],
                                          os.path.basename(cfg["run_dir"])))
    return new


def write_meta(cfg, t0, status, engines, corpus_info, coverage, triage, error=""):
    meta = {
        "schema": "shmfuzz-campaign-meta/1",
        "provider": cfg["provider"], "provider_label": cfg["provider_label"],
        "provider_source": cfg["provider_source"] or None,
        "mode": cfg["mode"], "status": status, "error": error or None,
        "started": iso(t0), "ended": iso(time.time()),
        "duration_s": round(time.time() - t0, 1), "budget_s": cfg["budget_s"],
        "jobs": cfg["jobs"], "engines": [e.name for e in engines],
        "corpus": corpus_info, "coverage": coverage,
        "slow_inputs": len(triage.slow) if triage else 0,
        "triage_errors": triage.errors[:50] if triage else [],
        "known_signatures": os.path.basename(cfg["known_file"]),
        "strict": bool(cfg.get("strict")),
    }
    write_json(os.path.join(cfg["run_dir"], "meta.json"), meta)


def report(cfg):
    p = subprocess.run([cfg["shmfuzz"], "report", "--out", cfg["run_dir"], cfg["run_dir"]],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        die("report failed: %s" % p.stderr.decode("utf-8", "replace").strip())
    latest = os.path.join(cfg["out"], "latest")
    tmp = latest + ".tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.relpath(cfg["run_dir"], cfg["out"]), tmp)
    os.replace(tmp, latest)


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    os.unlink(sys.argv[1])
    cfg = resolve(cfg)
    stop = Stop()
    mode = cfg["mode"]
    engines_wanted = list(split_jobs(cfg)) if mode in ("batch", "code-change") else \
        (["libfuzzer"] if mode == "prune" else [])
    check_binaries(cfg, engines_wanted)
    # Nothing is created under the out dir until we know the campaign can run.
    t0 = time.time()
    coverage = run_coverage(cfg) if mode == "coverage" else None
    os.makedirs(os.path.join(cfg["run_dir"], "runs"), exist_ok=True)
    os.makedirs(cfg["corpus"], exist_ok=True)
    known = load_known(cfg["known_file"])
    triage = Triage(cfg["shmfuzz"], cfg["replay_provider"] or cfg["provider"], cfg["run_dir"],
                    t0, cfg["reliability"], cfg["provider_source"], cfg["root"], builds(cfg),
                    provider_sources=cfg.get("provider_sources"),
                    replay_args=cfg.get("replay_args"))
    engines, corpus_info, metas, error = [], None, [], ""
    if mode in ("batch", "code-change"):
        engines = fuzz(cfg, stop, triage, known)
        if stop:
            log("interrupted: collecting findings and keeping the corpus")
        live_triage(engines, triage, set())  # Triage skips known contents
        metas = triage.finish(minimize=stop.count < 2 and not stop)
        corpus_info = keep_corpus(cfg, engines, stop)
        for e in engines:
            rj = e.run_json(t0)
            if cfg.get("against"):
                rj.setdefault("stats", {})["differential"] = diff_stats(cfg, e.name)
            write_json(os.path.join(cfg["run_dir"], "runs", e.name + ".json"), rj)
        error = "; ".join("%s: %s" % (e.name, e.error) for e in engines if e.status == "failed")
    elif mode == "prune":
        r = corpus_mod.lf_merge(cfg["lf_bin"], engine_env(cfg, "libfuzzer"), cfg["corpus"], [],
                                os.path.join(cfg["run_dir"], "prune.log"))
        if r is None:
            error = "libFuzzer -merge failed (see %s/prune.log)" % cfg["run_dir"]
        corpus_info = {"dir": cfg["corpus"], "before": r[0] if r else None,
                       "after": r[1] if r else None, "method": "libfuzzer-merge"}
    status = campaign_status(engines, error, stop)
    if status == "interrupted":
        error = "stopped by %s after %d s of the %d s budget%s" % (
            stop.name or "a signal", (stop.at or time.time()) - t0, cfg["budget_s"],
            "; " + error if error else "")
    new = mark_new(cfg, metas, known)
    counted = [m for m in new if cfg.get("strict") or not m.get("unreproduced")]
    write_meta(cfg, t0, status, engines, corpus_info, coverage, triage, error)
    report(cfg)
    summarize(cfg, engines, metas, new, corpus_info, coverage, status, error)
    if status in ("failed", "partial"):
        return 2
    if counted:
        return 1
    return 2 if status == "interrupted" else 0


def campaign_status(engines, error, stop):
    """interrupted (a signal), failed (nothing ran: every engine failed, or the
    prune merge), partial (an engine failed, another ran), else ok."""
    if stop:
        return "interrupted"
    if engines:
        ran = [e for e in engines if e.status == "ok"]
        if len(ran) == len(engines):
            return "ok"
        return "partial" if ran else "failed"
    return "failed" if error else "ok"


def summarize(cfg, engines, metas, new, corpus_info, coverage, status, error):
    for e in engines:
        s = e.last() or {}
        cpu = e.cpu_s()
        log("%s: %s%s, %s execs, %s/s, %s CPU s%s, corpus %s" % (
            e.name, e.status, " (%s)" % e.error if e.error else "", human(e.execs()),
            human(e.rate()), "%.1f" % cpu,
            " (%s per CPU s)" % human(e.per_cpu(e.execs(), cpu)) if cpu > 0 else "",
            s.get("corpus_size", "-")))
    found = [m for m in metas if not m.get("unreproduced")]
    unrep = [m for m in metas if m.get("unreproduced")]
    for m in found:
        r = m["reliability"]
        log("%s %s x%d reproduced %d/%d%s" % ("NEW" if m.get("new") else "known", m["signature"],
            m["count"], r["reproduced"], r["attempts"], "" if r["reliable"] else " (unreliable)"))
    for m in unrep:
        r = m["reliability"]
        log("unreproduced: %s x%d (%s), reproduced %d/%d, input %s%s" % (
            m["signature"], m["count"], ", ".join("%s x%d" % kv for kv in sorted(m["engines"].items())),
            r["reproduced"], r["attempts"],
            os.path.join(cfg["run_dir"], "findings", sig_hash(m["signature"]), m["input"]),
            "" if cfg.get("strict") else "; not counted in the exit code (--strict counts it)"))
    if corpus_info:
        log("corpus %s: %s -> %s (%s)" % (corpus_info["dir"], corpus_info["before"],
            corpus_info["after"], corpus_info["method"]))
    if coverage:
        log("coverage: lines %s%%, branches %s%% -> %s" % (
            coverage.get("lines", {}).get("percent"), coverage.get("branches", {}).get("percent"),
            coverage["html"]))
    new_found = [m for m in new if not m.get("unreproduced")]
    log("%s%s: %d unique findings, %d new%s; report %s" % (
        status, " (%s)" % error if error else "", len(found), len(new_found),
        ", %d unreproduced crash%s" % (len(unrep), "" if len(unrep) == 1 else "es") if unrep else "",
        os.path.join(cfg["run_dir"], "campaign.html")))


if __name__ == "__main__":
    sys.exit(main())
