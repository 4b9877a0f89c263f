#!/usr/bin/env bash
# run_test.sh -- the campaign tests registered by tests/campaign.cmake.
# usage: run_test.sh args|report|triage|short SHMFUZZ_BIN WORK_DIR
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail
name="$1"
shmfuzz="$2"
work="$3"
root="$(cd "$(dirname "$0")/../.." && pwd)"
check="$root/scripts/campaign/schema_check.py"
fixtures="$root/tests/campaign"
rm -rf "$work"
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Bad arguments: exit 2 with exactly one line on stderr, before any build.
test_args() {
  local a err rc
  for a in "--engine foo" "--time 5x" "--time 0" "--jobs 0" "--mode fast" "--bogus" \
           "--provider /nonexistent.c" "--provider a:b" "--reliability 0" "--time"; do
    rc=0
    # shellcheck disable=SC2086  # word splitting of the argument list is intended
    err="$("$root/scripts/campaign.sh" $a 2>&1 >/dev/null)" || rc=$?
    [ "$rc" = 2 ] || fail "campaign.sh $a: exit $rc, want 2"
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "campaign.sh $a: not one line: $err"
    echo "ok: campaign.sh $a -> $err"
  done
  rc=0
  "$root/scripts/repro.sh" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "repro.sh without arguments: exit $rc"
}

validate_report() {
  local out="$1"
  python3 "$check" "$root/reports/schema/campaign.json" "$out/campaign.json" || fail "campaign.json schema"
  python3 "$check" --sarif "$out/campaign.sarif" || fail "campaign.sarif"
  python3 "$check" --html "$out/campaign.html" || fail "campaign.html"
}

write_run_dir() {
  local d="$1" h="$2" sig="$3" status="$4"
  mkdir -p "$d/runs" "$d/findings/$h"
  cat >"$d/meta.json" <<JSON
{"schema": "shmfuzz-campaign-meta/1", "provider": "reference", "provider_source": "providers/reference/reference.c",
 "mode": "batch", "status": "$status", "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T00:01:00Z",
 "duration_s": 60, "budget_s": 60, "jobs": 2, "corpus": {"dir": "c", "before": 1, "after": 5, "method": "copy"}}
JSON
  cat >"$d/runs/libfuzzer.json" <<JSON
{"schema": "shmfuzz-run/1", "engine": "libfuzzer", "provider": "reference", "status": "ok", "instances": 1,
 "duration_s": 60, "execs": 6000, "exec_per_s": 100, "corpus_size": 40,
 "coverage": {"edges": 800, "unit": "libfuzzer-cov"}, "crashes": 1, "hangs": 0,
 "samples": [{"t": 5, "execs": 500, "exec_per_s": 100, "corpus_size": 10, "coverage": 500},
             {"t": 60, "execs": 6000, "exec_per_s": 100, "corpus_size": 40, "coverage": 800}]}
JSON
  cat >"$d/runs/afl.json" <<JSON
{"schema": "shmfuzz-run/1", "engine": "afl", "provider": "reference", "status": "ok", "instances": 1,
 "duration_s": 60, "execs": 9000, "exec_per_s": 150, "corpus_size": 90,
 "coverage": {"edges": 300, "unit": "afl-edges"}, "crashes": 2, "hangs": 1,
 "samples": [{"t": 5, "execs": 700, "exec_per_s": 140, "corpus_size": 30, "coverage": 200}]}
JSON
  cat >"$d/findings/$h/meta.json" <<JSON
{"schema": "shmfuzz-finding-meta/1", "signature": "$sig", "kind": "${sig%%|*}", "message": "m <b>&",
 "function": "RefAllocate", "count": 2, "first_seen": "2026-01-01T00:00:1${h: -1}Z", "first_seen_s": 1${h: -1},
 "minimized": "minimized.ops", "reliability": {"attempts": 3, "reproduced": 2, "reliable": false},
 "location": {"file": "providers/reference/reference.c", "line": 204}, "new": true}
JSON
  echo "alloc usage=4 length=4096" >"$d/findings/$h/minimized.ops"
}

