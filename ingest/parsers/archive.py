"""Guards for ZIP-based formats (.docx, .xlsx) before a parser inflates them.

A "zip bomb" is a small file that inflates to gigabytes: python-docx and openpyxl read
whole XML parts into memory, so one such upload could exhaust the server. The central
directory states every member's compressed and uncompressed size; the limits below are
checked against it, and the sizes are then enforced while reading, because a forged
directory can understate them (zipfile stops at the stated size and fails the CRC).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.types import ParseError

# Real Office documents of policy texts inflate to a few MB; 200 MB leaves room for big tables.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# XML compresses 5-20x; beyond 200x (for a member over 1 MB) it is not a document.
MAX_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_MEMBERS = 10_000


def check_zip_package(path: Path, kind: str) -> None:
    """Raise ParseError when `path` is not a ZIP package or would inflate beyond the limits."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise ParseError(f"{name}: not a valid {kind} file (it is not a ZIP package)") from None
    except (OSError, ValueError) as error:  # truncated central directory, bad offsets
        raise ParseError(f"{name}: not a valid {kind} file ({type(error).__name__}: {error})") from None
    if len(members) > MAX_MEMBERS:
        raise ParseError(f"{name}: refused, the {kind} package holds {len(members):,} parts (limit {MAX_MEMBERS:,})")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ParseError(
            f"{name}: refused, the {kind} would inflate to {total:,} bytes "
            f"(limit {MAX_UNCOMPRESSED_BYTES:,}); it may be a zip bomb"
        )
    for member in members:
        if member.file_size >= RATIO_CHECK_MIN_BYTES and member.file_size > MAX_RATIO * max(1, member.compress_size):
            ratio = member.file_size // max(1, member.compress_size)
            raise ParseError(
                f"{name}: refused, part {member.filename} inflates {ratio:,}x "
                f"({member.compress_size:,} -> {member.file_size:,} bytes); it may be a zip bomb"
            )
