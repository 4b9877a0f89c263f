#!/usr/bin/env bash
# run_test.sh -- the campaign tests registered by tests/campaign.cmake.
# usage: run_test.sh TEST SHMFUZZ_BIN WORK_DIR
#   TEST: args report triage (no engine); build (the fixture: engine trees under
#   $SHMF_BUILD_DIR); reference planted interrupted workers coverage failed partial
#   unreproduced (real campaigns, using $SHMF_BUILD_DIR and SHMF_DEV_TREE, the
#   ctest tree, as they are; failed, partial and unreproduced with a stand-in
#   afl-fuzz, fake_afl below).
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

# The tree that holds shmfuzz, the providers and the seeds, used as is.
export SHMF_DEV_TREE="${SHMF_DEV_TREE:-$(cd "$(dirname "$shmfuzz")/.." && pwd)}"
# The planted-bug provider the timed campaigns must find, and what they must find:
# libFuzzer reaches it from the seeds within a few seconds (docs/planted-bugs.md).
planted=buggy_rev1_vport
planted_kind=params-out-of-bounds

# Run a script, expecting exit 2 and one line on stderr that matches a pattern.
# Sets $err to that stderr.
expect_usage() {
  local pattern="$1" rc=0
  shift
  err="$("$@" 2>&1 >/dev/null)" || rc=$?
  [ "$rc" = 2 ] || fail "$*: exit $rc, want 2: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$*: not one line: $err"
  printf '%s\n' "$err" | grep -Eq -- "$pattern" || fail "$*: '$err' does not match /$pattern/"
  echo "ok: ${*#"$root"/} -> $err"
}

# No report (nor run dir) may be left behind by a campaign that could not run.
expect_no_report() {
  [ ! -e "$1/campaigns" ] && [ ! -e "$1/latest" ] || fail "a report was left in $1: $(ls -R "$1" | head)"
}

# Nothing at all: the out dir is not even created (a provider that does not
# compile or load is refused before it is).
expect_nothing_left() {
  expect_no_report "$1"
  [ ! -e "$1" ] || fail "left $1: $(ls -A "$1")"
}

# The provider is loaded in the replay binary before any engine starts: a .so
# without the ABI, a text file named .so, a .so with an undefined symbol and a
# .c without the ABI each end the campaign within 2 s with the loader's reason on
# one line, exit 2, and leave nothing in the out dir.
test_provider_check() {
  local camp="$root/scripts/campaign.sh" p t0 ms
  command -v clang >/dev/null || return 0
  mkdir -p "$work/pc"
  echo "not an ELF file" >"$work/pc/text.so"
  printf 'int not_a_provider(void) { return 1; }\n' >"$work/pc/noabi.c"
  clang -shared -fPIC -o "$work/pc/noabi.so" "$work/pc/noabi.c"
  printf 'extern int shmf_no_such_symbol(void);\nint ShmfProviderSetOptions(void *a, void *b) { return shmf_no_such_symbol(); }\n' \
    >"$work/pc/undef.c"
  clang -shared -fPIC -o "$work/pc/undef.so" "$work/pc/undef.c"
  for p in "text.so:cannot load provider .*text.so: .*(file too short|invalid ELF header)" \
           "noabi.so:.*noabi.so is not a shmfuzz provider: it does not export ShmfProviderSetOptions" \
           "undef.so:cannot load provider .*undef.so: .*undefined symbol: shmf_no_such_symbol" \
           "noabi.c:.*noabi.c \(compiled\) is not a shmfuzz provider: it does not export ShmfProviderSetOptions"; do
    t0="$(date +%s%N)"
    expect_usage "^campaign: provider check: ${p#*:}" "$camp" --provider "$work/pc/${p%%:*}" \
      --engine libfuzzer --jobs 1 --time 15s --out "$work/o-pc"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -lt 2000 ] || fail "provider check of ${p%%:*} took $ms ms (want < 2000)"
    expect_nothing_left "$work/o-pc"
    echo "   (${p%%:*}: $ms ms)"
  done
}

# A PATH without AFL++: every other program of $PATH, linked into one directory.
path_without_afl() {
  python3 - "$work/no-afl-bin" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for d in os.environ["PATH"].split(":"):
    try:
        names = os.listdir(d)
    except OSError:
        continue
    for n in names:
        if not n.startswith("afl-") and not os.path.lexists(os.path.join(out, n)):
            os.symlink(os.path.join(d, n), os.path.join(out, n))
print(out)
PY
}

