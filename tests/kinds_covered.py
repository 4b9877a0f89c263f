#!/usr/bin/env python3
"""Every finding kind in the catalogue has a negative test.

A kind counts as covered when a C test checks it (SHMF_KIND_<NAME> in tests/**/*.c) or a regression input expects it
(`# expect: <name>` in corpus/regressions/*.ops).
Usage: kinds_covered.py SHMFUZZ SOURCE_DIR
"""
import glob, json, os, re, subprocess, sys

shmfuzz, src = sys.argv[1], sys.argv[2]
kinds = json.loads(subprocess.check_output([shmfuzz, "kinds", "--json"], text=True))
c_text = ""
for path in glob.glob(os.path.join(src, "tests", "**", "*.c"), recursive=True):
    with open(path) as f:
        c_text += f.read()
# Test sources name a kind only to check that it was (or was not) reported.
asserted = set(re.findall(r"SHMF_KIND_([A-Z_]+)", c_text))
expected = set()
for path in glob.glob(os.path.join(src, "corpus", "regressions", "*.ops")):
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*expect:\s*(\S+)", line)
            if m:
                expected.add(m.group(1))
missing = []
for k in kinds:
    enum = k["name"].upper().replace("-", "_")
    if enum not in asserted and k["name"] not in expected and not (
            k["name"] == "crash" and any(e.startswith("crash-") for e in expected)):
        missing.append(k["name"])
if missing:
    print("kinds without a negative test: " + ", ".join(missing))
    sys.exit(1)
print(f"all {len(kinds)} kinds have a negative test")
