#!/usr/bin/env python3
"""Replay one input against one provider and check the first finding's kind.

usage: expect_finding.py SHMFUZZ PROVIDER INPUT EXPECTED_KIND|none

Runs `SHMFUZZ replay --provider PROVIDER --json TMP INPUT` and checks that
  - the exit code is 1 when a finding is expected, 0 for `none`;
  - findings[0].kind in the JSON equals EXPECTED_KIND exactly (crash kinds are
    'crash-<asan type>' in the JSON), or that there is no finding for `none`.
On failure prints one line saying why (plus the replay output) and exits 1;
exits 2 on a usage or environment error.
"""
import json
import os
import subprocess
import sys
import tempfile

TIMEOUT = 50  # seconds; ctest's own timeout is 60


def fail(msg, out=""):
    print(f"FAIL: {msg}")
    if out:
        sys.stdout.write("--- replay output ---\n" + out)
        if not out.endswith("\n"):
            sys.stdout.write("\n")
    return 1


def main(argv):
    if len(argv) != 5:
        print("usage: expect_finding.py SHMFUZZ PROVIDER INPUT EXPECTED_KIND|none",
              file=sys.stderr)
        return 2
    shmfuzz, provider, path, expected = argv[1:]
    if not os.path.isfile(path):
        print(f"expect_finding.py: no such input: {path}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="shmf-expect-") as tmp:
        report = os.path.join(tmp, "run.json")
        cmd = [shmfuzz, "replay", "--provider", provider, "--json", report, path]
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=TIMEOUT)
        except subprocess.TimeoutExpired as e:
            out = e.stdout if isinstance(e.stdout, str) else ""
            return fail(f"{provider} on {path}: replay did not finish in {TIMEOUT}s", out)
        except OSError as e:
            print(f"expect_finding.py: cannot run {shmfuzz}: {e}", file=sys.stderr)
            return 2
        out = proc.stdout
        findings = None
        try:
            with open(report, encoding="utf-8") as f:
                findings = json.load(f).get("findings")
        except (OSError, ValueError) as e:
            findings_err = str(e)
        else:
            findings_err = None
        kind = None
        if findings:
            kind = findings[0].get("kind")

        where = f"{provider} on {os.path.basename(path)}"
        want_rc = 0 if expected == "none" else 1
        if proc.returncode != want_rc:
            got = f"first finding {kind}" if kind else "no finding in the JSON"
            return fail(f"{where}: exit code {proc.returncode}, expected {want_rc} "
                        f"(expected {expected}; {got})", out)
        if findings is None:
            return fail(f"{where}: no usable JSON report ({findings_err or 'no findings array'})",
                        out)
        if expected == "none":
            if findings:
                return fail(f"{where}: expected no finding, got {kind}", out)
        elif kind != expected:
            return fail(f"{where}: expected {expected}, got {kind or 'no finding'}", out)
    print(f"ok: {where}: {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
