"""Search latency while the app indexes an upload, against the same searches on an idle app.

    python bench/search_during_upload.py [--clauses 300] [--idle 30] [--index INDEX] [--output FILE]

Why: an upload or rebuild runs beside searches (search.uploads.Library builds outside the app's search
lock and swaps the new generation in at the end), so a search should keep answering while a large plan
is embedded, only slower by what the shared CPU costs it. This script:

* builds an index of the shipped corpus with the default model in a throw-away folder (``--index`` copies
  an existing one first so its vectors are reused) and starts ``app.py`` over it (bench/load_app.py);
* idle phase: one client sends the judged searches of bench/seed_queries.jsonl one after another for
  ``--idle`` seconds over the HTTP API and records each latency and whether the judged clause came back;
* upload phase: a synthetic plan of ``--clauses`` distinct items (none of them in the index, so every
  one is embedded) is uploaded through the app's own upload endpoint, and the same client keeps
  searching until the upload answers;
* checks that the plan is searchable afterwards, and writes p50/p95/max of both phases, the upload's
  time and the error count to bench/results/search_during_upload.json (``--output`` elsewhere).

Exit code 0 when every search succeeded and the upload was indexed; 1 otherwise. Nothing here asserts
timings: they depend on the machine (two shared cores here), which the result file records.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from load_app import NO_FILTERS, HttpClient, load_cases, percentile, running_app, send

from machine import cpu_times, provenance, relative, steal_share

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEARCH_TIMEOUT_S = 120.0
UPLOAD_TIMEOUT_S = 1800.0

VERBS = ["推进", "加强", "完善", "落实", "深化", "健全", "优化", "实施", "扩大", "提升"]
# a culture-and-tourism plan: a large plan of the same shape whose items do not compete with the judged
# education clauses, so a search is wrong only if serving is
TOPICS = ["公共图书馆数字化", "非物质文化遗产传承工作站", "景区游客服务中心", "旅游厕所", "文物保护单位",
          "乡村文化礼堂", "博物馆免费开放", "文艺院团演出", "旅游市场秩序整治", "红色旅游线路",
          "全民阅读活动", "文化馆总分馆", "智慧景区", "演出市场监管", "旅游民宿"]  # fmt: skip
GOALS = ["建立工作台账", "纳入年度考核", "每季度开展督导检查", "形成典型经验做法", "覆盖全部乡镇",
         "完成年度目标任务", "组织专项培训", "开展第三方评估", "建立长效机制", "按月通报进展"]  # fmt: skip


def synthetic_plan(clauses: int) -> str:
    """A work plan of ``clauses`` distinct numbered items under ten headings; each item names a county
    number, so no item's text is in the shipped corpus (every one must be embedded)."""
    lines = ["测试市2026年文化和旅游工作要点", "测试市文化和旅游局"]
    per_section = max(1, -(-clauses // 10))
    numerals = "一二三四五六七八九十"
    for n in range(clauses):
        if n % per_section == 0:
            lines.append(f"{numerals[n // per_section]}、重点任务第{n // per_section + 1}部分")
        verb, topic, goal = VERBS[n % 10], TOPICS[(n * 7) % 15], GOALS[(n * 3) % 10]
        lines.append(f"{n + 1}、{verb}第{n + 1}片区{topic}建设，{goal}，确保第{n + 1}项措施落到实处。")
    return "\n".join(lines) + "\n"


def search_until(client, cases, stop: threading.Event, deadline: float, records: list) -> None:
    """Send the judged searches one after another until ``stop`` is set or the deadline passes."""
    i = 0
    while not stop.is_set() and time.monotonic() < deadline:
        latency, error, _ = send(client, cases[i % len(cases)], SEARCH_TIMEOUT_S)
        records.append({"latency_ms": round(latency * 1000, 1), "ok": not error, "error": error})
        i += 1


def summary(records: list[dict]) -> dict:
    latencies = [r["latency_ms"] for r in records]
    return {
        "searches": len(records),
        "errors": sum(not r["ok"] for r in records),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "error_samples": [r["error"] for r in records if not r["ok"]][:5],
    }


def upload(url: str, path: Path) -> tuple[float, str]:
    """Upload ``path`` through the app's upload endpoint; (seconds, the report's HTML)."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=False)
    started = time.perf_counter()
    try:
        result = client.predict([handle_file(str(path))], api_name="/on_upload")
    finally:
        client.close()
    return time.perf_counter() - started, str(result[0])


def run(args: argparse.Namespace, work: Path) -> dict:
    from search.build import build_index
    from search.encoder import load_encoder

    corpus, index = ROOT / "corpus", work / "index"
    if args.index:
        shutil.copytree(args.index, index)  # vectors to reuse
    built = build_index([corpus, work / "uploads"], index, load_encoder())
    plan = work / "incoming" / "测试市2026年文化和旅游工作要点.txt"
    plan.parent.mkdir()
    plan.write_text(synthetic_plan(args.clauses), encoding="utf-8")
    searches, _, _ = load_cases()
    with running_app(index, work, corpus=corpus) as (url, _pid, startup_s):
        client = HttpClient(url)
        send(client, searches[0], 300.0)  # the first search waits for the model to load
        idle: list[dict] = []
        search_until(client, searches, threading.Event(), time.monotonic() + args.idle, idle)

        during: list[dict] = []
        stop, outcome = threading.Event(), {}
        cpu_before = cpu_times()

        def do_upload() -> None:
            try:
                outcome["seconds"], outcome["report"] = upload(url, plan)
            except Exception as err:  # recorded as the run's failure
                outcome["error"] = f"{type(err).__name__}: {err}"
            finally:
                stop.set()

        uploader = threading.Thread(target=do_upload)
        uploader.start()
        search_until(client, searches, stop, time.monotonic() + UPLOAD_TIMEOUT_S, during)
        uploader.join()
        steal = steal_share(cpu_before, cpu_times())
        cards, _ = client.call("/do_search", ("第7片区", 10, 0, False, *NO_FILTERS), SEARCH_TIMEOUT_S)
        client.close()
    report = outcome.get("report", "")
    found = f'class="hit-card" data-source="uploads/{plan.name}"' in cards  # served after the swap
    embedded = re.search(r"新嵌入 (\d+)", report)
    indexed = found and embedded is not None and int(embedded.group(1)) >= args.clauses
    return {
        **provenance("search_during_upload.py", args.argv),
        "index": relative(corpus),
        "clauses_uploaded": args.clauses,
        "corpus_clauses": built.n_clauses,
        "startup_s": round(startup_s, 1),
        "idle": summary(idle),
        "during_upload": summary(during),
        "upload_s": round(outcome.get("seconds", float("nan")), 1),
        "upload_embedded": int(embedded.group(1)) if embedded else 0,
        "upload_indexed": indexed,
        "upload_error": outcome.get("error", ""),
        "steal_share_during_upload": steal,
        "loadavg_after": list(os.getloadavg()),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clauses", type=int, default=300, help="items in the uploaded plan")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of searches on the idle app")
    parser.add_argument("--index", type=Path, help="an index to copy first, so its vectors are reused")
    parser.add_argument("--output", type=Path, default=RESULTS / "search_during_upload.json")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="search-during-upload-") as folder:
        result = run(args, Path(folder))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    idle, during = result["idle"], result["during_upload"]
    print(
        f"idle: {idle['searches']} searches, p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms\n"
        f"during a {result['clauses_uploaded']}-clause upload ({result['upload_s']} s): "
        f"{during['searches']} searches, p50 {during['p50_ms']} ms, p95 {during['p95_ms']} ms, "
        f"errors {during['errors']}; indexed: {result['upload_indexed']}\nwrote {relative(args.output)}"
    )
    ok = result["upload_indexed"] and not idle["errors"] and not during["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