# Bad arguments and bad input: exit 2 with one clear line on stderr, before any
# build and without leaving a report.
test_args() {
  local a camp="$root/scripts/campaign.sh" rc
  for a in "--engine foo" "--time 5x" "--time 0" "--time 0s" "--time 0m" "--jobs 0" "--mode fast" \
           "--bogus" "--provider /nonexistent.c" "--provider a:b" "--reliability 0" "--time"; do
    # shellcheck disable=SC2086  # word splitting of the argument list is intended
    expect_usage . "$camp" $a --out "$work/o"
  done
  expect_usage "unknown provider 'nosuch' \(known: reference, " "$camp" --provider nosuch --out "$work/o"
  # A provider file that does not compile: one line with the first compiler error
  # (the whole output kept in a file it names), no providers/ dir, no report.
  printf '#include <ndis.h>\nNDIS_STATUS ShmfProviderSetOptions(NDIS_HANDLE h, NDIS_HANDLE c)\n{ return nope; }\n' \
    >"$work/broken.c"
  expect_usage "^campaign: cannot compile .*broken.c for replay: .*broken.c:3:[0-9]+: error: use of undeclared identifier 'nope' \(1 error; compiler output in .*\)$" \
    "$camp" --provider "$work/broken.c" --engine libfuzzer --out "$work/o-cc"
  local kept="${err##*compiler output in }"
  kept="${kept%)}"
  grep -q "error: use of undeclared identifier 'nope'" "$kept" || fail "broken provider: $kept has no compiler output"
  rm -f -- "$kept"
  expect_nothing_left "$work/o-cc"
  test_provider_check
  # Missing engines: AFL++ not installed, or engine builds missing with --no-build.
  local nopath
  nopath="$(path_without_afl)"
  expect_usage "afl-fuzz not found" env PATH="$nopath" "$camp" --engine afl --out "$work/o-afl"
  expect_usage "afl-fuzz not found" env PATH="$nopath" "$camp" --engine both --out "$work/o-afl"
  expect_no_report "$work/o-afl"
  expect_usage "missing .*/fuzz_reference" env SHMF_BUILD_DIR="$work/no-trees" "$camp" --no-build \
    --engine libfuzzer --out "$work/o-nb"
  expect_no_report "$work/o-nb"
  # An output dir that cannot be written.
  : >"$work/a-file"
  expect_usage "cannot create output dir .*: Not a directory" "$camp" --out "$work/a-file/out"
  if [ "$(id -u)" != 0 ]; then
    mkdir -p "$work/ro" && chmod 555 "$work/ro"
    expect_usage "not writable" "$camp" --out "$work/ro"
  fi
  # A corpus with entries no engine can read: a FIFO, a dangling symlink, an
  # unreadable file (the last only when not root: root reads everything).
  mkdir -p "$work/bad-corpus"
  echo data >"$work/bad-corpus/fine"
  mkfifo "$work/bad-corpus/fifo"
  ln -s "$work/nonexistent" "$work/bad-corpus/dangling"
  if [ "$(id -u)" != 0 ]; then echo x >"$work/bad-corpus/secret"; chmod 000 "$work/bad-corpus/secret"; fi
  expect_usage "corpus .*bad-corpus: [0-9]+ unusable entries \(not a readable file: .*(fifo|dangling)" \
    "$camp" --corpus "$work/bad-corpus" --out "$work/o-corpus"
  expect_no_report "$work/o-corpus"
  expect_usage "--corpus must be a directory" "$camp" --corpus "$work/a-file" --out "$work/o"
  # repro.sh and coverage.sh.
  expect_usage "usage" "$root/scripts/repro.sh"
  expect_usage "no such file" "$root/scripts/repro.sh" "$work/nonexistent"
  expect_usage "required" "$root/scripts/coverage.sh"
  expect_usage "--corpus is required" "$root/scripts/coverage.sh" --provider reference
  expect_usage "unknown provider 'nosuch'" "$root/scripts/coverage.sh" --provider nosuch --corpus "$work"
  expect_usage "not a directory" "$root/scripts/coverage.sh" --provider reference --corpus "$work/a-file"
  expect_usage "unusable entries" "$root/scripts/coverage.sh" --provider reference --corpus "$work/bad-corpus"
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
assert "<canvas" in h and "m &lt;b&gt;&amp;" in h and "unreliable" in h
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
  test_report_diff
}

