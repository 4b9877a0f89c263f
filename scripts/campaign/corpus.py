"""Corpus upkeep: merge the engines' finds into the persistent corpus and prune it
(libFuzzer -merge=1; afl-cmin for AFL++'s queues), keep new inputs on interrupt,
and measure source coverage of a corpus with the coverage build."""
import hashlib
import json
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


def coverage(cov_bin, env, inputs, out_dir, objects, log):
    """Run every input through the coverage runner, merge the profiles and write
    out_dir/html, out_dir/report.txt and out_dir/summary.json. Returns the totals."""
    raw = os.path.join(out_dir, "raw")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(raw)
    files = [p for d in inputs for p in _files(d)]
    env = dict(env, LLVM_PROFILE_FILE=os.path.join(raw, "%p-%m.profraw"))
    with open(log, "ab") as lf:
        for i in range(0, len(files), 64):
            batch = files[i:i + 64]
            # A finding aborts the runner and loses its profile: rerun one by one.
            if subprocess.run([cov_bin] + batch, env=env, stdout=lf, stderr=lf).returncode:
                for p in batch:
                    subprocess.run([cov_bin, p], env=env, stdout=lf, stderr=lf)
        prof = os.path.join(out_dir, "merged.profdata")
        profraws = [os.path.join(raw, n) for n in os.listdir(raw)]
        if not profraws:
            return None
        subprocess.run(["llvm-profdata-14", "merge", "-sparse", "-o", prof] + profraws,
                       stdout=lf, stderr=lf, check=True)
        objs = [cov_bin] + [a for o in objects for a in ("-object", o)]
        with open(os.path.join(out_dir, "report.txt"), "w") as rf:
            subprocess.run(["llvm-cov-14", "report", "-instr-profile", prof] + objs,
                           stdout=rf, stderr=lf)
        subprocess.run(["llvm-cov-14", "show", "-format=html", "-instr-profile", prof,
                        "-output-dir", os.path.join(out_dir, "html")] + objs,
                       stdout=lf, stderr=lf)
        ex = subprocess.run(["llvm-cov-14", "export", "-summary-only", "-instr-profile", prof]
                            + objs, stdout=subprocess.PIPE, stderr=lf)
    shutil.rmtree(raw, ignore_errors=True)
    try:
        totals = json.loads(ex.stdout)["data"][0]["totals"]
    except (ValueError, KeyError, IndexError):
        return None
    summary = {k: {"covered": v.get("covered"), "count": v.get("count"),
                   "percent": round(v.get("percent", 0.0), 2)}
               for k, v in totals.items() if k in ("lines", "functions", "regions", "branches")}
    summary["inputs"] = len(files)
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    return summary
