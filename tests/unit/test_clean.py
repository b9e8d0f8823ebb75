"""Cleaning: site chrome goes, the plan's own lines stay, header blocks become metadata, viewer pages join."""

from __future__ import annotations

import re

import pytest

from search.clean import clean_text, is_chrome, lift_header_block, repair_page_fragments
from search.pipeline import ParsedDoc, parse_corpus, parse_raw
from search.records import LoadProblem, RawDoc

PLAN_LINES = [
    "某县2023年教育工作要点",
    "一、总体要求",
    "1、加强党的建设。落实立德树人根本任务。",
    "2、规范学校网站管理，做好ICP备案和公安备案工作。",  # mentions ICP备案 but is a plan item
    "3、相关资源向农村学校倾斜，来源于财政的经费专款专用。",  # starts like a "相关资源" widget
    "4、做好打印机、扫描仪等办公设备的采购。",
]

CHROME_LINES = {
    "breadcrumb": "您的位置: 首页>>政府信息公开>>政策>>部门文件",
    "current position": "当前位置:文库114 > 范文大全 > 优质范文 > 教育局2021年工作要点范文",
    "home arrow": "首页 > 新闻中心 > 通知公告",
    "font widget": "字体:【 打印",
    "font sizes": "字体：【大 中 小】",
    "print button": "【打印本页】",
    "close button": "【关闭窗口】",
    "previous": "- 上一篇:关于做好校园春季传染病防控工作的通知",
    "next": "下一篇：电教设备使用及管理办法",
    "share qr": "扫一扫在手机打开当前页",
    "icp": "备案号:宁ICP备20000045号-1",
    "icp bare": "京ICP备05070602号",
    "police record": "陕公网安备:61011202000090号",
    "police record spaced": "宁公网安备 64010402000986号",
    "licence": "经营许可证:宁B2-20210002",
    "site code": "网站标识码：6107000003",
    "viewer page count": "第1页 / 共15页",
    "viewer page title": "关于加快打造东北地区西北部区域教育中心的实施方案.docx_第3页",
    "see more": "点击查看更多>>",
    "read all": "展开阅读全文",
    "related": "相关资源",
    "you may like": "猜你喜欢",
    "related search": "相关搜索",
    "resource description": "资源描述",
    "back to top": "返回顶部",
    "viewer toolbar": "返回 下载 相关 举报",
    "uploader": "上传人:夺命阿水 文档编号:594130 上传时间:2023-09-05 格式:DOCX 页数:15 大小:26.75KB",
    "member share": "《关于加快打造东北地区西北部区域教育中心的实施方案.docx》由会员分享,可在线阅读",
    "source disclaimer": "来源:网络整理 免责声明:本文仅限学习分享,如产生版权问题,请联系我们及时删除。",
    "user compiled": "教育局2021年工作要点范文》由互联网用户整理提供,转载分享请保留原作者信息,谢谢!",
    "link": "链接地址:http://www.wk114.cn/wenku/462949.html",
    "site meta": "网站:文库114 | 时间:2021-09-26 11:31:39 | 移动端:教育局2021年工作要点范文",
    "slogan": "荟聚奇文、博采众长、见贤思齐",
    "editor": "责任编辑：李润发",
    "share to": "分享到：",
}


@pytest.mark.parametrize("kind", sorted(CHROME_LINES))
def test_each_kind_of_chrome_is_removed_and_plan_lines_stay(kind):
    chrome = CHROME_LINES[kind]
    page = "\n".join([chrome, *PLAN_LINES[:3], chrome, *PLAN_LINES[3:], chrome])
    cleaned = clean_text(page)
    assert cleaned.text.split("\n") == PLAN_LINES
    assert is_chrome(chrome)


def test_plan_lines_are_not_chrome():
    assert not any(is_chrome(line) for line in PLAN_LINES)


def test_all_chrome_at_once_from_a_saved_page():
    page = "\r\n".join(["\u3000" + line + "\xa0" for line in CHROME_LINES.values()] + PLAN_LINES)
    assert clean_text(page).text.split("\n") == PLAN_LINES


