"""The app's own documents: uploads checked and saved beside the corpus, deleted into a trash folder, and
the index rebuilt after each change as a new generation that the caller swaps in.

Why a class: the upload folder, the corpus, the index and one build lock belong together. The lock keeps
two builds from writing generations of the same index at once; searches take no part in it, so they keep
answering from the live generation (the old files stay readable while open, see store.write_generation)
until the caller's ``publish`` swaps in the new one. Shipped corpus files are never changed from here,
and a deleted upload is moved to ``<uploads>/.trash/`` (the loader skips dot folders), never destroyed.
"""

from __future__ import annotations

import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .backends import LOCAL_CHOICE
from .errors import UserError

UPLOAD_TYPES = (".txt", ".md", ".docx", ".doc", ".wps", ".ofd", ".pdf", ".html", ".htm")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TRASH = ".trash"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word-97 and WPS files are OLE2 compound files
_RESERVED_NAMES = {"catalog.csv", "readme.md"}  # the loader skips these names, so an upload must not use them

Step = Callable[[float, str], None]  # progress(fraction, description), as Gradio's progress takes it


class UploadRejected(UserError, ValueError):
    """An upload the app will not index; the message says why."""


class ReadOnly(UserError):
    """This deployment was started with --read-only: nothing can be added, deleted or rebuilt."""


class BuildBusy(UserError):
    """Another upload, deletion or rebuild is writing the index."""


class NotAnUpload(UserError):
    """A deletion asked for something that is not an uploaded file (a shipped corpus file, a made-up path)."""


# ---- checking and saving one file ------------------------------------------------------------------


def check_upload(path: Path, name: str, limit: int = MAX_UPLOAD_BYTES) -> str:
    """Check an uploaded file's extension, size and leading bytes; return the extension."""
    ext = Path(name).suffix.lower()
    if ext not in UPLOAD_TYPES:
        raise UploadRejected(
            f"{name}: 不支持的文件类型 unsupported type '{ext or '(none)'}'，请上传 {' '.join(UPLOAD_TYPES)}"
        )
    size = Path(path).stat().st_size
    if size == 0:
        raise UploadRejected(f"{name}: 空文件 empty file")
    if size > limit:
        raise UploadRejected(f"{name}: 文件 {size / 2**20:.1f} MB，超过 {limit // 2**20} MB 上限 (too large)")
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if ext == ".docx" and not head.startswith(b"PK\x03\x04"):
        raise UploadRejected(f"{name}: 不是有效的 .docx 文件 (not a Word document)")
    if ext == ".ofd" and not head.startswith(b"PK\x03\x04"):
        raise UploadRejected(f"{name}: 不是有效的 OFD 文件 (not an OFD package)")
    if ext in (".doc", ".wps") and not head.startswith(_OLE2_MAGIC) and not head.startswith(b"PK\x03\x04"):
        raise UploadRejected(f"{name}: 不是有效的 Word 97/WPS 文件 (not a Word-97 compound file)")
    if ext == ".pdf" and b"%PDF-" not in head[:1024]:
        raise UploadRejected(f"{name}: 不是有效的 PDF 文件 (not a PDF)")
    if ext in (".txt", ".md", ".html", ".htm"):
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        if not utf16 and (b"\x00" in head or head.startswith((b"PK\x03\x04", b"%PDF-"))):
            raise UploadRejected(f"{name}: 看起来是二进制文件，不是文本 (binary content in a text file)")
    return ext


