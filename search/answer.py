"""Answers with citations: extractive by default, optionally phrased by an OpenAI-compatible endpoint.

The extractive answer picks the retrieved sentences that best cover the question's words (numbers
weigh extra when the question asks 多少/几), and cites each by its clause. When
POLICY_SEARCH_LLM_URL is set, an endpoint may write a short answer from the same numbered clauses;
every [n] it cites is checked against the clauses it was given, unsupported citations are dropped,
and any error or an answer with no valid citation falls back to the extractive one.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from dataclasses import dataclass, field

from .records import Hit
from .retrieve import Filters, Searcher, check_query

_SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_NUMBER_QUESTION_RE = re.compile(r"多少|几|数量|比例|金额|投资|资金|万元|亿元|人数|%|率")
SECOND_SENTENCE = 0.8  # further sentences must score this share of the best one
MIN_SUPPORT = 0.34  # share of the question's words a sentence must contain to count as an answer


@dataclass
class Answer:
    question: str
    answer: str
    citations: list[Hit]
    sentences: list[tuple[str, int]] = field(default_factory=list)  # (sentence, citation number)
    mode: str = "extractive"  # extractive | llm | none
    note: str = ""

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "note": self.note,
            "sentences": [{"text": s, "citation": n} for s, n in self.sentences],
            "citations": [{"n": i, **h.to_json()} for i, h in enumerate(self.citations, 1)],
        }


def ask(searcher: Searcher, question: str, k: int = 6, filters: Filters | None = None) -> Answer:
    """Retrieve, then answer from the retrieved clauses (LLM if configured and valid, else extractive)."""
    question = check_query(question)
    hits = searcher.search(question, k=k, filters=filters)
    extractive = extract(question, hits, searcher.tokenizer)
    if not os.environ.get("POLICY_SEARCH_LLM_URL") or not hits:
        return extractive
    try:
        return llm_answer(question, hits)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as err:
        extractive.note = f"LLM endpoint failed ({type(err).__name__}); extractive answer shown"
        return extractive


def extract(question: str, hits: list[Hit], tokenizer) -> Answer:
    """Best one to three sentences, each cited by its clause's number among the citations.

    Question words that name the plan itself (高台县, 2023) are met by the document's metadata, so
    they count for every sentence of that plan; the sentence must supply the rest.
    """
    words = set(tokenizer(question))
    wants_number = bool(_NUMBER_QUESTION_RE.search(question))
    scored = []
    for rank, hit in enumerate(hits):
        meta = set(tokenizer(f"{hit.document.title} {hit.document.issuer} {hit.document.year or ''}"))
        for sentence in _SENTENCE_RE.findall(hit.clause.text):
            sentence = sentence.strip()
            if len(sentence) < 6 or sentence == hit.document.title:
                continue
            own = words & set(tokenizer(sentence))
            support = len(own | (words & meta)) / max(1, len(words))
            bonus = 0.15 if wants_number and re.search(r"\d", sentence) else 0.0
            score = support + 0.5 * len(own) / max(1, len(words)) + bonus + 0.1 * hit.score - 0.02 * rank
            scored.append((score, support if own else 0.0, sentence, rank))
    scored.sort(key=lambda s: -s[0])
    chosen = [s for s in scored if s[1] >= MIN_SUPPORT]
    chosen = [s for s in chosen if s[0] >= SECOND_SENTENCE * chosen[0][0]][:3] if chosen else []
    if not chosen:
        return Answer(
            question, "", [], mode="none", note="nothing in the indexed plans answers this question"
        )
    ranks = sorted({s[3] for s in chosen})
    number = {rank: i for i, rank in enumerate(ranks, 1)}
    sentences = [(s[2], number[s[3]]) for s in chosen]
    text = "".join(f"{sentence}[{n}]" for sentence, n in sentences)
    return Answer(question, text, [hits[r] for r in ranks], sentences)


def llm_answer(question: str, hits: list[Hit]) -> Answer:
    """Ask the configured endpoint; keep only citations that point at a clause it was given."""
    sources = "\n".join(f"[{i}] {h.citation}\n{h.clause.text}" for i, h in enumerate(hits, 1))
    content = _chat(
        "你是政策文件检索助手。只依据给出的条款回答，简洁，每句话后用[编号]注明出处；条款中没有答案就说明没有。",
        f"问题：{question}\n\n条款：\n{sources}",
    )
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", content)})
    valid = [n for n in cited if 1 <= n <= len(hits)]
    if not valid:
        raise ValueError("answer cites no retrieved clause")
    cleaned = re.sub(r"\[(\d+)\]", lambda m: m.group(0) if int(m.group(1)) in valid else "", content).strip()
    renumber = {old: new for new, old in enumerate(valid, 1)}
    cleaned = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber[int(m.group(1))]}]", cleaned)
    dropped = len(cited) - len(valid)
    note = f"{dropped} unsupported citation(s) dropped" if dropped else ""
    return Answer(question, cleaned, [hits[n - 1] for n in valid], mode="llm", note=note)


def _chat(system: str, user: str) -> str:
    """One chat-completions call to POLICY_SEARCH_LLM_URL (OpenAI-compatible), stdlib only."""
    url = os.environ["POLICY_SEARCH_LLM_URL"].rstrip("/")
    if not url.endswith("/chat/completions"):
        url += "/chat/completions"
    body = {
        "model": os.environ.get("POLICY_SEARCH_LLM_MODEL", "default"),
        "temperature": 0,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
    }
    headers = {"Content-Type": "application/json"}
    if key := os.environ.get("POLICY_SEARCH_LLM_KEY"):
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    timeout = float(os.environ.get("POLICY_SEARCH_LLM_TIMEOUT", "30"))
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read().decode("utf-8"))
    return str(reply["choices"][0]["message"]["content"])
