"""Shared fixtures for the integration tier: the real default model and an index of the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped import copy_plans

from search.build import build_index
from search.encoder import load_encoder
from search.retrieve import Searcher


@pytest.fixture(scope="session")
def real_encoder():
    return load_encoder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_encoder) -> Path:
    """The shipped plans (the judged queries' documents), without the laws shipped beside them."""
    root = tmp_path_factory.mktemp("seed")
    index = root / "index"
    build_index(copy_plans(root / "corpus"), index, real_encoder)
    return index


@pytest.fixture(scope="session")
def seed_searcher(seed_index, real_encoder) -> Searcher:
    return Searcher.open(seed_index, encoder=real_encoder)
