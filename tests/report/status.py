#!/usr/bin/env python3
"""A broken run never reads as a clean one: `shmfuzz report` and `report-diff` on
synthetic run directories of every status (docs/campaigns.md, "Statuses").

usage: status.py SHMFUZZ ROOT WORKDIR

Checks, per status (ok, partial, failed, interrupted, and an "ok" run that
executed nothing):
  campaign.json  status and error as the run directories say (0 execs -> failed);
                 unreproduced crashes apart from findings, counted in totals
  campaign.sarif invocations[0].executionSuccessful true only for ok; a
                 toolExecutionNotification carrying the reason otherwise; an
                 absolute location as a file:/// URI with the faulting line;
                 unreproduced crashes as warnings, never as results
  campaign.html  the failure and its reason before the findings, and never
                 "No findings." for a run that did not run
  report-diff    refuses a failed or partial side (exit 2, one line naming it)
"""
import json
import os
import shutil
import subprocess
import sys

SHMFUZZ, ROOT, WORK = sys.argv[1:4]
CHECK = os.path.join(ROOT, "scripts", "campaign", "schema_check.py")
SRC = "/home/dev/mine/provider.c"   # a user's provider, outside any checkout


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f)


def run_json(engine, status, execs, error=None):
    return {"schema": "shmfuzz-run/1", "engine": engine, "provider": SRC, "status": status,
            "instances": 1, "duration_s": 30, "execs": execs, "exec_per_s": execs / 30.0,
            "corpus_size": 3, "coverage": {"edges": 10, "unit": "libfuzzer-cov"},
            "crashes": 0, "hangs": 0, "error": error, "samples": []}


def finding_meta(sig, line, unreproduced=False):
    return {"schema": "shmfuzz-finding-meta/1", "signature": sig, "kind": sig.split("|")[0],
            "message": "read past the parameters block", "function": "MyValidate", "count": 3,
            "first_seen": "2026-01-01T00:00:05Z", "first_seen_s": 5, "minimized": None,
            "reliability": {"attempts": 3, "reproduced": 0 if unreproduced else 3,
                            "reliable": not unreproduced},
            "location": None if unreproduced else {"file": SRC, "line": line,
                                                   "function": "MyValidate", "function_line": 40},
            "new": True, "unreproduced": unreproduced}


def make_run(name, status, runs, error=None, findings=True):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    write(os.path.join(d, "meta.json"), {
        "schema": "shmfuzz-campaign-meta/1", "provider": SRC, "provider_source": SRC,
        "mode": "batch", "status": status, "error": error, "started": "2026-01-01T00:00:00Z",
        "ended": "2026-01-01T00:00:30Z", "duration_s": 30, "budget_s": 30, "jobs": 2})
    for r in runs:
        write(os.path.join(d, "runs", r["engine"] + ".json"), r)
    if findings:
        write(os.path.join(d, "findings", "aaaa", "meta.json"),
              finding_meta("params-out-of-bounds|MyValidate", 63))
        write(os.path.join(d, "findings", "bbbb", "meta.json"),
              finding_meta("crash-unreproduced|afl:crash", 0, unreproduced=True))
    return d


def report(run_dir):
    out = run_dir + "-report"
    p = subprocess.run([SHMFUZZ, "report", "--out", out, run_dir], capture_output=True, text=True)
    assert p.returncode == 0, "report %s: exit %d: %s" % (run_dir, p.returncode, p.stderr)
    for schema, doc in (("campaign.json", "campaign.json"),):
        subprocess.run([sys.executable, CHECK, os.path.join(ROOT, "reports", "schema", schema),
                        os.path.join(out, doc)], check=True)
    subprocess.run([sys.executable, CHECK, "--html", os.path.join(out, "campaign.html")],
                   check=True)
    with open(os.path.join(out, "campaign.json")) as f:
        camp = json.load(f)
    with open(os.path.join(out, "campaign.sarif")) as f:
        sarif = json.load(f)
    with open(os.path.join(out, "campaign.html")) as f:
        html = f.read()
    return out, camp, sarif, html


