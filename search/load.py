"""Load plan files into RawDoc records: txt/md, docx, doc/wps, ofd, pdf, saved web pages, JSONL corpora.

Every failure is turned into a LoadProblem with a one-line reason, so one bad file never stops the
rest of a corpus from loading, and nothing is ever written back into the corpus folder. Every file is
read within the bounds of search.limits (characters, pages, zip contents, seconds).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from charset_normalizer import from_bytes

from .limits import MAX_CHARS, MAX_PAGES, Budget, LoadError
from .ofd import PAGE_BREAK, read_ofd
from .office import read_docx, read_word97
from .records import LoadProblem, RawDoc

__all__ = [
    "LoadError",
    "decode_bytes",
    "iter_corpus",
    "load_file",
    "load_jsonl",
    "read_docx",
    "read_pdf",
    "repair_cjk",
]

TEXT_EXTS = {".txt", ".md"}
HTML_EXTS = {".html", ".htm"}
# how files become text; recorded in every manifest (2: .doc, .wps and .ofd read; PDF pages marked
# with a "\f" line; radicals a PDF font stands in for ideographs mapped back)
LOADER_VERSION = "2"
WORD97_EXTS = {".doc", ".wps"}  # Word 97-2003 and Kingsoft WPS: the same OLE container
SUPPORTED = TEXT_EXTS | HTML_EXTS | WORD97_EXTS | {".docx", ".ofd", ".pdf", ".jsonl"}
MAX_FILE_BYTES = 200 * 1024 * 1024
JSONL_META = ("title", "issuer", "region", "level", "year", "doc_number", "date")
SKIP_NAMES = {"catalog.csv", "README.md"}
UNDECODABLE = "cannot decode the text (tried UTF-8, GB18030/GBK, UTF-16): re-save the file as UTF-8"


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
    """Load one non-JSONL file within the reading limits; raises LoadError with a readable reason."""
    path = Path(path)
    source = source or path.name
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty file: nothing to index")
    if size > MAX_FILE_BYTES:
        raise LoadError(f"file is {size // 2**20} MB, over the {MAX_FILE_BYTES // 2**20} MB limit: split it")
    text, fmt = _read(path, path.suffix.lower(), size, Budget())
    if not text.strip():
        raise LoadError(f"no text found in this {fmt} file")
    MAX_CHARS.check("document has", len(text))
    return RawDoc(source=source, text=text, fmt=fmt)


def _read(path: Path, ext: str, size: int, budget: Budget) -> tuple[str, str]:
    """The text of one file and the format it was read as."""
    if ext == ".docx":
        return read_docx(path, budget), "docx"
    if ext in WORD97_EXTS:
        text, fmt = read_word97(path, budget)
        if fmt != "html":
            return text, fmt
        ext = ".html"  # a web page saved under a .doc name
    if ext == ".ofd":
        return read_ofd(path, budget), "ofd"
    if ext == ".pdf":
        return read_pdf(path, budget), "pdf"
    # no encoding spends more than four bytes on a character: a larger file cannot fit the limit
    if size > 4 * MAX_CHARS.value():
        raise MAX_CHARS.refuse("document has more than", size // 4)
    text = decode_bytes(path.read_bytes())
    budget.check()
    if ext in HTML_EXTS:
        return html_to_text(text), "html"
    return text, ext.lstrip(".")


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


def read_pdf(path: Path, budget: Budget | None = None) -> str:
    """Text layer of a PDF, pages separated by a line holding only "\\f"; scanned PDFs have no text
    layer and are reported, not silently skipped. Pages are counted before any is read."""
    from pypdf import PdfReader

    budget = budget or Budget()
    if b"%%EOF" not in _tail(path, 2048):
        raise LoadError("truncated PDF (no %%EOF end marker): download or export it again")
    try:
        reader = PdfReader(str(path))
        MAX_PAGES.check("PDF has", len(reader.pages))
        pages, chars = [], 0
        for page in reader.pages:
            budget.check()
            pages.append(repair_cjk(page.extract_text() or ""))
            chars += len(pages[-1])
            MAX_CHARS.check("document has more than", chars)
    except LoadError:
        raise
    except Exception as err:  # pypdf raises many unrelated types for malformed files
        raise LoadError(f"broken PDF ({type(err).__name__}: {err}): re-export it") from err
    if not any(page.strip() for page in pages):
        raise LoadError(
            f"PDF has no text layer on any of its {len(pages)} pages (a scan?): run OCR on it first "
            "(e.g. ocrmypdf -l chi_sim) or index the source document instead"
        )
    return f"\n{PAGE_BREAK}\n".join(page.strip("\n") for page in pages)


# PDF fonts often map common ideographs to look-alike radicals (⽂ U+2F42 for 文, ⻓ U+2ED3 for 长):
# the page looks right, but search and counts would miss the word. Kangxi radicals have compatibility
# decompositions (NFKC); the simplified forms of the supplement block do not, so they are listed.
_RADICALS = re.compile("[\u2f00-\u2fd5\u2e9d-\u2ef3]")
_SUPPLEMENT = dict(
    zip(
        "\u2e9d\u2e9f\u2ea0\u2ec4\u2ec5\u2ec6\u2ec9\u2ecb\u2ed3\u2ed4\u2ed8\u2ed9\u2eda\u2edb\u2edc"
        "\u2ee2\u2ee3\u2ee5\u2ee6\u2ee7\u2ee8\u2ee9\u2eea\u2eec\u2eee\u2ef0\u2ef3",
        "月母民西见角贝车长门青韦页风飞马骨鱼鸟卤麦黄黾齐齿龙龟",
        strict=True,
    )
)
# a letter-spaced title (某 市 教 育 局 文 件): three or more single ideographs, each a space apart
_SPACED_RUN = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff](?: [\u4e00-\u9fff]){2,}(?![\u4e00-\u9fff])")


def repair_cjk(text: str) -> str:
    """Undo two artefacts of PDF text extraction: radicals standing for ideographs, and the spaces of a
    letter-spaced line; spaces between words (夺命阿水 文档编号) are kept."""
    text = _RADICALS.sub(lambda m: _SUPPLEMENT.get(m.group(), unicodedata.normalize("NFKC", m.group())), text)
    return _SPACED_RUN.sub(lambda m: m.group().replace(" ", ""), text)


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
    if len(text) > MAX_CHARS.value():
        return str(MAX_CHARS.refuse("document has", len(text)))
    if str(ident) in ids:
        return f"id '{ident}' is used by an earlier line: skipped (ids must be unique)"
    ids.add(str(ident))
    given = {k: str(record[k]) for k in JSONL_META if record.get(k) not in (None, "")}
    return RawDoc(source=str(ident), text=text, fmt="jsonl", given=given)
