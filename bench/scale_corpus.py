"""Synthetic scale corpus for bench/scale.py: real clauses recombined and perturbed, synthetic metadata.

A *pool* of real documents (the shipped plans and the NCP notices, parsed with search.pipeline) is the
only source of text. Each synthetic document copies the clause structure of one pool document and
gives it a new region (real county, district, city and province names), level (from the region's
suffix), year (2015–2024), issuer, title, 文号 and date. Each clause is its pool clause with

- the sentences after the first shuffled (half of the clauses),
- one sentence replaced by a sentence of another pool clause (a third of the clauses),
- the pool document's place name replaced by the new region, every year shifted by the same offset
  as the plan year, and counts/amounts (numbers before a unit) scaled by a per-document factor.

Vectors are not computed here: :func:`synth_vectors` mixes the pool vectors of the clauses a synthetic
clause was made from (by character share), adds small Gaussian noise and re-normalises.

Tokens: jieba never joins characters across 。；！？ or whitespace, so the tokens of a clause are exactly
the concatenated tokens of its sentences. Sentences are tokenised once each (memoised) and the token
lists are reused; :class:`MemoTokenizer` counts how many distinct sentences it actually cut, and the
unit test checks the result equals tokenising the whole text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.build import embed_text
from search.clauses import clause_id
from search.keyword import Tokenizer, policy_terms
from search.metadata import level_of
from search.pipeline import ParsedDoc, parse_corpus
from search.records import Clause, Document, LoadProblem


# Real place names: counties (and county-level cities, counted at the 县 level here), districts,
# prefecture-level cities and provinces; weights make county plans the bulk, as in the use case.
def _names(text: str) -> list[str]:
    return text.split()


COUNTIES = _names(
    """
高台县 临泽县 民乐县 山丹县 永昌县 金塔县 瓜州县 会宁县 靖远县 景泰县 通渭县 陇西县
渭源县 临洮县 漳县 岷县 宕昌县 文县 康县 徽县 两当县 礼县 西和县 成县 庄浪县
静宁县 泾川县 灵台县 崇信县 镇原县 宁县 合水县 正宁县 环县 华池县 庆城县 甘谷县
武山县 清水县 秦安县 张家川回族自治县 南漳县 谷城县 保康县 远安县 兴山县 秭归县
长阳土家族自治县 五峰土家族自治县 兰考县 杞县 通许县 尉氏县 滑县 内黄县 汤阴县 淇县
浚县 新安县 栾川县 嵩县 汝阳县 宜阳县 洛宁县 伊川县 沭阳县 泗阳县 泗洪县 丰县 沛县
睢宁县 如东县 平邑县 费县 沂水县 蒙阴县 莒南县 郯城县 兰陵县 临沭县 沂南县 曹县
单县 成武县 巨野县 郓城县 鄄城县 东明县 苍溪县 旺苍县 剑阁县 青川县 南江县 通江县
平昌县 宣汉县 开江县 大竹县 渠县 威宁彝族回族苗族自治县 赫章县 纳雍县 织金县 大方县
金沙县 镇雄县 彝良县 威信县 会泽县 陆良县 师宗县 罗平县 宁乡县 浏阳县 醴陵县 攸县
茶陵县 炎陵县 湘潭县 衡阳县 衡南县 祁东县
"""
)
DISTRICTS = _names(
    """
安定区 秦州区 麦积区 襄城区 樊城区 襄州区 宿豫区 宿城区 海淀区 朝阳区 浦东新区
南山区 天河区 武侯区 雁塔区 江汉区 鼓楼区 历下区 未央区 甘州区 肃州区 西固区 城关区
七里河区 金川区 凉州区 崆峒区 西峰区 成华区 锦江区
"""
)
CITIES = _names(
    """
襄阳市 张掖市 天水市 临沂市 宿迁市 洛阳市 南充市 毕节市 昭通市 庆阳市 酒泉市 宜昌市
菏泽市 达州市
"""
)
PROVINCES = _names(
    """