def test_document_keeps_the_raw_text():
    raw = "\n".join([CHROME_LINES["breadcrumb"], *PLAN_LINES, CHROME_LINES["share qr"]])
    document = parse_raw(RawDoc("page.txt", raw, "txt")).document
    assert document.raw == raw
    assert document.text == "\n".join(PLAN_LINES)


def test_flattened_page_keeps_its_body_and_loses_its_trailing_chrome():
    """JSONL corpora hold whole pages on one line: a chrome phrase must not drop the document."""
    body = "应急管理部调拨第三批中央救灾物资 应急管理部认真贯彻落实习近平总书记重要讲话精神。" * 4
    flat = (
        f"{body} 责任编辑：李润发 扫一扫在手机打开当前页 相关稿件 国务院安委会办公室部署加强复工复产安全防范"
    )
    assert clean_text(flat).text == body


def test_flattened_page_loses_inline_widgets():
    body = "某市教育局关于做好疫情防控期间线上教学工作的通知。" * 8
    cleaned = clean_text(f"字体：【大 中 小】 【打印】 {body} 【关闭】")
    assert cleaned.text == body


# --- header blocks ---------------------------------------------------------------------------------


def test_header_block_is_lifted_into_metadata():
    lines = [
        "索引号",
        "620724017/2023-00050",
        "文号",
        "高教发〔2023〕1号",
        "关键词",
        "发布机构",
        "高台县教育局",
        "生成日期",
        "2023-03-24 15:55:00",
        "是否有效",
        "",
        "一、总体要求",
    ]
    kept, header = lift_header_block(lines)
    assert kept == ["", "一、总体要求"]
    assert header == {
        "索引号": "620724017/2023-00050",
        "文号": "高教发〔2023〕1号",
        "发布机构": "高台县教育局",
        "生成日期": "2023-03-24 15:55:00",
    }


def test_header_fields_with_inline_values():
    kept, header = lift_header_block(["发文字号：教发〔2020〕3号", "成文日期: 2020-02-01", "正文"])
    assert kept == ["正文"]
    assert header == {"发文字号": "教发〔2020〕3号", "成文日期": "2020-02-01"}


def test_seed_001_header_and_chrome(seeds):
    text = seeds["001"].document.text
    cleaned = clean_text(seeds["001"].document.raw)
    assert cleaned.header["文号"] == "高教发〔2023〕1号"
    assert cleaned.header["发布机构"] == "高台县教育局"
    assert cleaned.header["生成日期"] == "2023-03-24 15:55:00"
    for gone in ("您的位置", "字体", "索引号", "620724017/2023-00050", "主动公开", "扫一扫"):
        assert gone not in text
    assert text.split("\n")[:2] == [
        "高台县教育局关于印发高台县2023年教育工作要点的通知",
        "各校(园),局机关各股室:",
    ]
    assert text.endswith("圆满完成年度目标任务。")


# --- chrome of the seeds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "gone"),
    [
        ("000", ["上一篇", "下一篇"]),
        ("003", ["公网安备", "61011202000090"]),
        (
            "004",
            ["荟聚奇文", "当前位置", "网站:文库114", "来源:网络整理", "免责声明", "整理提供", "链接地址"],
        ),
        (
            "002",
            [
                "上传人",
                "返回 下载",
                "_第1页",
                "第1页 / 共15页",
                "点击查看更多",
                "资源描述",
                "由会员分享",
                "展开阅读全文",
                "相关资源",
                "猜你喜欢",
                "相关搜索",
                "在线阅读",
                "ICP备",
                "经营许可证",
                "公网安备",
            ],
        ),
    ],
)
def test_seed_chrome_is_gone(seeds, seed, gone):
    text = seeds[seed].document.text
    for phrase in gone:
        assert phrase not in text


def test_seed_000_ends_with_its_last_item(seeds):
    assert seeds["000"].document.text.endswith("全国中小学生安全教育周和综治宣传月等宣传教育活动。")


def test_seed_004_repeated_page_title_is_kept_once(seeds):
    text = seeds["004"].document.text
    assert text.count("教育局2021年工作要点范文") == 1
    assert text.startswith("教育局2021年工作要点范文\n一、指导思想\n")


