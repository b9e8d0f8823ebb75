"""The app's live index: the Searcher loaded in the background, used under a lock, and swapped for a new
generation after an upload, a deletion or a rebuild.

Why a lock: it runs one library call at a time. On two cores the encoder already uses both, so parallel
calls would only contend (bench/load_app.py), and a swap after an upload never lands mid-query. Uploads,
deletions and rebuilds (search.uploads.Library) build outside it, so searches keep answering from the
live generation until the new one is swapped in (bench/search_during_upload.py).

The app creates one Engine in its entry point and hands it to the page and to the data API; nothing here
is module-global, so tests run engines over their own temporary indexes side by side.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .backends import LOCAL_CHOICE, Choice
from .errors import UserError
from .uploads import Added, Deleted, Library, Step

READY_TIMEOUT_S = 600


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Engine:
    """The index folder, the corpus and the uploads folder the app serves, and the live Searcher over them.

    ``started`` (a ``time.perf_counter()`` value) is when the process started, for the start-up log lines;
    ``encoder`` replaces the model the index names (a test's fake encoder), loaded on first use otherwise;
    ``backend`` is (name, uri) of where the index's legs are served from (search.backends: local or
    milvus), used for the first build, every rebuild and every Searcher opened.
    """

    def __init__(
        self,
        index_dir: Path,
        corpus: Path,
        uploads: Path,
        read_only: bool = False,
        started: float | None = None,
        encoder=None,
        backend: Choice = LOCAL_CHOICE,
    ) -> None:
        self.index_dir, self.corpus, self.uploads = Path(index_dir), Path(corpus), Path(uploads)
        self.backend = backend
        self.library = Library(self.index_dir, self.corpus, self.uploads, read_only, backend)
        self.started = time.perf_counter() if started is None else started
        self.ready_at: float | None = None
        self.encoder = encoder
        self._searcher = None
        self._error: str | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def read_only(self) -> bool:
        return self.library.read_only

    # ---- loading ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Load (or first build) the index in a background thread; callers wait in :meth:`searcher`."""
        threading.Thread(target=self._load, name="load-index", daemon=True).start()

    def _load(self) -> None:
        try:
            if not (self.index_dir / "CURRENT").exists():
                self._first_build()
            self._searcher = self._open(self.encoder)
            self.ready_at = time.perf_counter()
            n = self._searcher.n_docs
            _log(f"index ready: {n} documents ({self.ready_at - self.started:.1f}s after start)")
            threading.Thread(target=self._warm, name="load-model", daemon=True).start()
        except Exception as err:  # shown in the page instead of a dead app
            self._error = str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
            _log(f"error: {self._error}")
        finally:
            self._ready.set()

    def _warm(self) -> None:
        """Load the query encoder now, so the first search does not wait for it (census never needs it)."""
        try:
            self._searcher.encoder  # noqa: B018 (the property loads the model)
            _log(f"model ready ({time.perf_counter() - self.started:.1f}s after start)")
        except Exception as err:  # the first search reports it to the user
            _log(f"model not loaded: {err}")

    def _first_build(self) -> None:
        from .backends import open_backend
        from .build import build_index
        from .encoder import load_encoder

        if not self.corpus.exists():
            raise UserError(
                f"no index in {self.index_dir} and no corpus at {self.corpus}: "
                f"build one with 'policy-search build CORPUS --index {self.index_dir}'"
            )
        _log(f"no index in {self.index_dir}: building it from {self.corpus} (one-time)")
        encoder, backend = self.encoder or load_encoder(), open_backend(*self.backend)
        build_index(self.library.roots(), self.index_dir, encoder, progress=True, backend=backend)

    # ---- serving ----------------------------------------------------------------------------------
    def searcher(self):
        """The live Searcher, once loaded; a UserError (shown as a warning) when it could not be."""
        if not self._ready.wait(READY_TIMEOUT_S):
            raise RuntimeError("the index is still loading")
        if self._error:
            raise UserError(f"索引不可用 index unavailable: {self._error}")
        return self._searcher

    @contextmanager
    def use(self) -> Iterator:
        """The live Searcher for one library call, under the lock (no swap lands during the call)."""
        searcher = self.searcher()
        with self._lock:
            yield self._searcher or searcher

    def swap(self, searcher) -> None:
        with self._lock:
            self._searcher = searcher

    # ---- changing the documents -------------------------------------------------------------------
    def add(self, files: Sequence[tuple[Path, str]], step: Step | None = None) -> Added:
        """Check, save (never overwriting) and index uploaded (path, name) pairs, then serve the result."""
        encoder = self.searcher().encoder
        return self.library.add(files, encoder, lambda: self._publish(encoder), step)

    def rebuild(self, step: Step | None = None):
        """Read every file of the corpus and the uploads again into a new generation and serve it (stored
        vectors of unchanged clauses are reused, so only the reading and the keyword indexes cost time)."""
        encoder = self.searcher().encoder
        return self.library.rebuild(encoder, lambda: self._publish(encoder), step)

    def delete(self, source: str, step: Step | None = None) -> Deleted:
        """Move an uploaded file to the trash folder and serve an index without it (vectors reused)."""
        encoder = self.searcher().encoder
        return self.library.delete(source, encoder, lambda: self._publish(encoder), step)

    def upload_sources(self) -> list[str]:
        return self.library.upload_sources()

    def check_writable(self) -> None:
        self.library.check_writable()

    def _publish(self, encoder) -> None:
        """Serve the generation just written (called by the library under its build lock)."""
        self.swap(self._open(encoder))

    def _open(self, encoder):
        """A Searcher on the current generation, its legs served by the engine's backend."""
        from .backends.serving import open_searcher

        name, uri = self.backend
        return open_searcher(self.index_dir, encoder=encoder, backend=name, uri=uri)
