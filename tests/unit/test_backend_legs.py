"""The backend legs' keyword top without the whole score array (no Milvus needed): when scores tie
across the cut, the rows it picks are the ones search.fusion.top picks from the whole array."""

from __future__ import annotations

import numpy as np
import pytest

from search.backends.serving import exact_top
from search.fusion import top


def best_first(scores: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positive rows by score, best first, tied rows in a random order (an engine's order)."""
    rows = np.flatnonzero(scores > 0)
    rows = rows[np.lexsort((rng.random(len(rows)), -scores[rows]))]
    return rows, scores[rows]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("size", [3_000, 40_000])
def test_exact_top_picks_what_top_picks_from_the_whole_array(seed, size):
    rng = np.random.default_rng(seed)
    # few distinct scores, so ties cross the cut; many rows match nothing
    scores = rng.choice(np.array([0, 0, 0, 0.5, 1.0, 1.5, 2.0, 2.5], dtype=np.float32), size=size)
    groups = size // 256  # fusion.top's groups (row r in group r % groups): high rows in distinct ones
    if groups >= 60:
        high = rng.choice(groups, 60, replace=False) + groups * rng.integers(0, 256, 60)
    else:
        high = rng.choice(size, 60, replace=False)
    scores[high[:45]] = 3.1 + rng.random(45).astype(np.float32)
    scores[high[45:]] = 3.0  # rows 46 to 60: a tie across the cut at 50
    depth = 50
    expected = np.sort(top(scores, depth))
    rows, ranked = best_first(scores, rng)
    settled = 0
    for limit in (4 * depth, 32 * depth, len(rows) + 1):
        got = exact_top(rows[:limit], ranked[:limit], size, depth, complete=limit > len(rows))
        if got is not None:
            np.testing.assert_array_equal(np.sort(got), expected)
            settled += 1
    assert settled >= 1  # the complete read always settles it
    if size > 256 * 51:
        # top's threshold (3.0) is above the lowest score read (2.5): a partial read settles it
        assert exact_top(rows[: 32 * depth], ranked[: 32 * depth], size, depth, complete=False) is not None
