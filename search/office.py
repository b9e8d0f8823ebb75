"""Word files: .docx (a zip of XML parts) and Word 97-2003 .doc / Kingsoft .wps (OLE compound files).

A .docx is checked as a zip before python-docx inflates it (see ``check_zip``): a 500 KB upload can
declare, or simply inflate to, hundreds of megabytes. A .doc or .wps is read by antiword, the Debian
package, chosen by measurement: on a 100,000-character law saved by LibreOffice as Word 97 it gave the
text exactly, while catdoc garbled five passages (read a Unicode piece as 8-bit); antiword refuses
documents of under about 300 characters, which catdoc reads correctly, so catdoc is the fallback.
WPS Office saves .wps in the same Word 97 container, so one reader serves both.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .limits import (
    MAX_CHARS,
    MAX_UNZIPPED_MB,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    RATIO_FLOOR_BYTES,
    Budget,
    LoadError,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PROLOG_BYTES = 64 * 1024  # an XML part's declaration and root tag come long before this
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_RESAVE = "re-save it from Word or WPS as .docx"
_AS_DOCX = "save it as .docx"


def check_zip(path: Path, kind: str) -> zipfile.ZipFile:
    """Open a zip package after checking it cannot inflate past the limits; the caller closes it.

    Declared sizes are checked first (free), then every member is inflated in chunks and counted, so
    a member whose header lies about its size, or a corrupt one, is refused before a parser sees it.
    XML parts must carry no DOCTYPE: no Office or OFD part needs one, and it is where entity bombs
    and external entities live.
    """
    if not zipfile.is_zipfile(path):
        raise LoadError(f"not a valid {kind} (not a zip package): {_fix(kind)}")
    package = zipfile.ZipFile(path)
    try:
        infos = package.infolist()
        MAX_ZIP_MEMBERS.check("zip package holds", len(infos))
        MAX_UNZIPPED_MB.check("zip package declares", sum(i.file_size for i in infos) / 2**20)
        total = 0
        for info in infos:
            total += _inflate_checked(package, info, total, _fix(kind))
    except BaseException:
        package.close()
        raise
    return package


def _fix(kind: str) -> str:
    return "export it again as .ofd" if kind == ".ofd" else _RESAVE


def _inflate_checked(package: zipfile.ZipFile, info: zipfile.ZipInfo, before: int, fix: str) -> int:
    """Inflate one member in chunks; its real size, refused past the ratio or the total limit."""
    limit = MAX_UNZIPPED_MB.value() * 2**20
    size, head = 0, b""
    try:
        with package.open(info) as member:
            while chunk := member.read(1 << 20):
                size += len(chunk)
                if len(head) < PROLOG_BYTES:
                    head += chunk[: PROLOG_BYTES - len(head)]
                if before + size > limit:
                    raise MAX_UNZIPPED_MB.refuse("zip package inflates to more than", limit / 2**20)
                _check_ratio(info, size)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError) as err:
        if isinstance(err, LoadError):
            raise
        raise LoadError(f"damaged zip member {info.filename} ({err}): {fix}") from err
    if info.filename.lower().endswith((".xml", ".rels")):
        check_prolog(head, info.filename, fix)
    return size


def _check_ratio(info: zipfile.ZipInfo, size: int) -> None:
    if size > RATIO_FLOOR_BYTES and size / max(1, info.compress_size) > MAX_ZIP_RATIO.value():
        ratio = size / max(1, info.compress_size)
        raise MAX_ZIP_RATIO.refuse(f"zip member {info.filename} inflates at least", round(ratio))


def check_prolog(head: bytes, name: str, fix: str = _RESAVE) -> None:
    """Refuse an XML part whose prolog declares a DOCTYPE (entity definitions) or never ends."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    match = _ELEMENT_START.search(head)
    prolog = head[: match.start()] if match else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise LoadError(f"XML part {name} declares a DOCTYPE (entity definitions are not read): {fix}")
    if match is None and len(head) >= PROLOG_BYTES:
        raise LoadError(f"XML part {name} has no root element in its first 64 KB: {fix}")


def read_docx(path: Path, budget: Budget | None = None) -> str:
    """Paragraphs and table cells of a .docx, in document order (tables after the paragraphs)."""
    import docx  # python-docx; imported here so text-only use never pays for it

    budget = budget or Budget()
    with check_zip(path, ".docx") as package:
        if "word/document.xml" not in package.namelist():
            raise LoadError(f"a zip file but not a Word document (no word/document.xml): {_RESAVE}")
    budget.check()
    try:
        document = docx.Document(str(path))  # python-docx parses with resolve_entities=False
    except Exception as err:  # python-docx raises several unrelated types for broken packages
        raise LoadError(f"broken .docx ({type(err).__name__}): {_RESAVE}") from err
    lines: list[str] = []
    chars = 0
    for line in _docx_lines(document):
        lines.append(line)
        chars += len(line) + 1
        if len(lines) % 1000 == 0:
            budget.check()
            MAX_CHARS.check("document has more than", chars)
    return "\n".join(lines)


