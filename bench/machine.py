"""What a benchmark ran on, recorded beside its figures: the same code runs ~2× apart on the CPUs this
project meets (int8 speed depends on VNNI), and a shared VM lends its cores to others at times. Every
result file starts with :func:`provenance` (date, commit, machine, command) and names files by
:func:`relative` paths, so it says what produced it without naming this machine's folders."""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def commit() -> str:
    """The checkout's commit (short hash), with "+changes" when tracked files differ from it; "" outside
    git: a figure is reproducible only from the code that measured it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("+changes" if changed else "")


def relative(path: Path | str) -> str:
    """``path`` relative to the checkout (``corpus``, ``../shared/benchmarks/ncp``), as result files
    record it: the same on every machine, and no folder of this one."""
    return os.path.relpath(Path(path).resolve(), ROOT)


def provenance(script: str, argv: Sequence[str] | None = None) -> dict:
    """The fields every result file opens with: when, at which commit, on what, by which command."""
    args = list(sys.argv[1:] if argv is None else argv)
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "command": " ".join([".venv/bin/python", f"bench/{script}", *args]),
    }


def write_result(path: Path, report: dict) -> None:
    """Write a result file: UTF-8 JSON, indented, its folder made first; and say where it went."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
