#!/usr/bin/env python3
"""Instructions per packet of bench/ring's verifier-off packet path, counted by
callgrind (deterministic: the same binary gives the same count on any load,
where packets/s on a shared or virtual machine moves from run to run).

Usage: instructions.py BENCH_RING IN.json OUT.json
Adds "instructions_per_packet" ({"64": n, "1500": n}) to the bench JSON, or a
note saying why it could not (valgrind missing or failing).  Each figure is
(I(long) - I(short)) / (packets(long) - packets(short)), so the world's setup
and teardown cancel out.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

BURST = 32
SHORT, LONG = 200, 1200  # bursts
LENS = (64, 1500)


def instructions(bench, bursts, pktlen):
    """Instructions executed by `bench --bursts bursts pktlen`, or None."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["valgrind", "--tool=callgrind",
               "--callgrind-out-file=" + os.path.join(tmp, "cg.out"),
               bench, "--bursts", str(bursts), str(pktlen)]
        run = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", run.stderr)
    return int(m.group(1)) if run.returncode == 0 and m else None


def per_packet(bench, pktlen):
    short, long_ = instructions(bench, SHORT, pktlen), instructions(bench, LONG, pktlen)
    if short is None or long_ is None:
        return None
    return round((long_ - short) / ((LONG - SHORT) * BURST), 1)


def main():
    bench, src, dst = sys.argv[1:4]
    with open(src) as f:
        data = json.load(f)
    notes = data.setdefault("notes", [])
    if shutil.which("valgrind") is None:
        notes.append("instructions_per_packet: valgrind is not installed, not counted")
    else:
        counts = {str(n): per_packet(bench, n) for n in LENS}
        if None in counts.values():
            notes.append("instructions_per_packet: callgrind failed, not counted")
        else:
            data["instructions_per_packet"] = counts
            notes.append(
                "instructions_per_packet: instructions executed per packet by the verifier-off "
                "packet path (bench_ring --bursts under callgrind, %d vs %d bursts of %d); "
                "deterministic, unlike packets/s on a shared machine" % (LONG, SHORT, BURST))
            print("(b) instructions per packet: " +
                  ", ".join("%s B %.1f" % kv for kv in counts.items()))
    tmp = dst + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, dst)


if __name__ == "__main__":
    main()
