#!/usr/bin/env python3
"""Add the machine (cores, CPU model) and the commit to a bench JSON file, atomically."""
import json, os, subprocess, sys

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"

def commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"],
                                       stderr=subprocess.DEVNULL, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"

src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    data = json.load(f)
data["machine"] = {"cores": os.cpu_count(), "cpu_model": cpu_model()}
data["commit"] = commit()
tmp = dst + ".tmp"
with open(tmp, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, dst)
