"""Load plan files into RawDoc records: txt/md, docx, pdf, saved web pages and JSONL corpora.

Every failure is turned into a LoadProblem with a one-line reason, so one bad file never stops the
rest of a corpus from loading, and nothing is ever written back into the corpus folder.
"""

from __future__ import annotations

import hashlib
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
UNDECODABLE = "cannot decode the text (tried UTF-8, GB18030/GBK, UTF-16): re-save the file as UTF-8"


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
    seen: dict[str, str] = {}  # text digest -> source of its first copy
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if path.name in SKIP_NAMES or any(part.startswith(".") for part in Path(rel).parts):
            continue
        for item in _load_any(path, rel, root):
            yield _unless_duplicate(item, seen)


def _unless_duplicate(item: RawDoc | LoadProblem, seen: dict[str, str]) -> RawDoc | LoadProblem:
    """The same plan saved under two file names would be indexed and cited twice: keep the first.

    Only files are compared; JSONL records carry their own ids, which benchmarks and users refer to.
    """
    if not isinstance(item, RawDoc) or item.fmt == "jsonl":
        return item
    digest = hashlib.sha1(" ".join(item.text.split()).encode()).hexdigest()
    first = seen.setdefault(digest, item.source)
    if first != item.source:
        return LoadProblem(item.source, f"same text as {first}: skipped (remove one of the copies)")
    return item


def _load_any(path: Path, rel: str, root: Path) -> Iterator[RawDoc | LoadProblem]:
    """Dispatch one file by extension, converting every failure into a LoadProblem."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        yield LoadProblem(
            rel, f"unsupported file type '{ext or '(none)'}': use {', '.join(sorted(SUPPORTED))}"
        )
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
    except Exception as err:  # a reader library choking on a malformed file must not stop the corpus
        yield LoadProblem(rel, f"cannot parse this {ext.lstrip('.')} file ({type(err).__name__}: {err})")


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
    if ext == ".docx":
        text, fmt = read_docx(path), "docx"
    elif ext == ".pdf":
        text, fmt = read_pdf(path), "pdf"
    elif ext in HTML_EXTS:
        text, fmt = html_to_text(decode_bytes(path.read_bytes())), "html"
    else:
        text, fmt = decode_bytes(path.read_bytes()), ext.lstrip(".")
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
            return _plausible_text(_decode(data, codec), codec)
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes): save it as text, .docx or .pdf")
    for codec in ("utf-8", "gb18030"):
        try:
            return _plausible_text(data.decode(codec), codec)
        except (UnicodeDecodeError, LoadError):
            continue
    best = from_bytes(data).best()
    if best is None:
        raise LoadError(UNDECODABLE)
    return _plausible_text(str(best), best.encoding)


def _decode(data: bytes, codec: str) -> str:
    """Strict decoding: a byte-order mark followed by invalid bytes is a damaged file, not a plan."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise LoadError(
            f"bytes that are not valid {codec} after its byte-order mark: re-save the file"
        ) from err


def _plausible_text(text: str, codec: str) -> str:
    """Reject decodings that are mostly symbols a plan never uses: random bytes decode as *something*
    in GB18030 or UTF-16, and indexing that garbage is worse than reporting the file."""
    sample = text[:20000]
    readable = sum(1 for ch in sample if _is_plan_char(ch))
    if sample and readable < 0.9 * len(sample):
        raise LoadError(f"{UNDECODABLE} (read as {codec}, {len(sample) - readable} unreadable characters)")
    return text


def _is_plan_char(ch: str) -> bool:
    """Characters a Chinese plan is made of: CJK ideographs and punctuation, full-width forms, ASCII."""
    code = ord(ch)
    return (
        (32 <= code < 127 or ch in "\n\r\t")
        or 0x4E00 <= code <= 0x9FFF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or 0x2000 <= code <= 0x2BFF  # general punctuation, number forms, circled numbers, arrows, shapes
        or 0x00A0 <= code <= 0x00BF  # Latin-1 signs (·, °, ±, §); not its letters, nor Cyrillic: those
        or ch in "×÷"  # are what a misdetected single-byte code page turns Chinese bytes into
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
    )


def read_docx(path: Path) -> str:
    """Paragraphs and table cells of a .docx, in document order."""
    import docx  # python-docx; imported here so text-only use never pays for it

    if not zipfile.is_zipfile(path):
        raise LoadError("not a valid .docx (not a zip package): re-save it from Word or WPS")
    with zipfile.ZipFile(path) as package:
        if "word/document.xml" not in package.namelist():
            raise LoadError(
                "a zip file but not a Word document (no word/document.xml): re-save it from Word or WPS"
            )
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

    if b"%%EOF" not in _tail(path, 2048):
        raise LoadError("truncated PDF (no %%EOF end marker): download or export it again")
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as err:  # pypdf raises many unrelated types for malformed files
        raise LoadError(f"broken PDF ({type(err).__name__}: {err}): re-export it") from err
    text = "\n".join(pages)
    if not text.strip():
        raise LoadError("PDF has no text layer (a scan?): run OCR on it first")
    return text


def _tail(path: Path, size: int) -> bytes:
    """The last ``size`` bytes of a file, where a complete PDF keeps its end marker."""
    with Path(path).open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read()


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
    ids: set[str] = set()
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
            doc = _jsonl_record(record, ids)
            yield doc if isinstance(doc, RawDoc) else LoadProblem(where, doc)


def _jsonl_record(record: object, ids: set[str]) -> RawDoc | str:
    """A RawDoc from one JSONL object, or the reason it cannot be one.

    Ids name documents in results and citations, so a repeated id would make two documents one.
    """
    if not isinstance(record, dict):
        return "line is not a JSON object"
    ident = record.get("id", record.get("docid"))
    text = record.get("text")
    if ident is None or not isinstance(text, str) or not text.strip():
        return "needs an 'id' (or 'docid') and a non-empty 'text'"
    if str(ident) in ids:
        return f"id '{ident}' is used by an earlier line: skipped (ids must be unique)"
    ids.add(str(ident))
    given = {k: str(record[k]) for k in JSONL_META if record.get(k) not in (None, "")}
    return RawDoc(source=str(ident), text=text, fmt="jsonl", given=given)