# shmfuzz report-diff: r1 has the leak, r1+r2 adds the crash.
test_report_diff() {
  local rc=0 err
  "$shmfuzz" report --out "$work/one" "$work/r1" >/dev/null || fail "report of r1"
  "$shmfuzz" report-diff "$work/one" "$work/out/campaign.json" --json "$work/diff.json" \
    >"$work/diff.txt" || rc=$?
  [ "$rc" = 1 ] || fail "report-diff with a new finding: exit $rc, want 1"
  python3 "$check" "$root/reports/schema/report-diff.json" "$work/diff.json" || fail "diff.json schema"
  grep -q "^  + crash-segv|RefFree|free" "$work/diff.txt" || fail "diff text: $(cat "$work/diff.txt")"
  python3 - "$work/diff.json" <<'PY' || fail "report-diff content"
import json, sys
d = json.load(open(sys.argv[1]))
assert [f["signature"] for f in d["new_findings"]] == ["crash-segv|RefFree|free"], d["new_findings"]
assert d["fixed_findings"] == [] and d["unchanged_findings"] == ["leak-pool|ShmfProviderUnload|teardown"], d
assert d["execs"] == {"old": 15000, "new": 30000, "delta": 15000, "percent": 100.0}, d["execs"]
cov = {c["engine"]: c for c in d["coverage"]}
assert cov["libfuzzer"]["unit"] == "libfuzzer-cov" and cov["libfuzzer"]["delta"] == 0, cov
PY
  rc=0
  "$shmfuzz" report-diff "$work/out" "$work/one" >"$work/diff2.txt" || rc=$?
  [ "$rc" = 0 ] || fail "report-diff with a fixed finding: exit $rc, want 0"
  grep -q "^fixed findings: 1" "$work/diff2.txt" && grep -q "^  - crash-segv|RefFree|free" "$work/diff2.txt" ||
    fail "fixed finding not listed: $(cat "$work/diff2.txt")"
  echo "ok: report-diff: 1 new (exit 1), 1 fixed (exit 0), JSON valid"
  # Bad input: exit 2, one line, no --json file.
  echo '{"schema": "shmfuzz-campaign/1", ' >"$work/trunc.json"
  echo '{"schema": "shmfuzz-run/1"}' >"$work/run.json"
  for a in "$work/nonexistent.json" "$work/trunc.json" "$work/run.json" "$work/empty-dir"; do
    mkdir -p "$work/empty-dir"
    rc=0
    err="$("$shmfuzz" report-diff "$work/one" "$a" --json "$work/bad-diff.json" 2>&1 >/dev/null)" || rc=$?
    if [ "$rc" != 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" != 1 ]; then fail "report-diff $a: exit $rc: $err"; fi
    [ ! -e "$work/bad-diff.json" ] || fail "report-diff $a left $work/bad-diff.json"
    echo "ok: report-diff ${a##*/} -> $err"
  done
  rc=0
  "$shmfuzz" report-diff "$work/one" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "report-diff with one argument: exit $rc"
  rc=0
  "$shmfuzz" report-diff "$work/one" "$work/one" --json "$work/a-dir-that-is-missing/d.json" 2>/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "report-diff to an unwritable --json: exit $rc"
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
  # An engine's crash that replays clean: kept apart as crash-unreproduced.
  "$shmfuzz" encode "$fixtures/clean.ops" -o "$work/in/crash-clean"
  local rc=0
  python3 "$root/scripts/campaign/triage.py" --shmfuzz "$shmfuzz" --provider "$so" \
    --run-dir "$work/run" --provider-source tests/campaign/planted.c "$work/in"/* || rc=$?
  [ "$rc" = 1 ] || fail "triage exit $rc, want 1 (findings)"
  python3 - "$work/run" <<'PY' || fail "triage content"
import glob, json, os, sys
d = sys.argv[1]
metas = {m["kind"]: m for m in (json.load(open(p)) for p in glob.glob(d + "/findings/*/meta.json"))}
assert sorted(metas) == ["crash-null-deref", "crash-unreproduced", "leak-pool"], sorted(metas)
unrep = metas.pop("crash-unreproduced")
assert unrep["unreproduced"] is True and unrep["signature"] == "crash-unreproduced|manual:crash", unrep
assert unrep["count"] == 1 and unrep["reliability"]["reproduced"] == 0 and unrep["input_bytes"] > 0, unrep
assert unrep["build"]["replay"]["provider"].endswith("planted.so"), unrep["build"]
assert not any(m["unreproduced"] for m in metas.values()), metas
leak = metas["leak-pool"]
assert leak["count"] == 2, leak
assert leak["reliability"] == {"attempts": 3, "reproduced": 3, "reliable": True}, leak
assert leak["minimized"] == "minimized.ops" and leak["minimized_ops"] < leak["input_ops"], leak
for m in metas.values():
    fd = os.path.join(d, "findings", [h for h in os.listdir(d + "/findings")
                      if json.load(open(os.path.join(d, "findings", h, "meta.json")))["kind"] == m["kind"]][0])
    for f in ("finding.json", "input.bin", "input.ops", "minimized.ops", "repro.c"):
        assert os.path.getsize(os.path.join(fd, f)) > 0, (fd, f)
print("ok: 5 artifacts -> 2 unique findings (leak x2, crash x1), 1 unreproduced crash, 1 slow input; minimized; 3/3")
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

# === Real campaigns (the fixture builds the engine trees first) ===

# The ctest fixture: the libFuzzer targets of the timed campaigns and the coverage
# runner, each preset in its own tree under $SHMF_BUILD_DIR.
test_build() {
  [ -n "${SHMF_BUILD_DIR:-}" ] || fail "SHMF_BUILD_DIR is not set"
  # shellcheck source=scripts/lib.sh
  . "$root/scripts/lib.sh"
  shmf_build libfuzzer fuzz_reference "fuzz_$planted" fuzz_generic || fail "build of preset libfuzzer (see $SHMF_BUILD_DIR/libfuzzer.log)"
  shmf_build coverage afl_reference || fail "build of preset coverage (see $SHMF_BUILD_DIR/coverage.log)"
  echo "ok: engine trees in $SHMF_BUILD_DIR"
}

campaign() {
  "$root/scripts/campaign.sh" --no-build --engine libfuzzer --jobs 1 --out "$work/out" "$@"
}

# The seed corpus is what the campaign read: a few odd inputs must be tolerated
# (every byte string is a program).
odd_corpus() {
  mkdir -p "$1"
  : >"$1/empty"
  printf '\001' >"$1/one-byte"
  python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(4096)))' >"$1/random"
  cp "$fixtures/leak.ops" "$1/text-not-binary"
}

