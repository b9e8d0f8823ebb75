"""The shared-data guard: a missing data set skips a test on a developer's machine and fails it in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shared_data import NCP_DIR, PROJECT_ROOT, require


def test_shared_data_is_looked_for_beside_the_checkout_unless_named():
    expected = os.environ.get("POLICY_SEARCH_SHARED") or PROJECT_ROOT.parent / "shared"
    assert Path(expected) / "benchmarks" / "ncp" == NCP_DIR


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_data_fails_in_ci_and_skips_elsewhere(tmp_path, monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="not found"):
        require(tmp_path / "absent", "the NCP benchmark")


def test_present_data_lets_the_test_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    require(tmp_path, "a folder that exists")
