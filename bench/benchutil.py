"""Helpers shared by the benchmarks in bench/."""

import os


def machine():
    """CPU model name (from /proc/cpuinfo) and core count of this machine."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model, os.cpu_count()
