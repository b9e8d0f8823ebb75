"""Metadata: what each seed says about itself, what catalog or JSONL give, and where each value came from."""

from __future__ import annotations

import pytest

from search.clean import clean_text
from search.metadata import (
    CLOSING_SPAN,
    build_document,
    find_region,
    find_title,
    find_year,
    level_of,
    read_catalog,
    title_issuers,
)
from search.records import RawDoc

FIELDS = ("title", "issuer", "region", "level", "year", "doc_number", "date")

EXPECTED = {
    "000": dict(
        title="襄阳市2017年教育工作要点",
        issuer="襄阳市教育局",
        region="襄阳市",
        level="市",
        year=2017,
        doc_number="",
        date="",
    ),
    "001": dict(
        title="高台县2023年教育工作要点",
        issuer="高台县教育局",
        region="高台县",
        level="县",
        year=2023,
        doc_number="高教发〔2023〕1号",
        date="2023-03-24",
    ),
    "002": dict(
        title="关于加快打造东北地区西北部区域教育中心的实施方案",
        issuer="齐齐哈尔市教育局",
        region="齐齐哈尔市",
        level="市",
        year=2023,
        doc_number="",
        date="",
    ),
    "003": dict(
        title="未央区2020年教育工作",
        issuer="未央区教育局",
        region="未央区",
        level="区",
        year=2020,
        doc_number="",
        date="",
    ),
    "004": dict(
        title="教育局2021年工作要点范文", issuer="", region="", level="", year=2021, doc_number="", date=""
    ),
}

PROVENANCE = {
    "000": {"title": "read", "region": "read", "year": "read", "level": "inferred", "issuer": "inferred"},
    "001": {
        "title": "read",
        "issuer": "read",
        "region": "read",
        "year": "read",
        "doc_number": "read",
        "date": "read",
        "level": "inferred",
    },
    "002": {
        "title": "read",
        "region": "given",
        "year": "inferred",
        "level": "inferred",
        "issuer": "inferred",
    },
    "003": {"title": "inferred", "region": "read", "year": "read", "level": "inferred", "issuer": "inferred"},
    "004": {"title": "read", "year": "read"},
}


@pytest.mark.parametrize("seed", sorted(EXPECTED))
def test_seed_metadata(seeds, seed):
    document = seeds[seed].document
    assert {name: getattr(document, name) for name in FIELDS} == EXPECTED[seed]


@pytest.mark.parametrize("seed", sorted(PROVENANCE))
def test_seed_provenance(seeds, seed):
    assert seeds[seed].document.provenance == PROVENANCE[seed]


def test_template_placeholders_are_not_a_region(seeds):
    """004 speaks of 《xx县教育发展…》 and 《x市委…》: placeholders, not places."""
    assert seeds["004"].document.region == ""
    assert "xx县" in seeds["004"].document.text


def test_catalog_rows_by_source(seed_dir):
    catalog = read_catalog(seed_dir)
    assert list(catalog) == ["002_0bc6a5b737179746.txt"]
    assert catalog["002_0bc6a5b737179746.txt"]["region"] == "齐齐哈尔市"
    assert catalog["002_0bc6a5b737179746.txt"]["year"] == ""


def test_catalog_missing_is_empty(tmp_path):
    assert read_catalog(tmp_path) == {}


def _document(text: str, given: dict[str, str] | None = None, catalog: dict[str, str] | None = None):
    raw = RawDoc(source="doc.txt", text=text, fmt="jsonl" if given else "txt", given=given or {})
    return build_document(raw, clean_text(text), catalog)


