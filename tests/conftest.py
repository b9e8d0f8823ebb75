"""Shared fixtures: the shipped seed corpus parsed once, and builders for small test files.

Binary fixtures (PDF, DOCX) are generated in ``tmp_path`` by the tests themselves rather than
committed, so every byte a test reads is visible in the test code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from benchmod import bench_module
from shipped import copy_plans

from search.pipeline import ParsedDoc, parse_corpus
from search.records import LoadProblem


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """The shipped plans (five real plans and catalog.csv), without the laws shipped beside them."""
    return copy_plans(tmp_path_factory.mktemp("plans") / "corpus")


@pytest.fixture(scope="session")
def seeds(seed_dir) -> dict[str, ParsedDoc]:
    """Every seed parsed once, keyed by its file-name prefix: "000" … "004"."""
    items = list(parse_corpus(seed_dir))
    problems = [item for item in items if isinstance(item, LoadProblem)]
    assert not problems, problems
    return {item.document.source[:3]: item for item in items}


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write ``{relative name: text or bytes}`` into a fresh folder and return the folder."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "corpus"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        return root

    return make


def minimal_pdf(lines: list[str] | None) -> bytes:
    """A one-page PDF 1.4 with a Helvetica text layer of ASCII ``lines``; ``None`` gives a page
    with an empty content stream (what a scan without OCR looks like to a text extractor).

    Objects are written by hand (bench/hostile_inputs.py's writer records their real byte offsets, so
    strict readers accept the file).
    """
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines or []]
    shows = " ".join(f"({line}) Tj 0 -16 Td" for line in escaped)
    stream = f"BT /F1 12 Tf 72 720 Td {shows} ET" if escaped else ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return bench_module("hostile_inputs.py").pdf_from_objects(objects)


@pytest.fixture
def pdf_bytes() -> Callable[[list[str] | None], bytes]:
    """The ``minimal_pdf`` builder, as a fixture."""
    return minimal_pdf
