#!/usr/bin/env python3
"""Replay an input that crashes a provider; check the finding names the op and function.

usage: check_crash_finding.py SHMFUZZ PROVIDER INPUT OP_INDEX SIGNATURE [RUNS]

Runs `SHMFUZZ replay --provider PROVIDER --json TMP INPUT` RUNS times (default 1)
and checks every time that the exit code is 1 and findings[0] has
  - op_index == OP_INDEX (the op that crashed, not -1 / teardown),
  - signature == SIGNATURE (kind|provider function),
  - a trace whose marked ('> ') line is that op.
Prints one line per failure reason and exits 1; 2 on usage/environment errors.
"""
import json
import os
import subprocess
import sys
import tempfile

TIMEOUT = 50


def run_once(shmfuzz, provider, path, tmp):
    report = os.path.join(tmp, "run.json")
    if os.path.exists(report):
        os.unlink(report)
    proc = subprocess.run([shmfuzz, "replay", "--provider", provider, "--json", report, path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=TIMEOUT)
    try:
        with open(report, encoding="utf-8") as f:
            findings = json.load(f).get("findings") or []
    except (OSError, ValueError) as e:
        return proc.returncode, None, proc.stdout + f"\n(no JSON: {e})"
    return proc.returncode, (findings[0] if findings else None), proc.stdout


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    shmfuzz, provider, path, want_op, want_sig = argv[1:6]
    runs = int(argv[6]) if len(argv) == 7 else 1
    want_op = int(want_op)
    seen = set()
    with tempfile.TemporaryDirectory(prefix="shmf-crash-") as tmp:
        for i in range(runs):
            rc, f, out = run_once(shmfuzz, provider, path, tmp)
            where = f"{os.path.basename(path)} run {i + 1}"
            if rc != 1 or f is None:
                print(f"FAIL: {where}: exit {rc}, finding {f and f.get('kind')}\n{out}")
                return 1
            errors = []
            if f.get("op_index") != want_op:
                errors.append(f"op_index {f.get('op_index')}, expected {want_op}")
            if f.get("signature") != want_sig:
                errors.append(f"signature {f.get('signature')!r}, expected {want_sig!r}")
            marked = [l for l in f.get("trace", "").splitlines() if l.startswith("> ")]
            ops = [l for l in f.get("trace", "").splitlines()[1:]]
            if len(marked) != 1 or want_op >= len(ops) or ops[want_op] != marked[0]:
                errors.append(f"trace marks {marked}, expected op {want_op}")
            if errors:
                print(f"FAIL: {where}: " + "; ".join(errors) + "\n" + out)
                return 1
            seen.add((f.get("signature"), f.get("op_index"), f.get("object")))
    if len(seen) != 1:
        print(f"FAIL: {runs} runs gave different findings: {sorted(seen)}")
        return 1
    print(f"ok: {os.path.basename(path)}: {want_sig} at op {want_op} ({runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
