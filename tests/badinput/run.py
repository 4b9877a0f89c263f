#!/usr/bin/env python3
"""Table-driven bad-input test (issue 15 item 4): every error exits 2 with one line.

usage: run.py --shmfuzz BIN --scripts DIR --dev-tree DIR CASES.txt...

Each case of the tables (format in cases-shmfuzz.txt) runs in a fresh empty
directory under a temporary root outside the checkout, with its own TMPDIR, and
must give:
  - the exact exit code (2 for errors, 0 for --help / --version);
  - errors: exactly one non-empty line on stderr and nothing on stdout;
    help/version: output on stdout ("usage" in it for *-help cases), empty stderr;
  - the optional REGEX in stderr (errors) or stdout (help/version);
  - no sanitizer text ("Sanitizer", "runtime error") in either stream;
  - nothing left behind: the case's directory and TMPDIR empty, the fixtures
    unchanged.
Exit 0 when every case passes, 1 otherwise (each failure described).
"""
import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

SANITIZER = re.compile(r"Sanitizer|runtime error:")
TIMEOUT_S = 30


class Case:
    def __init__(self, src, lineno, name, rc, command, regex):
        self.where = "%s:%d" % (os.path.basename(src), lineno)
        self.name, self.rc, self.command, self.regex = name, rc, command, regex


def read_cases(path):
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) not in (3, 4) or parts[1] not in ("0", "2"):
                sys.exit("%s:%d: want 'NAME | 0|2 | COMMAND [| REGEX]': %s" % (path, n, line))
            cases.append(Case(path, n, parts[0], int(parts[1]), parts[2],
                              parts[3] if len(parts) == 4 else None))
    return cases


# === Fixtures ===

NOABI_C = "#include <ndis.h>\nint shmf_unrelated(void) { return 0; }\n"
CAMPAIGN = ('{"schema": "shmfuzz-campaign/1", "status": "%s", %s"provider": "reference", '
            '"findings": [], "runs": [], "totals": {"execs": 0, "exec_per_s": 0, '
            '"unique_findings": 0, "new_findings": 0}}\n')


def write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def make_fixtures(fix, shmfuzz, env):
    os.makedirs(os.path.join(fix, "empty"))
    os.makedirs(os.path.join(fix, "notarun"))
    os.makedirs(os.path.join(fix, "badrun"))
    os.makedirs(os.path.join(fix, "corpus-fifo"))
    os.mkfifo(os.path.join(fix, "fifo"))
    write(os.path.join(fix, "good.ops"), "shmfuzz-ops v=1\n# load, halt, unload\n")
    write(os.path.join(fix, "bad.ops"), "shmfuzz-ops v=1\nalloc size=\n")
    write(os.path.join(fix, "notprov.so"), "this is a text file, not a shared object\n")
    write(os.path.join(fix, "noabi.c"), NOABI_C)
    write(os.path.join(fix, "file.txt"), "a regular file\n")
    write(os.path.join(fix, "badrun", "meta.json"), "garbage\n")
    write(os.path.join(fix, "garbage.json"), "garbage\n")
    write(os.path.join(fix, "wrongschema.json"), '{"schema": "something-else/1"}\n')
    write(os.path.join(fix, "ok.json"), CAMPAIGN % ("ok", ""))
    write(os.path.join(fix, "failed.json"),
          CAMPAIGN % ("failed", '"error": "libfuzzer: exited with [2] before any progress", '))
    subprocess.run([shmfuzz, "encode", os.path.join(fix, "good.ops"), "-o",
                    os.path.join(fix, "good.bin")], check=True, env=env, cwd=fix)
    shutil.copy(os.path.join(fix, "good.bin"), os.path.join(fix, "corpus-fifo", "a.bin"))
    os.mkfifo(os.path.join(fix, "corpus-fifo", "zz-fifo"))


def unwritable_dir(root):
    """A directory in which no file can be created, or None."""
    candidates = []
    if os.geteuid() != 0:
        ro = os.path.join(root, "ro")
        os.mkdir(ro)
        os.chmod(ro, 0o555)
        candidates.append(ro)
    candidates += ["/sys", "/proc"]
    for d in candidates:
        try:
            fd, p = tempfile.mkstemp(dir=d)
        except OSError:
            return d
        os.close(fd)
        os.unlink(p)
    return None