# shmfuzz report on synthetic run directories: valid JSON/SARIF/HTML, dedup
# across run dirs, and bad input exits 2 leaving no file.
test_report() {
  write_run_dir "$work/r1" aaaa1 "leak-pool|ShmfProviderUnload|teardown" ok
  write_run_dir "$work/r2" bbbb2 "leak-pool|ShmfProviderUnload|teardown" interrupted
  mkdir -p "$work/r2/findings/cccc3"
  sed 's/leak-pool|ShmfProviderUnload|teardown/crash-segv|RefFree|free/; s/"leak-pool"/"crash-segv"/' \
    "$work/r2/findings/bbbb2/meta.json" >"$work/r2/findings/cccc3/meta.json"
  "$shmfuzz" report --out "$work/out" "$work/r1" "$work/r2" >/dev/null || fail "report exit $?"
  validate_report "$work/out"
  python3 - "$work/out" <<'PY' || fail "report content"
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/campaign.json"))
assert c["status"] == "interrupted", c["status"]
assert len(c["runs"]) == 4 and len(c["findings"]) == 2, (len(c["runs"]), len(c["findings"]))
leak = [f for f in c["findings"] if f["kind"] == "leak-pool"][0]
assert leak["count"] == 4 and leak["reliability"] == {"attempts": 6, "reproduced": 4, "reliable": False}, leak
# Run dirs outside --out are referenced by absolute path.
assert leak["minimized"].endswith("/findings/aaaa1/minimized.ops"), leak
assert c["totals"]["execs"] == 30000 and c["totals"]["unique_findings"] == 2, c["totals"]
assert [r["engine"] for r in c["runs"]] == ["afl", "libfuzzer", "afl", "libfuzzer"]
assert len(c["coverage_over_time"]) == 6
s = json.load(open(d + "/campaign.sarif"))
res = s["runs"][0]["results"]
assert {r["ruleId"] for r in res} == {"leak-pool", "crash"}, res
loc = res[0]["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"] == "providers/reference/reference.c" and loc["region"]["startLine"] == 204
h = open(d + "/campaign.html").read()
assert "<svg" in h and "m &lt;b&gt;&amp;" in h and "unreliable" in h
print("ok: report of 2 run dirs: 4 runs, 2 unique findings, SARIF and HTML valid")
PY
  # Bad input: one-line error, exit 2, nothing written.
  local rc=0 err
  echo '{"schema": "shmfuzz-run/1", "engine": ' >"$work/r2/runs/zz.json"
  err="$("$shmfuzz" report --out "$work/bad" "$work/r1" "$work/r2" 2>&1)" || rc=$?
  if [ "$rc" != 2 ] || [ "$(printf "%s\n" "$err" | wc -l)" != 1 ]; then fail "bad run.json: exit $rc: $err"; fi
  [ -z "$(ls -A "$work/bad")" ] || fail "bad input left files: $(ls "$work/bad")"
  rc=0
  "$shmfuzz" report --out "$work/bad" "$work/nonexistent" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "missing run dir: exit $rc"
  rc=0
  "$shmfuzz" report "$work/r1" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "no --out: exit $rc"
  echo "ok: bad input exits 2 with one line and writes nothing"
}

# Collection, dedup, minimization and reliability on pre-made crash files
# against tests/campaign/planted.c (two planted bugs).
test_triage() {
  local so="$work/planted.so" f
  command -v clang >/dev/null || exit 77
  clang -fPIC -shared -g -Wno-multichar -fsanitize=address,undefined -I "$root/ndis/include" \
    -o "$so" "$fixtures/planted.c" || fail "cannot compile planted.c"
  mkdir -p "$work/in"
  for f in leak leak2 crash; do "$shmfuzz" encode "$fixtures/$f.ops" -o "$work/in/crash-$f"; done
  "$shmfuzz" encode "$fixtures/clean.ops" -o "$work/in/timeout-clean"
  local rc=0
  python3 "$root/scripts/campaign/triage.py" --shmfuzz "$shmfuzz" --provider "$so" \
    --run-dir "$work/run" --provider-source tests/campaign/planted.c "$work/in"/* || rc=$?
  [ "$rc" = 1 ] || fail "triage exit $rc, want 1 (findings)"
  python3 - "$work/run" <<'PY' || fail "triage content"
import glob, json, os, sys
d = sys.argv[1]
metas = {m["kind"]: m for m in (json.load(open(p)) for p in glob.glob(d + "/findings/*/meta.json"))}
assert sorted(metas) == ["crash-null-deref", "leak-pool"], sorted(metas)
leak = metas["leak-pool"]
assert leak["count"] == 2, leak
assert leak["reliability"] == {"attempts": 3, "reproduced": 3, "reliable": True}, leak
assert leak["minimized"] == "minimized.ops" and leak["minimized_ops"] < leak["input_ops"], leak
for m in metas.values():
    fd = os.path.join(d, "findings", [h for h in os.listdir(d + "/findings")
                      if json.load(open(os.path.join(d, "findings", h, "meta.json")))["kind"] == m["kind"]][0])
    for f in ("finding.json", "input.bin", "input.ops", "minimized.ops", "repro.c"):
        assert os.path.getsize(os.path.join(fd, f)) > 0, (fd, f)
print("ok: 4 artifacts -> 2 unique findings (leak x2, crash x1), 1 slow input; minimized; 3/3")
PY
  python3 "$check" "$root/reports/schema/finding.json" "$work/run"/findings/*/finding.json ||
    fail "finding.json schema"
  cat >"$work/run/meta.json" <<JSON
{"schema": "shmfuzz-campaign-meta/1", "provider": "planted", "mode": "batch", "status": "ok",
 "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T00:00:10Z", "duration_s": 10}
JSON
  "$shmfuzz" report --out "$work/run" "$work/run" >/dev/null || fail "report on triage output"
  validate_report "$work/run"
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["findings"]; assert len(f) == 2 and all(x["minimized"].startswith("findings/") for x in f), f' \
    "$work/run/campaign.json" || fail "paths inside --out are not relative"
}

# A real, very short campaign, when the engine builds exist (scripts/campaign.sh
# builds them; ctest does not). Skipped otherwise.
test_short() {
  [ -x "$root/build/libfuzzer/fuzz/fuzz_reference" ] && [ -x "$root/build/dev/harness/shmfuzz" ] &&
    [ -d "$root/build/dev/corpus/seeds" ] || exit 77
  local rc=0
  "$root/scripts/campaign.sh" --no-build --engine libfuzzer --time 10s --jobs 1 \
    --out "$work/out" --reliability 1 || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "campaign exit $rc"
  validate_report "$work/out/latest"
  python3 "$check" "$root/reports/schema/run.json" "$work/out/latest/runs/libfuzzer.json" || fail "run.json"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["execs"] > 0 and r["samples"], r' \
    "$work/out/latest/runs/libfuzzer.json" || fail "no execs recorded"
}

"test_$name"
