"""Import a script from bench/ by path (bench/ is not a package), once per test session.

The scripts import their neighbours (machine, scale_corpus) as a script run from bench/ would, with
bench/ first on sys.path; a test importing them needs the same, so bench/ is put there once, here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(filename: str) -> ModuleType:
    """``bench/<filename>`` as a module named ``bench_<stem>``, registered in sys.modules first because
    dataclasses look their module up while the file executes."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    name = f"bench_{Path(filename).stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / filename)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
