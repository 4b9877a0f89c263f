#!/usr/bin/env python3
"""Check one campaign's reports the way a user's CI reads them (tests/e2e).

usage: check_campaign.py --root SRC --dir RUN_DIR --expect buggy|clean
                         [--kinds K1,K2] [--engines libfuzzer,afl]
                         [--source-dir DIR] [--location required|optional]

RUN_DIR is a campaign folder (OUT/latest). Checked:
  - campaign.json against reports/schema/campaign.json; runs/*.json against
    run.json; each findings/*/finding.json against finding.json; each
    findings/*/meta.json against campaign.json's $defs/finding (meta.json has no
    schema file of its own; it is what campaign.json's findings are made of);
  - campaign.sarif is SARIF 2.1.0, checked against the spec's required
    properties here, not against shmfuzz's own checker: version, runs[].tool.driver
    .name, results[].ruleId / ruleIndex (-> a rule with that id) / level /
    message.text / locations[].physicalLocation.artifactLocation.uri (a valid
    URI; an absolute path must be a file:/// URI) / region.startLine >= 1, and
    invocations[0].executionSuccessful (true: every run here is a good one);
  - campaign.html is a whole, self-contained HTML page naming each finding kind;
  - the verdict: status ok, every expected engine ran (status ok, execs > 0);
    buggy: >= 1 finding, every kind in --kinds, each minimized, reproduced, new,
    with its finding folder complete; clean: no finding at all;
  - with --source-dir (a .c or folder provider): each finding's location is the
    absolute path of a file under DIR that defines the finding's function, and
    the SARIF uri is that path as a file:/// URI.

Prints the finding folders (absolute), one per line, on stdout; every problem on
stderr as "check: PROBLEM". Exit 0 all good, 1 problems, 2 usage.
"""
import argparse
import glob
import json
import os
import re
import sys
import urllib.parse

problems = []
notes = []


def bad(msg):
    problems.append(msg)


def load_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        bad("%s: cannot read %s: %s" % (what, path, e))
        return None


# === JSON Schema ===

def make_validator(root):
    """validate(doc, schema) -> list of messages; jsonschema when installed (scripts/
    setup-deps.sh installs python3-jsonschema), else the tree's small validator."""
    try:
        import jsonschema

        def validate(doc, schema):
            cls = jsonschema.validators.validator_for(schema)
            return ["%s: %s" % ("/".join(map(str, e.absolute_path)) or "$", e.message)
                    for e in sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))]
        return validate
    except ImportError:
        notes.append("python3-jsonschema is not installed: using scripts/campaign/schema_check.py")
        sys.path.insert(0, os.path.join(root, "scripts", "campaign"))
        import schema_check
        return lambda doc, schema: schema_check.validate(doc, schema)


def check_schemas(root, run_dir, validate):
    sdir = os.path.join(root, "reports", "schema")
    schemas = {n: load_json(os.path.join(sdir, n + ".json"), "schema")
               for n in ("campaign", "run", "finding")}
    if None in schemas.values():
        return
    # meta.json: campaign.json's finding definition, with its $defs so local refs resolve.
    meta_schema = dict(schemas["campaign"]["$defs"]["finding"])
    meta_schema["$defs"] = schemas["campaign"]["$defs"]
    if "$schema" in schemas["campaign"]:
        meta_schema["$schema"] = schemas["campaign"]["$schema"]

    def one(path, schema, name):
        doc = load_json(path, name)
        if doc is None:
            return None
        for e in validate(doc, schema)[:8]:
            bad("%s does not validate against %s: %s" % (os.path.relpath(path, run_dir), name, e))
        return doc

    one(os.path.join(run_dir, "campaign.json"), schemas["campaign"], "reports/schema/campaign.json")
    runs = sorted(glob.glob(os.path.join(run_dir, "runs", "*.json")))
    if not runs:
        bad("no runs/*.json")
    for p in runs:
        one(p, schemas["run"], "reports/schema/run.json")
    for d in sorted(glob.glob(os.path.join(run_dir, "findings", "*"))):
        one(os.path.join(d, "finding.json"), schemas["finding"], "reports/schema/finding.json")
        m = one(os.path.join(d, "meta.json"), meta_schema, "reports/schema/campaign.json#/$defs/finding")
        if m is not None and m.get("schema") != "shmfuzz-finding-meta/1":
            bad("%s: schema %r, want shmfuzz-finding-meta/1" % (os.path.relpath(d, run_dir), m.get("schema")))


# === SARIF 2.1.0 ===

# RFC 3986: a scheme, and only unreserved, reserved and percent-encoded characters.
URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def uri_problem(uri):
    """Why uri is not a valid artifactLocation.uri, or None."""
    if not isinstance(uri, str) or not uri:
        return "empty or not a string"
    if not URI_CHARS.match(uri):
        return "characters a URI cannot hold unescaped"
    if uri.startswith("/") or uri.startswith("\\") or re.match(r"^[A-Za-z]:[\\/]", uri):
        return "an absolute file path, not a file:/// URI"
    if URI_SCHEME.match(uri):
        p = urllib.parse.urlsplit(uri)
        if p.scheme == "file":
            if p.netloc not in ("", "localhost") or not p.path.startswith("/"):
                return "a file URI must be file:///absolute/path"
            if not uri.startswith("file:///") and not uri.startswith("file://localhost/"):
                return "a file URI must be file:///absolute/path"
    return None


