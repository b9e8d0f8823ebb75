"""policy-search command line: a thin layer over the library (parse options, call, print).

Every error a user can cause ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from .app_server import app_options
from .config import DEFAULT_INDEX, apply_offline_env

apply_offline_env()

INDEX_OPTION = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=DEFAULT_INDEX,
    show_default=True,
    help="Index folder.",
)
MODEL_OPTION = click.option("--model", default=None, help="sentence-transformers model name or local path.")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _filter_options(func: Callable) -> Callable:
    for option in reversed(
        [
            click.option("--year", default=None, help="Year or range: 2021, 2020-2023, 2020-, -2023."),
            click.option("--issuer", default="", help="Text in the issuer, region or title (e.g. 高台)."),
            click.option("--level", default="", help="Administrative level: 国家 省 市 县 区."),
            click.option("--source", default="", help="Text in the document's source path or id."),
            click.option("--lead", default="", help="Text in a task's lead unit (牵头单位)."),
            click.option(
                "--kind",
                type=click.Choice(["plan", "law"]),
                default=None,
                help="Plans only, or laws only (documents read as 第X条 articles); default both.",
            ),
        ]
    ):
        func = option(func)
    return func


def friendly_errors(func: Callable) -> Callable:
    """Turn the library's user-facing errors into one line and exit code 2."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        from .errors import UserError

        try:
            return func(*args, **kwargs)
        except (UserError, FileNotFoundError) as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(2)

    return wrapper


def _print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=None))


def _backend_option(func: Callable) -> Callable:
    """--backend and --milvus-uri, passed to the command as one ``backend`` (name, uri) argument."""

    @click.option(
        "--backend",
        "backend_name",
        type=click.Choice(["local", "milvus"]),
        default="local",
        show_default=True,
        help="Where the index's legs are served from.",
    )
    @click.option("--milvus-uri", default=None, help="milvus-lite file (*.db) or http://host:19530.")
    @wraps(func)
    def wrapper(*args, backend_name: str, milvus_uri: str | None, **kwargs):
        return func(*args, backend=(backend_name, milvus_uri), **kwargs)

    return wrapper


def _searcher(index_dir: Path, model: str | None, backend: tuple[str, str | None] = ("local", None)):
    from .backends.serving import open_searcher
    from .pipeline import outdated_reader

    searcher = open_searcher(index_dir, model=model, backend=backend[0], uri=backend[1])
    if note := outdated_reader(searcher.store.manifest, index_dir):
        click.echo(f"note: {note}", err=True)
    return searcher


def _filters(year, issuer, level, source, lead="", kind=None):
    from .filters import Filters

    return Filters.parse(year, issuer, level, source, lead, kind or "")


def _searching(with_model: bool = True) -> Callable[[Callable], Callable]:
    """The options every search command shares (filters, --index, --model, --json, --backend), turned
    into the ``searcher`` and ``filters`` the command receives; errors are one line (friendly_errors)."""

    def decorate(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args, year, issuer, level, source, lead, kind, index_dir, backend, model=None, **kwargs):
            filters = _filters(year, issuer, level, source, lead, kind)
            return func(*args, searcher=_searcher(index_dir, model, backend), filters=filters, **kwargs)

        options = [_filter_options, INDEX_OPTION, *([MODEL_OPTION] if with_model else [])]
        for option in reversed([*options, JSON_OPTION, _backend_option, friendly_errors]):
            wrapper = option(wrapper)
        return wrapper

    return decorate


@click.group()
def main() -> None:
    """Search, census and cited answers over Chinese education work plans (教育工作要点)."""


