"""Shared fixtures for the integration tier: the real default model and an index of the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.build import build_index
from search.encoder import load_encoder
from search.retrieve import Searcher

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="session")
def real_encoder():
    return load_encoder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_encoder) -> Path:
    index = tmp_path_factory.mktemp("seed") / "index"
    build_index(CORPUS, index, real_encoder)
    return index


@pytest.fixture(scope="session")
def seed_searcher(seed_index, real_encoder) -> Searcher:
    return Searcher.open(seed_index, encoder=real_encoder)
