"""Every module of the library imports on its own, in a fresh interpreter, and the two encoders do not
import each other: the runtime encoders share search.batching, and the int8 export lives apart from
the onnxruntime encoder that runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import search

PACKAGE = Path(search.__file__).parent
MODULES = sorted(f"search.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def imported_after(module: str) -> set[str]:
    """The search.* modules loaded by importing ``module`` alone in a new interpreter."""
    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith('search.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone(module):
    assert module in imported_after(module)


def test_encoders_do_not_import_each_other():
    assert "search.encoder" not in imported_after("search.onnx_encoder")
    assert "search.onnx_encoder" not in imported_after("search.encoder")
    assert "search.encoder" not in imported_after("search.onnx_export")
