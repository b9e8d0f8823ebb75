"""Where the read-only shared data lies: ``../shared`` beside the checkout (the NCP benchmark), found
from this file's place, never by an absolute path; ``POLICY_SEARCH_SHARED`` names another folder (a
second checkout, e.g. a git worktree, that does not sit beside it).

A test whose data is absent is skipped on a developer's machine, but fails in CI (``CI=true``): a guard
that silently skips there guards nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLICY_SEARCH_SHARED") or PROJECT_ROOT.parent / "shared")
NCP_DIR = SHARED / "benchmarks" / "ncp"
NCP_CORPUS = NCP_DIR / "corpus.jsonl"


def in_ci() -> bool:
    """Whether the suite runs in CI, as CI services announce it."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(path: Path, what: str) -> None:
    """Skip (locally) or fail (in CI) the calling test when ``path`` does not exist."""
    if path.exists():
        return
    message = f"{what} not found at {path} (expected in ../shared beside the checkout)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
