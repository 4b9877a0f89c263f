"""Corpus upkeep: merge the engines' finds into the persistent corpus and prune it
(libFuzzer -merge=1; afl-cmin for AFL++'s queues), and keep new inputs on interrupt.
Source coverage of a corpus is scripts/coverage.sh (coverage.py)."""
import hashlib
import os
import shutil
import subprocess


def _files(d):
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, n) for n in sorted(os.listdir(d))
            if not n.startswith(".") and os.path.isfile(os.path.join(d, n))]


def count(d):
    return len(_files(d))


def copy_hashed(srcs, dst):
    """Copy every file of the srcs dirs into dst under its sha1 (libFuzzer's naming);
    returns how many were new. Used when there is no time to merge."""
    os.makedirs(dst, exist_ok=True)
    new = 0
    for d in srcs:
        for p in _files(d):
            with open(p, "rb") as f:
                data = f.read()
            if not data:
                continue
            out = os.path.join(dst, hashlib.sha1(data).hexdigest())
            if not os.path.exists(out):
                with open(out, "wb") as f:
                    f.write(data)
                new += 1
    return new


def afl_cmin(afl_bin, env, queues, out_dir, log):
    """afl-cmin over AFL++'s queues into out_dir; returns True when it worked."""
    qs = [q for q in queues if count(q)]
    if not qs:
        return False
    staging = out_dir + ".in"
    shutil.rmtree(staging, ignore_errors=True)
    copy_hashed(qs, staging)
    shutil.rmtree(out_dir, ignore_errors=True)
    env = dict(env, AFL_SKIP_BIN_CHECK="1", AFL_NO_AFFINITY="1")
    with open(log, "ab") as lf:
        rc = subprocess.run(["afl-cmin", "-i", staging, "-o", out_dir, "-t", "5000", "--",
                             afl_bin], env=env, stdout=lf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, timeout=900).returncode
    shutil.rmtree(staging, ignore_errors=True)
    return rc == 0 and count(out_dir) > 0


def lf_merge(lf_bin, env, persistent, extra_dirs, log):
    """libFuzzer -merge=1 of persistent + extra dirs into a fresh directory that then
    replaces the persistent corpus (merge and prune in one). Returns (before, after)
    or None when the merge failed (the persistent corpus is then left as it was)."""
    before = count(persistent)
    fresh = persistent.rstrip("/") + ".merge"
    shutil.rmtree(fresh, ignore_errors=True)
    os.makedirs(fresh)
    srcs = [d for d in [persistent] + extra_dirs if count(d)]
    if not srcs:
        return before, before
    ctl = os.path.join(os.path.dirname(log), "merge.control")
    argv = [lf_bin, "-merge=1", "-merge_control_file=" + ctl, "-timeout=10",
            "-rss_limit_mb=2048", "-detect_leaks=0", fresh] + srcs
    with open(log, "ab") as lf:
        rc = subprocess.run(argv, env=env, stdout=lf, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, timeout=3600).returncode
    if rc != 0 or (before and not count(fresh)):
        shutil.rmtree(fresh, ignore_errors=True)
        return None
    old = persistent.rstrip("/") + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(persistent):
        os.rename(persistent, old)
    os.rename(fresh, persistent)
    shutil.rmtree(old, ignore_errors=True)
    return before, count(persistent)