# 20 s against the reference provider: clean, exit 0, every report valid.
test_reference() {
  local rc=0 t0=$SECONDS
  odd_corpus "$work/corpus"
  campaign --time 20s --corpus "$work/corpus" >"$work/summary.txt" 2>&1 || rc=$?
  cat "$work/summary.txt"
  [ "$rc" = 0 ] || fail "campaign exit $rc, want 0"
  validate_report "$work/out/latest"
  python3 "$check" "$root/reports/schema/run.json" "$work/out/latest/runs/libfuzzer.json" || fail "run.json"
  python3 - "$work/out/latest" <<'PY' || fail "campaign content"
import json, sys
c = json.load(open(sys.argv[1] + "/campaign.json"))
assert c["status"] == "ok" and c["provider"] == "reference" and c["findings"] == [], c["findings"]
r = c["runs"][0]
assert r["engine"] == "libfuzzer" and r["status"] == "ok" and r["execs"] > 0, r
assert c["coverage_over_time"] and c["corpus"]["after"] > 0, c["corpus"]
PY
  grep -q "ok: 0 unique findings, 0 new" "$work/summary.txt" || fail "no summary line"
  rc=0
  "$shmfuzz" report-diff "$work/out/latest" "$work/out/latest" >/dev/null || rc=$?
  [ "$rc" = 0 ] || fail "report-diff of a report with itself: exit $rc"
  echo "ok: 20 s reference campaign clean in $((SECONDS - t0)) s"
}

# 20 s against a planted-bug provider: exit 1, exactly the expected finding,
# minimized and reproducing, SARIF and HTML present.
test_planted() {
  local rc=0 t0=$SECONDS fdir
  campaign --provider "$planted" --time 20s >"$work/summary.txt" 2>&1 || rc=$?
  cat "$work/summary.txt"
  [ "$rc" = 1 ] || fail "campaign exit $rc, want 1"
  validate_report "$work/out/latest"
  # One bug, one kind and one provider function. The signature also names the
  # failing op, and the bug is reached from several (alloc, a deferred alloc run by
  # `work`, pending work run at teardown), so it may show as several signatures.
  python3 - "$work/out/latest" "$planted_kind" "$root" >"$work/fdirs" <<'PY' || fail "campaign content"
import json, sys
d, kind, root = sys.argv[1:]
vport_line = [n for n, ln in enumerate(open(root + "/providers/buggy/rev1_vport.c"), 1)
              if "P->VPortId != NDIS_DEFAULT_VPORT_ID" in ln][0]
c = json.load(open(d + "/campaign.json"))
f = c["findings"]
assert f and {x["kind"] for x in f} == {kind}, [x["signature"] for x in f]
assert len({x["signature"].rsplit("|", 1)[0] for x in f}) == 1, [x["signature"] for x in f]
for x in f:
    assert x["new"] and x["reliability"]["reliable"] and not x.get("unreproduced"), x
    assert x["minimized"] and x["minimized_ops"] <= x["input_ops"], x
    # The faulting line (the read of VPortId), the function's own line beside it.
    loc = x["location"]
    assert loc["file"] == "providers/buggy/rev1_vport.c" and loc["function"] == "RefValidate", loc
    assert loc["line"] == vport_line and loc["function_line"] < loc["line"], (loc, vport_line)
s = json.load(open(d + "/campaign.sarif"))["runs"][0]["results"]
assert len(s) == len(f) and {r["ruleId"] for r in s} == {kind}, s
assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == f[0]["location"]["file"] for r in s)
assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] == vport_line for r in s), s
assert kind in open(d + "/campaign.html").read()
for x in f:
    print(d + "/" + x["minimized"].rsplit("/", 1)[0])
PY
  while read -r fdir; do
    for f in finding.json input.bin input.ops minimized.ops repro.c; do
      [ -s "$fdir/$f" ] || fail "$fdir/$f missing"
    done
    python3 "$root/tests/expect_finding.py" "$shmfuzz" "$planted" "$fdir/minimized.ops" "$planted_kind" ||
      fail "the minimized input of $fdir does not reproduce"
  done <"$work/fdirs"
  fdir="$(head -n 1 "$work/fdirs")"
  rc=0
  "$root/scripts/repro.sh" "$fdir" >"$work/repro.txt" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "repro.sh $fdir: exit $rc, want 1: $(cat "$work/repro.txt")"
  if command -v gdb >/dev/null; then
    rc=0
    "$root/scripts/repro.sh" "$fdir" --gdb </dev/null >"$work/gdb.txt" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "repro.sh --gdb: exit $rc, want 1"
    grep -q "^#0 .*__sanitizer::Die\|^#0 .*shmf__report" "$work/gdb.txt" || fail "repro.sh --gdb: no backtrace: $(tail "$work/gdb.txt")"
    grep -q "rev1_vport.c" "$work/gdb.txt" || fail "repro.sh --gdb: the provider frame is not in the backtrace"
    echo "ok: repro.sh --gdb stops at the finding, provider frame in the backtrace"
  fi
  echo "ok: 20 s $planted campaign: $planted_kind in one function ($(wc -l <"$work/fdirs") signatures), minimized, reproduces; $((SECONDS - t0)) s"
}

