#!/usr/bin/env python3
"""What recording the provider's comparisons costs an AFL++ target.

Replays a folder of inputs (an AFL++ queue, a corpus) through an AFL++ target
with `afl-showmap -C` (its fork server, the target's persistent loop), once
without the operand ring the custom mutator shares with the target (the hooks
return at once) and once with one (each comparison is recorded: cmp.h,
harness/exec/cmplog_hooks.c), alternating, and prints the best time of each
and their ratio as JSON.  The ring is made here as the mutator makes it: a
memfd with the ring's magic, named in SHMFUZZ_CMP_FD.

usage: ring_cost.py AFL_TARGET INPUT_DIR [--reps N]
e.g.   ring_cost.py build/afl/fuzz/afl_reference out/default/queue
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import time

SLOTS, RING = 1024, 4  # SHMF_CMP_SLOTS, SHMF_CMP_RING
TABLE = 4 + 4 + 8 + SLOTS * 16  # gen, count, input_hash, entries
SIZE = 8 + 4 + 4 + RING * TABLE  # magic, next, reserved, tables
MAGIC = 0x53484D46434D5031  # SHMF_CMP_RING_MAGIC


def make_ring():
    fd = os.memfd_create("shmfuzz-cmp-bench", 0)
    os.ftruncate(fd, SIZE)
    os.pwrite(fd, struct.pack("<Q", MAGIC), 0)
    return fd


def replay(target, inputs, env, fds):
    t = time.perf_counter()
    rc = subprocess.run(["afl-showmap", "-q", "-C", "-i", inputs, "-o", "/dev/null", "--", target],
                        env=env, pass_fds=fds, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, check=False).returncode
    if rc not in (0, 1):  # 1: afl-showmap saw a crash or timeout among the inputs
        sys.exit("ring_cost: afl-showmap exited %d" % rc)
    return time.perf_counter() - t


def recorded(fd):
    """Tables the target wrote (the generation of each ring slot, summed)."""
    data = os.pread(fd, SIZE, 0)
    return sum(struct.unpack_from("<I", data, 16 + i * TABLE)[0] for i in range(RING))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("inputs")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    n = len([f for f in os.listdir(a.inputs) if os.path.isfile(os.path.join(a.inputs, f))])
    if n == 0:
        sys.exit("ring_cost: no inputs in %s" % a.inputs)
    fd = make_ring()
    plain = dict(os.environ, AFL_QUIET="1")
    plain.pop("SHMFUZZ_CMP_FD", None)
    ring = dict(plain, SHMFUZZ_CMP_FD=str(fd))
    best = {"no_ring": float("inf"), "ring": float("inf")}
    for _ in range(a.reps):
        best["no_ring"] = min(best["no_ring"], replay(a.target, a.inputs, plain, ()))
        best["ring"] = min(best["ring"], replay(a.target, a.inputs, ring, (fd,)))
    tables = recorded(fd)
    if tables == 0:
        sys.exit("ring_cost: the target recorded nothing (not built by shmfuzz_add_provider?)")
    print(json.dumps({"bench": "ring_cost", "target": a.target, "inputs": n, "reps": a.reps,
                      "best_s": {k: round(v, 4) for k, v in best.items()},
                      "ratio": round(best["ring"] / best["no_ring"], 3),
                      "tables_recorded": tables}, indent=2))


if __name__ == "__main__":
    main()
