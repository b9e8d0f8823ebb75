"""Load test of the Gradio app: N concurrent clients searching for D seconds through its real HTTP API.

    python bench/load_app.py [--index index] [--clients 20] [--duration 60] [--transport client|http]
                             [--endpoints ui|api] [--quick] [--output FILE]

Why: the library's own latency (bench/scale.py) says nothing about what a user of the app sees when
others use it at the same time. The app runs every library call under one lock (one call at a time;
see search.engine.Engine) behind Gradio's queue (at most 4 running calls per event), so
concurrent requests queue and latency grows with the number of clients. This script measures that end
to end and checks that every answer is still correct under load:

* starts ``app.py`` as a subprocess on 127.0.0.1 and a free port over the given index (uploads and
  Gradio's temp files go to a throw-away folder, so the run writes nothing into the project);
* waits until it answers HTTP, then sends one warm-up search (the first query waits for the model to
  load; its latency is reported separately, not in the figures);
* runs ``--clients`` threads in a loop bounded by both the deadline and ``--max-requests`` per client,
  issuing searches (``/do_search``) with the judged queries of ``bench/seed_queries.jsonl`` (each client
  starts at a different offset), and every ``--extra-every``-th request a census (``/do_census``) or a
  cited answer (``/do_ask``); with ``--endpoints api`` the data API's ``/search``, ``/census`` and ``/ask``
  instead (plain parameters, JSON answers: what a script or an MCP client calls; search.app_api).
  ``--transport client`` (default) sends them with ``gradio_client.Client``,
  as a Python user of the API would; ``--transport http`` with plain HTTP against /gradio_api/call,
  which costs the load generator ~20x less CPU (it shares the machine with the app);
* records each request's latency and whether it succeeded, and writes a JSON summary.

A request fails when the client raises (HTTP error, the app's error event, a timeout) or when the answer
is not the expected one: a search must return hit cards whose top hits include the judged clause
(top 3 for topic queries, rank 1 for fact and wording queries, as in tests/integration/test_seed_queries.py),
a census must report the judged number of plans, an answer must contain its known figure and cite its
clause. An empty result (what the page's handlers return after a user error) therefore counts as a failure;
the data API raises instead, which counts too.

Exit code 0 only when every request succeeded; 1 when any failed; 2 when the app could not be started.
``--quick`` (4 clients x 5 s, every 4th request a census or an ask) is what CI can afford. Only the default
run (gradio_client, 20 clients x 60 s) writes bench/results/app_load.json; ``--quick`` and
``--transport http`` write to bench/out/ unless ``--output`` says otherwise. Nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from machine import provenance, relative, write_result

ROOT = Path(__file__).resolve().parent.parent
SEED_QUERIES = ROOT / "bench" / "seed_queries.jsonl"
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "bench" / "out"  # runs other than the recorded one
START_TIMEOUT_S = 180.0
WARMUP_TIMEOUT_S = 300.0  # the first query waits for the model and index to finish loading

SEARCH_K = 10  # what the app's slider defaults to
SEARCH_CONTEXT = 1
ASK_K = 6
NO_FILTERS = ("", "", None, "", "", "", "")  # year_from, year_to, issuer, level, source, lead, kind
API_NO_FILTERS = ("", "", "", "", "", "")  # year, issuer, level, source, lead, kind: the data API's defaults
ENDPOINTS = ("ui", "api")  # the page's handlers, or the data API beside them

# Questions for /do_ask with a figure the answer must contain and the clause address it must cite.
ASK_CASES = [
    ("高台县2023年计划在教育项目上投资多少？", "1.1亿元", "五20"),
    ("襄阳市2017年资助家庭经济困难学生多少人次", "12万人次", "二（七）"),
    ("家长学校建校率要达到多少", "100%", "二（六）一是"),
]

CARD = re.compile(
    r'<article class="hit-card" data-source="([^"]*)"[^>]*>.*?<span class="hit-cite">(.*?)</span>', re.S
)
CENSUS_COUNT = re.compile(r"见于 (\d+) / (\d+) 份文件")
ANSWER_CITE = re.compile(r"· ([^·<]+)</summary>")


@dataclass(frozen=True)
class Case:
    """One request a client can send, with what a correct answer must show."""

    kind: str  # search | census | ask
    text: str
    judged: str = ""  # topic | fact | wording for searches
    answers: frozenset[tuple[str, ...]] = frozenset()  # (source prefix, address) or (source prefix,)
    figure: str = ""  # ask: text the answer must contain
    address: str = ""  # ask: clause address it must cite


@dataclass
class Record:
    client: int
    kind: str
    query: str
    start: float  # seconds since the load started
    latency_s: float
    ok: bool
    error: str = ""
    hits: tuple[tuple[str, str], ...] = ()  # searches: (source prefix, clause address) of the top hits


@dataclass
class Summary:
    requests: int
    errors: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float


@dataclass
class Report:
    transport: str
    endpoints: str  # ui: the page's handlers; api: the data API (search.app_api)
    clients: int
    duration_s: float
    elapsed_s: float
    requests: int
    errors: int
    throughput_rps: float
    latency_ms: dict[str, float]
    by_kind: dict[str, Summary]
    per_client_requests: list[int]
    warmup_s: float
    startup_s: float
    app_peak_rss_mib: float | None
    app_cpu_s: float | None
    loadgen_cpu_s: float
    loadavg_before: list[float]
    loadavg_after: list[float]
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    index: str = ""  # relative to the checkout
    date: str = ""
    commit: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    records: list[Record] = field(default_factory=list, repr=False)  # every request; not in the JSON


# ---- the request mix ------------------------------------------------------------------------------


def load_cases(path: Path = SEED_QUERIES) -> tuple[list[Case], list[Case], list[Case]]:
    """Searches (judged topic/fact/wording queries), census terms and ask questions."""
    searches, census = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        answers = frozenset(tuple(a) for a in record["answers"])
        if record["kind"] == "census":
            census.append(Case("census", record["query"], answers=answers))
        else:
            searches.append(Case("search", record["query"], judged=record["kind"], answers=answers))
    asks = [Case("ask", q, figure=figure, address=address) for q, figure, address in ASK_CASES]
    return searches, census, asks


def interleave(first: Sequence[Case], second: Sequence[Case]) -> list[Case]:
    """first[0], second[0], first[1], second[1], … cycling the shorter list."""
    n = max(len(first), len(second)) if first and second else 0
    return [case for i in range(n) for case in (first[i % len(first)], second[i % len(second)])]


def schedule(
    client: int, searches: Sequence[Case], extras: Sequence[Case], extra_every: int
) -> Iterator[Case]:
    """The endless request sequence of one client: searches cycled from a per-client offset, and every
    ``extra_every``-th request one of ``extras`` (census and ask alternating)."""
    n = 0
    s = client * 7  # 7 is coprime with the 17 judged queries: clients start at different queries
    e = client
    while True:
        n += 1
        if extra_every and extras and n % extra_every == 0:
            yield extras[e % len(extras)]
            e += 1
        else:
            yield searches[s % len(searches)]
            s += 1


def call_args(case: Case, endpoints: str = "ui") -> tuple[tuple[Any, ...], str]:
    if endpoints == "api":
        if case.kind == "search":
            return (case.text, SEARCH_K, SEARCH_CONTEXT, *API_NO_FILTERS), "/search"
        if case.kind == "census":
            return (case.text, *API_NO_FILTERS), "/census"
        return (case.text, ASK_K, *API_NO_FILTERS), "/ask"
    if case.kind == "search":
        return (case.text, SEARCH_K, SEARCH_CONTEXT, False, *NO_FILTERS), "/do_search"  # False: not by plan
    if case.kind == "census":
        return (case.text, *NO_FILTERS), "/do_census"
    return (case.text, ASK_K, *NO_FILTERS), "/do_ask"


def search_hits(cards_html: str) -> list[tuple[str, str]]:
    """(source prefix, clause address) of each hit card, in rank order; the address is the last part of
    the card's citation (title · issuer · year · address)."""
    return [
        (source[:3], html.unescape(cite).rsplit(" · ", 1)[-1]) for source, cite in CARD.findall(cards_html)
    ]