def check_sarif(path, n_findings, kinds):
    doc = load_json(path, "campaign.sarif")
    if doc is None:
        return []
    if doc.get("version") != "2.1.0":
        bad("SARIF: version is %r, not \"2.1.0\"" % doc.get("version"))
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        bad("SARIF: runs[] missing or empty")
        return []
    uris = []
    n_results = 0
    for ri, run in enumerate(runs):
        rp = "SARIF runs[%d]" % ri
        driver = (run.get("tool") or {}).get("driver") if isinstance(run, dict) else None
        if not isinstance(driver, dict) or not isinstance(driver.get("name"), str) or not driver["name"]:
            bad("%s: tool.driver.name missing" % rp)
            driver = {}
        rules = driver.get("rules") or []
        invs = run.get("invocations")
        if not isinstance(invs, list) or not invs:
            bad("%s: no invocations[] (a failed run must be told from a clean one)" % rp)
        elif not isinstance(invs[0], dict) or not isinstance(invs[0].get("executionSuccessful"), bool):
            bad("%s: invocations[0].executionSuccessful missing or not a boolean" % rp)
        elif invs[0]["executionSuccessful"] is not True:
            bad("%s: invocations[0].executionSuccessful is false on a good run" % rp)
        results = run.get("results")
        if results is None:
            bad("%s: results missing" % rp)
            results = []
        for i, r in enumerate(results):
            n_results += 1
            p = "%s.results[%d]" % (rp, i)
            rule_id, idx = r.get("ruleId"), r.get("ruleIndex")
            if not isinstance(rule_id, str) or not rule_id:
                bad("%s: ruleId missing" % p)
            if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < len(rules):
                bad("%s: ruleIndex %r does not point into tool.driver.rules (%d rules)" % (p, idx, len(rules)))
            elif rules[idx].get("id") != rule_id:
                bad("%s: ruleIndex %d is rule %r, not ruleId %r" % (p, idx, rules[idx].get("id"), rule_id))
            if r.get("level") not in ("none", "note", "warning", "error"):
                bad("%s: level %r is not none/note/warning/error" % (p, r.get("level")))
            if not isinstance((r.get("message") or {}).get("text"), str) or not r["message"]["text"]:
                bad("%s: message.text missing" % p)
            for li, loc in enumerate(r.get("locations") or []):
                lp = "%s.locations[%d]" % (p, li)
                phys = loc.get("physicalLocation") or {}
                uri = (phys.get("artifactLocation") or {}).get("uri")
                why = uri_problem(uri)
                if why:
                    bad("%s: artifactLocation.uri %r: %s" % (lp, uri, why))
                else:
                    uris.append((rule_id, uri, (phys.get("region") or {}).get("startLine")))
                region = phys.get("region")
                if region is not None:
                    sl = region.get("startLine")
                    if "startLine" in region and (not isinstance(sl, int) or isinstance(sl, bool) or sl < 1):
                        bad("%s: region.startLine %r is not an integer >= 1" % (lp, sl))
            if kinds and rule_id not in kinds:
                bad("%s: ruleId %r is not one of the expected kinds %s" % (p, rule_id, sorted(kinds)))
    if n_results != n_findings:
        bad("SARIF: %d results for %d findings in campaign.json" % (n_results, n_findings))
    return uris


# === HTML ===

def check_html(path, kinds):
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError as e:
        bad("campaign.html: %s" % e)
        return
    if not text.lstrip().lower().startswith("<!doctype html>"):
        bad("campaign.html: not an HTML5 document")
    if not text.rstrip().lower().endswith("</html>"):
        bad("campaign.html: truncated (no </html> at the end)")
    for pat in (r"<link\b[^>]*href=\"?https?:", r"<script[^>]+src=", r"<img[^>]+src=\"?https?:"):
        if re.search(pat, text, re.I):
            bad("campaign.html: external asset (%s): not self-contained" % pat)
    for k in kinds:
        if k not in text:
            bad("campaign.html: finding kind %s not on the page" % k)


# === The verdict ===

