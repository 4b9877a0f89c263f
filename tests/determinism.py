#!/usr/bin/env python3
"""Same input -> same finding and signature, 20 times out of 20 (replay JSON).
usage: determinism.py SHMFUZZ INPUT.ops WORKDIR [N]"""
import json, os, re, subprocess, sys

shmfuzz, inp, work = sys.argv[1], sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 20
os.makedirs(work, exist_ok=True)
provider = re.search(r"^#\s*provider:\s*(\S+)", open(inp).read(), re.M).group(1)
VOLATILE = {"duration_s", "exec_per_s", "execs_per_s", "seconds", "started", "finished",
            "time", "timestamp", "date", "build", "elapsed_s"}

def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x

# What must not change: the finding and its signature, place and trace.  The
# message may name host addresses (e.g. a provider call site under ASLR).
KEEP = ("kind", "signature", "op_index", "function", "rule", "trace", "input_sha256", "cpu")

def finding_key(doc):
    return [{k: f.get(k) for k in KEEP} for f in doc.get("findings", [])]

first = None
for i in range(n):
    out = os.path.join(work, f"replay-{i}.json")
    rc = subprocess.run([shmfuzz, "replay", "--provider", provider, "--json", out, inp],
                        capture_output=True).returncode
    raw = json.load(open(out))
    if rc != 1 or not raw.get("findings"):
        sys.exit(f"determinism: run {i}: exit {rc}, findings {raw.get('findings')!r}")
    doc = finding_key(raw)
    if first is None:
        first = doc
    elif doc != first:
        sys.exit(f"determinism: run {i} differs from run 0:\n{json.dumps(doc, sort_keys=True)}\n"
                 f"{json.dumps(first, sort_keys=True)}")
print(f"determinism: {n}/{n} identical replay JSON (finding and signature) for {inp}")