@main.command()
@click.argument("corpus", type=click.Path(path_type=Path), nargs=-1, required=True)
@INDEX_OPTION
@MODEL_OPTION
@click.option("--threads", type=int, default=None, help="Encoder threads (default: up to 2).")
@_backend_option
@friendly_errors
def build(corpus: tuple[Path, ...], index_dir: Path, model: str | None, threads: int | None, backend) -> None:
    """Build or refresh the index of CORPUS (a folder of plans or a .jsonl file).

    Further folders (e.g. uploads) are indexed too, their sources prefixed with the folder's name;
    a further folder that does not exist yet is skipped.
    """
    from .backends import open_backend
    from .build import build_index
    from .encoder import load_encoder

    if not corpus[0].exists():
        raise FileNotFoundError(f"corpus {corpus[0]} does not exist: pass a folder of plans or a .jsonl file")
    encoder = load_encoder(model, threads=threads)
    report = build_index(list(corpus), index_dir, encoder, progress=True, backend=open_backend(*backend))
    for problem in report.problems:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"indexed {report.n_documents} documents, {report.n_clauses} clauses "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f}s → {index_dir}"
    )


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Resolve citations against this index (which document and article each 《…》 names).",
)
@JSON_OPTION
@friendly_errors
def inspect(file: Path, index_dir: Path | None, as_json: bool) -> None:
    """Show how FILE is read: metadata and clause tree (address, path, first characters), each clause's
    lead and responsible units, deadline and citations."""
    from .inspection import inspect_file
    from .links import titles_of

    titles = titles_of(_searcher(index_dir, None)) if index_dir is not None else None
    report = inspect_file(file, titles)
    if as_json:
        _print_json(report)
        return
    for problem in report["problems"]:
        click.echo(f"skipped {problem}", err=True)
    for doc in report["documents"]:
        click.echo(f"== {doc['source']}")
        for name in ("title", "issuer", "region", "level", "year", "doc_number", "date", "effective_date"):
            click.echo(f"  {name:10s} {doc[name] or '—'}  ({doc['provenance'].get(name, 'missing')})")
        click.echo(f"  {len(doc['clauses'])} clauses")
        for clause in doc["clauses"]:
            part = f" 之{clause['part']}" if clause["part"] else ""
            click.echo(f"  {clause['address'] + part:14s} {clause['text'][:40].replace(chr(10), ' ')}")
            for line in _clause_notes(clause):
                click.echo(f"  {'':14s}   {line}")


def _clause_notes(clause: dict) -> list[str]:
    """A clause's units, deadline and citations as lines (none when it has none)."""
    lines = []
    if clause["lead_units"] or clause["responsible_units"]:
        lead, responsible = "、".join(clause["lead_units"]), "、".join(clause["responsible_units"])
        lines.append(f"牵头 {lead or '—'}；责任 {responsible or '—'}")
    if clause["deadline"]:
        lines.append(f"时限 {clause['deadline']}")
    for cite in clause["cites"]:
        where = f" → {cite['source']} {cite['address']}".rstrip() if cite["source"] else ""
        lines.append(f"引用 《{cite['title']}》{cite['article']}{where}")
    return lines


@main.command("cited-by")
@click.argument("source")
@INDEX_OPTION
@JSON_OPTION
@friendly_errors
def cited_by(source: str, index_dir: Path, as_json: bool) -> None:
    """Clauses of indexed documents citing the document SOURCE (被引用), e.g. a law."""
    from .links import cited_by as citing_clauses

    found = citing_clauses(_searcher(index_dir, None), source)
    if as_json:
        _print_json([c.to_json() for c in found])
        return
    click.echo(f"{len(found)} clauses cite {source}")
    for item in found:
        article = f" {item.cite.address or item.cite.article}" if item.cite.article else ""
        click.echo(f"  {item.document.year or '—'} {item.document.title} {item.clause.address}  →{article}")


