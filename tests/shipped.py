"""The shipped corpus: five real plans (with catalog.csv) at the top of corpus/, the national education
laws in corpus/laws/. Tests judged on the plans (their clauses, metadata, judged queries) read a copy of
the plans alone, so the laws beside them change none of those judgements."""

from __future__ import annotations

import shutil
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
LAWS = CORPUS / "laws"


def plan_files() -> list[Path]:
    """The plans and the catalog: every file at the corpus's top level (the laws sit in a folder)."""
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


def copy_plans(folder: Path) -> Path:
    """``folder`` holding a copy of the plans and the catalog; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in plan_files():
        shutil.copy2(path, folder / path.name)
    return folder
