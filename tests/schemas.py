#!/usr/bin/env python3
"""Validate the JSON shmfuzz writes against reports/schema/*.json (jsonschema).

usage: schemas.py SHMFUZZ SOURCE_DIR WORKDIR
  - `shmfuzz replay --provider P --json OUT` on a regression input (P from its
    `# provider:` line), a run.json with a finding: run.json schema, and each
    embedded finding against finding.json when the run embeds whole findings;
  - `shmfuzz stress --ops 2000 --json OUT`: run.json schema.
"""
import json, os, re, subprocess, sys

try:
    import jsonschema
except ImportError:
    print("schemas: python3-jsonschema is not installed (scripts/setup-deps.sh)")
    sys.exit(77)

shmfuzz, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
schema_dir = os.path.join(src, "reports", "schema")
schemas = {}
for name in os.listdir(schema_dir):
    with open(os.path.join(schema_dir, name)) as f:
        schemas[name] = json.load(f)
store = {s.get("$id", n): s for n, s in schemas.items()}
store.update({n: s for n, s in schemas.items()})

def validate(doc, schema_name, what):
    schema = schemas[schema_name]
    cls = jsonschema.validators.validator_for(schema)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    errors = sorted(cls(schema, resolver=resolver).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:5]:
        print(f"schemas: {what}: {'/'.join(map(str, e.path))}: {e.message}")
    return not errors

def schema_for(doc):
    tag = str(doc.get("schema", ""))
    for n in schemas:
        if tag.startswith("shmfuzz-" + n[:-5] + "/"):
            return n
    raise SystemExit(f"schemas: unknown document schema {tag!r}")

ok = True
reg = os.path.join(src, "corpus", "regressions", "double_free.ops")
provider = re.search(r"^#\s*provider:\s*(\S+)", open(reg).read(), re.M).group(1)
out = os.path.join(work, "replay.json")
rc = subprocess.run([shmfuzz, "replay", "--provider", provider, "--json", out, reg],
                    capture_output=True).returncode
if rc != 1:
    print(f"schemas: replay exited {rc}, expected 1 (finding)")
    ok = False
doc = json.load(open(out))
ok &= validate(doc, schema_for(doc), "replay --json")
if not doc.get("findings"):
    print("schemas: replay JSON has no finding")
    ok = False

out = os.path.join(work, "stress-run.json")
rc = subprocess.run([shmfuzz, "stress", "--provider", "reference", "--ops", "2000", "--mode",
                     "interleave", "--json", out, "--out", work, "--quiet"],
                    capture_output=True).returncode
if rc != 0:
    print(f"schemas: stress exited {rc}")
    ok = False
doc = json.load(open(out))
ok &= validate(doc, "run.json", "stress --json")
print("schemas: ok" if ok else "schemas: FAILED")
sys.exit(0 if ok else 1)
