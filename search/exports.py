"""Census downloads: the CSV text (pure) and the files the app offers for download (written here, pruned
here), kept apart from the pure HTML views in search.app_views.

Why the CSV lists every matching clause: the census table shows one row per plan, but a researcher
exporting it wants the wording of each mention, with its citation, in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
import unicodedata
from pathlib import Path

from .app_views import clause_address
from .records import citation

CSV_HEADERS = [
    "年份",
    "发文机关",
    "地区",
    "标题",
    "来源文件",
    "文件内提及次数",
    "条款地址",
    "标题路径",
    "条款原文",
    "引用",
]


def _csv_cell(value: object) -> object:
    """Guard against spreadsheet formula injection: text starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def census_csv(result) -> str:
    """CSV text: one row per matching clause (a plan with no matching clause gets one row). Pure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for m in result.mentions:
        d = m.document
        base = [d.year or "", d.issuer, d.region, d.title, d.source, m.count]
        if not m.clauses:
            writer.writerow([_csv_cell(v) for v in [*base, "", "", "", ""]])
        for c in m.clauses:
            row = [*base, clause_address(c), " / ".join(c.path), c.text, citation(d, c)]
            writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def safe_file_stem(text: str, limit: int = 40) -> str:
    """A file-name-safe rendering of user text (CJK, letters, digits kept; the rest become _). Pure."""
    stem = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", unicodedata.normalize("NFKC", text or "")).strip("_.")
    return stem[:limit] or "term"


def prune_folders(root: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete the subfolders of ``root`` not modified for ``max_age_s`` seconds; returns how many.

    Why: each census writes its CSV download into a fresh folder; without pruning a busy app fills
    the disk (bench/load_app.py writes hundreds an hour).
    """
    if not root.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - max_age_s
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def write_census_csv(result, folder: Path) -> Path:
    """Write :func:`census_csv` under ``folder`` (UTF-8 with BOM, so spreadsheets read the Chinese)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"提及_{safe_file_stem(result.term)}.csv"
    path.write_text(census_csv(result), encoding="utf-8-sig")
    return path