def safe_upload_name(name: str, taken: Iterable[str] = ()) -> str:
    """A plain file name for an upload: no folders, no leading dots, no control characters, not a name the
    loader skips, and not one of ``taken`` (a ``-2``, ``-3``… suffix is added instead of overwriting)."""
    base = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name)
    base = re.sub(r"[\s/:*?\"<>|]+", "_", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").lstrip(".") or "upload.txt"
    stem, ext = os.path.splitext(base)
    stem = (stem or "upload")[:80]
    taken_lower = {t.lower() for t in taken}
    candidate, i = stem + ext, 1
    while candidate.lower() in taken_lower or candidate.lower() in _RESERVED_NAMES:
        i += 1
        candidate = f"{stem}-{i}{ext}"
    return candidate


def save_upload(src: Path, folder: Path, name: str) -> Path:
    """Copy ``src`` into ``folder`` under a free safe name (created exclusively: never overwrites)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(src).read_bytes()
    taken = {p.name for p in folder.iterdir()}
    while True:
        target = folder / safe_upload_name(name, taken)
        try:
            with open(target, "xb") as handle:
                handle.write(data)
            return target
        except FileExistsError:
            taken.add(target.name)


def move_to_trash(path: Path, uploads: Path, now: float | None = None) -> Path:
    """Move ``path`` to ``uploads/.trash/<YYYYmmdd-HHMMSS>-<name>`` (a ``-2``… suffix rather than replace
    an earlier deletion of the same name); return where it went."""
    trash = Path(uploads) / TRASH
    trash.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    stem, ext = os.path.splitext(path.name)
    target, i = trash / f"{stamp}-{path.name}", 1
    while target.exists():
        i += 1
        target = trash / f"{stamp}-{stem}-{i}{ext}"
    os.replace(path, target)
    return target


# ---- the library of documents the app indexes ------------------------------------------------------


@dataclass
class Added:
    """What an upload did: the build (None when nothing was saved), files saved, refused and dropped."""

    report: object | None
    saved: list[Path] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass
class Deleted:
    source: str
    trashed: Path
    report: object


class Library:
    """The corpus (read-only), the uploads folder and the index built from both.

    Every change runs :func:`search.build.build_index` over both roots (stored vectors reused, so only
    new clauses are embedded) and then calls ``publish()`` while still holding the build lock, so the
    generation served is always the newest one written.
    """

    def __init__(
        self, index_dir: Path, corpus: Path, uploads: Path, read_only: bool = False, backend=LOCAL_CHOICE
    ) -> None:
        self.index_dir, self.corpus, self.uploads = Path(index_dir), Path(corpus), Path(uploads)
        self.read_only = read_only
        self.backend = backend  # (name, uri): a rebuild on milvus writes a new collection
        self._build_lock = threading.Lock()

    def roots(self) -> list[Path]:
        return [self.corpus, self.uploads]

    @property
    def prefix(self) -> str:
        """How the index names an upload: ``<uploads folder name>/<file>`` (build._parse_roots)."""
        return f"{self.uploads.name}/"

    def upload_sources(self) -> list[str]:
        """Sources of the uploaded files that can be deleted, as the index names them."""
        if not self.uploads.is_dir():
            return []
        files = (p.relative_to(self.uploads) for p in self.uploads.rglob("*") if p.is_file())
        shown = (p for p in files if not any(part.startswith(".") for part in p.parts))
        return sorted(self.prefix + p.as_posix() for p in shown)

    def upload_path(self, source: str) -> Path:
        """The uploaded file behind ``source``; NotAnUpload for a corpus file or anything outside uploads."""
        source = (source or "").strip()
        if not source:
            raise NotAnUpload("请选择要删除的上传文件。Pick an uploaded file to delete.")
        if source not in self.upload_sources():
            raise NotAnUpload(
                f"{source}: 不是上传的文件，随程序提供的语料不能在此删除 "
                "(only uploads can be deleted here; remove a shipped corpus file by hand, then rebuild)"
            )
        return self.uploads / source.removeprefix(self.prefix)

    def check_writable(self) -> None:
        if self.read_only:
            raise ReadOnly(
                "只读模式：不能上传、删除或重建索引 (read-only deployment: restart without --read-only)"
            )

    @contextmanager
    def _building(self) -> Iterator[None]:
        self.check_writable()
        if not self._build_lock.acquire(blocking=False):
            raise BuildBusy(
                "另一个索引任务正在进行，请稍后再试。Another build is running: try again when it ends."
            )
        try:
            yield
        finally:
            self._build_lock.release()

    def _build(self, encoder, publish: Callable[[], None], step: Step | None):
        from .backends import open_backend
        from .build import build_index

        if step is not None:
            step(0.05, "解析文件 parsing")
        backend = open_backend(*self.backend)
        report = build_index(self.roots(), self.index_dir, encoder, progress=True, backend=backend)
        if step is not None:
            step(0.95, "重新加载 reloading")
        publish()
        return report

    def add(
        self,
        files: Sequence[tuple[Path, str]],
        encoder,
        publish: Callable[[], None],
        step: Step | None = None,
    ) -> Added:
        """Check and save (path, name) pairs, then index them; files the build could not index are removed
        again, and a failed build removes every file it saved (the live index never saw them)."""
        from .load import LoadError, load_file

        with self._building():
            result = Added(None)
            for path, name in files:
                try:
                    check_upload(path, name)
                    load_file(path, name)  # parses like the indexer will: refuse what it could not read
                except (UploadRejected, LoadError) as err:
                    result.rejected.append(str(err) if name in str(err) else f"{name}: {err}")
                    continue
                result.saved.append(save_upload(path, self.uploads, name))
            if not result.saved:
                return result
            try:
                result.report = self._build(encoder, publish, step)
            except BaseException:
                for target in result.saved:
                    target.unlink(missing_ok=True)
                raise
            self._drop_unindexed(result)
            return result

    def _drop_unindexed(self, result: Added) -> None:
        """Remove saved files the build reported as not indexed (e.g. the same text as a plan there)."""
        for problem in result.report.problems:
            target = self.uploads / problem.source.removeprefix(self.prefix)
            if problem.source.startswith(self.prefix) and target in result.saved:
                target.unlink(missing_ok=True)
                result.saved.remove(target)
                result.dropped.append(f"{target.name}: {problem.reason}")

    def delete(self, source: str, encoder, publish: Callable[[], None], step: Step | None = None) -> Deleted:
        """Move an uploaded file to the trash and index without it; if the build fails, the file goes back
        and the live index is unchanged."""
        with self._building():
            path = self.upload_path(source)
            trashed = move_to_trash(path, self.uploads)
            try:
                report = self._build(encoder, publish, step)
            except BaseException:
                os.replace(trashed, path)
                raise
            return Deleted(source, trashed, report)

    def rebuild(self, encoder, publish: Callable[[], None], step: Step | None = None):
        """Read every file of the corpus and the uploads again into a new generation (vectors reused)."""
        with self._building():
            return self._build(encoder, publish, step)