@main.command()
@click.argument("text", required=False)
@click.option("-k", "k", type=int, default=10, show_default=True)
@click.option("--batch", type=click.Path(path_type=Path), default=None, help="File with one query a line.")
@click.option("--context", type=int, default=0, help="Neighbouring clauses to include on each side.")
@click.option(
    "--per-plan",
    type=click.IntRange(min=0),
    default=None,
    help="Clauses of one plan listed before every other plan's next (default 2; 0 = no cap).",
)
@click.option("--by-plan", is_flag=True, help="One row per plan: its best and next best clause.")
@_searching()
def query(text, k, batch, context, per_plan, by_plan, searcher, filters, as_json) -> None:
    """Find the clauses that best match TEXT (spread over plans unless TEXT names one plan)."""
    from .retrieve import QueryError

    if batch:
        for line in Path(batch).read_text(encoding="utf-8").splitlines():
            if line.strip():
                hits = searcher.search(line, k=k, filters=filters, context=context, per_plan=per_plan)
                _print_json({"query": line, "hits": [h.to_json() for h in hits]})
        return
    if text is None:
        raise QueryError("give a query TEXT or --batch FILE")
    if by_plan:
        _print_plans(searcher, text, k, filters, as_json)
        return
    hits = searcher.search(text, k=k, filters=filters, context=context, per_plan=per_plan)
    if as_json:
        _print_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no matching clauses")
    for i, hit in enumerate(hits, 1):
        more = f"  (+{hit.plan_more} more in this plan)" if hit.plan_more else ""
        click.echo(f"{i}. [{hit.score:.3f}] {hit.citation}{more}")
        click.echo(f"   {' > '.join(hit.clause.path)}\n   {hit.clause.text[:160]}")


def _print_plans(searcher, text: str, k: int, filters, as_json: bool) -> None:
    """query --by-plan: one row per plan, ranked by its best clause."""
    from .plans import plan_view

    rows = plan_view(searcher, text, k=k, filters=filters)
    if as_json:
        _print_json([row.to_json() for row in rows])
        return
    if not rows:
        click.echo("no matching plans")
    for i, row in enumerate(rows, 1):
        d = row.document
        more = f"  (+{row.more} more)" if row.more else ""
        click.echo(f"{i}. {d.title} · {d.issuer} · {d.year or '—'}{more}")
        for hit in row.hits:
            click.echo(f"   [{hit.score:.3f}] {hit.citation}\n      {hit.clause.text[:120]}")


@main.command()
@click.argument("term")
@_searching(with_model=False)
def mentions(term, searcher, filters, as_json) -> None:
    """Every plan whose text contains TERM, with counts, sorted by year."""
    from .census import census

    result = census(searcher, term, filters)
    if as_json:
        _print_json([m.to_json() for m in result.mentions])
        return
    click.echo(f"{len(result.mentions)} plans mention {result.term}")
    for m in result.mentions:
        first = m.clauses[0].address if m.clauses else "—"
        doc = m.document
        click.echo(f"  {doc.year or '—'}  {m.count:3d}×  {doc.title} · {doc.issuer}  (first: {first})")
    click.echo("per year: " + ", ".join(f"{y or '—'}: {n}" for y, n in result.mentions_per_year.items()))


@main.command()
@click.argument("question")
@click.option("-k", "k", type=int, default=6, show_default=True)
@_searching()
def ask(question, k, searcher, filters, as_json) -> None:
    """Answer QUESTION with sentences cited to their clauses."""
    from .answer import ask as answer_question

    result = answer_question(searcher, question, k=k, filters=filters)
    if as_json:
        _print_json(result.to_json())
        return
    click.echo(result.answer or f"({result.note})")
    for i, hit in enumerate(result.citations, 1):
        click.echo(f"[{i}] {hit.citation}")


@main.command()
@click.argument("text")
@click.option("-k", "k", type=int, default=20, show_default=True)
@_searching()
def similar(text, k, searcher, filters, as_json) -> None:
    """Clauses across plans worded like TEXT, grouped by plan, oldest first."""
    from .wording import similar as find_similar

    groups = find_similar(searcher, text, k=k, filters=filters)
    if as_json:
        _print_json([g.to_json() for g in groups])
        return
    for group in groups:
        click.echo(f"== {group.document.year or '—'} {group.document.title} · {group.document.issuer}")
        for hit, spans in zip(group.hits, group.shared, strict=True):
            shared = sum(b - a for a, b in spans)
            click.echo(f"   {hit.clause.address:12s} shared {shared:3d} chars  {hit.clause.text[:80]}")


@main.command("app")
@app_options
def app(**options) -> None:
    """Start the web app (as python app.py does): search, census, answers, wording, documents."""
    from .app_server import serve

    serve(**options)


if __name__ == "__main__":
    main()
