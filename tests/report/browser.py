#!/usr/bin/env python3
"""campaign.html in a real browser (headless Chromium, Debian's chromium).

usage: browser.py SHMFUZZ ROOT WORKDIR [CAMPAIGN_DIR...]

Pages checked:
  big       a generated 8 h campaign: 2 engines x 1,000 samples, 200 unique
            findings (each with finding.json and minimized.ops); must load and
            draw its charts in under a second
  failed    a campaign whose engine failed: the reason first, no "No findings."
  each CAMPAIGN_DIR given (the campaign tests' real clean and planted-bug
  campaigns, when they ran): re-rendered with this shmfuzz into WORKDIR
For every page, from the DOM Chromium dumps after the scripts ran: one findings
row per finding of campaign.json, every local link resolves to a file, every
chart canvas was drawn (Chart.js inlined, axes titled by the script), no script
error.  Screenshots of the pages go to ROOT/reports/out/screenshots/.
Exit 77 (skip) when Chromium is not installed.
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_campaign import big_campaign, write  # noqa: E402

SHMFUZZ, ROOT, WORK = sys.argv[1:4]
CAMPAIGNS = sys.argv[4:]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files"]
SHOTS = os.path.join(ROOT, "reports", "out", "screenshots")


def failed_campaign():
    d = os.path.join(WORK, "failed-run")
    shutil.rmtree(d, ignore_errors=True)
    write(os.path.join(d, "meta.json"), {
        "schema": "shmfuzz-campaign-meta/1", "provider": "p", "mode": "batch", "status": "failed",
        "error": "libfuzzer: exited with 2 before any progress", "started": "2026-01-01T00:00:00Z",
        "ended": "2026-01-01T00:00:05Z", "duration_s": 5, "budget_s": 60, "jobs": 1})
    write(os.path.join(d, "runs", "libfuzzer.json"), {
        "schema": "shmfuzz-run/1", "engine": "libfuzzer", "provider": "p", "status": "failed",
        "error": "exited with 2 before any progress", "duration_s": 5, "execs": 0,
        "exec_per_s": 0, "samples": []})
    return d


def render(name, run_dir):
    out = os.path.join(WORK, name)
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([SHMFUZZ, "report", "--out", out, run_dir], capture_output=True, text=True)
    assert p.returncode == 0, "report %s: %s" % (name, p.stderr)
    return out


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.body, self.rows, self.links, self.canvases = {}, 0, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "tr" and "finding" in (a.get("class") or "").split():
            self.rows += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "canvas":
            self.canvases.append(a)


def chromium(args, timeout=90):
    prof = os.path.join(WORK, "chromium-profile")
    return subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + prof] + args,
                          capture_output=True, text=True, timeout=timeout)


def check_page(name, out, want_charts=None, max_ms=None):
    page = os.path.join(out, "campaign.html")
    with open(os.path.join(out, "campaign.json")) as f:
        camp = json.load(f)
    t0 = time.time()
    p = chromium(["--dump-dom", "file://" + page])
    wall = time.time() - t0
    assert p.returncode == 0, "%s: chromium exit %d: %s" % (name, p.returncode, p.stderr[-500:])
    dom = Dom()
    dom.feed(p.stdout)
    b = dom.body
    assert not b.get("data-errors"), "%s: script errors: %s" % (name, b.get("data-errors"))
    assert dom.rows == len(camp["findings"]), (name, dom.rows, len(camp["findings"]))
    drawn = [c for c in dom.canvases if c.get("data-drawn") == "1"]
    assert dom.canvases and len(drawn) == len(dom.canvases), \
        "%s: %d of %d charts drawn" % (name, len(drawn), len(dom.canvases))
    if want_charts:
        assert len(drawn) >= want_charts, (name, len(drawn))
    for href in dom.links:
        u = urllib.parse.urlparse(href)
        if u.scheme in ("http", "https"):
            continue
        path = urllib.parse.unquote(u.path)
        path = path if os.path.isabs(path) else os.path.join(out, path)
        assert os.path.exists(path), "%s: link %s does not resolve" % (name, href)
    ms = int(b.get("data-load-ms", "0"))
    if max_ms is not None:
        assert ms < max_ms, "%s: page load took %d ms (want < %d)" % (name, ms, max_ms)
    os.makedirs(SHOTS, exist_ok=True)
    shot = os.path.join(SHOTS, name + ".png")
    chromium(["--window-size=1280,2400", "--virtual-time-budget=5000", "--screenshot=" + shot,
              "file://" + page])
    print("ok: %s: %d findings rows, %d charts drawn, %d links resolve, loaded in %d ms "
          "(chart script %s ms; chromium %.1f s); screenshot %s" % (
              name, dom.rows, len(drawn), len(dom.links), ms, b.get("data-chart-ms"), wall, shot))
    return p.stdout


def main():
    if not CHROMIUM:
        print("skip: chromium not installed (scripts/setup-deps.sh --tests installs it)")
        return 77
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    out = render("big", big_campaign(WORK))
    size = os.path.getsize(os.path.join(out, "campaign.html"))
    # A sanity bound only (the machine may be loaded): the 1 s target is measured
    # by scripts/bench.sh report.
    dom = check_page("big", out, want_charts=5, max_ms=10000)
    assert dom.count('class="diff"') == 1 and "INVALID_PARAMETER" in dom, "divergence side by side"
    print("ok: big page is %d KiB, one file" % (size // 1024))
    dom = check_page("failed", render("failed", failed_campaign()))
    assert "No findings." not in dom and "class=\"banner\"" in dom, "failed page"
    for i, d in enumerate(CAMPAIGNS):
        latest = os.path.join(d, "latest")
        if not os.path.isdir(latest):
            print("note: %s has no campaign (its test did not run)" % d)
            continue
        name = os.path.basename(os.path.dirname(os.path.abspath(d)))
        check_page(name, render(name, os.path.realpath(latest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
