"""Hostile and oversized files, made on demand, and what reading each costs (docs/hostile-inputs.md).

The makers are shared with the tests, which call them at a small scale with a limit lowered through
its setting; this script makes them at full scale and reads each in a fresh process with the
pipeline's load → clean → chunk stages (what ``inspect`` and a build do before embedding), recording
wall time, peak memory (the child's max RSS) and the outcome. ``--code DIR`` reads with another
checkout's ``search`` package, for a before/after comparison.

    python bench/hostile_inputs.py [--code /path/to/checkout] [--only NAME] [--output FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFD_NS = "http://www.ofdspec.org/2016"
PARAGRAPH = "1、推进学前教育普惠发展，新建、改扩建幼儿园35所，增加学位7000个。"
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)

# --- makers ------------------------------------------------------------------------------------------


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A real .docx (python-docx) holding ``paragraphs``."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def replace_members(package: bytes, members: dict[str, bytes | str]) -> bytes:
    """The zip ``package`` with ``members`` replaced or added (deflated)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename not in members:
                out.writestr(info, source.read(info))
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_docx(paragraphs: int, pad: int = 3000) -> bytes:
    """A valid .docx whose document.xml holds ``paragraphs`` paragraphs padded with ``pad`` repeated
    characters each: 100,000 × 3,000 inflate to about 300 MB from about half a megabyte."""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
        '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    body = f"<w:p><w:r><w:t>{'一' * (pad // 3)}</w:t></w:r></w:p>"
    base = docx_bytes(["x"])
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                target = zipfile.ZipInfo("word/document.xml")
                target.compress_type = zipfile.ZIP_DEFLATED
                with out.open(target, "w", force_zip64=True) as member:
                    member.write(head.encode())
                    chunk = body.encode() * 1000
                    for _ in range(paragraphs // 1000):
                        member.write(chunk)
                    member.write(body.encode() * (paragraphs % 1000))
                    member.write(b"</w:body></w:document>")
            else:
                out.writestr(info, source.read(info))
    return buffer.getvalue()


def lying_sizes_docx(paragraphs: int) -> bytes:
    """``zip_bomb_docx`` whose central directory declares document.xml to be 1 byte."""
    source = zipfile.ZipFile(io.BytesIO(zip_bomb_docx(paragraphs)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info))
        for info in out.filelist:
            if info.filename == "word/document.xml":
                info.file_size = 1  # written into the central directory at close
    return buffer.getvalue()


def entity_bomb_docx() -> bytes:
    """A .docx whose document.xml defines a billion-laughs entity and uses it in a paragraph."""
    xml = (
        LAUGHS.replace("lolz", "w:document")
        + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        "<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    return replace_members(docx_bytes(["x"]), {"word/document.xml": xml})


Texts = list[tuple[float, float, str]]


def ofd_bytes(pages: list[Texts], *, template: Texts | None = None, content_xml: dict | None = None) -> bytes:
    """An OFD package (GB/T 33190): OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml, each text
    (x, y, text) a TextObject in mm with a TextCode; ``template`` is drawn beneath every page."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        tpl = '<ofd:TemplatePage ID="900" BaseLoc="Tpls/Tpl_0/Content.xml"/>' if template else ""
        refs = "".join(
            f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
        )
        out.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
            f"<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>{tpl}</ofd:CommonData>"
            f"<ofd:Pages>{refs}</ofd:Pages></ofd:Document>",
        )
        if template:
            out.writestr("Doc_0/Tpls/Tpl_0/Content.xml", _ofd_page(template, with_template=False))
        for i, texts in enumerate(pages):
            xml = (content_xml or {}).get(i) or _ofd_page(texts, with_template=bool(template))
            out.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", xml)
    return buffer.getvalue()


def _ofd_page(texts: list[tuple[float, float, str]], *, with_template: bool) -> str:
    objects = "".join(
        f'<ofd:TextObject ID="{n + 10}" Boundary="{x} {y - 5} 170 7" Font="1" Size="5.6">'
        f'<ofd:TextCode X="0" Y="5" DeltaX="g {max(0, len(text) - 1)} 5.6">{_escape(text)}</ofd:TextCode>'
        "</ofd:TextObject>"
        for n, (x, y, text) in enumerate(texts)
    )
    tpl = '<ofd:Template TemplateID="900" ZOrder="Background"/>' if with_template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}">{tpl}<ofd:Content>'
        f'<ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def entity_bomb_ofd() -> bytes:
    """An OFD whose first page defines a billion-laughs entity and draws it as text."""
    page = (
        LAUGHS.replace("lolz", "ofd:Page") + f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="2">'
        '<ofd:TextObject ID="3" Boundary="0 0 100 10" Size="5">'
        '<ofd:TextCode X="0" Y="5">&lol9;</ofd:TextCode></ofd:TextObject>'
        "</ofd:Layer></ofd:Content></ofd:Page>"
    )
    return ofd_bytes([[(20, 40, "正文")]], content_xml={0: page})


def many_pages_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages that all draw one shared content stream (a few bytes per page)."""
    stream = "BT /F1 12 Tf 72 720 Td (1. Page text.) Tj ET"
    kids = " ".join(f"{n} 0 R" for n in range(6, 6 + pages))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Font << /F1 3 0 R >> >>",
    ] + ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources 5 0 R /Contents 4 0 R >>"] * pages
    return pdf_from_objects(objects)


def pdf_from_objects(objects: list[str]) -> bytes:
    """A PDF 1.4 file of ``objects`` (numbered from 1, the first the catalog) with an xref table of their
    real byte offsets, so strict readers accept it."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def one_line_text(megabytes: float) -> bytes:
    """A plan of one line (no line breaks at all), ``megabytes`` of UTF-8."""
    sentence = PARAGRAPH.encode()
    return sentence * int(megabytes * 2**20 / len(sentence) + 1)


def short_lines_text(megabytes: float) -> bytes:
    """Numbered one-word items, as many as fit: the most clauses per character."""
    return b"".join(f"{n}\u3001\u5b66\u3002\n".encode() for n in range(1, int(megabytes * 2**20 / 12)))


def many_members_zip(members: int) -> bytes:
    """A .docx-named zip of ``members`` empty members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("word/document.xml", "<w:document/>")
        for n in range(members):
            out.writestr(f"m/{n}", b"")
    return buffer.getvalue()


# --- measuring ----------------------------------------------------------------------------------------

CASES = {
    "zip-bomb.docx": lambda: zip_bomb_docx(100_000),
    "entity-bomb.docx": entity_bomb_docx,
    "entity-bomb.ofd": entity_bomb_ofd,
    "10000-pages.pdf": lambda: many_pages_pdf(10_000),
    "200mb.txt": lambda: one_line_text(200),
    "100mb.txt": lambda: one_line_text(100),
    "one-5mb-line.txt": lambda: one_line_text(5),
    "short-lines-5mb.txt": lambda: short_lines_text(5),
    "binary-renamed.txt": lambda: os.urandom(2**20),
    "random-bytes.doc": lambda: os.urandom(2**20),
    "truncated.doc": lambda: (ROOT / "tests/fixtures/plan.doc").read_bytes()[:6000],
    "100000-members.docx": lambda: many_members_zip(100_000),
}

CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from search.pipeline import parse_corpus
start = time.perf_counter()
docs = clauses = 0
problems = []
for item in parse_corpus(Path(sys.argv[2])):
    if hasattr(item, "clauses"):
        docs += 1
        clauses += len(item.clauses)
    else:
        problems.append(str(item))
peak = next(x for x in open("/proc/self/status") if x.startswith("VmHWM:")).split()[1]
seconds = round(time.perf_counter() - start, 2)
print(json.dumps({"peak_kb_self": int(peak), "seconds": seconds, "documents": docs, "clauses": clauses,
                  "problems": problems}, ensure_ascii=False))
"""


def measure(path: Path, code: Path, timeout: float) -> dict:
    """Read ``path`` in a fresh process with ``code``'s search package: outcome, wall time, peak RSS."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(code), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    peak_kb = 0
    while child.poll() is None:
        peak_kb = max(peak_kb, _high_water_kb(child.pid))
        if time.perf_counter() - start > timeout:
            child.kill()
            child.wait()
            return {"outcome": f"killed after {timeout:.0f} s", "peak_mb": round(peak_kb / 1024)}
        time.sleep(0.02)
    wall = time.perf_counter() - start
    out = child.stdout.read().decode("utf-8", "replace").strip().splitlines()
    result = json.loads(out[-1]) if out else {"error": child.stderr.read().decode()[-300:]}
    peak_kb = max(peak_kb, result.pop("peak_kb_self", 0))
    return {**result, "wall_s": round(wall, 2), "peak_mb": round(peak_kb / 1024)}


def _high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM, kB): its own, not the parent's it forked from."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose search package reads")
    parser.add_argument("--only", action="append", help="case name (repeatable)")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from machine import machine

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            if args.only and name not in args.only:
                continue
            path = Path(tmp) / name
            path.write_bytes(make())
            results[name] = {"bytes": path.stat().st_size, **measure(path, args.code.resolve(), args.timeout)}
            print(name, json.dumps(results[name], ensure_ascii=False)[:400], flush=True)
            path.unlink()
    if args.output:
        commit = subprocess.run(
            ["git", "-C", str(args.code), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        code = "this checkout" if args.code.resolve() == ROOT else args.code.name  # no folder of this machine
        command = " ".join(["bench/hostile_inputs.py", *sys.argv[1:]])
        report = {"code": code, "commit": commit, "machine": machine(),
                  "date": time.strftime("%Y-%m-%d"), "command": command, "results": results}  # fmt: skip
        args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