甘肃省 湖北省 河南省 江苏省 山东省 四川省 贵州省 云南省 湖南省
"""
)
REGION_WEIGHTS = ((COUNTIES, 0.6), (DISTRICTS, 0.25), (CITIES, 0.1), (PROVINCES, 0.05))
BUREAUS = ("教育局", "教育局", "教育局", "人民政府", "人民政府办公室", "卫生健康局", "发展和改革局", "财政局")
YEARS = tuple(range(2015, 2025))
SCALES = (0.5, 0.8, 1.0, 1.25, 1.5, 2.0)  # per-document factor for counts and amounts
P_SHUFFLE = 0.5
P_SWAP = 0.33
NCP_BASE_YEAR = 2020  # NCP notices are from Jan–Mar 2020 and carry no parsed year

_SENTENCE_END = re.compile(r"(?<=[。；！？;!?])")
_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?!\d)")
_AMOUNT = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(?=\s*(?:万|亿|千|百|个|人|所|家|元|%|％|项|名|台|套|公里|平方|亩|户|次|天|小时|间|张"
    r"|辆|吨|支|例|块|座|条|批|场|期|篇|门|节|课时|学时|岁|年级))"
)


@dataclass
class PoolClause:
    doc: int  # index into Pool.documents
    clause: Clause
    sentences: list[str]
    text: str  # what the encoder embeds (search.build.embed_text)


@dataclass
class Pool:
    """Real documents and their clauses, the raw material of every synthetic clause."""

    documents: list[Document]
    clauses: list[PoolClause]
    by_doc: list[list[int]]  # clause indices of each document, in order
    origin: list[str]  # "plans" or "ncp" per document
    terms: list[str]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.clauses]


def split_sentences(text: str) -> list[str]:
    """Pieces ending in 。；！？ (the last may end otherwise); joined they give ``text`` back."""
    return [s for s in _SENTENCE_END.split(text) if s]


def load_pool(roots: Sequence[tuple[str, Path]], ncp_docs: int | None = None) -> Pool:
    """Parse each (origin, path) root; ``ncp_docs`` caps the documents taken from an "ncp" root."""
    documents: list[Document] = []
    clauses: list[PoolClause] = []
    by_doc: list[list[int]] = []
    origin: list[str] = []
    for name, root in roots:
        taken = 0
        for item in parse_corpus(Path(root)):
            if isinstance(item, LoadProblem) or not isinstance(item, ParsedDoc):
                continue
            if name == "ncp" and ncp_docs is not None and taken >= ncp_docs:
                break
            taken += 1
            d = len(documents)
            documents.append(item.document)
            origin.append(name)
            rows = []
            for c in item.clauses:
                rows.append(len(clauses))
                clauses.append(PoolClause(d, c, split_sentences(c.text), embed_text(item.document, c)))
            by_doc.append(rows)
    terms = policy_terms(d.text for d in documents)
    return Pool(documents, clauses, by_doc, origin, terms)


class MemoTokenizer:
    """search.keyword.Tokenizer applied per sentence, each distinct sentence cut once."""

    def __init__(self, terms: Iterable[str] = (), tokenizer: Tokenizer | None = None) -> None:
        self.tokenizer = tokenizer or Tokenizer(terms)  # a shared one saves jieba's dictionary load
        self.memo: dict[str, list[str]] = {}
        self.cut = 0  # distinct strings actually tokenised
        self.chars_cut = 0

    def piece(self, text: str) -> list[str]:
        tokens = self.memo.get(text)
        if tokens is None:
            tokens = self.tokenizer(text)
            self.memo[text] = tokens
            self.cut += 1
            self.chars_cut += len(text)
        return tokens

    def pieces(self, texts: Iterable[str]) -> list[str]:
        out: list[str] = []
        for text in texts:
            out += self.piece(text)
        return out


@dataclass
class ScaleCorpus:
    """A generated corpus, ready for a BuildPayload (vectors come from :func:`synth_vectors`)."""

    documents: list[Document]
    clauses: list[Clause]
    clause_tokens: list[list[str]]
    doc_tokens: list[list[str]]
    base: np.ndarray  # pool clause each clause was made from
    donor: np.ndarray  # pool clause a sentence was borrowed from, or -1
    donor_share: np.ndarray  # character share of the borrowed sentence
    stats: dict = field(default_factory=dict)


@dataclass
class DocPlan:
    region: str
    short: str
    level: str
    year: int
    scale: float
    issuer: str
    replace: list[tuple[str, str]]  # (old, new) place names


def _pick_region(rng: random.Random) -> str:
    names = rng.choices([n for n, _ in REGION_WEIGHTS], weights=[w for _, w in REGION_WEIGHTS])[0]
    return rng.choice(names)


def _short(region: str) -> str:
    """高台县 → 高台, 张家川回族自治县 → 张家川; names of two characters stay whole."""
    for suffix in ("回族自治县", "土家族自治县", "彝族回族苗族自治县", "新区", "县", "区", "市", "省"):
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[: -len(suffix)]
    return region


def _scale_number(match: re.Match, factor: float) -> str:
    raw = match.group(1)
    value = float(raw) * factor
    if "." in raw:
        return f"{value:.1f}"
    return str(max(1, round(value)))


def perturb(text: str, plan: DocPlan, year_shift: int) -> str:
    """Place names swapped, years shifted, counts and amounts scaled."""
    for old, new in plan.replace:
        text = text.replace(old, new)
    if year_shift:
        text = _YEAR.sub(lambda m: str(int(m.group(1)) + year_shift), text)
    if plan.scale != 1.0:
        text = _AMOUNT.sub(lambda m: _scale_number(m, plan.scale), text)
    return text


def _plan(rng: random.Random, base: Document, origin: str) -> DocPlan:
    region = _pick_region(rng)
    short = _short(region)
    replace: list[tuple[str, str]] = []
    if base.region:
        replace.append((base.region, region))
        if _short(base.region) != base.region:
            replace.append((_short(base.region), short))
    bureau = "教育局" if origin == "plans" else rng.choice(BUREAUS)
    return DocPlan(
        region, short, level_of(region), rng.choice(YEARS), rng.choice(SCALES), region + bureau, replace
    )


def generate(
    pool: Pool, n_clauses: int, seed: int = 0, tokenizer: MemoTokenizer | None = None
) -> ScaleCorpus:
    """Exactly ``n_clauses`` synthetic clauses in documents modelled on random pool documents."""
    rng = random.Random(seed)
    tok = tokenizer or MemoTokenizer(pool.terms)
    documents: list[Document] = []
    clauses: list[Clause] = []
    clause_tokens: list[list[str]] = []
    doc_tokens: list[list[str]] = []
    base = np.empty(n_clauses, dtype=np.int64)
    donor = np.full(n_clauses, -1, dtype=np.int64)
    share = np.zeros(n_clauses, dtype=np.float32)
    n_pool = len(pool.clauses)
    shuffled = swapped = 0
    while len(clauses) < n_clauses:
        d = rng.randrange(len(pool.documents))
        src, origin = pool.documents[d], pool.origin[d]
        plan = _plan(rng, src, origin)
        shift = plan.year - (src.year or NCP_BASE_YEAR)
        source = f"synthetic/{plan.region}/{plan.year}/{len(documents):07d}.txt"
        title = perturb(src.title or src.source, plan, shift)
        if plan.short not in title:
            title = plan.region + title
        title_tokens = tok.piece(title)
        body: list[str] = [title]
        body_tokens: list[list[str]] = []
        offset = len(title) + 1
        first = len(clauses)
        ids: set[str] = set()
        for seq, row in enumerate(pool.by_doc[d][: n_clauses - len(clauses)]):
            pc = pool.clauses[row]
            sentences = list(pc.sentences)
            i = len(clauses)
            base[i] = row
            if len(sentences) >= 3 and rng.random() < P_SHUFFLE:
                rest = sentences[1:]
                rng.shuffle(rest)
                sentences[1:] = rest
                shuffled += 1
            if len(sentences) >= 2 and rng.random() < P_SWAP:
                j = rng.randrange(n_pool)
                other = pool.clauses[j]
                if other.sentences and j != row:
                    k = rng.randrange(1, len(sentences))
                    sentences[k] = rng.choice(other.sentences)
                    donor[i] = j
                    share[i] = len(sentences[k]) / max(1, sum(map(len, sentences)))
                    swapped += 1
            sentences = [perturb(s, plan, shift) for s in sentences]
            text = "".join(sentences)
            path = tuple(perturb(p, plan, shift) for p in pc.clause.path)
            cid = clause_id(source, pc.clause.address, pc.clause.part, text)
            if cid in ids:  # two items made identical by the perturbation: keep ids unique
                cid = clause_id(source, pc.clause.address, pc.clause.part, f"{text}\x1f{seq}")
            ids.add(cid)
            clause = Clause(
                clause_id=cid,
                source=source,
                address=pc.clause.address,
                path=path,
                text=text,
                start=offset,
                end=offset + len(text),
                part=pc.clause.part,
                seq=seq,
            )
            offset += len(text) + 1
            body.append(text)
            text_tokens = tok.pieces(sentences)
            body_tokens.append(text_tokens)
            clause_tokens.append(tok.piece(" ".join(path[:-1])) + text_tokens if path[:-1] else text_tokens)
            clauses.append(clause)
        doc_text = "\n".join(body)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        document = Document(
            source=source,
            title=title,
            text=doc_text,
            raw=doc_text,
            issuer=plan.issuer,
            region=plan.region,
            level=plan.level,
            year=plan.year,
            doc_number=f"{plan.short}教发〔{plan.year}〕{rng.randint(1, 60)}号",
            date=f"{plan.year}-{month:02d}-{day:02d}",
            provenance={
                k: "given" for k in ("title", "issuer", "region", "level", "year", "doc_number", "date")
            },
        )
        documents.append(document)
        tokens = title_tokens + tok.piece(plan.issuer) + tok.piece(plan.region) + title_tokens
        for part in body_tokens:
            tokens.extend(part)
        doc_tokens.append(tokens)
        assert len(clauses) > first
    stats = {
        "documents": len(documents),
        "clauses": len(clauses),
        "shuffled": shuffled,
        "sentence_swapped": swapped,
        "distinct_pieces_tokenised": tok.cut,
        "chars_tokenised": tok.chars_cut,
        "chars_total": sum(len(c.text) for c in clauses),
    }
    return ScaleCorpus(documents, clauses, clause_tokens, doc_tokens, base, donor, share, stats)


def synth_vectors(
    corpus: ScaleCorpus, pool_vectors: np.ndarray, noise: float, seed: int = 0, chunk: int = 65536
) -> np.ndarray:
    """Pool vector of each clause's base (mixed with its donor's by character share), plus Gaussian noise
    of standard deviation ``noise`` per dimension, L2-normalised; float32 (n, dim)."""
    rng = np.random.default_rng(seed)
    n, dim = len(corpus.base), pool_vectors.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        base = corpus.base[start:stop]
        donor = corpus.donor[start:stop]
        share = corpus.donor_share[start:stop, None]
        vec = pool_vectors[base].copy()
        has = donor >= 0
        if has.any():
            vec[has] = (1 - share[has]) * vec[has] + share[has] * pool_vectors[donor[has]]
        vec += rng.standard_normal((stop - start, dim), dtype=np.float32) * noise
        vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
        out[start:stop] = vec
    return out