def test_header_block_becomes_metadata():
    page = "\n".join(
        [
            "发文字号",
            "京教基〔2020〕5号",
            "发布机构",
            "北京市教育委员会",
            "成文日期",
            "2020-02-01",
            "北京市2020年基础教育工作要点",
            "一、总体要求",
            "1、落实立德树人根本任务。",
        ]
    )
    document = _document(page)
    assert (document.doc_number, document.issuer, document.date, document.year) == (
        "京教基〔2020〕5号",
        "北京市教育委员会",
        "2020-02-01",
        2020,
    )
    assert document.title == "北京市2020年基础教育工作要点"
    assert (document.region, document.level) == ("北京市", "市")
    assert "发文字号" not in document.text and document.text.startswith("北京市2020年基础教育工作要点")


def test_given_values_win_over_read_ones_and_say_so():
    text = "襄阳市2017年教育工作要点\n一、指导思想\n深入学习贯彻党的十九大精神。"
    document = _document(text, given={"title": "给定标题", "year": "2018", "issuer": "某局"})
    assert (document.title, document.year, document.issuer, document.region) == (
        "给定标题",
        2018,
        "某局",
        "襄阳市",
    )
    assert document.provenance == {
        "title": "given",
        "year": "given",
        "issuer": "given",
        "region": "read",
        "level": "inferred",
    }


def test_catalog_row_overrides_and_empty_cells_mean_not_given():
    text = "襄阳市2017年教育工作要点\n一、指导思想\n深入学习。"
    document = _document(text, catalog={"source": "doc.txt", "region": "宜昌市", "level": "", "year": ""})
    assert (document.region, document.level, document.year) == ("宜昌市", "市", 2017)
    assert document.provenance["region"] == "given" and document.provenance["year"] == "read"


def test_plan_year_beats_target_years_in_the_body():
    text = "某市2021年教育工作要点\n一、目标\n到2025年基本实现教育现代化,2035年建成教育强市。"
    assert _document(text).year == 2021


def test_year_from_doc_number_then_opening_sentence():
    assert find_year("", "京教发〔2019〕3号", "", {}, "") == (2019, "read")
    assert find_year("", "", "", {}, "2020年全区教育工作的总体要求是:…") == (2020, "read")
    assert find_year("", "", "", {"上传时间": "2023-09-05"}, "正文") == (2023, "inferred")
    assert find_year("", "", "", {}, "正文没有年份") is None


def test_a_cited_doc_number_neither_names_nor_dates_the_notice():
    # a flattened 2020 notice that cites a 2016 circular by title and 文号, and is signed at its end
    flat = (
        "财政部 税务总局关于支持疫情防控有关税收政策的公告 一、按照《财政部 国家税务总局关于全面推开"
        "营业税改征增值税试点的通知》（财税〔2016〕36号）规定执行。 二、本公告自2020年1月1日起施行。 "
        "财政部 税务总局 2020年2月6日 （此件公开发布）"
    )
    document = _document(flat)
    assert (document.doc_number, document.date, document.year) == ("", "2020-02-06", 2020)
    assert document.provenance["year"] == "read"
    # a 文号 the sentence goes on from is cited too; the notice's own one, printed later, is read
    own = "关于保障运输车辆通行的通知 按洪新冠指交发〔2020〕15号文件精神办理。\n赣交发〔2020〕3号\n各区："
    assert _document(own).doc_number == "赣交发〔2020〕3号"
    # with nothing but a cited 文号 the year stays unknown rather than the cited one's
    only_cited = _document("关于减免社保费的通知 根据《中小企业划型标准》（工信部联企业〔2011〕300号）执行。")
    assert (only_cited.doc_number, only_cited.year) == ("", None)


@pytest.mark.parametrize(
    "ending",
    [
        "有效期至2021年7月31日。",  # a deadline in the last sentence
        "天津市商务局办公室2020年2月15日印发",  # run into the words around it
        "截至2020年2月12日，累计复工企业620家。",
    ],
)
def test_a_date_inside_the_last_sentence_is_no_signature(ending: str):
    assert _document(f"关于复工复产的通知 各企业： 做好防控。 {ending}").date == ""


