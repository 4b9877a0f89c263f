#!/usr/bin/env python3
"""One writer per report file: the field lists, the schemas, the writers and the
readers of finding.json and run.json agree (DESIGN.md "Reports").

usage: schema_fields.py SHMFUZZ REPORT_FIELDS ROOT WORKDIR RACY_PROVIDER [CAMPAIGN_OUT...]

1. The lists.  REPORT_FIELDS prints the field lists of harness/report/report_fields.h
   (the descriptor tables the C builders check every document against); each must
   equal its schema's `properties` (names and types) and `required`.
2. The writers.  Documents written by every writer are validated against the
   schema (jsonschema when installed, else scripts/campaign/schema_check.py; the
   schemas forbid unlisted top-level fields) and their keys checked against the list:
     - `shmfuzz replay --json` (run.json, findings[] = finding.json), on a
       regression input and, differential, with --against;
     - `shmfuzz stress --json` clean (reference) and with a finding (the racy
       provider, interleave): run.json, stress-finding.json;
     - scripts/campaign/engines.py Engine.run_json (runs/<engine>.json) for
       libFuzzer and AFL++, called here on engines that ran nothing, and each
       engine's `cpu_s` measured on a process whose two children burn a known
       CPU time (the engine's processes and their children, to within 15 %);
     - every runs/*.json and findings/*/finding.json under CAMPAIGN_OUT (the
       campaign tests' output directories, when they ran).
3. The readers.  A run directory made of those run.json documents and the replay
   finding goes through `shmfuzz report` (cmd_report.c, the reader of run.json and
   finding.json that the HTML, SARIF and report-diff render from): campaign.json
   must carry each run's execs, duration_s, exec_per_s and cpu_s and the
   finding's op as the writers wrote them, each run's exec_per_cpu_s and the
   totals' cpu_s and exec_per_cpu_s computed from them, validate against
   reports/schema/campaign.json, and campaign.html show the CPU columns.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

SHMFUZZ, FIELDS, ROOT, WORK, RACY = sys.argv[1:6]
CAMPAIGN_OUTS = sys.argv[6:]
SCHEMA_DIR = os.path.join(ROOT, "reports", "schema")
problems = []


def bad(msg):
    problems.append(msg)
    print("schema_fields: " + msg)


def load(path):
    with open(path) as f:
        return json.load(f)


SCHEMAS = {n: load(os.path.join(SCHEMA_DIR, n))
           for n in ("finding.json", "run.json", "campaign.json")}

try:
    import jsonschema

    def schema_errors(doc, schema):
        cls = jsonschema.validators.validator_for(schema)
        return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                for e in cls(schema).iter_errors(doc)]
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "scripts", "campaign"))
    import schema_check

    def schema_errors(doc, schema):
        errs = schema_check.validate(doc, schema)
        if schema.get("additionalProperties") is False and isinstance(doc, dict):
            errs += ["$: unlisted field %s" % k for k in doc if k not in schema["properties"]]
        return errs


# === 1. The lists against the schemas ===

def schema_types(prop):
    """The JSON types a schema property allows, as a sorted list."""
    if "type" in prop:
        t = prop["type"]
        return sorted(t if isinstance(t, list) else [t])
    values = [prop["const"]] if "const" in prop else prop.get("enum", [])
    out = set()
    for v in values:
        out.add("null" if v is None else "boolean" if isinstance(v, bool) else
                "integer" if isinstance(v, int) else "number" if isinstance(v, float) else
                "string" if isinstance(v, str) else type(v).__name__)
    return sorted(out)


lists = json.loads(subprocess.run([FIELDS], capture_output=True, text=True, check=True).stdout)
for name, fields in lists.items():
    schema = SCHEMAS[name]
    props = schema["properties"]
    listed = {f["name"]: f for f in fields}
    if len(listed) != len(fields):
        bad("%s: a field is listed twice in report_fields.h" % name)
    for k in sorted(set(listed) - set(props)):
        bad("%s: %s is in report_fields.h but not in the schema's properties" % (name, k))
    for k in sorted(set(props) - set(listed)):
        bad("%s: %s is in the schema but not in report_fields.h" % (name, k))
    req = {f["name"] for f in fields if f["required"]}
    if req != set(schema.get("required", [])):
        bad("%s: required differ: report_fields.h %s, schema %s"
            % (name, sorted(req), sorted(schema.get("required", []))))
    for k in sorted(set(listed) & set(props)):
        if sorted(listed[k]["types"]) != schema_types(props[k]):
            bad("%s: %s: report_fields.h types %s, schema %s"
                % (name, k, sorted(listed[k]["types"]), schema_types(props[k])))
    if schema.get("additionalProperties") is not False:
        bad("%s: the schema must forbid unlisted fields (additionalProperties: false)" % name)
LISTED = {n: {f["name"] for f in fs} for n, fs in lists.items()}


# === 2. The writers ===

checked = []


def check_doc(doc, name, what):
    checked.append(what)
    for e in schema_errors(doc, SCHEMAS[name])[:5]:
        bad("%s (%s): %s" % (what, name, e))
    extra = sorted(set(doc) - LISTED[name]) if isinstance(doc, dict) else []
    if extra:
        bad("%s: fields not in report_fields.h: %s" % (what, ", ".join(extra)))


def run_tool(args, want_rc, what):
    p = subprocess.run([SHMFUZZ] + args, capture_output=True, text=True)
    if p.returncode != want_rc:
        bad("%s: exit %d, want %d: %s" % (what, p.returncode, want_rc, p.stderr.strip()[-300:]))
    return p


def check_run_with_findings(path, what, want_findings):
    if not os.path.exists(path):
        bad("%s: %s not written" % (what, path))
        return {}
    doc = load(path)
    check_doc(doc, "run.json", what)
    for i, f in enumerate(doc.get("findings", [])):
        check_doc(f, "finding.json", "%s findings[%d]" % (what, i))
    if want_findings and not doc.get("findings"):
        bad("%s: no finding" % what)
    return doc


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
reg = os.path.join(ROOT, "corpus", "regressions", "double_free.ops")
provider = re.search(r"^#\s*provider:\s*(\S+)", open(reg).read(), re.M).group(1)
replay_json = os.path.join(WORK, "replay.json")
run_tool(["replay", "-q", "--provider", provider, "--json", replay_json, reg], 1, "replay")
replay = check_run_with_findings(replay_json, "replay --json", True)

dif = os.path.join(ROOT, "corpus", "differential", "length_zero.ops")
head = open(dif).read()
dprov = re.search(r"^#\s*provider:\s*(\S+)", head, re.M).group(1)
against = re.search(r"^#\s*against:\s*(\S+)", head, re.M).group(1)
dif_json = os.path.join(WORK, "replay-against.json")
run_tool(["replay", "-q", "--provider", dprov, "--against", against, "--json", dif_json, dif], 1,
         "replay --against")
check_run_with_findings(dif_json, "replay --against --json", True)

stress_clean = os.path.join(WORK, "stress-clean")
os.makedirs(stress_clean)
run_tool(["stress", "--provider", "reference", "--mode", "interleave", "--threads", "2",
          "--ops", "2000", "--seed", "5", "--json", os.path.join(stress_clean, "run.json"),
          "--out", stress_clean, "--quiet"], 0, "stress (reference)")
stress_run = check_run_with_findings(os.path.join(stress_clean, "run.json"), "stress --json",
                                     False)

stress_racy = os.path.join(WORK, "stress-racy")
os.makedirs(stress_racy)
run_tool(["stress", "--provider", RACY, "--mode", "interleave", "--threads", "2", "--ops",
          "50000", "--seed", "11", "--json", os.path.join(stress_racy, "run.json"), "--out",
          stress_racy, "--quiet"], 1, "stress (racy)")
check_run_with_findings(os.path.join(stress_racy, "run.json"), "stress --json (finding)", True)
sf = os.path.join(stress_racy, "stress-finding.json")
if os.path.exists(sf):
    check_doc(load(sf), "finding.json", "stress-finding.json")
else:
    bad("stress (racy): no stress-finding.json")

# The campaign orchestrator's writer, on engines that ran nothing (no processes).
sys.path.insert(0, os.path.join(ROOT, "scripts", "campaign"))
import engines  # noqa: E402

py_runs = {}
for cls in (engines.LibFuzzer, engines.Afl):
    d = os.path.join(WORK, "engine-" + cls.name)
    cfg = {"provider": "reference", "run_dir": WORK, "sync_dir": None}
    e = cls(cfg, d, 10, 1)
    t0 = time.time()
    e.started = e.ended = t0
    doc = json.loads(json.dumps(e.run_json(t0)))  # as written: through JSON
    check_doc(doc, "run.json", "engines.py %s run_json" % cls.name)
    if doc.get("cpu_s") != 0:
        bad("engines.py %s run_json: cpu_s %r, want 0 (no process ran)"
            % (cls.name, doc.get("cpu_s")))
    py_runs[cls.name] = doc

# cpu_s counts the engine's processes and their children: a shell whose two
# children burn BURN_S CPU seconds each (one in the background, one waited for
# in the foreground), measured as the campaign's loop does (tick, then wait).
BURN_S = 0.4
BURN = ("import time\nt = time.process_time()\n"
        "while time.process_time() - t < %s: pass" % BURN_S)
for cls in (engines.LibFuzzer, engines.Afl):
    d = os.path.join(WORK, "cpu-" + cls.name)
    e = cls({"provider": "reference", "run_dir": WORK, "sync_dir": None, "mode": "batch"},
            d, 10, 1)
    e.started = time.time()
    p = e._spawn(["sh", "-c", "python3 -c \"$0\" & python3 -c \"$0\"; wait", BURN],
                 dict(os.environ), os.path.join(d, "burn.log"))
    deadline = time.time() + 30
    while p.poll() is None and time.time() < deadline:
        e.tick(time.time())
        time.sleep(0.05)
    e.wait(5)
    got = e.run_json(e.started).get("cpu_s")
    if p.returncode != 0 or not isinstance(got, (int, float)) or \
            not 2 * BURN_S * 0.85 <= got <= 2 * BURN_S * 1.15 + 0.2:
        bad("engines.py %s: cpu_s %r of two children burning %.1f s each (exit %r)"
            % (cls.name, got, BURN_S, p.returncode))

for out in CAMPAIGN_OUTS:
    for path in sorted(glob.glob(os.path.join(out, "**", "runs", "*.json"), recursive=True)):
        check_doc(load(path), "run.json", os.path.relpath(path, out))
    for path in sorted(glob.glob(os.path.join(out, "**", "findings", "*", "finding.json"),
                                 recursive=True)):
        check_doc(load(path), "finding.json", os.path.relpath(path, out))


# === 3. The readers: `shmfuzz report` reads what the writers wrote ===

def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f)


rd = os.path.join(WORK, "run-dir")
write(os.path.join(rd, "meta.json"), {
    "schema": "shmfuzz-campaign-meta/1", "provider": "reference", "mode": "batch",
    "status": "ok", "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T00:00:30Z",
    "duration_s": 30, "budget_s": 30, "jobs": 1})
written = dict(py_runs, stress=stress_run)
# A replay's run.json has no duration: give the engines' runs some executions so
# the campaign reads as one that ran.
written["libfuzzer"] = dict(written["libfuzzer"], execs=1234, duration_s=2.0, exec_per_s=617.0,
                           cpu_s=4.0)
for eng, doc in written.items():
    write(os.path.join(rd, "runs", eng + ".json"), doc)
if not replay.get("findings"):
    print("schema_fields: FAILED (%d problems)" % len(problems))
    sys.exit(1)
finding = replay["findings"][0]
write(os.path.join(rd, "findings", "aaaa", "finding.json"), finding)
write(os.path.join(rd, "findings", "aaaa", "meta.json"), {
    "schema": "shmfuzz-finding-meta/1", "signature": finding["signature"],
    "kind": finding["kind"], "message": finding["message"], "function": finding["function"],
    "count": 1, "first_seen": "2026-01-01T00:00:05Z", "first_seen_s": 5, "minimized": None,
    "reliability": {"attempts": 1, "reproduced": 1, "reliable": True}, "location": None,
    "new": True, "unreproduced": False})
rep_out = os.path.join(WORK, "report")
p = subprocess.run([SHMFUZZ, "report", "--out", rep_out, rd], capture_output=True, text=True)
if p.returncode != 0:
    bad("shmfuzz report: exit %d: %s" % (p.returncode, p.stderr.strip()))
else:
    camp = load(os.path.join(rep_out, "campaign.json"))
    runs = {r["engine"]: r for r in camp.get("runs", [])}
    for eng, doc in written.items():
        r = runs.get(eng)
        if r is None:
            bad("report: campaign.json has no run of %s" % eng)
            continue
        for k in ("execs", "duration_s", "exec_per_s", "cpu_s"):
            if abs(float(r.get(k) or 0) - float(doc.get(k) or 0)) > 1e-6:
                bad("report: %s.%s read as %r, written as %r" % (eng, k, r.get(k), doc.get(k)))
        if ("cpu_s" in r) != ("cpu_s" in doc):
            bad("report: %s: cpu_s %s in campaign.json, %s in run.json" % (
                eng, "present" if "cpu_s" in r else "absent",
                "present" if "cpu_s" in doc else "absent"))
        want = round(doc["execs"] / doc["cpu_s"], 1) if doc.get("cpu_s") else None
        if "cpu_s" in doc and r.get("exec_per_cpu_s") != want:
            bad("report: %s.exec_per_cpu_s %r, want %r" % (eng, r.get("exec_per_cpu_s"), want))
    for e in schema_errors(camp, SCHEMAS["campaign.json"])[:5]:
        bad("report: campaign.json: %s" % e)
    tot = camp.get("totals", {})
    # libfuzzer 1234 execs in 4.0 CPU s, afl none in 0 (counted in cpu_s, not in
    # the per-CPU rate), stress without CPU time.
    if tot.get("cpu_s") != 4.0 or tot.get("exec_per_cpu_s") != 308.5:
        bad("report: totals cpu_s %r, exec_per_cpu_s %r, want 4.0 and 308.5"
            % (tot.get("cpu_s"), tot.get("exec_per_cpu_s")))
    if stress_run.get("execs", 0) <= 0:
        bad("stress run.json: execs %r (want the ops executed)" % stress_run.get("execs"))
    fs = camp.get("findings", [])
    if not fs or fs[0].get("op") != finding.get("op"):
        bad("report: finding op read as %r, written as %r"
            % (fs[0].get("op") if fs else None, finding.get("op")))
    html = open(os.path.join(rep_out, "campaign.html")).read()
    if finding["rule"] and finding["rule"] not in html:
        bad("report: campaign.html does not show the finding's rule %r" % finding["rule"])
    for text in ("<th title=", ">CPU</th>", ">exec/CPU s</th>", "4.0 s <small>(2.00 cores)",
                 "<td class=n>308</td>", "4.0 CPU s, 308 per CPU s"):
        if text not in html:
            bad("report: campaign.html does not show %r" % text)

print("schema_fields: %d documents checked (%s)" % (len(checked), "; ".join(checked[:12])))
print("schema_fields: " + ("FAILED (%d problems)" % len(problems) if problems else "ok"))
sys.exit(1 if problems else 0)
