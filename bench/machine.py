"""What a benchmark ran on, recorded beside its figures: the same code runs ~2× apart on the CPUs this
project meets (int8 speed depends on VNNI), and a shared VM lends its cores to others at times."""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path


def machine() -> dict:
    """Cores, memory, CPU model, whether it has VNNI, and the int8 weights the export uses on it."""
    from search.onnx_export import needs_reduced_range

    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    info = {
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpu": model.group(1).strip() if model else "",
        "vnni": bool(re.search(r"\b(avx512_vnni|avx_vnni)\b", cpuinfo)),
        "int8_weights": "7-bit (reduce_range)" if needs_reduced_range(cpuinfo) else "8-bit",
    }
    if "torch" in sys.modules:  # only where the benchmark runs torch: importing it costs seconds
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    return info


def cpu_times() -> list[int]:
    """The machine's CPU time counters (/proc/stat's first line: user … steal), or [] where unreadable."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            return [int(v) for v in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def steal_share(before: list[int], after: list[int]) -> float | None:
    """Share of CPU time the hypervisor gave to other guests between two cpu_times() readings: on a
    shared VM every timing in that window is slower by about that much, and none says so otherwise."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return round(spent[7] / max(1, sum(spent)), 3)
