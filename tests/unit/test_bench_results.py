"""Result files say what produced them (date, commit, machine, command) and name no folder of the
machine that ran them; the helpers the benchmarks write them with do the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmod import bench_module

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*")), ids=lambda p: p.name)
def test_every_result_file_records_its_run_and_no_absolute_path(path):
    assert path.suffix == ".json"
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["date"] and report["commit"] and report["machine"]
    assert "bench/" in report["command"]  # the script that wrote it, with its arguments
    assert not [s for s in strings(report) if s.startswith(("/", "~")) or "/home/" in s or "/work/" in s]


def test_provenance_and_relative_paths():
    machine = bench_module("machine.py")
    record = machine.provenance("eval_seeds.py", ["--json", "x.json"])
    assert record["command"] == ".venv/bin/python bench/eval_seeds.py --json x.json"
    assert record["date"][:2] == "20" and record["machine"]["cores"] >= 1
    assert isinstance(record["commit"], str)
    assert machine.relative(machine.ROOT / "corpus") == "corpus"
    assert machine.relative(machine.ROOT.parent / "shared" / "benchmarks") == "../shared/benchmarks"