def check_ok():
    d = make_run("ok", "ok", [run_json("libfuzzer", "ok", 3000), run_json("afl", "ok", 9000)])
    out, camp, sarif, html = report(d)
    assert camp["status"] == "ok" and camp["error"] is None, camp["status"]
    assert [f["signature"] for f in camp["findings"]] == ["params-out-of-bounds|MyValidate"]
    assert [f["signature"] for f in camp["unreproduced"]] == ["crash-unreproduced|afl:crash"]
    assert camp["totals"]["unique_findings"] == 1 and camp["totals"]["unreproduced_crashes"] == 1
    run = sarif["runs"][0]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is True, inv
    notes = inv["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["warning"] and "unreproduced" in notes[0]["message"]["text"]
    assert len(run["results"]) == 1, run["results"]
    res = run["results"][0]
    rules = run["tool"]["driver"]["rules"]
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == "params-out-of-bounds"
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "file://" + SRC, phys
    assert "uriBaseId" not in phys["artifactLocation"] and phys["region"]["startLine"] == 63
    assert "Unreproduced crashes (1)" in html and "class=banner" not in html
    assert "provider.c:63" in html, "the findings table shows file:line"
    print("ok: status ok -> executionSuccessful true, absolute location as file:// URI line 63, "
          "1 finding + 1 unreproduced crash apart")
    return out


def check_not_ok(name, status, runs, error, want_status=None, want_reason=None):
    d = make_run(name, status, runs, error, findings=False)
    out, camp, sarif, html = report(d)
    want_status = want_status or status
    want_reason = want_reason or error
    assert camp["status"] == want_status, (name, camp["status"])
    assert want_reason in (camp["error"] or ""), (name, camp["error"])
    inv = sarif["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False, (name, inv)
    texts = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
    assert any(want_reason in t for t in texts), (name, texts)
    level = "warning" if status == "interrupted" else "error"
    assert inv["toolExecutionNotifications"][0]["level"] == level, (name, inv)
    banner = html.find("class=banner")
    assert 0 <= banner < html.find("<h2 id=findings>"), (name, "banner first")
    assert want_reason.replace("'", "&#39;") in html[banner:], (name, "reason in the banner")
    assert "No findings." not in html, (name, "a run that did not run says 'No findings.'")
    print("ok: status %s -> campaign.json %s, SARIF executionSuccessful false with the reason, "
          "HTML banner first" % (name, want_status))
    return out


def check_diff(good, bad, name):
    for args in ((good, bad), (bad, good)):
        p = subprocess.run([SHMFUZZ, "report-diff", args[0], args[1], "--json",
                            os.path.join(WORK, "diff.json")], capture_output=True, text=True)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1, (name, p.returncode, p.stderr)
        assert bad in lines[0] and "refusing" in lines[0], (name, lines)
        assert not os.path.exists(os.path.join(WORK, "diff.json")), name
    print("ok: report-diff refuses a %s side either way: %s" % (name, lines[0]))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    good = check_ok()
    failed = check_not_ok("failed", "failed",
                          [run_json("libfuzzer", "failed", 0, "exited with 2 before any progress")],
                          "libfuzzer: exited with 2 before any progress")
    partial = check_not_ok("partial", "partial",
                           [run_json("libfuzzer", "ok", 3000),
                            run_json("afl", "failed", 0, "afl-fuzz: no instrumentation found")],
                           "afl: afl-fuzz: no instrumentation found")
    check_not_ok("interrupted", "interrupted", [run_json("libfuzzer", "interrupted", 100)],
                 "stopped by SIGINT")
    # A run directory that says ok but executed nothing did not run.
    check_not_ok("no-execs", "ok", [run_json("libfuzzer", "ok", 0)], None,
                 want_status="failed", want_reason="no engine executed any input")
    check_diff(good, failed, "failed")
    check_diff(good, partial, "partial")
    return 0


if __name__ == "__main__":
    sys.exit(main())