# --- document-viewer page fragments ----------------------------------------------------------------


def test_seed_002_viewer_pages_are_joined(seeds):
    document = seeds["002"].document
    cleaned = clean_text(document.raw)
    assert cleaned.repaired_pages == 29
    for phrase in (
        "教师队伍建设显著提升",
        "特殊教育公平融合发展",
        "六大教育品牌",
        "办学条件达标建设",
        "维护良好教育生态",
        "全面提高保育教育质量",
        "防止校内减负、校外增负",
    ):
        assert phrase in document.text
    assert not re.search(r"(?m)^\d{1,2}、", document.text)
    assert document.text.split("\n")[:2] == [
        "关于加快打造东北地区西北部区域教育中心的实施方案",
        document.text.split("\n")[1],
    ]
    assert document.text.split("\n")[1].startswith("为深入贯彻落实市第十四次党代会部署要求")


def test_viewer_pages_cut_mid_word_are_joined():
    filler = "推进教育现代化建设，办好人民满意教育，" * 9
    pages = [
        f"1、{filler}教师队",
        f"2、伍建设显著提升。{filler}特殊教育公",
        f"3、平融合发展，{filler}全面提高质量",
    ]
    lines, joined = repair_page_fragments(["标题.docx", "", pages[0], "", pages[1], pages[2]])
    assert joined == 3
    assert lines[:2] == ["标题.docx", ""] and len(lines) == 3
    assert "教师队伍建设显著提升。" in lines[2] and "特殊教育公平融合发展" in lines[2]
    assert lines[2].startswith("推进教育现代化建设") and "2、" not in lines[2] and "3、" not in lines[2]


def test_real_short_numbered_items_are_not_taken_for_pages():
    items = ["1、加强党的建设。", "2、推进学前教育普惠发展。", "3、提升义务教育质量。", "4、办好特殊教育。"]
    assert repair_page_fragments(items) == (items, 0)
    long_items = [f"{n}、" + "全面加强教师队伍建设，提高教师待遇。" * 10 for n in range(1, 5)]
    assert repair_page_fragments(long_items) == (long_items, 0)  # long but each ends its sentence


def test_page_that_is_only_chrome_is_reported(make_corpus):
    page = "<p>您的位置：首页 > 通知公告</p><p>字体：【大 中 小】</p><p>扫一扫在手机打开当前页</p>"
    root = make_corpus({"chrome.html": page, "plan.txt": "\n".join(PLAN_LINES)})
    items = list(parse_corpus(root))
    assert [str(i) for i in items if isinstance(i, LoadProblem)] == [
        "chrome.html: no text left after cleaning: nothing to index"
    ]
    assert [i.document.source for i in items if isinstance(i, ParsedDoc)] == ["plan.txt"]


def test_html_entities_and_odd_spaces_are_normalised():
    cleaned = clean_text("\u3000\u3000财政部&ensp;税务总局&ldquo;通知&rdquo;\u200b\xa0\n\ufeff一、总体要求")
    assert cleaned.text == "财政部 税务总局“通知”\n一、总体要求"


# --- real lines that repeat, and page furniture proven by position ----------------------------------

LAW_WITH_CONTENTS = [
    "中华人民共和国教师法",
    "（1993年10月31日第八届全国人民代表大会常务委员会第四次会议通过）",
    "目录",
    "第一章 总则",
    "第二章 权利和义务",
    "第三章 附则",
    "第一章 总则",
    "第一条 为了保障教师的合法权益，制定本法。",
    "第二章 权利和义务",
    "第二条 教师享有下列权利：",
    "（一）进行教育教学活动；",
    "（二）参加进修或者其他方式的培训。",
    "第三章 附则",
    "第三条 本法自1994年1月1日起施行。",
]
PLAN_REPEATING_A_HEADING = [
    "某县2023年教育工作要点",
    "一、学前教育",
    "（一）主要目标",
    "1、普惠率达到90%。",
    "（二）主要措施",
    "1、新建幼儿园3所。",
    "二、义务教育",
    "（一）主要目标",
    "1、巩固率达到99%。",
    "（二）主要措施",
    "1、新建学校2所。",
]
TABLE_WITH_REPEATED_CELLS = [
    "附件：重点任务分工表",
    "序号",
    "任务",
    "牵头单位",
    "1",
    "新建幼儿园",
    "市教育局",
    "2",
    "改造薄弱学校",
    "市教育局",
    "3",
    "招聘教师",
    "市教育局",
]


