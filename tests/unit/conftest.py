"""Fixtures shared by the unit tests: a Searcher over the shipped plans with the fake encoder."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashEncoder

from search.build import build_index
from search.retrieve import Searcher

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    """The shipped plans indexed with HashEncoder, once per test module (a module's tests may change
    its weights or caches through monkeypatch; another module gets its own)."""
    index = tmp_path_factory.mktemp("plans") / "index"
    encoder = HashEncoder()
    build_index(CORPUS, index, encoder)
    return Searcher.open(index, encoder=encoder)
