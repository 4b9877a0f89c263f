#!/usr/bin/env python3
"""A small JSON Schema validator for the subset reports/schema/*.json use:
type (one or a list), const, enum, required, properties, items, pattern, minimum,
and local $ref ("#/$defs/name"). No dependencies beyond the standard library.

usage: schema_check.py SCHEMA.json DOC.json...      (exit 0 valid, 1 invalid, 2 usage)
       schema_check.py --sarif DOC.sarif            (the SARIF 2.1.0 keys shmfuzz writes)
       schema_check.py --html DOC.html              (self-contained: no external assets)
"""
import json
import re
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


def _resolve(root, ref):
    node = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def validate(doc, schema, root=None, path="$"):
    """Return a list of 'path: problem' strings (empty when valid)."""
    root = root or schema
    if "$ref" in schema:
        return validate(doc, _resolve(root, schema["$ref"]), root, path)
    errs = []
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        if not any(_is_type(doc, t) for t in types):
            return ["%s: %r is not of type %s" % (path, doc, "/".join(types))]
    if "const" in schema and doc != schema["const"]:
        errs.append("%s: %r != %r" % (path, doc, schema["const"]))
    if "enum" in schema and doc not in schema["enum"]:
        errs.append("%s: %r not in %r" % (path, doc, schema["enum"]))
    if isinstance(doc, str) and "pattern" in schema and not re.search(schema["pattern"], doc):
        errs.append("%s: %r does not match %s" % (path, doc, schema["pattern"]))
    if _is_type(doc, "number") and "minimum" in schema and doc < schema["minimum"]:
        errs.append("%s: %r < %r" % (path, doc, schema["minimum"]))
    if isinstance(doc, dict):
        errs += ["%s: missing %s" % (path, k) for k in schema.get("required", []) if k not in doc]
        for k, sub in schema.get("properties", {}).items():
            if k in doc:
                errs += validate(doc[k], sub, root, "%s.%s" % (path, k))
    if isinstance(doc, list) and "items" in schema:
        for i, v in enumerate(doc):
            errs += validate(v, schema["items"], root, "%s[%d]" % (path, i))
    return errs


def check_sarif(doc):
    errs = []
    if doc.get("version") != "2.1.0":
        errs.append("$.version is not 2.1.0")
    runs = doc.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        return errs + ["$.runs must hold one run"]
    driver = runs[0].get("tool", {}).get("driver", {})
    if driver.get("name") != "shmfuzz":
        errs.append("$.runs[0].tool.driver.name is not shmfuzz")
    rules = driver.get("rules") or []
    ids = [r.get("id") for r in rules]
    if not rules or any(not r.get("shortDescription", {}).get("text") for r in rules):
        errs.append("rules missing or without shortDescription")
    for i, r in enumerate(runs[0].get("results", [])):
        p = "$.runs[0].results[%d]" % i
        if r.get("ruleId") not in ids:
            errs.append("%s.ruleId %r is not a rule" % (p, r.get("ruleId")))
        elif ids.index(r["ruleId"]) != r.get("ruleIndex"):
            errs.append("%s.ruleIndex does not match ruleId" % p)
        if r.get("level") != "error" or not r.get("message", {}).get("text"):
            errs.append("%s: needs level error and message.text" % p)
        for loc in r.get("locations", []):
            if not loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri"):
                errs.append("%s: location without artifactLocation.uri" % p)
    return errs


def check_html(text):
    errs = []
    if not text.lstrip().lower().startswith("<!doctype html>"):
        errs.append("not an HTML5 document")
    if "<style>" not in text:
        errs.append("no inline CSS")
    for pat in (r"<link\b", r"<script[^>]+src=", r"<img[^>]+src=\"?https?:", r"url\(\s*['\"]?https?:"):
        if re.search(pat, text, re.I):
            errs.append("external asset: %s" % pat)
    if not text.rstrip().endswith("</html>"):
        errs.append("truncated (no </html>)")
    return errs


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    bad = 0
    for path in argv[2:]:
        if argv[1] == "--html":
            with open(path) as f:
                errs = check_html(f.read())
        else:
            with open(path) as f:
                doc = json.load(f)
            if argv[1] == "--sarif":
                errs = check_sarif(doc)
            else:
                with open(argv[1]) as f:
                    errs = validate(doc, json.load(f))
        for e in errs:
            print("%s: %s" % (path, e), file=sys.stderr)
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