def api_search_hits(hits: list[dict]) -> list[tuple[str, str]]:
    """(source prefix, clause address) of each hit of the data API's /search, as search_hits reads cards."""
    return [(hit["source"][:3], hit["citation"].rsplit(" · ", 1)[-1]) for hit in hits]


def top_hits(result: Any, endpoints: str) -> list[tuple[str, str]]:
    return api_search_hits(result) if endpoints == "api" else search_hits(result[0])


def search_depth(case: Case) -> int:
    """How high the judged clause must rank: top 3 for topic queries, first for fact and wording ones."""
    return 3 if case.judged == "topic" else 1


def check(case: Case, result: Any, endpoints: str = "ui") -> str:
    """Why ``result`` is not a correct answer to ``case``; "" when it is."""
    if endpoints == "api":
        return check_api(case, result)
    if case.kind == "search":
        cards, cites = result
        hits = search_hits(cards)
        if not hits or not cites.strip():
            return "no hits (empty result: a user error or an unavailable index)"
        depth = search_depth(case)
        if not any(hit in case.answers for hit in hits[:depth]):
            return f"judged clause not in top {depth}: got {hits[:depth]}"
        return ""
    if case.kind == "census":
        summary = result[0]
        match = CENSUS_COUNT.search(summary)
        if not match:
            return f"no census summary: {summary[:120]!r}"
        if int(match.group(1)) != len(case.answers):
            return f"census found {match.group(1)} plans, judged {len(case.answers)}"
        return ""
    text = html.unescape(result if isinstance(result, str) else str(result))
    if case.figure not in text:
        return f"answer lacks {case.figure!r}: {text[:120]!r}"
    if case.address not in [a.strip() for a in ANSWER_CITE.findall(text)]:
        return f"answer does not cite {case.address}"
    return ""


