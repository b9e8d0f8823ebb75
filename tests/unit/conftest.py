"""Fixtures shared by the unit tests: a Searcher over the shipped plans with the fake encoder."""

from __future__ import annotations

import pytest
from fakes import HashEncoder
from shipped import copy_plans

from search.build import build_index
from search.retrieve import Searcher


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    """A copy of the shipped plans (not the laws: test_kinds.py has plans beside laws) indexed with
    HashEncoder, once per test module (a module's tests may change its weights or caches through
    monkeypatch; another module gets its own)."""
    folder = tmp_path_factory.mktemp("plans")
    index = folder / "index"
    encoder = HashEncoder()
    build_index(copy_plans(folder / "plans"), index, encoder)
    return Searcher.open(index, encoder=encoder)
