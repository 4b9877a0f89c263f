#!/usr/bin/env python3
"""Synthetic campaign run directories for the report tests and bench/report."""
import json
import os
import shutil


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f) if not isinstance(obj, str) else f.write(obj)


def samples(n, hours, rate, cov0):
    out = []
    for i in range(n):
        t = (i + 1) * hours * 3600.0 / n
        out.append({"t": round(t, 1), "execs": int(rate * t), "exec_per_s": rate + (i % 7) * 10,
                    "corpus_size": 50 + i // 3, "coverage": cov0 + int(300 * (1 - 1.0 / (1 + i)))})
    return out


def big_campaign(work):
    """An 8 h campaign: 2 engines x 1,000 samples, 200 findings (one a divergence)."""
    d = os.path.join(work, "big-run")
    shutil.rmtree(d, ignore_errors=True)
    write(os.path.join(d, "meta.json"), {
        "schema": "shmfuzz-campaign-meta/1", "provider": "/src/mine/provider.c",
        "provider_source": "/src/mine/provider.c", "mode": "batch", "status": "ok",
        "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T08:00:00Z",
        "duration_s": 28800, "budget_s": 28800, "jobs": 8})
    for eng, rate, unit in (("libfuzzer", 900, "libfuzzer-cov"), ("afl", 4000, "afl-edges")):
        write(os.path.join(d, "runs", eng + ".json"), {
            "schema": "shmfuzz-run/1", "engine": eng, "provider": "p", "status": "ok",
            "instances": 4, "duration_s": 28800, "execs": rate * 28800, "exec_per_s": rate,
            "cpu_s": 4 * 28800 * 0.95,
            "corpus_size": 400, "coverage": {"edges": 900, "unit": unit}, "crashes": 300,
            "hangs": 2, "samples": samples(1000, 8, rate, 100 if eng == "afl" else 600)})
    for i in range(200):
        fd = os.path.join(d, "findings", "%016x" % i)
        sig = "pool-overrun|Func%03d" % i
        write(os.path.join(fd, "meta.json"), {
            "schema": "shmfuzz-finding-meta/1", "signature": sig, "kind": "pool-overrun",
            "message": "write past pool block %d <b>" % i, "function": "Func%03d" % i,
            "count": 1 + i % 9, "first_seen": "2026-01-01T01:00:00Z", "first_seen_s": i * 140.0,
            "minimized": "minimized.ops", "input": "input.bin",
            "reliability": {"attempts": 3, "reproduced": 3, "reliable": True},
            "location": {"file": "/src/mine/provider.c", "line": 100 + i, "function": "Func%03d" % i},
            "new": i % 2 == 0})
        write(os.path.join(fd, "finding.json"), {
            "schema": "shmfuzz-finding/1", "kind": "pool-overrun", "signature": sig, "op": "alloc",
            "message": "m", "rule": "r", "trace": "shmfuzz-ops 1\n> alloc usage=1 length=4096\n",
            "reproduce": "scripts/repro.sh findings/%016x" % i,
            "frame": {"function": "Func%03d" % i, "file": "/src/mine/provider.c", "line": 100 + i},
            "faults": {"attempts": 3, "injected": 1, "sites": [
                {"site": "prov.so+0x1234", "function": "NdisAllocateMemoryWithTagPriority",
                 "attempts": 3, "injected": 1}]}})
        if i == 0:  # a divergence: both sides shown side by side
            fj = json.load(open(os.path.join(fd, "finding.json")))
            fj["differential"] = {
                "property": "accepted", "property_description": "a required refusal",
                "outcomes": {"provider": {"provider": "mine", "outcome": "SUCCESS", "value": "served"},
                             "against": {"provider": "reference", "outcome": "INVALID_PARAMETER",
                                         "value": "refused"}},
                "traces": {"provider": ">  1 alloc length=0\n  -> SUCCESS\n",
                           "against": ">  1 alloc length=0\n  -> INVALID_PARAMETER\n"}}
            write(os.path.join(fd, "finding.json"), fj)
        for name in ("minimized.ops", "input.ops"):
            write(os.path.join(fd, name), "shmfuzz-ops 1\nalloc usage=1 length=4096\n")
        for name in ("input.bin", "repro.c"):
            write(os.path.join(fd, name), "x")
    return d