# SIGINT mid-campaign: the engines stop, the finding is kept, the report is valid
# and marked interrupted, well before the budget.
test_interrupted() {
  local rc=0 pid t0=$SECONDS i
  "$root/scripts/campaign.sh" --no-build --engine libfuzzer --jobs 1 --out "$work/out" \
    --provider "$planted" --time 300s >"$work/summary.txt" 2>&1 &
  pid=$!
  for i in $(seq 1 60); do
    sleep 1
    ls "$work"/out/campaigns/*/work/libfuzzer/artifacts/crash-* >/dev/null 2>&1 && break
  done
  sleep 2
  kill -INT "$pid"
  wait "$pid" || rc=$?
  cat "$work/summary.txt"
  [ "$rc" = 1 ] || fail "interrupted campaign: exit $rc, want 1 (the finding is new)"
  [ $((SECONDS - t0)) -lt 150 ] || fail "the campaign did not stop on SIGINT"
  validate_report "$work/out/latest"
  python3 - "$work/out/latest" "$planted_kind" <<'PY' || fail "interrupted content"
import json, sys
d, kind = sys.argv[1:]
c = json.load(open(d + "/campaign.json"))
assert c["status"] == "interrupted", c["status"]
assert c["findings"] and {f["kind"] for f in c["findings"]} == {kind}, c["findings"]
assert c["runs"][0]["status"] == "interrupted" and c["corpus"]["method"] == "copy", c["runs"][0]
assert c["duration_s"] < 120, c["duration_s"]
PY
  echo "ok: SIGINT after $((SECONDS - t0)) s: report valid, status interrupted, finding kept"
}

# libFuzzer's workers (docs/campaigns.md "Throughput"): two in-process workers
# (--jobs 2) against slow.c, from a corpus holding an input that crashes it and one
# that hangs it: a worker stopped by either (while loading the corpus) writes its
# artifact and is restarted without that input, keeps fuzzing, and both findings
# are kept; the run's exec/s is its executions over its duration; CPU time is
# counted; the budget is not overrun.
test_workers() {
  local rc=0 t0=$SECONDS f
  mkdir -p "$work/corpus"
  for f in crash hang clean; do
    "$shmfuzz" encode "$fixtures/$f.ops" -o "$work/corpus/$f" || fail "encode $f.ops"
  done
  cp "$fixtures/slow.c" "$work/slow.c"
  sed -i "s|\.\./\.\./providers/|$root/providers/|" "$work/slow.c"
  "$root/scripts/campaign.sh" --no-build --engine libfuzzer --jobs 2 --time 20s --reliability 1 \
    --provider "$work/slow.c" --corpus "$work/corpus" --out "$work/out" >"$work/summary.txt" 2>&1 || rc=$?
  cat "$work/summary.txt"
  [ "$rc" = 1 ] || fail "campaign exit $rc, want 1 (new findings)"
  validate_report "$work/out/latest"
  python3 - "$work/out/latest" <<'PY' || fail "workers content"
import json, os, sys
d = sys.argv[1]
c = json.load(open(d + "/campaign.json"))
kinds = {f["kind"] for f in c["findings"]}
assert "hang" in kinds and any(k.startswith("crash-") for k in kinds), kinds
r = json.load(open(d + "/runs/libfuzzer.json"))
st = r["stats"]
assert r["status"] == "ok" and r["instances"] == 2, (r["status"], r["error"], r["instances"])
# Both inputs stopped a worker at load and were taken out; the workers went on.
assert st["inputs_dropped_at_load"] == 2 and st["restarts"] >= 2, st
assert st["worker_runs"] == st["restarts"] + 2, st
assert r["execs"] > 100 and r["execs"] == st["number_of_executed_units"], (r["execs"], st)
# duration_s is rounded to 0.1 s, exec_per_s computed before: allow that rounding
assert abs(r["exec_per_s"] - r["execs"] / r["duration_s"]) <= max(1, 0.01 * r["exec_per_s"]), \
    (r["exec_per_s"], r["execs"], r["duration_s"])
assert r["cpu_s"] > 0, r["cpu_s"]
# A worker inside an input when the budget ends finishes it: a hang runs on to
# libFuzzer's -timeout=10 (the workers find slow.c's hang often since its Length
# comparison feeds the cmp kind), and a restart may begin just before the end;
# the campaign interrupts what is left 20 s past the budget (STOP_GRACE_S).
assert r["duration_s"] <= 20 + 20 + 5, r["duration_s"]
ex = [s["execs"] for s in r["samples"]]
assert ex == sorted(ex), ex
assert sorted(r["logs"]) == ["work/libfuzzer/libfuzzer-w1.log", "work/libfuzzer/libfuzzer.log"], r["logs"]
art = os.listdir(d + "/work/libfuzzer/artifacts")
assert any(a.startswith("crash-") for a in art) and any(a.startswith("timeout-") for a in art), art
print("ok: 2 workers, %d runs, %d inputs dropped at load, %d execs at %.0f/s (%.1f CPU s), kinds %s" % (
    st["worker_runs"], st["inputs_dropped_at_load"], r["execs"], r["exec_per_s"], r["cpu_s"], sorted(kinds)))
PY
  grep -q "^campaign: worker [01]: run 2, " "$work"/out/latest/work/libfuzzer/libfuzzer*.log ||
    fail "no worker restart in the logs"
  echo "ok: libFuzzer workers restarted after a crash and a timeout, findings kept; $((SECONDS - t0)) s"
}

# === Engines that fail, and crashes no replay reproduces ===

# A stand-in for AFL++, so these tests need no afl tree: afl-fuzz, afl-cmin and
# afl-clang-fast on a PATH of their own, and an afl tree that holds only the
# target's name. $FAKE_AFL says what afl-fuzz does:
#   fail   print AFL++'s abort line and exit 1 at once (the fork server never came up)
#   idle   run for its -V budget, execute nothing, exit 0
#   crash  write fuzzer_stats (1000 execs, "execs_per_sec 0") and one crash, an
#          input from its -i dir that replays clean, run for -V, exit 0
# With $FAKE_AFL_ROLES set, each instance appends its name, its
# AFL_CUSTOM_MUTATOR_ONLY and its arguments to that file.
# Prints the PATH to use; the trees go to $work/trees (SHMF_BUILD_DIR), its
# libfuzzer tree the fixture's.
fake_afl() {
  local bin="$work/fake-afl-bin" t
  mkdir -p "$bin" "$work/trees/afl/fuzz"
  ln -sfn "$SHMF_BUILD_DIR/libfuzzer" "$work/trees/libfuzzer"
  cat >"$bin/afl-fuzz" <<'SH'
#!/bin/sh
# fake afl-fuzz for tests/campaign/run_test.sh (see fake_afl there)
all="$*"
if [ "${FAKE_AFL:-}" = fail ]; then
  echo "[-] PROGRAM ABORT : fake afl-fuzz: fork server handshake failed"
  exit 1
fi
in="" out="" name="" budget=5
while [ $# -gt 0 ]; do
  case "$1" in
    -i) in="$2"; shift ;; -o) out="$2"; shift ;; -M|-S) name="$2"; shift ;; -V) budget="$2"; shift ;;
    --) break ;;
  esac
  shift
done
if [ -n "${FAKE_AFL_ROLES:-}" ]; then
  echo "$name only=${AFL_CUSTOM_MUTATOR_ONLY-unset} args: $all" >>"$FAKE_AFL_ROLES"
fi
if [ "${FAKE_AFL:-}" = crash ]; then
  mkdir -p "$out/$name/crashes" "$out/$name/queue"
  printf 'execs_done        : 1000\nexecs_per_sec     : 0\ncorpus_count      : 1\nedges_found       : 10\nsaved_crashes     : 1\nrun_time          : 1\n' \
    >"$out/$name/fuzzer_stats"
  cp "$(find "$in" -type f | sort | sed -n 1p)" "$out/$name/crashes/id:000000,sig:11,src:000000"
fi
sleep "$budget"
SH
  for t in afl-cmin afl-clang-fast; do printf '#!/bin/sh\nexit 1\n' >"$bin/$t"; done
  for t in afl_reference "afl_$planted"; do printf '#!/bin/sh\nexit 1\n' >"$work/trees/afl/fuzz/$t"; done
  chmod +x "$bin"/* "$work/trees/afl/fuzz"/*
  printf '%s\n' "$bin:$PATH"
}

# Run a campaign with the stand-in AFL++: fake_campaign MODE OUT ARGS...; sets
# $rc, the campaign's stderr is in OUT.txt.
fake_campaign() {
  local how="$1" out="$2" fpath
  shift 2
  fpath="$(fake_afl)"
  rc=0
  env PATH="$fpath" FAKE_AFL="$how" SHMF_BUILD_DIR="$work/trees" "$root/scripts/campaign.sh" \
    --no-build --out "$out" "$@" >"$out.txt" 2>&1 || rc=$?
  cat "$out.txt"
}

# meta.json, runs/<engine>.json and the report agree on the status and the reason:
# expect_status OUT STATUS ENGINE=STATUS...
expect_status() {
  local out="$1" status="$2"
  shift 2
  python3 - "$out/latest" "$status" "$@" <<'PY' || fail "status content ($status)"
import html, json, sys
d, status, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
m = json.load(open(d + "/meta.json"))
assert m["status"] == status, (m["status"], m["error"])
c = json.load(open(d + "/campaign.json"))
assert c["status"] == status, c["status"]
for p in pairs:
    eng, st = p.split("=")
    r = json.load(open("%s/runs/%s.json" % (d, eng)))
    assert r["status"] == st, (eng, r["status"], r["error"])
    assert (r["error"] is None) == (st == "ok"), (eng, r["error"])
    if st == "failed":
        assert eng in m["error"] and r["error"] in m["error"], (m["error"], r["error"])
if status == "ok":
    assert m["error"] is None, m["error"]
else:
    assert m["error"] and c.get("error") == m["error"], (m["error"], c.get("error"))
    inv = json.load(open(d + "/campaign.sarif"))["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False, inv
    assert any(m["error"] in n["message"]["text"] for n in inv["toolExecutionNotifications"]), inv
    h = open(d + "/campaign.html").read()
    for p in pairs:
        eng, st = p.split("=")
        if st == "failed":
            err = json.load(open("%s/runs/%s.json" % (d, eng)))["error"]
            assert html.escape(err, quote=False) in h, ("HTML lacks the reason", err)
print("ok: meta.json, runs/, campaign.json%s say %s" % ("" if status == "ok" else ", SARIF, HTML", status))
PY
}

# The AFL++ instances' mutation settings (scripts/campaign/engines.py,
# afl_custom_only): the main instance and the even secondaries run the
# record-level mutator alone, the -p explore ones keep AFL++'s havoc;
# AFL_CUSTOM_MUTATOR_ONLY=0 in the environment keeps havoc everywhere.
test_afl_roles() {
  local roles="$work/roles.txt"
  FAKE_AFL_ROLES="$roles" fake_campaign idle "$work/out" --engine afl --jobs 3 --time 2s
  cat "$roles"
  grep -q '^main-[^ ]* only=1 args: .*-M ' "$roles" || fail "main instance: not custom-only"
  grep -q '^s1-[^ ]* only=unset args: .*-p explore' "$roles" || fail "s1: want havoc and -p explore"
  grep -q '^s2-[^ ]* only=1 ' "$roles" || fail "s2: not custom-only"
  [ "$(wc -l <"$roles")" = 3 ] || fail "want 3 instances"
  rm -f "$roles"
  AFL_CUSTOM_MUTATOR_ONLY=0 FAKE_AFL_ROLES="$roles" fake_campaign idle "$work/out2" --engine afl \
    --jobs 3 --time 2s
  [ "$(grep -c ' only=unset ' "$roles")" = 3 ] || fail "AFL_CUSTOM_MUTATOR_ONLY=0: $(cat "$roles")"
  echo "ok: main and s2 custom-only, s1 with havoc; AFL_CUSTOM_MUTATOR_ONLY=0 keeps havoc on all"
}

# An engine that cannot run: exit 2, status failed and why, in every output.
# (1) libFuzzer exits at once: the provider (a folder: the reference plus a
# constructor) loads in shmfuzz replay but exits when loaded in a libFuzzer
# binary. (2) An AFL++ that runs for its budget and executes nothing.
test_failed() {
  local t0=$SECONDS rc=0
  mkdir -p "$work/nolf"
  cp "$root/providers/reference/reference.c" "$work/nolf/"
  cat >"$work/nolf/refuse.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
/* Loads in `shmfuzz replay`; refuses to run in a libFuzzer binary. */
__attribute__((constructor)) static void refuse_libfuzzer(void)
{
    if (dlsym(RTLD_DEFAULT, "LLVMFuzzerRunDriver")) {
        fprintf(stderr, "ERROR: this provider refuses to run under libFuzzer\n");
        _exit(3);
    }
}
C
  campaign --provider "$work/nolf" --time 15s >"$work/summary.txt" 2>&1 || rc=$?
  cat "$work/summary.txt"
  [ "$rc" = 2 ] || fail "libFuzzer that exits at once: exit $rc, want 2"
  tail -n 1 "$work/summary.txt" | grep "^campaign: failed (libfuzzer: exited with code 3 before any execution: ERROR: this provider refuses to run under libFuzzer (see work/libfuzzer/libfuzzer.log)): 0 unique findings" >/dev/null ||
    fail "summary line: $(tail -n 1 "$work/summary.txt")"
  validate_report "$work/out/latest"
  expect_status "$work/out" failed libfuzzer=failed
  fake_campaign idle "$work/out-idle" --engine afl --jobs 1 --time 3s
  [ "$rc" = 2 ] || fail "AFL++ that executes nothing: exit $rc, want 2"
  tail -n 1 "$work/out-idle.txt" | grep "^campaign: failed (afl: executed nothing (see work/afl/afl-main-.*\.log)): " >/dev/null ||
    fail "summary line: $(tail -n 1 "$work/out-idle.txt")"
  validate_report "$work/out-idle/latest"
  expect_status "$work/out-idle" failed afl=failed
  echo "ok: an engine that exits at once, and one that executes nothing: failed, exit 2, report written; $((SECONDS - t0)) s"
}