def defines(path, function):
    """1-based line where path defines function, or None."""
    pat = re.compile(r"^[A-Za-z_].*\b%s\s*\(" % re.escape(function))
    try:
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                if pat.match(line) and not line.rstrip().endswith(";"):
                    return n
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--expect", choices=("buggy", "clean"), required=True)
    ap.add_argument("--kinds", default="")
    ap.add_argument("--engines", default="libfuzzer")
    ap.add_argument("--source-dir")
    a = ap.parse_args()
    run_dir = os.path.realpath(a.dir)
    allowed = {k for k in a.kinds.split(",") if k}

    for f in ("campaign.json", "campaign.sarif", "campaign.html", "meta.json"):
        if not os.path.isfile(os.path.join(run_dir, f)):
            bad("%s missing in %s" % (f, run_dir))
    if not os.path.isfile(os.path.join(run_dir, "campaign.json")):
        for p in problems:
            print("check: " + p, file=sys.stderr)
        return 1

    check_schemas(a.root, run_dir, make_validator(a.root))
    c = load_json(os.path.join(run_dir, "campaign.json"), "campaign.json") or {}
    findings = c.get("findings") or []
    kinds = sorted({f.get("kind") for f in findings})

    if c.get("status") != "ok":
        bad("campaign.json: status %r, want ok (error: %r)" % (c.get("status"), c.get("error")))
    runs = {r.get("engine"): r for r in c.get("runs") or []}
    for e in a.engines.split(","):
        r = runs.get(e)
        if r is None:
            bad("campaign.json: no %s run (runs: %s)" % (e, sorted(runs)))
        elif r.get("status") != "ok" or not r.get("execs"):
            bad("campaign.json: %s run: status %r, %r execs, error %r" % (e, r.get("status"), r.get("execs"), r.get("error")))
        elif not r.get("exec_per_s"):
            notes.append("%s run: exec_per_s is %r after %d execs in %ss" %
                         (e, r.get("exec_per_s"), r["execs"], r.get("duration_s")))

    if a.expect == "clean":
        if findings or (c.get("totals") or {}).get("unique_findings"):
            bad("clean provider: %d findings: %s" % (len(findings), [f.get("signature") for f in findings]))
        if glob.glob(os.path.join(run_dir, "findings", "*")):
            bad("clean provider: findings/ is not empty")
    else:
        if not findings:
            bad("buggy provider: no finding")
        if allowed and set(kinds) - allowed:
            bad("unexpected finding kinds %s (expected only %s): %s" %
                (sorted(set(kinds) - allowed), sorted(allowed), [f.get("signature") for f in findings]))

    fdirs = []
    src_dir = os.path.realpath(a.source_dir) if a.source_dir else None
    for f in findings:
        sig = f.get("signature")
        fd = os.path.join(run_dir, f.get("finding_dir") or os.path.dirname(f.get("minimized") or "") or "?")
        if not os.path.isdir(fd):
            bad("%s: no finding folder (%r)" % (sig, f.get("finding_dir")))
            continue
        fdirs.append(fd)
        for name in ("finding.json", "meta.json", "input.bin", "input.ops", "minimized.ops", "repro.c"):
            if not os.path.isfile(os.path.join(fd, name)) or not os.path.getsize(os.path.join(fd, name)):
                bad("%s: %s missing or empty" % (sig, name))
        m = f.get("minimized")
        if not m or not os.path.isfile(os.path.join(run_dir, m)):
            bad("%s: minimized input %r missing" % (sig, m))
        if not f.get("new"):
            bad("%s: not new in a fresh out dir" % sig)
        rel = f.get("reliability") or {}
        if not rel.get("reliable") or not rel.get("reproduced"):
            bad("%s: reliability %s" % (sig, rel))
        if src_dir:
            loc = f.get("location") or {}
            fn, path, line = f.get("function"), loc.get("file"), loc.get("line")
            if not path:
                bad("%s: no location for a provider built from source" % sig)
            elif not os.path.isabs(path) or not os.path.realpath(path).startswith(src_dir + os.sep):
                bad("%s: location file %r is not an absolute path under %s" % (sig, path, src_dir))
            elif not os.path.isfile(path):
                bad("%s: location file %s does not exist" % (sig, path))
            elif fn and fn != "?" and defines(path, fn) is None:
                where = [os.path.relpath(p, src_dir) for p in sorted(glob.glob(os.path.join(src_dir, "**", "*.c"), recursive=True))
                         if defines(p, fn)]
                bad("%s: location %s:%s is in a file that does not define %s (defined in: %s)" %
                    (sig, path, line, fn, ", ".join(where) or "none of the sources"))
            if line is not None and (not isinstance(line, int) or line < 1):
                bad("%s: location line %r" % (sig, line))

    uris = check_sarif(os.path.join(run_dir, "campaign.sarif"), len(findings), allowed or set(kinds))
    if src_dir:
        want = {"file://" + urllib.parse.quote((f.get("location") or {}).get("file") or "")
                for f in findings if (f.get("location") or {}).get("file")}
        for rule_id, uri, _ in uris:
            if uri not in want:
                bad("SARIF: result %s: uri %r is not the finding's location as a file:/// URI (%s)" %
                    (rule_id, uri, sorted(want)))
        if findings and not uris:
            bad("SARIF: no result has a location, though every finding has a source file")
    check_html(os.path.join(run_dir, "campaign.html"), kinds)

    for n in notes:
        print("check: note: " + n, file=sys.stderr)
    for p in problems:
        print("check: " + p, file=sys.stderr)
    for fd in fdirs:
        print(fd)
    if not problems:
        print("check: ok: %s, %d finding(s) %s, engines %s; schemas, SARIF 2.1.0 and HTML valid" %
              (c.get("status"), len(findings), kinds, a.engines), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
