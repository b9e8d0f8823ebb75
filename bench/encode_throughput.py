"""Encoding throughput on real clauses, the product's encoders in one run on the same texts.

Engines: multilingual-e5-small in torch float32 through SentenceTransformerEncoder (token-budget
batching; the reference, "ours fp32", ``--model multilingual-e5-small``), the same model through plain
``SentenceTransformer.encode`` (batch 32, for the batching choice), and the same model exported to ONNX
with int8 weights and run by onnxruntime (``multilingual-e5-small-int8``, OnnxEncoder: the default).
Loading is timed apart from encoding (the int8 model's one-time export is done before timing), and each
engine is warmed up on a few texts first. Every variant's vectors are compared with the float32
reference (per-clause cosine).

    python bench/encode_throughput.py            # 300 clauses
    python bench/encode_throughput.py --quick    # 60 clauses, a smoke run
    python bench/encode_throughput.py --only int8,ours   # engines whose name contains a word
    python bench/encode_throughput.py --by-length        # fp32 and int8 on the texts cut to 24…192 chars

Clauses/s depends on length (the model's cost is per token): --by-length times the reference and the
default engine on the same texts cut to fixed lengths, so a clauses/s figure measured elsewhere on
other texts can be placed (written as the by_length part of encode_throughput.json).

Writes bench/results/encode_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from search.config import DEFAULT_CORPUS, apply_offline_env

from machine import ROOT, cpu_times, provenance

NCP_CORPUS = ROOT.parent / "shared" / "benchmarks" / "ncp" / "corpus.jsonl"  # beside the checkout
RESULTS = ROOT / "bench" / "results" / "encode_throughput.json"
WARMUP = 8


def clauses(n: int) -> list[str]:
    """Lines of ≥ 20 characters from the shipped plans, then 100–400 character NCP slices, n in all."""
    texts = [
        line.strip()
        for path in sorted(DEFAULT_CORPUS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) >= 20
    ][:n]
    rng = random.Random(0)
    lines = NCP_CORPUS.read_text(encoding="utf-8").splitlines() if NCP_CORPUS.is_file() else []
    for line in lines:
        if len(texts) >= n:
            break
        doc = json.loads(line)["text"]
        if len(doc) >= 100:
            size = rng.randint(100, min(400, len(doc)))
            start = rng.randint(0, len(doc) - size)
            texts.append(doc[start : start + size])
    return texts


def timed(load: Callable[[], Callable[[list[str]], np.ndarray]], texts: list[str]) -> dict:
    """Load and warm up an engine, then time one pass over all texts."""
    start = time.perf_counter()
    encode = load()
    encode(texts[:WARMUP])  # some engines load lazily: count the first call as loading
    load_s = time.perf_counter() - start
    busy, own, start = system_busy_s(), own_cpu_s(), time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    seconds = time.perf_counter() - start
    others = (system_busy_s() - busy - (own_cpu_s() - own)) / seconds if busy is not None else float("nan")
    return {
        "load_s": load_s,
        "encode_s": seconds,
        "clauses_per_s": len(texts) / seconds,
        "other_cpus_busy": max(others, 0.0),  # other processes' load during the run: > 0.1 taints it
        "vectors": vectors,
    }


def system_busy_s() -> float | None:
    """CPU-seconds all processes have used (Linux /proc/stat), to tell a quiet run from a shared one."""
    fields = cpu_times()
    if not fields:
        return None
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


def load_ours(threads: int) -> Callable[[list[str]], np.ndarray]:
    from search.encoder import E5_FP32, load_encoder

    return load_encoder(E5_FP32, threads=threads).encode_passages


def load_int8(threads: int) -> Callable[[list[str]], np.ndarray]:
    from search.encoder import E5_INT8, load_encoder

    return load_encoder(E5_INT8, threads=threads).encode_passages


def load_plain_st(threads: int) -> Callable[[list[str]], np.ndarray]:
    import torch
    from sentence_transformers import SentenceTransformer

    from search.models.e5small import ensure_default_model

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(ensure_default_model()), device="cpu")
    return lambda texts: model.encode(texts, prompt_name="passage", batch_size=32)


OURS = "e5-small fp32 (ours, SentenceTransformerEncoder)"
INT8 = "e5-small int8 (onnxruntime, OnnxEncoder; default)"
PLAIN = "e5-small (plain SentenceTransformer, batch 32)"
ENGINES = {OURS: load_ours, PLAIN: load_plain_st, INT8: load_int8}
SAME_MODEL = (PLAIN, INT8)  # compared with OURS clause by clause
DISTRIBUTIONS = ("torch", "sentence-transformers", "onnxruntime", "onnx")


def version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


LENGTHS = (24, 48, 96, 192)  # characters each text is cut to in --by-length


def by_length(texts: list[str], threads: int, out: Path) -> None:
    """fp32 (reference) and int8 (default) throughput on ``texts`` cut to each of LENGTHS characters."""
    from search.encoder import E5_INT8, load_encoder

    tokenizer = load_encoder(E5_INT8, threads=threads).tokenizer
    rows = []
    for chars in LENGTHS:
        cut = [t[:chars] for t in texts if len(t) >= chars]
        tokens = float(np.mean([len(e.ids) for e in tokenizer.encode_batch(["passage: " + t for t in cut])]))
        row = {"chars": chars, "texts": len(cut), "mean_tokens": round(tokens, 1)}
        for name, load in ((OURS, load_ours), (INT8, load_int8)):
            result = timed(lambda load=load: load(threads), cut)
            row[name] = {k: round(v, 3) for k, v in result.items() if k != "vectors"}
            print(
                f"{chars:4d} chars {tokens:6.1f} tokens  {name:50s} {result['clauses_per_s']:7.1f} clauses/s"
            )
        rows.append(row)
    report = {**provenance("encode_throughput.py"), "threads": threads, "rows": rows}
    write_part(out, "by_length", report)
    print(f"wrote {out}")


def write_part(out: Path, key: str, part: dict) -> None:
    """One results file for both measurements: the by-length run is kept under ``key`` beside the main
    run's fields (each part records its own date, commit and command)."""
    report = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {**part}
    report[key] = part
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="clauses to encode (default 300)")
    parser.add_argument("--quick", action="store_true", help="60 clauses, a smoke run")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, help=f"default {RESULTS.name} (--by-length: its by_length part)")
    parser.add_argument("--only", default="", help="comma-separated words: run engines whose name has one")
    parser.add_argument("--by-length", action="store_true", help="fp32 and int8 at fixed text lengths")
    args = parser.parse_args()
    apply_offline_env()
    if args.by_length:
        from search.onnx_export import ensure_int8_model

        ensure_int8_model()
        by_length(clauses(60 if args.quick else args.n), args.threads, args.out or RESULTS)
        return
    words = [w for w in args.only.split(",") if w]
    engines = {k: v for k, v in ENGINES.items() if not words or any(w in k for w in words)}
    if INT8 in engines:
        from search.onnx_export import ensure_int8_model

        ensure_int8_model()  # the one-time export is not loading time
    texts = clauses(60 if args.quick else args.n)
    print(f"{len(texts)} clauses, mean {np.mean([len(t) for t in texts]):.0f} chars, {args.threads} threads")
    rows, vectors = [], {}
    for name, load in engines.items():
        result = timed(lambda load=load: load(args.threads), texts)
        vectors[name] = result.pop("vectors")
        rows.append({"engine": name, **{k: round(v, 3) for k, v in result.items()}})
        print(
            f"{name:50s} {result['clauses_per_s']:7.1f} clauses/s  (load+warm-up {result['load_s']:.1f}s, "
            f"other processes {result['other_cpus_busy']:.2f} CPUs)"
        )
    report = {
        **provenance("encode_throughput.py"),
        "n": len(texts),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "threads": args.threads,
        "results": rows,
        "cosine_vs_ours": {name: agreement(vectors, OURS, name) for name in SAME_MODEL if name in vectors},
        "versions": {d: version(d) for d in DISTRIBUTIONS},
    }
    out = args.out or RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_file() and "by_length" in (kept := json.loads(out.read_text(encoding="utf-8"))):
        report["by_length"] = kept["by_length"]  # the other measurement of this file stays
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def agreement(vectors: dict[str, np.ndarray], ours: str, other: str) -> dict | None:
    """Per-clause cosine between our model and another engine on the benchmark texts (both normalised)."""
    if ours not in vectors or other not in vectors:
        return None
    cosines = (vectors[ours] * vectors[other]).sum(axis=1)
    return {"min": round(float(cosines.min()), 6), "mean": round(float(cosines.mean()), 6)}


if __name__ == "__main__":
    main()