def test_a_date_where_the_signature_window_opens_is_read_with_what_precedes_it():
    date = "2020年2月12日"
    tail = " " + "。" * (CLOSING_SPAN - len(date) - 1)  # the date opens the last CLOSING_SPAN characters
    assert _document(f"关于复工的通知 各企业： 统计截至{date}{tail}").date == ""
    assert _document(f"关于复工的通知 各企业： 特此通知。 {date}{tail}").date == "2020-02-12"


def test_title_from_cover_notice_or_a_title_like_line():
    notice = ["高台县教育局关于印发高台县2023年教育工作要点的通知", "各校(园):"]
    assert find_title(notice) == "高台县2023年教育工作要点"
    assert find_title(["关于印发《2020年全市教育工作要点》的通知"]) == "2020年全市教育工作要点"
    assert find_title(["一、总体要求", "某县2022年教育工作计划"]) == "某县2022年教育工作计划"
    assert find_title(["2020年全区教育工作的总体要求是:以习近平新时代中国特色社会主义思想为指导。"]) == ""


def test_title_of_a_page_flattened_to_one_line():
    flat = (
        "北京市市场监督管理局关于疫情防控期间保障电梯安全运行的工作提示 各有关单位： 为配合做好疫情防控工作，"
        * 3
    )
    assert find_title([flat]) == "北京市市场监督管理局关于疫情防控期间保障电梯安全运行的工作提示"
    headline = "兰州海关：防控物资“零延时”通关助力抗击疫情 兰州海关工作人员在机场停机坪上查验物资。"
    assert find_title([headline]) == "兰州海关：防控物资“零延时”通关助力抗击疫情"
    assert find_title(["各有关单位： 为配合做好疫情防控工作，现通知如下。"]) == ""
    # a formal title is read whole, its issuers and all; a lone body name is not a title
    formal = "北京市财政局 北京市发展和改革委员会关于强化疫情防控重点保障企业资金支持的通知 各区财政局："
    assert (
        find_title([formal])
        == "北京市财政局 北京市发展和改革委员会关于强化疫情防控重点保障企业资金支持的通知"
    )
    assert find_title(["国家税务总局南阳市税务局 国家税务总局各省辖市税务局，局内各单位：为坚决贯彻"]) == ""