# One engine fails while the other runs: partial, exit 2, the findings of the
# engine that ran still reported.
test_partial() {
  local t0=$SECONDS
  fake_campaign fail "$work/out" --provider "$planted" --engine both --jobs 2 --time 10s
  [ "$rc" = 2 ] || fail "partial campaign: exit $rc, want 2"
  tail -n 1 "$work/out.txt" | grep "^campaign: partial (afl: exited with code 1 before any execution: \[-\] PROGRAM ABORT : fake afl-fuzz: fork server handshake failed (see work/afl/afl-main-.*\.log)): [1-9][0-9]* unique findings" >/dev/null ||
    fail "summary line: $(tail -n 1 "$work/out.txt")"
  grep -q "^campaign: libfuzzer: ok, " "$work/out.txt" || fail "no libfuzzer line"
  validate_report "$work/out/latest"
  expect_status "$work/out" partial libfuzzer=ok afl=failed
  python3 - "$work/out/latest" "$planted_kind" <<'PY' || fail "partial: the finding"
import json, sys
d, kind = sys.argv[1:]
c = json.load(open(d + "/campaign.json"))
assert c["findings"] and {f["kind"] for f in c["findings"]} == {kind}, c["findings"]
PY
  echo "ok: libFuzzer ran, AFL++ failed: partial, exit 2, finding kept; $((SECONDS - t0)) s"
}

