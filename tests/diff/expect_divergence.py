#!/usr/bin/env python3
"""Replay one differential regression input both ways and check the outcome.

usage: expect_divergence.py SHMFUZZ RULES INPUT

INPUT starts with
    # expect: <signature>|none      the first finding of `--against`
    # provider: <name>
    # against: <name>
and this checks that
  - `replay --provider P --against A --allow RULES --json` exits 1 with
    findings[0].signature equal to the expected one (or exits 0 for none), and a
    divergence carries finding.json's `differential` object: both providers,
    the property, both outcomes and both traces, the diverging op marked;
  - `replay --provider P` alone (and `--provider A` alone) finds nothing: the
    validation gaps are seen by differential mode and by nothing else.
Exit 0 pass, 1 fail (one line saying why, then the replay output), 2 usage.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TIMEOUT = 50


def header(path):
    keys = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*(expect|provider|against):\s*(\S+)", line)
            if m:
                keys.setdefault(m.group(1), m.group(2))
    return keys


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace", timeout=TIMEOUT)
    return p.returncode, p.stdout


def fail(msg, out=""):
    print("FAIL: " + msg)
    if out:
        sys.stdout.write("--- output ---\n" + out + ("" if out.endswith("\n") else "\n"))
    return 1


def check_differential(f, want_provider, want_against):
    d = f.get("differential")
    if not isinstance(d, dict):
        return "finding.json has no differential object"
    if d.get("provider") != want_provider or d.get("against") != want_against:
        return "differential names %s / %s" % (d.get("provider"), d.get("against"))
    if f.get("kind") != "divergence" or f.get("function") != d.get("place"):
        return "kind %s, function %s, place %s" % (f.get("kind"), f.get("function"),
                                                  d.get("place"))
    for side in ("provider", "against"):
        o = d.get("outcomes", {}).get(side, {})
        if not o.get("outcome") or not o.get("value"):
            return "no %s outcome" % side
        t = d.get("traces", {}).get(side, "")
        if not re.search(r"^>", t, re.M):
            return "the %s trace does not mark the diverging op" % side
    if "--against" not in f.get("reproduce", ""):
        return "reproduce command lacks --against: %s" % f.get("reproduce")
    return None


def main(argv):
    if len(argv) != 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    shmfuzz, rules, path = argv[1:]
    keys = header(path)
    if set(keys) != {"expect", "provider", "against"}:
        print("%s: needs # expect:, # provider: and # against: lines" % path, file=sys.stderr)
        return 2
    want, prov, against = keys["expect"], keys["provider"], keys["against"]
    with tempfile.TemporaryDirectory(prefix="shmf-diff-") as tmp:
        js = os.path.join(tmp, "run.json")
        rc, out = run([shmfuzz, "replay", "--provider", prov, "--against", against, "--allow",
                       rules, "--json", js, path])
        if rc not in (0, 1):
            return fail("differential replay exited %d" % rc, out)
        with open(js) as f:
            doc = json.load(f)
        found = doc.get("findings") or []
        if want == "none":
            if rc != 0 or found:
                return fail("expected no divergence, got %s" %
                            (found[0].get("signature") if found else "exit %d" % rc), out)
        else:
            if rc != 1 or not found:
                return fail("expected %s, got none" % want, out)
            if found[0].get("signature") != want:
                return fail("expected %s, got %s" % (want, found[0].get("signature")), out)
            why = check_differential(found[0], prov, against)
            if why:
                return fail(why, out)
        if not isinstance(doc.get("differential", {}).get("allowed", {}).get("by_rule"), list):
            return fail("run.json has no differential.allowed.by_rule counters", out)
    for p in sorted({prov, against}):
        rc, out = run([shmfuzz, "replay", "-q", "--provider", p, path])
        if rc != 0:
            return fail("single-provider replay of %s found something (exit %d)" % (p, rc), out)
    print("ok: %s: %s" % (os.path.basename(path), want))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