@pytest.mark.parametrize(
    ("line", "title"),
    [
        # headlines opening with a figure are not numbered items
        (
            "2月申报纳税期限延长至2月24日 重庆倡导“非接触式”办理税费业务 今（30）日，",
            "2月申报纳税期限延长至2月24日",
        ),
        ("7万铁警驻守铁路站车一线迎战返程高峰 春运返程以来，", "7万铁警驻守铁路站车一线迎战返程高峰"),
        ("1. 各单位要落实责任 二是加强宣传。", ""),
        # a headline may end like a body's name (医院, 部署, 网上办); a lone body name is no title
        (
            "湖北将再建一所应急后备医院 新华社武汉2月12日电（记者 邹伟）作为黄冈市疫情最严重的县，",
            "湖北将再建一所应急后备医院",
        ),
        (
            "国家知识产权局对疫情防控工作再动员、再部署 坚决打赢疫情防控阻击战 当前，",
            "国家知识产权局对疫情防控工作再动员、再部署",
        ),
        ("195个涉税缴费事项可网上办 多个办税渠道可选 2月16日，", "195个涉税缴费事项可网上办"),
        ("铜川市人民政府 各区县人社局，新区人社局，市级各经办机构：", ""),
        # a headline may hold a comma, not a sentence end
        ("共克时艰，广州市产业园区在行动 近期，面对疫情。", "共克时艰，广州市产业园区在行动"),
        ("为做好防控工作。现通知如下 各单位：", ""),
        # a segment too short to be a headline is joined with the next
        ("生死竞速 上海海关通关“零延时” 上海作为全国枢纽口岸，", "生死竞速 上海海关通关“零延时”"),
        # a letterhead printed twice is named once
        (
            "甘肃省医疗保障局 甘肃省财政厅 甘肃省医疗保障局 甘肃省财政厅 关于延长参保缴费期的通知 各市州：",
            "甘肃省医疗保障局 甘肃省财政厅关于延长参保缴费期的通知",
        ),
        # a notice quoted inside another's title is not cut out of it
        (
            "东营经济技术开发区管委会印发《关于用工的若干措施》的通知 各单位：",
            "东营经济技术开发区管委会印发《关于用工的若干措施》的通知",
        ),
        # a notice issuing a measure, its 《…》 broken over two lines, a 文号 after it
        (
            "遂宁市人民政府办公室 印发《关于进一步支持中小微企业等领域 打好疫情防控阻击战的若干措施》的通知  "
            "遂府办发〔2020〕2号 各县（区）人民政府：",
            "遂宁市人民政府办公室印发《关于进一步支持中小微企业等领域打好疫情防控阻击战的若干措施》的通知",
        ),
        # a site's name and column before the title; a column｜headline bar
        (
            "山东省人民政府 政策文件 山东省人民政府办公厅印发关于积极应对疫情加快恢复农业生产的若干措施的"
            "通知 山东省人民政府办公厅 印发关于…",
            "山东省人民政府办公厅印发关于积极应对疫情加快恢复农业生产的若干措施的通知",
        ),
        (
            "国家税务总局山东省税务局 通知公告 新冠肺炎疫情防控税收优惠政策指引 面对疫情防控的严峻形势，",
            "新冠肺炎疫情防控税收优惠政策指引",
        ),
        (
            "山东省人民政府 政策解读 部门解读｜《关于加快恢复农业生产 确保重要农产品稳产保供的若干措施》 "
            "为贯彻",
            "部门解读｜《关于加快恢复农业生产确保重要农产品稳产保供的若干措施》",
        ),
        (
            "回放｜广西做好企业复工复产保障工作新闻发布会 时 间：2020年2月16日 地 点：南宁市新民路 "
            "主持人：各位记者朋友，大家上午好！欢迎出席新闻发布会。",
            "回放｜广西做好企业复工复产保障工作新闻发布会",
        ),
        # a formal title the page broke over two lines; issuers, the last a 集团
        (
            "龙岩市人力资源和社会保障局 转发人力资源和社会保障部办公厅关于切实 做好疫情防控期间事业单位人事"
            "管理工作有关问题的通知 各县（市、区）人社局，",
            "龙岩市人力资源和社会保障局 转发人力资源和社会保障部办公厅关于切实做好疫情防控期间事业单位人事"
            "管理工作有关问题的通知",
        ),
        (
            "交通运输部 国家卫生健康委 国家铁路集团 关于统筹做好春节后错峰返程交通运输保障工作的通知 "
            "交运明电〔2020〕44号 各省（区、市）交通运输厅（局、委）：",
            "交通运输部 国家卫生健康委 国家铁路集团关于统筹做好春节后错峰返程交通运输保障工作的通知",
        ),
        # a headline before a formal title is not among its issuers
        (
            "浙江省委省政府出台坚决打赢疫情防控阻击战、全力稳企业稳经济稳发展30条意见 中共浙江省委 "
            "浙江省人民政府 关于坚决打赢新冠肺炎疫情防控阻击战 全力稳企业稳经济稳发展的若干意见 "
            "（2020年2月10日） 为深入贯彻",
            "浙江省委省政府出台坚决打赢疫情防控阻击战、全力稳企业稳经济稳发展30条意见",
        ),
        # a body's name, then what it will do
        (
            "北京仲裁委员会/北京国际仲裁中心 将于2月3日正式恢复工作 近期，新型冠状病毒感染肺炎疫情引起关注，",
            "北京仲裁委员会/北京国际仲裁中心 将于2月3日正式恢复工作",
        ),
        # a 《 never closed does not swallow the page
        ("《关于疫情防控 " + "各单位要落实责任 " * 20, ""),
        (
            "北京疫情防控期间危化品企业复产复工的安全提示 近日，关于做好当前安全防范工作的通知要求"
            + "各企业落实责任。" * 5,
            "北京疫情防控期间危化品企业复产复工的安全提示",
        ),
    ],
)
def test_title_of_a_flattened_page_by_kind(line: str, title: str):
    assert find_title([line]) == title