def _docx_lines(document) -> Iterator[str]:
    for paragraph in document.paragraphs:
        yield paragraph.text
    for table in document.tables:
        for row in table.rows:
            yield "\t".join(cell.text for cell in row.cells)


def read_word97(path: Path, budget: Budget | None = None) -> tuple[str, str]:
    """Text of a .doc or .wps, and the format it really was: bureaus' sites also serve a .docx or a
    saved web page under a .doc name, which are read as what they are."""
    budget = budget or Budget()
    with Path(path).open("rb") as handle:
        head = handle.read(2048)
    if head.startswith(b"PK"):
        return read_docx(path, budget), "docx"
    if head.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] == b"<" and b"<html" in head.lower():
        return "", "html"  # the caller reads it as a web page
    if not head.startswith(OLE_MAGIC):
        kind = "an RTF file" if head.startswith(b"{\\rtf") else "not a Word 97-2003 or WPS file"
        raise LoadError(f"{kind} under a {path.suffix} name: open it in Word or WPS and {_AS_DOCX}")
    antiword = shutil.which("antiword")
    if antiword is None:
        raise LoadError(
            "reading .doc and .wps files needs antiword: install the Debian package "
            "(apt-get install antiword catdoc), or run scripts/setup.sh"
        )
    done = run_tool([antiword, "-x", "db", str(path)], budget)
    if done.returncode == 0:
        try:
            return docbook_text(done.stdout), "doc"
        except Exception:  # antiword wrote XML lxml cannot read: the plain-text reader may still do
            pass
    reason = _first_line(done.stderr).replace(str(path), path.name) or f"exit status {done.returncode}"
    catdoc = shutil.which("catdoc")
    if catdoc is not None:
        plain = run_tool([catdoc, "-d", "utf-8", "-w", str(path)], budget)
        text = _utf8_with_pairs(plain.stdout) if plain.returncode == 0 else ""
        if text.strip() and _mostly_text(text):
            return text, "doc"
    raise LoadError(
        f"cannot read this Word 97-2003 file (antiword: {reason}): open it in Word or WPS, save as .docx"
    )


def _mostly_text(text: str) -> bool:
    """catdoc prints whatever a damaged container holds: replacement and control characters in more
    than a tenth of it mean garbage, not a plan."""
    bad = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\r\t\f"))
    return bad <= 0.1 * len(text)


def run_tool(command: list[str], budget: Budget) -> subprocess.CompletedProcess:
    """Run a reader program with the file's remaining time as its timeout (it is killed at the end)."""
    try:
        return subprocess.run(command, capture_output=True, timeout=budget.left(), check=False)
    except subprocess.TimeoutExpired as err:
        raise budget.expired() from err


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[0].strip()[:160] if lines else ""


def _utf8_with_pairs(data: bytes) -> str:
    """antiword and catdoc write a character beyond the BMP (𠀀, 𪚥) as two UTF-8-encoded surrogates;
    decode them as the pair they are."""
    text = data.decode("utf-8", "surrogatepass")
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_DOCBOOK_BLOCKS = {"para", "title", "simpara", "listitem", "footnote", "entry", "row"}


def docbook_text(data: bytes) -> str:
    """Paragraphs of antiword's DocBook, one per line; a table row's cells joined by tabs, as for .docx.

    The DocBook names an external DTD; the parser neither loads it nor expands entities.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(_utf8_with_pairs(data).encode("utf-8"), parser)
    lines: list[str] = []
    for part in root:
        if part.tag != "bookinfo":  # the file's properties (author, date), not its text
            _docbook_walk(part, lines)
    return "\n".join(lines)


def _docbook_walk(element, lines: list[str]) -> None:
    """Depth-first: text of a block goes on its own line; a row becomes one tab-joined line."""
    if element.tag == "row":
        cells = ["\n".join(_squash(e.itertext())) for e in element.iter("entry")]
        lines.append("\t".join(cells))
        return
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag in _DOCBOOK_BLOCKS or len(child):
            lines.extend(_squash(parts))
            parts = []
            _docbook_walk(child, lines)
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    lines.extend(_squash(parts))


def _squash(parts) -> list[str]:
    """The non-empty lines of some text pieces, each stripped of antiword's indentation."""
    return [line.strip() for line in "".join(parts).split("\n") if line.strip()]
