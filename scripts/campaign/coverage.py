#!/usr/bin/env python3
"""Source coverage of a provider over a corpus, with llvm-cov (behind scripts/coverage.sh).

usage: coverage.py --runner BIN [--object SO] [--env SHMFUZZ_PROVIDER=SO]
                   [--source FILE]... --out DIR --provider NAME --root ROOT INPUT_DIR...

Runs every file of the input dirs through the coverage runner (a plain runner of the
coverage preset, argv = input files) with LLVM_PROFILE_FILE, merges the profiles
(llvm-profdata-14), and writes into DIR (which must be new or empty):
    html/index.html   llvm-cov-14 show -format=html -show-branches=count
    report.txt        llvm-cov-14 report (per file: regions, functions, lines, branches)
    summary.json      shmfuzz-coverage/1: totals and per-file line, branch, function and
                      region coverage of the --source files (everything in the binaries
                      outside ndis/ and harness/ when no --source is given)
Inputs that end in a finding abort the runner before it writes its profile, so they
add no coverage (they are counted in summary.json `aborted_inputs`).
Exit: 0 written; 2 could not (one line on stderr).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

BATCH = 64
TOOLS = ("llvm-profdata-14", "llvm-cov-14")
KEYS = ("lines", "branches", "functions", "regions")


def die(msg):
    print("coverage: " + msg, file=sys.stderr)
    sys.exit(2)


def input_files(dirs):
    out = []
    for d in dirs:
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if not n.startswith(".") and os.path.isfile(p):
                out.append(p)
    return out


def run_inputs(runner, env, files, log):
    """Run the files in batches; a batch that aborts (a finding) is rerun one by one
    so the other inputs keep their profiles. Returns how many inputs aborted."""
    aborted = 0
    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        if subprocess.run([runner] + batch, env=env, stdout=log, stderr=log,
                          stdin=subprocess.DEVNULL).returncode == 0:
            continue
        for p in batch:
            rc = subprocess.run([runner, p], env=env, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL).returncode
            aborted += rc != 0
    return aborted


def llvm_cov_args(args):
    objs = [args.runner] + [a for o in args.object for a in ("-object", o)]
    if args.source:
        return objs, list(args.source)
    ignore = r"^%s/(ndis|harness)/|/providers/reference/ring_driver\.c$" % re.escape(args.root)
    return objs + ["-ignore-filename-regex=" + ignore], []


def pct(v):
    return {"covered": v.get("covered", 0), "count": v.get("count", 0),
            "percent": round(v.get("percent", 0.0), 2)}


def summarize(export, args, n_inputs, aborted):
    data = export["data"][0]
    rel = lambda f: os.path.relpath(f, args.root) if f.startswith(args.root + "/") else f
    files = [dict({"file": rel(f["filename"])},
                  **{k: pct(f["summary"][k]) for k in KEYS if k in f["summary"]})
             for f in data.get("files", [])]
    s = {"schema": "shmfuzz-coverage/1", "provider": args.provider,
         "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
         "corpus": [os.path.abspath(d) for d in args.inputs], "inputs": n_inputs,
         "aborted_inputs": aborted, "html": "html/index.html", "report": "report.txt",
         "files": sorted(files, key=lambda f: f["file"])}
    s.update({k: pct(data["totals"][k]) for k in KEYS if k in data["totals"]})
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runner", required=True)
    ap.add_argument("--object", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--source", action="append", default=[])
    ap.add_argument("--out", required=True)
    ap.add_argument("--provider", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    for t in TOOLS:
        if not shutil.which(t):
            die("%s not found (Debian package llvm; run scripts/setup-deps.sh)" % t)
    files = input_files(args.inputs)
    if not files:
        die("no inputs in %s" % " ".join(args.inputs))
    raw = os.path.join(args.out, "raw")
    os.makedirs(raw, exist_ok=True)
    env = dict(os.environ, LLVM_PROFILE_FILE=os.path.join(raw, "%p-%m.profraw"))
    env.update(kv.split("=", 1) for kv in args.env)
    logp = os.path.join(args.out, "coverage.log")
    with open(logp, "ab") as log:
        aborted = run_inputs(args.runner, env, files, log)
        profraws = [os.path.join(raw, n) for n in os.listdir(raw)]
        if not profraws:
            die("no profile was written: every input aborted, or %s is not a coverage "
                "build (see %s)" % (args.runner, logp))
        prof = os.path.join(args.out, "merged.profdata")
        if subprocess.run(["llvm-profdata-14", "merge", "-sparse", "-o", prof] + profraws,
                          stdout=log, stderr=log).returncode:
            die("llvm-profdata-14 merge failed (see %s)" % logp)
        objs, srcs = llvm_cov_args(args)
        base = ["-instr-profile", prof] + objs
        ex = subprocess.run(["llvm-cov-14", "export", "-summary-only"] + base + srcs,
                            stdout=subprocess.PIPE, stderr=log)
        try:
            summary = summarize(json.loads(ex.stdout), args, len(files), aborted)
        except (ValueError, KeyError, IndexError):
            die("llvm-cov-14 export failed: is every --object built with -fprofile-instr-"
                "generate -fcoverage-mapping? (see %s)" % logp)
        if not summary["files"]:
            die("none of the provider's sources is in the coverage mapping (see %s)" % logp)
        with open(os.path.join(args.out, "report.txt"), "w") as rf:
            subprocess.run(["llvm-cov-14", "report", "-show-branch-summary"] + base + srcs,
                           stdout=rf, stderr=log)
        if subprocess.run(["llvm-cov-14", "show", "-format=html", "-show-branches=count",
                           "-show-line-counts-or-regions", "-output-dir",
                           os.path.join(args.out, "html")] + base + srcs,
                          stdout=log, stderr=log).returncode:
            die("llvm-cov-14 show failed (see %s)" % logp)
    shutil.rmtree(raw, ignore_errors=True)
    os.unlink(prof)
    tmp = os.path.join(args.out, "summary.json.tmp")
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(args.out, "summary.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
