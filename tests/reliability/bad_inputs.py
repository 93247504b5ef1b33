"""The bad-input corpus: every kind of broken, hostile or awkward file a government portal receives.

`build_bad_inputs(folder)` writes the files and returns what policykb must say about each:
its status and a fragment of the per-file message. Good files are mixed in, so a test can
check that nothing else in the batch is lost. All texts are fictional (示范市 is no real city).
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from index.types import FileStatus
from ingest.parsers.archive import MAX_UNCOMPRESSED_BYTES
from tests import samples

# The size limit the tests set (POLICYKB_MAX_FILE_MB); `oversized.txt` is just above it.
MAX_FILE_MB = 0.25
GOOD_TEXT = "示范市政务公开工作要点\n\n一、推进决策公开\n重大行政决策事项应当向社会公开征求意见，期限不少于三十日。\n"
GB18030_TEXT = "示范市地名管理细则\n\n第一条 地名用字应当规范，生僻字㐀按国家标准编码。\n"
UTF16_TEXT = "示范市河湖长制工作规则\n\n第一条 各级河湖长每月至少巡河一次。\n"


@dataclass(frozen=True)
class Case:
    name: str
    status: FileStatus
    message: str = ""  # a fragment the per-file message must contain ("" = any)
    text: str = ""  # for added files: a phrase the stored document must contain


def _zip_bomb(path: Path, inflated_bytes: int) -> Path:
    """A real DOCX whose document part is padded with `inflated_bytes` of zeros (they deflate ~1000x)."""
    good = samples.write_docx(path.with_suffix(".good.docx"), samples.DOCX_BLOCKS)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            bomb.writestr(member, source.read(member.filename))
        with bomb.open("word/media/padding.bin", "w") as padding:
            block = bytes(1 << 20)
            for _ in range(inflated_bytes // len(block)):
                padding.write(block)
    good.unlink()
    return path


def build_bad_inputs(folder: Path, ocr_available: bool) -> list[Case]:
    """Write the corpus into `folder` (created); the returned cases cover every file in it."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, status: FileStatus, message: str = "", text: str = "") -> Path:
        cases.append(Case(name, status, message, text))
        return folder / name

    # Good files, and the same file again under another name.
    (add("good.txt", FileStatus.added, text="不少于三十日")).write_text(GOOD_TEXT, "utf-8")
    samples.write_pdf(add("good.pdf", FileStatus.added, text="社区公共服务设施"), samples.PDF_PAGES,
                      title=samples.PDF_TITLE)
    shutil.copy(folder / "good.txt", add("good_副本.txt", FileStatus.duplicate, "same text as"))

    # PDFs: truncated, corrupt, encrypted with and without a user password, scanned.
    samples.write_corrupt_pdf(add("truncated.pdf", FileStatus.failed, "truncated"), "truncated")
    samples.write_corrupt_pdf(add("garbage.pdf", FileStatus.failed, "corrupt"), "garbage")
    samples.write_encrypted_pdf(add("owner-only.pdf", FileStatus.added, text="第四条"), user_password="",
                                pages=[[*samples.PDF_PAGES[0], "附：仅设所有者密码的副本。"], samples.PDF_PAGES[1]])
    samples.write_encrypted_pdf(add("locked.pdf", FileStatus.failed, "needs a password"), user_password="s3cret")
    if ocr_available:
        samples.write_image_pdf(add("scanned.pdf", FileStatus.added, "OCR", text="档案数字化"))
    else:
        samples.write_image_pdf(add("scanned.pdf", FileStatus.failed, "tesseract"))

    # Text in the encodings Chinese government files come in.
    samples.write_gbk_text(add("gbk.txt", FileStatus.added, text="生活垃圾分类"))
    samples.write_gbk_text(add("gb18030.txt", FileStatus.added, text="生僻字㐀"), GB18030_TEXT, "gb18030")
    (add("utf16.txt", FileStatus.added, text="每月至少巡河")).write_bytes(UTF16_TEXT.encode("utf-16"))
    (add("binary.txt", FileStatus.failed, "")).write_bytes(bytes(range(256)) * 64)

    # ZIP packages: a bomb, a huge inflated size, a text file named .docx, an old .doc named .docx.
    _zip_bomb(add("bomb.docx", FileStatus.failed, "zip bomb"), 4 << 20)
    _zip_bomb(add("huge-inflate.docx", FileStatus.failed, "would inflate"), MAX_UNCOMPRESSED_BYTES + (8 << 20))
    (add("not-a-docx.docx", FileStatus.failed, "not a ZIP package")).write_text(GOOD_TEXT + "（其实是文本）", "utf-8")
    (add("old-word.docx", FileStatus.failed, "old Word .doc")).write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))

    # Empty, oversized and unsupported files.
    add("empty.txt", FileStatus.failed, "empty").write_bytes(b"")
    add("empty.pdf", FileStatus.failed, "empty").write_bytes(b"")
    (add("oversized.txt", FileStatus.failed, "too large")).write_text(
        "超大文件。" * int(MAX_FILE_MB * 1024 * 1024 / 15 + 100), "utf-8")
    add("program.exe", FileStatus.failed, "unsupported file type").write_bytes(b"MZ" + bytes(64))

    # Catalogues: missing columns, and bad rows among good ones.
    (add("no-columns.csv", FileStatus.failed, "header")).write_text("名称,备注\n", "utf-8")  # a header, no rows
    (add("bad-rows.csv", FileStatus.added, "row 3: missing 一级单元", text="财务公开")).write_text(
        "一级单元,二级大类,三级项目,标准内容,牵头部门\n"
        "清廉社区,居务公开,财务公开,每季度公开一次收支,\n"
        ",居务公开,党务公开,按月公开,\n"
        "清廉社区\n",
        "utf-8",
    )
    return cases


def tree_snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime) of every file under `root`, leaving out `skip` (the base directory)."""
    out = {}
    for path in sorted(root.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return out
