#!/usr/bin/env python3
"""Load time of a big campaign.html in headless Chromium vs an empty page (bench/report).

usage: page_load.py SHMFUZZ ROUNDS OUT.json
Each round loads the empty page and the campaign page once (interleaved); the page
itself records the time from navigation to the end of its chart script
(data-load-ms), and the wall time of each Chromium run is kept too. Medians over
the rounds; the load average is recorded beside them.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "report"))
from gen_campaign import big_campaign  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def load(chromium, profile, page):
    t0 = time.time()
    p = subprocess.run([chromium] + FLAGS + ["--user-data-dir=" + profile, "--dump-dom",
                        "file://" + page], capture_output=True, text=True, timeout=120)
    wall = time.time() - t0
    m = re.search(r'data-load-ms="(\d+)"', p.stdout)
    return wall, int(m.group(1)) if m else None


def main():
    shmfuzz, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    chromium = shutil.which("chromium")
    if not chromium:
        print("bench report: chromium is not installed (scripts/setup-deps.sh --tests)",
              file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="shmf-bench-report.")
    try:
        run = big_campaign(work)
        rep = os.path.join(work, "report")
        subprocess.run([shmfuzz, "report", "--out", rep, run], check=True,
                       stdout=subprocess.DEVNULL)
        page = os.path.join(rep, "campaign.html")
        empty = os.path.join(work, "empty.html")
        with open(empty, "w") as f:
            f.write("<!DOCTYPE html><html><body></body></html>\n")
        walls, walls_empty, loads = [], [], []
        for _ in range(rounds):
            walls_empty.append(load(chromium, os.path.join(work, "prof"), empty)[0])
            wall, ms = load(chromium, os.path.join(work, "prof"), page)
            walls.append(wall)
            if ms is not None:
                loads.append(ms)
        if not loads:
            print("bench report: the page never finished its script", file=sys.stderr)
            return 1
        page_ms = statistics.median(loads)
        result = {
            "bench": "report", "rounds": rounds, "loadavg": os.getloadavg()[0],
            "page_bytes": os.path.getsize(page),
            "campaign": {"duration_s": 28800, "engines": 2, "samples_per_engine": 1000,
                         "unique_findings": 200},
            "figures": [
                {"name": "page load to charts drawn", "unit": "ms", "value": page_ms,
                 "spread": [min(loads), max(loads)], "target": "< 1000", "met": page_ms < 1000},
                {"name": "chromium run, campaign page", "unit": "s",
                 "value": round(statistics.median(walls), 2),
                 "baseline": round(statistics.median(walls_empty), 2),
                 "baseline_name": "chromium run, empty page",
                 "ratio": round(statistics.median(walls) / statistics.median(walls_empty), 2)}],
        }
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
        print("bench report: page load %d ms (median of %d, %d..%d; target < 1000); chromium "
              "%.2f s vs %.2f s for an empty page; load average %.1f" % (
                  page_ms, len(loads), min(loads), max(loads), statistics.median(walls),
                  statistics.median(walls_empty), result["loadavg"]))
        return 0 if page_ms < 1000 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
