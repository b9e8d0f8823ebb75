"""Pool the candidate clauses of each cross-plan topic query (bench/topics.jsonl) for a judge to read.

Usage: .venv/bin/python bench/topics_pool.py --index INDEX [--top 50] [--out pool.txt]
INDEX is an index of corpus/ (``policy-search build corpus --index INDEX``). For each query the pool is
the top N of the fused ranking and the top N of each clause-level leg (dense, keyword, pairs), every
clause the census lists for one of the query's key terms, and every clause of ``inspect`` whose text
holds one of them. The output lists, per query, the pooled clauses not judged relevant (with why
each was pooled and its text), and any judged clause the pool missed: the judge reads the first list
to catch a missed clause and the second to question a judgement no view supports.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from search.census import census
from search.inspection import inspect_file
from search.retrieve import Searcher

ROOT = Path(__file__).resolve().parents[1]
LEGS = ("dense", "keyword", "pairs")

Key = tuple[str, str, int]


def load_topics(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_clauses(corpus: Path) -> dict[Key, str]:
    """(source, address, part) → text, as ``policy-search inspect`` reads the corpus."""
    out = {}
    for doc in inspect_file(corpus)["documents"]:
        for c in doc["clauses"]:
            out[(doc["source"], c["address"], c["part"])] = c["text"]
    return out


def pool(searcher: Searcher, topic: dict, texts: dict[Key, str], top: int) -> dict[Key, set[str]]:
    """Each pooled clause with the views that pooled it (fused@N, dense@N, census:TERM, grep:TERM…)."""
    why: dict[Key, set[str]] = defaultdict(set)
    hits = searcher.search(topic["query"], k=len(texts))
    keyed = [((h.document.source, h.clause.address, h.clause.part), h) for h in hits]
    for key, _ in keyed[:top]:
        why[key].add(f"fused@{top}")
    for leg in LEGS:
        ranked = sorted(keyed, key=lambda kh, leg=leg: -kh[1].legs.get(leg, 0.0))
        for key, hit in ranked[:top]:
            if hit.legs.get(leg, 0.0) > 0:
                why[key].add(f"{leg}@{top}")
    for term in topic.get("terms", []):
        for mention in census(searcher, term).mentions:
            for c in mention.clauses:
                why[(mention.document.source, c.address, c.part)].add(f"census:{term}")
        for key, text in texts.items():
            if term in text:
                why[key].add(f"grep:{term}")
    return why


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--topics", type=Path, default=ROOT / "bench/topics.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    texts = corpus_clauses(args.corpus)
    searcher = Searcher.open(args.index)
    lines = []
    for topic in load_topics(args.topics):
        judged = {(r["source"], r["address"], r["part"]) for r in topic["relevant"]}
        why = pool(searcher, topic, texts, args.top)
        lexical = {k for k, v in why.items() if any(w.startswith(("census:", "grep:")) for w in v)}
        lines.append(
            f"## {topic['id']} {topic['query']}  pool {len(why)}, judged {len(judged)}, "
            f"unjudged with a key term {len(lexical - judged)}"
        )
        for key in sorted(judged - set(why)):
            lines.append(f"  NOT POOLED {key}")
        for key in sorted(lexical - judged):
            views = " ".join(sorted(why[key]))
            lines.append(f"  ? {key[0][:3]} {key[1]}#{key[2]} [{views}]\n    {texts[key]}")
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