@pytest.mark.parametrize(
    ("title", "issuers"),
    [
        ("财政部 税务总局关于支持新型冠状病毒感染的肺炎疫情防控有关税收政策的公告", "财政部 税务总局"),
        ("北京市市场监督管理局关于疫情防控期间保障电梯安全运行的工作提示", "北京市市场监督管理局"),
        (
            "广东省人民政府办公厅转发省卫生健康委、财政厅关于做好一线医务人员保障工作的通知",
            "广东省人民政府办公厅",
        ),
        ("转发北京市应急管理局关于危化品企业复产复工的安全提示", ""),
        ("遂宁市人民政府办公室印发《关于进一步支持中小微企业的若干措施》的通知", "遂宁市人民政府办公室"),
        ("筑府办发电〔2020〕5号市人民政府办公厅关于推进企业复工复产的通知", ""),
        ("关于做好外出务工人员健康申报证明服务的通知", ""),
        ("高台县2023年教育工作要点", ""),
    ],
)
def test_issuers_named_by_a_formal_title(title: str, issuers: str):
    assert title_issuers(title) == issuers


def test_issuer_of_a_flattened_notice_is_read_from_its_title():
    text = "财政部 税务总局关于支持疫情防控有关捐赠税收政策的公告 为支持疫情防控工作，现公告如下。"
    doc = build_document(RawDoc(source="n.jsonl#1", text=text, fmt="jsonl"), clean_text(text))
    assert (doc.title, doc.issuer) == (
        "财政部 税务总局关于支持疫情防控有关捐赠税收政策的公告",
        "财政部 税务总局",
    )
    assert doc.provenance["issuer"] == "read"


def test_a_notice_deep_inside_a_flattened_page_is_not_its_title():
    flat = (
        "关于全力做好建筑工地防控工作的紧急通知 "
        + "各单位要落实责任。" * 30
        + "关于印发《应急响应措施》的通知"
    )
    assert find_title([flat]) == "关于全力做好建筑工地防控工作的紧急通知"


@pytest.mark.parametrize(
    ("region", "level"),
    [
        ("广西壮族自治区", "省"),
        ("湖北省", "省"),
        ("襄阳市", "市"),
        ("恩施土家族苗族自治州", "市"),
        ("高台县", "县"),
        ("未央区", "区"),
        ("科尔沁右翼前旗", "县"),
        ("锡林郭勒盟", "市"),
        ("某地", ""),
    ],
)
def test_level_from_region_suffix(region, level):
    assert level_of(region) == level


def test_fallback_title_without_region_is_the_source_name():
    document = _document("一、总体要求\n1、落实立德树人根本任务。")
    assert (document.title, document.provenance["title"]) == ("doc", "inferred")


@pytest.mark.parametrize("title", ["高台县2023年教育工作要点", "高台县2023年教体工作要点"])
def test_an_education_plan_without_issuer_is_credited_to_the_education_bureau(title):
    document = _document(f"{title}\n一、总体要求\n1、落实立德树人根本任务。")
    assert (document.region, document.issuer, document.provenance["issuer"]) == (
        "高台县",
        "高台县教育局",
        "inferred",
    )


def test_a_notice_not_about_education_gets_no_inferred_issuer():
    """NCP's 北京市 transport notice is not from 北京市教育局: the issuer stays absent."""
    document = _document("北京市关于做好疫情防控期间交通运输保障工作的通知\n一、保障运输畅通。")
    assert (document.region, document.issuer) == ("北京市", "")
    assert "issuer" not in document.provenance


