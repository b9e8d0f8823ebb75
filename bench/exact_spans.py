"""Verbatim wording: a span copied from inside a clause must bring that clause back first.

    .venv/bin/python bench/exact_spans.py                          # index of corpus/ (built)
    .venv/bin/python bench/exact_spans.py --index DIR --name ncp   # any other index, e.g. NCP notices

Samples (fixed seed) SPANS spans of 12–40 characters from the index's clauses, each occurring in
exactly one clause (compared squeezed: no whitespace or punctuation, width- and quote-folded, as
search.text.squeeze compares), each with at least 10 characters of wording; then searches each span
and reports the share whose clause is first (top-1), in the top 3, and the mean search time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from search.retrieve import Filters, Searcher
from search.text import squeeze

from machine import machine

ROOT = Path(__file__).resolve().parents[1]
SPANS = 1000
SEED = 20261206
MIN_CHARS, MAX_CHARS, MIN_WORDING = 12, 40, 10


def sample_spans(clauses: list, n: int = SPANS, seed: int = SEED) -> list[tuple[str, int]]:
    """(span text, clause row) pairs: spans cut from random clauses, kept when unique in the corpus."""
    squeezed = [squeeze(c.text) for c in clauses]
    joined = "\x00".join(squeezed)
    rng = random.Random(seed)
    eligible = [i for i, c in enumerate(clauses) if len(c.text) >= MIN_CHARS]
    spans, seen, tries = [], set(), 0
    while len(spans) < n and tries < 50 * n:
        tries += 1
        row = rng.choice(eligible)
        text = clauses[row].text
        width = rng.randint(MIN_CHARS, min(MAX_CHARS, len(text)))
        start = rng.randrange(len(text) - width + 1)
        span = text[start : start + width]
        needle = squeeze(span)
        if len(needle) < MIN_WORDING or needle in seen:
            continue
        first = joined.find(needle)
        if first < 0 or joined.find(needle, first + 1) >= 0:
            continue  # in no clause squeezed (cannot happen) or in more than one place
        seen.add(needle)
        spans.append((span, row))
    return spans


def evaluate(searcher: Searcher, spans: list[tuple[str, int]]) -> dict:
    top1 = top3 = 0
    misses, seconds = [], []
    for span, row in spans:
        started = time.perf_counter()
        rows = searcher.ranking(span, Filters()).rows[:3].tolist()
        seconds.append(time.perf_counter() - started)
        top1 += rows[:1] == [row]
        top3 += row in rows
        if rows[:1] != [row] and len(misses) < 20:
            misses.append({"span": span, "clause_row": row, "got": rows})
    n = len(spans)
    seconds.sort()
    return {
        "spans": n,
        "top1": round(top1 / n, 4) if n else 0.0,
        "top3": round(top3 / n, 4) if n else 0.0,
        "ranking_ms_mean": round(1000 * sum(seconds) / n, 2) if n else 0.0,
        "ranking_ms_p95": round(1000 * seconds[int(0.95 * (n - 1))], 2) if n else 0.0,
        "misses": misses,
    }


def write_run(out: Path, run: dict) -> None:
    """One results file for every corpus measured: each run under its corpus's name, the file's own
    date/commit/command those of the latest run (so the file says what last wrote it)."""
    report = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    runs = {**report.get("runs", {}), run["corpus"]: run}
    report = {**{k: run[k] for k in ("date", "commit", "command")}, "machine": machine(), "runs": runs}
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None, help="default: build an index of corpus/")
    parser.add_argument("--name", default="seeds", help="the corpus's name in the report")
    parser.add_argument("--spans", type=int, default=SPANS)
    parser.add_argument("--json", type=Path, default=None, help="default: bench/results/exact_spans.json")
    args = parser.parse_args(argv)
    from search.build import build_index
    from search.encoder import load_encoder

    encoder = load_encoder()
    index = args.index
    if index is None:
        index = Path(tempfile.mkdtemp(prefix="spans-index-")) / "index"
        build_index(ROOT / "corpus", index, encoder, progress=False)
    searcher = Searcher.open(index, encoder=encoder)
    clauses = searcher.catalogue.all_clauses()
    spans = sample_spans(clauses, args.spans)
    result = evaluate(searcher, spans)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    run = {
        "command": ".venv/bin/python bench/exact_spans.py"
        + (f" --index <an index of {args.name}> --name {args.name}" if args.index else ""),
        "commit": commit.strip()[:12],
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "corpus": args.name,
        "clauses": len(clauses),
        "seed": SEED,
        "span_chars": [MIN_CHARS, MAX_CHARS],
        "model": searcher.store.manifest.get("model"),
        **result,
    }
    print(json.dumps({k: v for k, v in run.items() if k != "misses"}, ensure_ascii=False))
    out = args.json or ROOT / "bench/results/exact_spans.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_run(out, run)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