@pytest.mark.parametrize(
    "lines",
    [LAW_WITH_CONTENTS, PLAN_REPEATING_A_HEADING, TABLE_WITH_REPEATED_CELLS],
    ids=["law", "plan", "table"],
)
def test_every_real_line_reaches_the_text_even_when_it_repeats(lines):
    assert clean_text("\n".join(lines)).text.split("\n") == lines


def test_a_title_printed_on_a_cover_and_again_on_the_first_page_stays_twice():
    lines = ["某县2023年教育工作要点", "某县教育局", "2023年3月", "某县2023年教育工作要点", "一、学前教育"]
    assert clean_text("\n".join(lines)).text.split("\n") == lines


def test_page_number_lines_go_and_numbers_inside_text_stay():
    raw = "一、总体要求\n— 3 —\n1、落实任务。\n- 4 -\n第5页\n3/12\n2、完成3/4的改造任务。\n第5页共计10项"
    assert clean_text(raw).text.split("\n") == [
        "一、总体要求",
        "1、落实任务。",
        "2、完成3/4的改造任务。",
        "第5页共计10项",
    ]


def test_running_heads_beside_page_breaks_go_and_the_same_words_elsewhere_stay():
    pages = [
        "某市教育局文件\n关于做好教育工作的通知\n一、总体要求\n落实任务。\n某市教育局办公室印发 1",
        "某市教育局文件\n二、主要措施\n某市教育局文件\n（此行引用文件名，不是页眉）\n某市教育局办公室印发 2",
        "某市教育局文件\n三、保障措施\n加强领导。",
    ]
    text = clean_text("\f".join(pages)).text.split("\n")
    assert text == [
        "某市教育局文件",  # the first page's letterhead stands beside no break
        "关于做好教育工作的通知",
        "一、总体要求",
        "落实任务。",
        "二、主要措施",
        "某市教育局文件",  # inside a page: text, not a running head
        "（此行引用文件名，不是页眉）",
        "三、保障措施",
        "加强领导。",
    ]


def test_a_line_beside_only_one_page_break_is_text():
    text = clean_text("一、总体要求\n落实任务。\f二、主要措施\n加强领导。").text
    assert text.split("\n") == ["一、总体要求", "落实任务。", "二、主要措施", "加强领导。"]


def test_wrapped_items_differing_only_in_their_numbers_at_page_tops_are_text():
    # a numbered list wrapping across pages: each page starts with the tail of a different item; with
    # every number masked they would read as one running head and be dropped
    pages = [
        "6、新建幼儿园6所。\n7、新建、改扩建幼儿园7所，增",
        "加学位700个。\n8、新建幼儿园8所。\n17、新建、改扩建幼儿园17所，增",
        "加学位1700个。\n18、新建幼儿园18所。",
    ]
    text = clean_text("\f".join(pages)).text
    assert "7、新建、改扩建幼儿园7所，增" in text and "17、新建、改扩建幼儿园17所，增" in text
    assert text.count("加学位") == 2


def test_a_page_counter_and_a_numbered_running_foot_still_go():
    pages = ["一、总体要求\n落实任务。\n第 1 页 共 3 页", "二、主要措施\n第 2 页 共 3 页", "三、保障措施"]
    assert "页" not in clean_text("\f".join(pages)).text
    pages = ["一、总体要求\n落实任务。", "4 某市教育局\n二、主要措施", "5 某市教育局\n三、保障措施"]
    kept = clean_text("\f".join(pages)).text.split("\n")
    assert kept == ["一、总体要求", "落实任务。", "二、主要措施", "三、保障措施"]