def check_api(case: Case, result: Any) -> str:
    """check() for the data API's JSON: hits, plans that mention the term, a cited answer."""
    if case.kind == "search":
        hits = api_search_hits(result)
        if not hits:
            return "no hits"
        depth = search_depth(case)
        if not any(hit in case.answers for hit in hits[:depth]):
            return f"judged clause not in top {depth}: got {hits[:depth]}"
        return ""
    if case.kind == "census":
        if len(result) != len(case.answers):
            return f"census found {len(result)} plans, judged {len(case.answers)}"
        return ""
    if case.figure not in result["answer"]:
        return f"answer lacks {case.figure!r}: {result['answer'][:120]!r}"
    if case.address not in [c["citation"].rsplit(" · ", 1)[-1] for c in result["citations"]]:
        return f"answer does not cite {case.address}"
    return ""


# ---- the app process ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class AppStartError(RuntimeError):
    pass


@contextmanager
def running_app(
    index: Path,
    work: Path,
    timeout_s: float = START_TIMEOUT_S,
    corpus: Path = ROOT / "corpus",
    uploads: Path | None = None,
    extra: Sequence[str] = (),
) -> Iterator[tuple[str, int, float]]:
    """app.py on 127.0.0.1 over ``index`` (uploads default to ``work``/uploads, Gradio's temp files go
    to ``work``/gradio); yields (url, pid, seconds until it answered). The process is always stopped on
    exit (also on Ctrl-C or an error); AppStartError if it exits or stays silent for ``timeout_s``.
    ``extra`` goes after the other arguments (``--read-only``, ``--auth``…). Also what the browser tests
    start the app with."""
    uploads = uploads or work / "uploads"
    port = free_port()
    log = work / "app.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_SEARCH_LLM")}  # extractive answers
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", GRADIO_TEMP_DIR=str(work / "gradio"))
    command = [sys.executable, str(ROOT / "app.py"), "--index", str(index), "--corpus", str(corpus),
               "--uploads", str(uploads), "--host", "127.0.0.1", "--port", str(port), *extra]  # fmt: skip
    started = time.perf_counter()
    with open(log, "wb") as out:
        # own session: a Ctrl-C in the terminal reaches only this script, which then stops the app itself
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout_s
        while not answers(url):
            if process.poll() is not None:
                raise AppStartError(f"app.py exited with {process.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise AppStartError(f"app.py did not answer within {timeout_s:.0f}s:\n{tail(log)}")
            time.sleep(0.2)
        yield url, process.pid, time.perf_counter() - started
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def proc_status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# ---- the load -------------------------------------------------------------------------------------


class GradioClient:
    """Requests through ``gradio_client.Client``: the queue protocol the page itself uses (/queue/join
    and one SSE stream per session), with the client library's own overhead."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False)

    def call(self, api_name: str, args: Sequence[Any], timeout_s: float) -> Any:
        job = self.client.submit(*args, api_name=api_name)
        try:
            return job.result(timeout=timeout_s)
        except BaseException:
            job.cancel()
            raise

    def close(self) -> None:
        self.client.close()


class HttpClient:
    """Requests through the app's REST API with plain HTTP: POST /gradio_api/call/NAME gives an event id,
    GET /gradio_api/call/NAME/ID streams server-sent events until ``complete`` (the outputs) or ``error``.
    The same queue and handlers as the page, with almost no client-side CPU."""

    def __init__(self, url: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=url.rstrip("/") + "/gradio_api/", timeout=30.0)

    def call(self, api_name: str, args: Sequence[Any], timeout_s: float) -> Any:
        name = api_name.strip("/")
        deadline = time.monotonic() + timeout_s
        response = self.http.post(f"call/{name}", json={"data": list(args)})
        response.raise_for_status()
        event_id = response.json()["event_id"]
        event = ""
        with self.http.stream("GET", f"call/{name}/{event_id}", timeout=timeout_s) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer within {timeout_s:g}s")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = json.loads(line[5:])
                    if event == "error":
                        raise RuntimeError(f"the app reported an error: {data}")
                    return data[0] if len(data) == 1 else tuple(data)
        raise RuntimeError(f"the event stream ended without an answer (last event {event!r})")

    def close(self) -> None:
        self.http.close()


TRANSPORTS = {"client": GradioClient, "http": HttpClient}


def send(
    client: GradioClient | HttpClient, case: Case, timeout_s: float, endpoints: str = "ui"
) -> tuple[float, str, tuple[tuple[str, str], ...]]:
    """One request: (latency in seconds, error text or "", the top search hits seen)."""
    args, api_name = call_args(case, endpoints)
    started = time.perf_counter()
    try:
        result = client.call(api_name, args, timeout_s)
    except Exception as err:  # every failure of a request is a result to record
        message = str(err).strip().splitlines()[0][:200] if str(err).strip() else ""
        return time.perf_counter() - started, f"{type(err).__name__}: {message}", ()
    latency = time.perf_counter() - started
    try:
        hits = tuple(top_hits(result, endpoints)[:5]) if case.kind == "search" else ()
        return latency, check(case, result, endpoints), hits
    except Exception as err:  # an unexpected shape of the answer is a failed request
        return latency, f"unreadable answer ({type(err).__name__}: {err})", ()


def run_clients(
    url: str,
    transport: str,
    clients: int,
    duration_s: float,
    searches: Sequence[Case],
    extras: Sequence[Case],
    extra_every: int,
    max_requests: int,
    timeout_s: float,
    endpoints: str = "ui",
) -> tuple[list[Record], float, float]:
    """Run the clients; returns every request's record, the elapsed seconds from the common start to
    the last request's end (requests in flight at the deadline are completed and counted) and the CPU
    seconds the clients used."""
    records: list[Record] = []
    lock = threading.Lock()
    setup_errors: list[str] = []
    stop = threading.Event()
    t0 = [0.0, 0.0]  # wall clock and this process's CPU clock (all threads) at the common start

    def start_clock() -> None:  # runs once, before any thread passes the barrier
        t0[:] = [time.perf_counter(), time.process_time()]

    barrier = threading.Barrier(clients + 1, action=start_clock)

    def worker(number: int) -> None:
        client = None
        try:
            client = TRANSPORTS[transport](url)
        except Exception as err:
            setup_errors.append(f"client {number}: {type(err).__name__}: {err}")
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        if client is None:
            return
        try:
            deadline = t0[0] + duration_s
            cases = schedule(number, searches, extras, extra_every)
            for _ in range(max_requests):  # bounded: at most max_requests, and never past the deadline
                if stop.is_set() or time.perf_counter() >= deadline:
                    break
                case = next(cases)
                start = time.perf_counter() - t0[0]
                latency, error, hits = send(client, case, timeout_s, endpoints)
                with lock:
                    records.append(
                        Record(number, case.kind, case.text, start, latency, not error, error, hits)
                    )
        finally:
            client.close()

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"client-{i}", daemon=True) for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
        threading.excepthook = lambda _args: None  # the clients' threads die noisily as the app stops
        raise
    if setup_errors:
        raise AppStartError("could not connect clients: " + "; ".join(setup_errors))
    elapsed = max((r.start + r.latency_s for r in records), default=duration_s)
    return records, elapsed, time.process_time() - t0[1]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; nan when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summarise(records: Sequence[Record], elapsed_s: float) -> Summary:
    latencies = [r.latency_s * 1000 for r in records]
    return Summary(
        requests=len(records),
        errors=sum(not r.ok for r in records),
        throughput_rps=round(len(records) / elapsed_s, 3) if elapsed_s > 0 else 0.0,
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        max_ms=round(max(latencies, default=math.nan), 1),
        mean_ms=round(sum(latencies) / len(latencies), 1) if latencies else math.nan,
    )


def run(args: argparse.Namespace) -> Report:
    """Start the app, warm it up, run the load, stop the app; the report of the run."""
    index = args.index.resolve()
    if not (index / "CURRENT").is_file():
        raise AppStartError(
            f"no index in {index}: build one with "
            f"'.venv/bin/policy-search build corpus uploads --index {index}'"
        )
    searches, census, asks = load_cases()
    extras = interleave(census, asks) if args.extra_every else []
    with tempfile.TemporaryDirectory(prefix="load_app-") as tmp, running_app(index, Path(tmp)) as app:
        url, pid, startup_s = app
        warm = TRANSPORTS[args.transport](url)
        try:
            warmup_s, error, _ = send(warm, searches[0], WARMUP_TIMEOUT_S, args.endpoints)
        finally:
            warm.close()
        if error:
            raise AppStartError(f"the warm-up search failed: {error}\n{tail(Path(tmp) / 'app.log')}")
        loadavg_before = [round(x, 2) for x in os.getloadavg()]
        cpu_before = proc_cpu_s(pid)
        records, elapsed, loadgen_cpu = run_clients(
            url,
            args.transport,
            args.clients,
            args.duration,
            searches,
            extras,
            args.extra_every,
            args.max_requests,
            args.timeout,
            args.endpoints,
        )
        cpu_after = proc_cpu_s(pid)
        loadavg_after = [round(x, 2) for x in os.getloadavg()]
        peak_kib = proc_status_kib(pid, "VmHWM")
        app_log = tail(Path(tmp) / "app.log", 2000)
    overall = summarise(records, elapsed)
    kinds = sorted({r.kind for r in records})
    per_client = Counter(r.client for r in records)
    failures = [r for r in records if not r.ok]
    report = Report(
        transport=args.transport,
        endpoints=args.endpoints,
        clients=args.clients,
        duration_s=args.duration,
        elapsed_s=round(elapsed, 2),
        requests=overall.requests,
        errors=overall.errors,
        throughput_rps=overall.throughput_rps,
        latency_ms={k: getattr(overall, k) for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")},
        by_kind={kind: summarise([r for r in records if r.kind == kind], elapsed) for kind in kinds},
        per_client_requests=[per_client.get(i, 0) for i in range(args.clients)],
        warmup_s=round(warmup_s, 2),
        startup_s=round(startup_s, 2),
        app_peak_rss_mib=round(peak_kib / 1024, 1) if peak_kib else None,
        app_cpu_s=round(cpu_after - cpu_before, 2)
        if cpu_before is not None and cpu_after is not None
        else None,
        loadgen_cpu_s=round(loadgen_cpu, 2),
        loadavg_before=loadavg_before,
        loadavg_after=loadavg_after,
        error_samples=[{k: v for k, v in asdict(r).items() if k != "hits"} for r in failures[:20]],
        index=relative(index),
        **provenance("load_app.py", args.argv),
        records=records,
    )
    if failures:
        print(f"app log tail:\n{app_log}", file=sys.stderr)
    return report


def print_report(report: Report) -> None:
    lat = report.latency_ms
    print(
        f"{report.clients} clients ({report.transport}, {report.endpoints}) x {report.duration_s:g}s "
        f"(elapsed {report.elapsed_s:.1f}s): "
        f"{report.requests} requests, {report.errors} errors, {report.throughput_rps:.2f} req/s; "
        f"latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms, p99 {lat['p99_ms']:.0f} ms, "
        f"max {lat['max_ms']:.0f} ms"
    )
    for kind, s in report.by_kind.items():
        print(
            f"  {kind:7s} {s.requests:5d} requests, {s.errors} errors, {s.throughput_rps:.2f} req/s, "
            f"p50 {s.p50_ms:.0f} ms, p95 {s.p95_ms:.0f} ms, max {s.max_ms:.0f} ms"
        )
    rss = f"{report.app_peak_rss_mib:.0f} MiB" if report.app_peak_rss_mib else "n/a"
    print(
        f"app: answered HTTP {report.startup_s:.1f}s after start, warm-up search {report.warmup_s:.2f}s, "
        f"peak RSS {rss}, CPU {report.app_cpu_s}s during the load (load generator {report.loadgen_cpu_s}s); "
        f"load average before {report.loadavg_before}, after {report.loadavg_after}"
    )
    for sample in report.error_samples:
        print(f"  FAILED client {sample['client']} {sample['kind']} {sample['query']!r}: {sample['error']}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--index", type=Path, default=ROOT / "index", help="index folder (default: %(default)s)"
    )
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default: %(default)s)")
    parser.add_argument(
        "--extra-every",
        type=int,
        default=None,
        help="every N-th request of a client is a census or an ask instead of a search; 0: searches only "
        "(default: 10, with --quick 4)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=10_000,
        help="upper bound of requests per client (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds before a request counts as failed (default: %(default)s)",
    )
    parser.add_argument(
        "--transport",
        choices=sorted(TRANSPORTS),
        default="client",
        help="client: gradio_client.Client (the page's queue protocol); http: the REST API /gradio_api/call "
        "with plain HTTP, far less client CPU (default: %(default)s)",
    )
    parser.add_argument(
        "--endpoints",
        choices=ENDPOINTS,
        default="ui",
        help="ui: the page's handlers (/do_search …, HTML answers); api: the data API (/search, /census, "
        "/ask: plain parameters, JSON answers) (default: %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="4 clients x 5 s, for CI")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON report (default: bench/results/app_load.json; bench/out/app_load-http.json or "
        "-quick.json for --transport http or --quick)",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.duration = 4, 5.0
    if args.extra_every is None:
        args.extra_every = 4 if args.quick else 10
    if args.output is None:
        suffix = ("-http" if args.transport == "http" else "") + ("-quick" if args.quick else "")
        args.output = (OUT if suffix else RESULTS) / f"app_load{suffix}.json"
    if args.clients < 1 or args.duration <= 0 or args.max_requests < 1 or args.extra_every < 0:
        parser.error("--clients, --duration and --max-requests must be positive, --extra-every at least 0")
    args.argv = argv
    return args


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)  # a kill stops the app too (via the finally blocks)
    try:
        report = run(args)
    except AppStartError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the app was stopped", file=sys.stderr)
        return 130
    print_report(report)
    write_result(args.output, {key: value for key, value in asdict(report).items() if key != "records"})
    return 0 if report.errors == 0 and report.requests > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
