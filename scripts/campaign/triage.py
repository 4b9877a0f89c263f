#!/usr/bin/env python3
"""Triage: replay the engines' crash and hang artifacts, deduplicate them by
finding signature, minimize one input per signature, measure reliability and
write findings/<sig-hash>/ (layout in docs/campaigns.md).

Also a command, for tests and for triaging files by hand:
    triage.py --shmfuzz BIN --provider P --run-dir DIR [--reliability R]
              [--engine NAME] [--no-minimize] FILE...
"""
import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

REPLAY_TIMEOUT_S = 10   # libFuzzer's -timeout in campaigns: past this it is a hang
MINIMIZE_TIMEOUT_S = 300


def sig_hash(sig):
    return hashlib.sha256(sig.encode()).hexdigest()[:16]


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sig_key(sig):
    """What must stay equal for a replay to count as the same finding: the
    signature, kind|function (it names no op, so it survives minimization)."""
    return sig


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Triage:
    def __init__(self, shmfuzz, provider, run_dir, t0, reliability=3, provider_source="",
                 root="", builds=None, provider_sources=None, replay_args=None):
        self.shmfuzz = shmfuzz
        self.provider = provider
        self.run_dir = run_dir
        self.t0 = t0
        self.reliability = reliability
        self.provider_source = provider_source
        self.provider_sources = list(provider_sources or [])  # every source, absolute
        # Differential mode: ["--against", P2, "--allow", RULES] for replay and minimize.
        self.replay_args = list(replay_args or [])
        self.root = root
        # What ran each input: {"replay"|engine: {"binary": path, "provider": path|None}}
        self.builds = builds or {}
        self.seen_hashes = set()
        self.by_sig = {}        # signature -> record
        self.slow = []          # hang artifacts that replayed clean in time
        self.errors = []
        os.makedirs(os.path.join(run_dir, "findings"), exist_ok=True)

    # === Replay ===

    def replay(self, path, json_out=None, timeout=REPLAY_TIMEOUT_S):
        """(status, finding) with status clean|finding|hang|error."""
        tmp = None
        if json_out is None:
            fd, tmp = tempfile.mkstemp(suffix=".json")
            os.close(fd)
            json_out = tmp
        argv = [self.shmfuzz, "replay", "-q", "--provider", self.provider] + self.replay_args + \
            ["--json", json_out, path]
        try:
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            if tmp:
                os.unlink(tmp)
            return "hang", None
        try:
            if p.returncode == 0:
                return "clean", None
            if p.returncode == 1:
                with open(json_out) as f:
                    fs = json.load(f).get("findings") or []
                return ("finding", fs[0]) if fs else ("error", None)
            msg = p.stderr.decode("utf-8", "replace").strip().splitlines()
            self.errors.append("replay %s: exit %d: %s" % (os.path.basename(path), p.returncode,
                                                          msg[-1] if msg else ""))
            return "error", None
        except (OSError, ValueError) as e:
            self.errors.append("replay %s: %s" % (path, e))
            return "error", None
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)

    # === Classification ===

    def classify(self, path, engine, art_kind):
        """Replay one artifact and file it under its signature. Idempotent per content."""
        try:
            digest = file_sha256(path)
            mtime = os.path.getmtime(path)
        except OSError:
            return
        if digest in self.seen_hashes:
            return
        self.seen_hashes.add(digest)
        status, finding = self.replay(path)
        if status == "error":
            return
        if status == "clean" and art_kind == "hang":
            self.slow.append(path)
            return
        if status == "clean" and os.path.getsize(path) == 0:
            # libFuzzer's fork mode writes an empty crash input for a child the
            # campaign's SIGINT killed.  A real crash of the empty program would
            # reproduce (replay is deterministic), so a clean one is not a finding.
            return
        if status == "finding":
            kind, sig = finding["kind"], finding["signature"]
        elif status == "hang":
            kind, sig, finding = "hang", "hang|timeout", None
        else:  # the engine saw a crash that the replay build does not reproduce
            kind = "crash-unreproduced"
            sig = "crash-unreproduced|%s:%s" % (engine, art_kind)
            finding = None
        rec = self.by_sig.setdefault(sig, {"signature": sig, "kind": kind, "inputs": [],
                                           "engines": {}, "first_seen": mtime,
                                           "finding": finding})
        rec["inputs"].append((os.path.getsize(path), mtime, path, digest))
        rec["engines"][engine] = rec["engines"].get(engine, 0) + 1
        rec["first_seen"] = min(rec["first_seen"], mtime)

    # === Per-finding directory ===

    def _run(self, argv, timeout):
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return -1

    def _rel(self, path):
        """A path relative to the repository root when inside it, else as given."""
        if self.root and os.path.isabs(path):
            root = os.path.realpath(self.root)
            for p in (path, os.path.realpath(path)):
                if p.startswith(root + os.sep):
                    return os.path.relpath(p, root)
        return path

    @staticmethod
    def _definition_line(path, function):
        """The line where `function` is defined in path (a regex on the source), or None."""
        if not _is_name(function) or not os.path.isfile(path):
            return None
        pat = re.compile(r"^[A-Za-z_].*\b%s\s*\(" % re.escape(function))
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                if pat.match(line) and not line.rstrip().endswith(";"):
                    return n
        return None

    def _source_location(self, finding):
        """meta.json `location`: the provider frame where the fault was seen
        (finding.json `frame`: file, line, function), with the function's own
        definition line beside it (`function_line`); without a frame, the
        failing function's definition in the provider's first source."""
        frame = (finding or {}).get("frame") or {}
        if frame.get("file"):
            path = frame["file"]
            if not os.path.isabs(path) and self.root:
                path = os.path.join(self.root, path)
            loc = {"file": self._rel(path)}
            fn = frame.get("function")
            fline = self._definition_line(path, fn)
            if _is_name(fn):
                loc["function"] = fn
            if fline:
                loc["function_line"] = fline
            line = frame.get("line") or fline
            if line:
                loc["line"] = line
            return loc
        src = self.provider_source
        if not src:
            return None
        fn = frame.get("function") if _is_name(frame.get("function")) else \
            (finding or {}).get("function")
        path, line = self._defining_source(src, fn)
        loc = {"file": self._rel(path) if path != src else src}
        if _is_name(fn):
            loc["function"] = fn
        if line:
            loc["line"] = loc["function_line"] = line
        return loc

    def _defining_source(self, src, fn):
        """(path, line) of fn's definition: in the provider's first source `src`,
        else in its other sources (a folder's or a CMake provider's); (src, None)
        when none defines it."""
        path = src if os.path.isabs(src) else os.path.join(self.root, src)
        line = self._definition_line(path, fn)
        if line or not _is_name(fn):
            return (src, line)
        for other in self.provider_sources:
            if os.path.realpath(other) != os.path.realpath(path):
                line = self._definition_line(other, fn)
                if line:
                    return (other, line)
        return (src, None)

    def _reliability(self, path, want):
        got = 0
        for _ in range(self.reliability):
            status, f = self.replay(path)
            if status == "finding" and sig_key(f["signature"]) == sig_key(want):
                got += 1
            elif status == "hang" and want.startswith("hang|"):
                got += 1
        return {"attempts": self.reliability, "reproduced": got,
                "reliable": got == self.reliability}

    def _synthetic_finding(self, rec, rep_path, sha):
        msg = ("the input ran past the %d s replay budget" % REPLAY_TIMEOUT_S
               if rec["kind"] == "hang" else
               "the %s engine recorded a crash that the replay build does not reproduce"
               % "/".join(sorted(rec["engines"])))
        return {"schema": "shmfuzz-finding/1", "kind": rec["kind"], "signature": rec["signature"],
                "message": msg, "function": "?", "rule": "", "op_index": -1,
                "input_sha256": sha, "provider": self.provider, "engine": "replay",
                "input": rep_path, "trace": "",
                "reproduce": "shmfuzz replay --provider %s %s" % (self.provider, rep_path)}

    def write_finding(self, rec, minimize=True):
        """Write findings/<hash>/ for one signature; return its meta dict."""
        d = os.path.join(self.run_dir, "findings", sig_hash(rec["signature"]))
        os.makedirs(d, exist_ok=True)
        size, mtime, src, sha = min(rec["inputs"])  # the smallest input represents it
        inp = os.path.join(d, "input.bin")
        shutil.copyfile(src, inp)
        with open(os.path.join(d, "input.ops"), "w") as f:
            subprocess.run([self.shmfuzz, "decode", inp], stdout=f, stderr=subprocess.DEVNULL)
        status, finding = self.replay(inp, os.path.join(d, "finding.json.tmp"))
        fj = os.path.join(d, "finding.json.tmp")
        if status != "finding" or sig_key(finding["signature"]) != sig_key(rec["signature"]):
            finding = rec["finding"] or self._synthetic_finding(rec, inp, sha)
        if os.path.exists(fj):
            os.unlink(fj)
        finding["engine"] = "/".join(sorted(rec["engines"]))
        finding["input"] = "input.bin"
        # Absolute paths: the command works when pasted anywhere (the provider
        # and the campaign usually live outside the checkout).
        finding["reproduce"] = "%s %s" % (
            shlex.quote(os.path.join(os.path.abspath(self.root or "."), "scripts", "repro.sh")),
            shlex.quote(os.path.abspath(d)))
        if self.replay_args:  # differential: both providers, side by side
            finding["reproduce"] = " ".join(shlex.quote(a) for a in [
                os.path.abspath(self.shmfuzz), "replay", "--trace", "--provider", self.provider] +
                self.replay_args + [os.path.abspath(inp)])
        _write_json(os.path.join(d, "finding.json"), finding)
        minimized = None
        mops = os.path.join(d, "minimized.ops")
        if minimize and not rec["kind"].startswith(("hang", "crash-unreproduced")):
            rc = self._run([self.shmfuzz, "minimize", "-p", self.provider] + self.replay_args +
                           ["-o", mops, inp],
                           MINIMIZE_TIMEOUT_S)
            minimized = "minimized.ops" if rc == 1 and os.path.exists(mops) else None
        if minimized is None:
            shutil.copyfile(os.path.join(d, "input.ops"), mops)
        check = mops if minimized else inp
        rel = self._reliability(check, rec["signature"]) if minimize else \
            dict(self._reliability_once(check, rec["signature"]))
        subprocess.run([self.shmfuzz, "repro-c", "-o", os.path.join(d, "repro.c"), mops],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        meta = {
            "schema": "shmfuzz-finding-meta/1",
            "signature": rec["signature"], "kind": rec["kind"],
            "message": finding.get("message", ""), "function": finding.get("function", "?"),
            "count": len(rec["inputs"]), "engines": rec["engines"],
            "first_seen": iso(rec["first_seen"]),
            "first_seen_s": round(max(0.0, rec["first_seen"] - self.t0), 1),
            "input": "input.bin", "input_sha256": sha, "input_bytes": size,
            "input_ops": _count_ops(os.path.join(d, "input.ops")),
            "minimized": minimized, "minimized_ops": _count_ops(mops) if minimized else None,
            "reliability": rel, "repro_c": "repro.c",
            "unreproduced": rec["kind"] == "crash-unreproduced",
            "build": self._builds(rec),
            "location": self._source_location(finding),
            "artifacts": [os.path.relpath(p, self.run_dir) for _, _, p, _ in
                          sorted(rec["inputs"], key=lambda x: x[1])[:20]],
        }
        _write_json(os.path.join(d, "meta.json"), meta)
        return meta

    def _builds(self, rec):
        """The builds that saw the input (its engines') and the one that replayed it."""
        b = {e: self.builds[e] for e in sorted(rec["engines"]) if e in self.builds}
        b["replay"] = self.builds.get("replay") or {"binary": self.shmfuzz, "provider": self.provider}
        return b

    def _reliability_once(self, path, want):
        saved, self.reliability = self.reliability, 1
        try:
            return self._reliability(path, want)
        finally:
            self.reliability = saved

    def finish(self, minimize=True):
        return [self.write_finding(rec, minimize) for rec in
                sorted(self.by_sig.values(), key=lambda r: r["first_seen"])]


def _is_name(function):
    """A C identifier: not '?', '<null>' or empty (what symbolizers say for no name)."""
    return bool(function) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", function) is not None


def _count_ops(path):
    try:
        with open(path) as f:
            return sum(1 for ln in f if ln.strip() and not ln.lstrip().startswith(("#", "shmfuzz-ops")))
    except OSError:
        return None


def _write_json(path, obj):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shmfuzz", required=True)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--engine", default="manual")
    ap.add_argument("--reliability", type=int, default=3)
    ap.add_argument("--provider-source", default="")
    ap.add_argument("--no-minimize", action="store_true")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    t = Triage(a.shmfuzz, a.provider, a.run_dir, time.time(), a.reliability,
               a.provider_source, os.getcwd())
    for f in a.files:
        t.classify(f, a.engine, "hang" if "timeout" in os.path.basename(f) else "crash")
    metas = t.finish(not a.no_minimize)
    for m in metas:
        print("%s  %s  x%d  reproduced %d/%d" % (sig_hash(m["signature"]), m["signature"],
              m["count"], m["reliability"]["reproduced"], m["reliability"]["attempts"]))
    for e in t.errors:
        print("error: " + e, file=sys.stderr)
    return 1 if metas else 0


if __name__ == "__main__":
    sys.exit(main())