def test_an_untitled_plan_is_about_education_when_its_opening_says_so():
    body = "2020年全市{}工作的总体要求是:保障有力，襄阳市各县区落实责任。"
    education, transport = _document(body.format("教育")), _document(body.format("交通运输"))
    assert (education.region, education.issuer) == ("襄阳市", "襄阳市教育局")
    assert (transport.region, transport.issuer) == ("襄阳市", "")


def test_an_untitled_notice_not_about_education_is_not_titled_an_education_plan():
    """The fallback 襄阳市2020年教育工作 is for education plans; another notice keeps its file name."""
    body = "2020年全市{}工作的总体要求是:保障有力，襄阳市各县区落实责任。"
    education, transport = _document(body.format("教育")), _document(body.format("交通运输"))
    assert education.title == "襄阳市2020年教育工作"
    assert (transport.title, transport.provenance["title"]) == ("doc", "inferred")


@pytest.mark.parametrize(
    ("title", "region"),
    [
        ("在重庆市开展疫情排查", "重庆市"),
        ("目前甘肃省生活必需品供应充足", "甘肃省"),
        ("中共大理州委关于依法履行疫情信息登记报告义务的通告", "大理州"),
        ("致驻滨海新区各金融机构及涉外企业的公开信", "滨海新区"),
        ("关于调整北京市企业境外投资备案办理流程的通知", "北京市"),
        ("度天津市卫生健康工作", "天津市"),
        ("中共广东省委关于做好一线医务人员保障工作的通知", "广东省"),
        ("浙江温州设立2亿元稳岗专项资金", "温州"),
        ("河南郑州：广撒“数据网”捕捉新冠肺炎病毒", "郑州"),
    ],
)
def test_words_run_into_a_place_name_are_peeled_off(title, region):
    assert find_region(title, "", "") == region


@pytest.mark.parametrize(
    "title",
    [
        "市委市政府高度重视疫情防控",
        "省委省政府出台三十条意见",
        "致全体市民的一封公开信",
        "李希到广州调研检查疫情防控工作",
        "贵州强化市场监管维护疫情防控期间市场价格稳定",
        "在浙江衢州开展精准排查",
        "充分发挥超市保供作用",
        "通过覆盖省市县三级的数据平台",
        "已两次通过省级验收",
        "在生活区设立检测点",
        "重庆省际包车全面恢复正常运转",
        "上海公共区域疫情防控“精准施策”",
    ],
)
def test_clauses_ending_in_a_suffix_character_are_not_places(title):
    assert find_region(title, "", "") == ""


def test_the_body_reader_peels_and_rejects_the_same_way():
    assert find_region("", "", "目前全市疫情平稳。 在重庆市各区县开展排查，在生活区设立检测点。") == "重庆市"
    assert find_region("", "", "全区疫情平稳，对各县区、乡镇开展督导检查。") == ""


@pytest.mark.parametrize(
    "region",
    [
        "北京市",
        "江西省",
        "海陵区",
        "两江新区",
        "经开区",
        "怀柔区",
        "昭平县",
        "大理州",
        "高台县",
        "未央区",
        "襄阳市",
        "东西湖区",
        "从化区",
        "临澧县",
        "瀍河回族区",
        "通道侗族自治县",
        "广西壮族自治区",
    ],
)
def test_real_places_are_kept_whole(region):
    assert find_region(f"{region}关于做好疫情防控工作的通知", "", "") == region


def test_a_suffix_followed_by_level_is_not_a_place():
    # 区级 / 市级 say "district-level": 上海徐汇上线区级疫情防控系统 names no 上海徐汇上线区
    assert find_region("上海徐汇上线区级疫情防控系统", "", "") == ""
    assert find_region("九江市人民政府办公室关于做好就业工作的通知", "", "") == "九江市"


def test_a_bare_suffix_left_after_peeling_is_no_place():
    text = "全区各地。省、直辖市的人民代表大会批准自治州、县、自治县的建置和区域划分。"
    assert find_region("", "", text) == ""