# A crash no replay reproduces: kept (input, engine, build, count) but apart;
# it makes the exit code 1 only with --strict. Also: an engine that says
# "exec/s 0" gets its rate computed from the executions.
test_unreproduced() {
  local t0=$SECONDS
  fake_campaign crash "$work/out" --engine afl --jobs 1 --time 3s
  [ "$rc" = 0 ] || fail "an unreproduced crash alone: exit $rc, want 0"
  grep -q "^campaign: unreproduced: crash-unreproduced|afl:crash x1 (afl x1), reproduced 0/3, input .*/input.bin; not counted in the exit code (--strict counts it)$" "$work/out.txt" ||
    fail "no unreproduced line"
  tail -n 1 "$work/out.txt" | grep "^campaign: ok: 0 unique findings, 0 new, 1 unreproduced crash; " >/dev/null ||
    fail "summary line: $(tail -n 1 "$work/out.txt")"
  validate_report "$work/out/latest"
  expect_status "$work/out" ok afl=ok
  python3 - "$work/out/latest" <<'PY' || fail "unreproduced content"
import glob, json, os, sys
d = sys.argv[1]
(mp,) = glob.glob(d + "/findings/*/meta.json")
m = json.load(open(mp))
assert m["unreproduced"] is True and m["kind"] == "crash-unreproduced", m
assert m["count"] == 1 and m["engines"] == {"afl": 1}, m
assert m["build"]["afl"]["binary"].endswith("/afl/fuzz/afl_reference") and m["build"]["replay"]["binary"], m["build"]
assert os.path.getsize(os.path.join(os.path.dirname(mp), "input.bin")) > 0
r = json.load(open(d + "/runs/afl.json"))
assert r["execs"] == 1000 and 0 < r["exec_per_s"] <= 1000, r
assert all(s["exec_per_s"] and s["exec_per_s"] > 0 for s in r["samples"]), r["samples"]
c = json.load(open(d + "/campaign.json"))
assert c["findings"] == [] and len(c.get("unreproduced", [])) == 1, (c["findings"], c.get("unreproduced"))
assert c["totals"]["exec_per_s"] > 0, c["totals"]
print("ok: unreproduced crash kept apart; exec/s %.1f computed from 1000 execs" % r["exec_per_s"])
PY
  fake_campaign crash "$work/out-strict" --engine afl --jobs 1 --time 3s --strict
  [ "$rc" = 1 ] || fail "an unreproduced crash with --strict: exit $rc, want 1"
  grep -q "^campaign: unreproduced: crash-unreproduced|afl:crash x1 (afl x1), reproduced 0/3, input .*/input.bin$" "$work/out-strict.txt" ||
    fail "no unreproduced line (--strict)"
  echo "ok: unreproduced crash: exit 0, and 1 with --strict; $((SECONDS - t0)) s"
}

# scripts/coverage.sh: llvm-cov HTML and a JSON summary of the reference's lines
# and branches over a small corpus and the seeds.
test_coverage() {
  local f
  mkdir -p "$work/corpus"
  for f in leak leak2 crash; do "$shmfuzz" encode "$fixtures/$f.ops" -o "$work/corpus/$f"; done
  "$root/scripts/coverage.sh" --no-build --provider reference --corpus "$work/corpus" \
    --out "$work/cov" || fail "coverage.sh exit $?"
  [ -s "$work/cov/html/index.html" ] && [ -s "$work/cov/report.txt" ] || fail "no HTML or report.txt"
  python3 - "$work/cov/summary.json" <<'PY' || fail "summary.json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "shmfuzz-coverage/1" and s["inputs"] >= 3, s
assert [f["file"] for f in s["files"]] == ["providers/reference/reference.c", "providers/reference/ring_driver.c"], s["files"]
for k in ("lines", "branches", "functions"):
    assert 0 < s[k]["covered"] <= s[k]["count"] and 0 < s[k]["percent"] <= 100, (k, s[k])
print("ok: coverage of reference: lines %.1f%%, branches %.1f%%" % (s["lines"]["percent"], s["branches"]["percent"]))
PY
}

"test_$name"
