"""Load plan files into RawDoc records: txt/md, docx, pdf, saved web pages and JSONL corpora.

Every failure is turned into a LoadProblem with a one-line reason, so one bad file never stops the
rest of a corpus from loading, and nothing is ever written back into the corpus folder.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from charset_normalizer import from_bytes

from .errors import UserError
from .records import LoadProblem, RawDoc

TEXT_EXTS = {".txt", ".md"}
HTML_EXTS = {".html", ".htm"}
SUPPORTED = TEXT_EXTS | HTML_EXTS | {".docx", ".pdf", ".jsonl"}
MAX_FILE_BYTES = 200 * 1024 * 1024
JSONL_META = ("title", "issuer", "region", "level", "year", "doc_number", "date")
SKIP_NAMES = {"catalog.csv", "README.md"}


class LoadError(UserError, ValueError):
    """A file that cannot be read; the message names the reason and what to do."""


def iter_corpus(root: Path) -> Iterator[RawDoc | LoadProblem]:
    """Yield every document of a corpus folder (recursively) or of a single file, in path order."""
    root = Path(root)
    if root.is_file():
        yield from _load_any(root, root.name, root.parent)
        return
    if not root.is_dir():
        yield LoadProblem(str(root), "no such file or folder: pass a corpus folder or a .jsonl file")
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if path.name in SKIP_NAMES or any(part.startswith(".") for part in Path(rel).parts):
            continue
        yield from _load_any(path, rel, root)


def _load_any(path: Path, rel: str, root: Path) -> Iterator[RawDoc | LoadProblem]:
    """Dispatch one file by extension, converting every failure into a LoadProblem."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        yield LoadProblem(rel, f"unsupported file type '{ext or '(none)'}': use {', '.join(sorted(SUPPORTED))}")
        return
    try:
        if ext == ".jsonl":
            yield from load_jsonl(path)
            return
        yield load_file(path, rel)
    except LoadError as err:
        yield LoadProblem(rel, str(err))
    except OSError as err:
        yield LoadProblem(rel, f"cannot read file ({err.strerror or err})")


def load_file(path: Path, source: str | None = None) -> RawDoc:
    """Load one non-JSONL file; raises LoadError with a readable reason."""
    path = Path(path)
    source = source or path.name
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty file: nothing to index")
    if size > MAX_FILE_BYTES:
        raise LoadError(f"file is {size // 2**20} MB, over the {MAX_FILE_BYTES // 2**20} MB limit: split it")
    ext = path.suffix.lower()
    data = path.read_bytes()
    if ext == ".docx":
        text, fmt = read_docx(path), "docx"
    elif ext == ".pdf":
        text, fmt = read_pdf(path), "pdf"
    elif ext in HTML_EXTS:
        text, fmt = html_to_text(decode_bytes(data)), "html"
    else:
        text, fmt = decode_bytes(data), ext.lstrip(".")
    if not text.strip():
        raise LoadError(f"no text found in this {fmt} file")
    return RawDoc(source=source, text=text, fmt=fmt)


def decode_bytes(data: bytes) -> str:
    """Decode plan text: BOMs first, then strict UTF-8, then GB18030 (a superset of GBK), then detection.

    Chinese government sites still publish GBK; trying GB18030 before a statistical detector avoids
    the detector's habit of reading short GBK texts as some Cyrillic or Latin code page.
    """
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes): save it as text, .docx or .pdf")
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise LoadError("cannot detect the text encoding: re-save the file as UTF-8")
    return str(best)


def read_docx(path: Path) -> str:
    """Paragraphs and table cells of a .docx, in document order."""
    import docx  # python-docx; imported here so text-only use never pays for it

    if not zipfile.is_zipfile(path):
        raise LoadError("not a valid .docx (not a zip package): re-save it from Word or WPS")
    try:
        document = docx.Document(str(path))
    except Exception as err:  # python-docx raises several unrelated types for broken packages
        raise LoadError(f"broken .docx ({type(err).__name__}): re-save it from Word or WPS") from err
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def read_pdf(path: Path) -> str:
    """Text layer of a PDF; scanned PDFs have none and are reported, not silently skipped."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as err:
        raise LoadError(f"broken or truncated PDF ({err}): re-export it") from err
    text = "\n".join(pages)
    if not text.strip():
        raise LoadError("PDF has no text layer (a scan?): run OCR on it first")
    return text


class _TextExtractor(HTMLParser):
    """Collect visible text, with line breaks at block elements; scripts and styles are dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "td"}
    HIDDEN = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of a saved web page."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def load_jsonl(path: Path) -> Iterator[RawDoc | LoadProblem]:
    """One document per line: ``id``/``docid``, ``text``, optional metadata fields."""
    with Path(path).open(encoding="utf-8-sig", errors="replace") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{Path(path).name}:{lineno}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                yield LoadProblem(where, f"broken JSON line ({err.msg}); the other lines were loaded")
                continue
            doc = _jsonl_record(record)
            yield doc if isinstance(doc, RawDoc) else LoadProblem(where, doc)


def _jsonl_record(record: object) -> RawDoc | str:
    """A RawDoc from one JSONL object, or the reason it cannot be one."""
    if not isinstance(record, dict):
        return "line is not a JSON object"
    ident = record.get("id", record.get("docid"))
    text = record.get("text")
    if ident is None or not isinstance(text, str) or not text.strip():
        return "needs an 'id' (or 'docid') and a non-empty 'text'"
    given = {k: str(record[k]) for k in JSONL_META if record.get(k) not in (None, "")}
    return RawDoc(source=str(ident), text=text, fmt="jsonl", given=given)