def snapshot(top):
    """Every entry under top with its type, size and modification time."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            # A directory's own time changes when a probe file comes and goes.
            out[os.path.relpath(p, top)] = ((kind,) if kind == stat.S_IFDIR
                                            else (kind, st.st_size, st.st_mtime_ns))
    return out


# === Running a case ===

def check(case, rc, out, err, left):
    """The list of ways the result differs from the case's expectations."""
    bad = []
    if rc != case.rc:
        bad.append("exit %s, want %d" % (rc, case.rc))
    if SANITIZER.search(out) or SANITIZER.search(err):
        bad.append("sanitizer output")
    lines = err.splitlines()
    if case.rc == 2:
        if len(lines) != 1 or not lines[0].strip():
            bad.append("%d lines on stderr, want exactly 1" % len(lines))
        if out:
            bad.append("output on stdout, want none on an error")
    else:
        if not out.strip():
            bad.append("nothing on stdout")
        if err:
            bad.append("stderr not empty")
        if case.name.endswith("-help") and "usage" not in out.lower():
            bad.append("no usage on stdout")
    if case.regex and not re.search(case.regex, err if case.rc == 2 else out):
        bad.append("%s does not match /%s/" % ("stderr" if case.rc == 2 else "stdout",
                                                case.regex))
    if left:
        bad.append("left behind: " + ", ".join(sorted(left)[:5]))
    return bad


def run_case(case, idx, root, env, fix):
    fix_before = snapshot(fix)
    cwd = os.path.join(root, "cases", "%03d-%s" % (idx, case.name))
    tmp = os.path.join(root, "tmp", "%03d-%s" % (idx, case.name))
    os.makedirs(cwd)
    os.makedirs(tmp)
    cenv = dict(env, TMPDIR=tmp)
    t0 = time.monotonic()
    try:
        p = subprocess.run(["bash", "-c", case.command], cwd=cwd, env=cenv,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT_S)
        rc, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, out = "timeout (%d s)" % TIMEOUT_S, (e.stdout or b"").decode(errors="replace")
        err = (e.stderr or b"").decode(errors="replace")
    secs = time.monotonic() - t0
    left = ["./" + n for n in os.listdir(cwd)] + ["$TMPDIR/" + n for n in os.listdir(tmp)]
    after = snapshot(fix)
    left += ["$FIX/" + n for n in after if after[n] != fix_before.get(n)]
    left += ["$FIX/" + n + " (removed)" for n in fix_before if n not in after]
    return check(case, rc, out, err, left), out, err, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shmfuzz", required=True)
    ap.add_argument("--scripts", required=True)
    ap.add_argument("--dev-tree", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the temporary root")
    ap.add_argument("cases", nargs="+")
    a = ap.parse_args()
    cases = [c for path in a.cases for c in read_cases(path)]
    checkout = os.path.realpath(os.path.join(a.scripts, ".."))
    root = os.path.realpath(tempfile.mkdtemp(prefix="shmf-badinput."))
    if root.startswith(checkout + os.sep):
        sys.exit("badinput: the temporary root %s is inside the checkout" % root)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SHMFUZZ_PROVIDER", "SHMF_PROVIDER_PATH", "SHMF_BUILD_DIR")}
    env.update(SHMFUZZ=os.path.abspath(a.shmfuzz), SCRIPTS=os.path.abspath(a.scripts),
               SHMF_DEV_TREE=os.path.abspath(a.dev_tree), LC_ALL="C",
               ASAN_OPTIONS="detect_leaks=1" + (":" + env["ASAN_OPTIONS"] if env.get("ASAN_OPTIONS") else ""),
               UBSAN_OPTIONS="print_stacktrace=1" + (":" + env["UBSAN_OPTIONS"] if env.get("UBSAN_OPTIONS") else ""))
    fix = os.path.join(root, "fix")
    os.makedirs(fix)
    make_fixtures(fix, env["SHMFUZZ"], env)
    ro = unwritable_dir(root)
    env.update(FIX=fix, RO=ro or "/nonexistent-unwritable")
    failed = skipped = passed = 0
    for i, c in enumerate(cases):
        if c.name.startswith("pending:"):
            print("PENDING %-36s %s" % (c.name[8:], c.where))
            skipped += 1
            continue
        if "$RO" in c.command and not ro:
            print("SKIP    %-36s no unwritable directory here" % c.name)
            skipped += 1
            continue
        bad, out, err, secs = run_case(c, i, root, env, fix)
        if bad:
            failed += 1
            print("FAIL    %-36s %s (%.2f s): %s" % (c.name, c.where, secs, "; ".join(bad)))
            print("        command: %s" % c.command)
            for label, text in (("stdout", out), ("stderr", err)):
                for line in text.splitlines()[:12]:
                    print("        %s| %s" % (label, line))
        else:
            passed += 1
            print("ok      %-36s %.2f s" % (c.name, secs))
    print("badinput: %d passed, %d failed, %d pending or skipped (root %s%s)"
          % (passed, failed, skipped, root, ", kept" if failed or a.keep else ""))
    if not failed and not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
