"""Converting files with LibreOffice headless (`soffice --convert-to`).

LibreOffice reads formats no Python library does well (legacy Word .doc, WPS .wps) and lays
out a Word file itself, automatic numbering included. It is not a Python dependency: install
the Debian package libreoffice-writer-nogui.

Every conversion runs its own soffice with a fresh user profile in a temp dir, so it never
waits on the lock of a running LibreOffice (a desktop session, or another conversion on
another thread); the input is copied there under a plain ASCII name, since soffice
mishandles some non-ASCII names and paths with spaces in its command line.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = [
    "INSTALL_HINT",
    "LibreOfficeError",
    "LibreOfficeFailed",
    "LibreOfficeMissing",
    "LibreOfficeTimeout",
    "convert_with_libreoffice",
    "find_soffice",
]

SOFFICE_NAMES = ("soffice", "libreoffice")
INSTALL_HINT = "install the Debian package libreoffice-writer-nogui"
DEFAULT_TIMEOUT = 120.0  # seconds; a few pages convert in about a second
_INPUT_STEM = "input"
# soffice writes this to stderr on every run where no Java is installed; it says nothing about the file.
_NOISE = ("failed to launch javaldx",)
_DETAIL_CHARS = 300


class LibreOfficeError(RuntimeError):
    """LibreOffice could not be run or could not convert a file."""


class LibreOfficeMissing(LibreOfficeError):
    """Neither soffice nor libreoffice is on PATH."""


class LibreOfficeFailed(LibreOfficeError):
    """soffice ran but gave no converted file; `reason` says why in a few words, for per-file messages."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LibreOfficeTimeout(LibreOfficeFailed):
    """soffice took longer than the timeout and was killed."""


def find_soffice() -> str:
    """The path of soffice (or libreoffice) on PATH; LibreOfficeMissing naming the package when absent."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise LibreOfficeMissing(f"LibreOffice is not installed (no soffice on PATH); {INSTALL_HINT}")


@contextmanager
def convert_with_libreoffice(
    path: Path, target: str, timeout: float = DEFAULT_TIMEOUT, infilter: str | None = None
) -> Iterator[Path]:
    """Convert `path` with soffice headless; yields the converted file, deleted on leaving the block.

    `target` is soffice's --convert-to argument: an extension, optionally with a filter and
    its options ("docx:MS Word 2007 XML", "txt:Text (encoded):UTF8"). `infilter` names the
    import filter ("MS Word 97") instead of letting LibreOffice detect the type: it imports
    content it does not recognise as plain text, so a damaged file converts "successfully"
    to mojibake, where a named filter fails.

    Raises LibreOfficeMissing when soffice is not on PATH, LibreOfficeTimeout when it takes
    longer than `timeout` seconds (it is killed, with the processes it started), and
    LibreOfficeFailed when it exits non-zero or writes no output file (soffice exits 0 when
    it cannot load the input).
    """
    path = Path(path)
    extension = target.split(":", 1)[0].strip().lstrip(".")
    if not extension:
        raise ValueError(f"target must start with the extension to convert to, e.g. 'docx'; got {target!r}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="policykb-lo-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        source = work / f"{_INPUT_STEM}{path.suffix.lower()}"
        shutil.copyfile(path, source)
        out = work / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            *([f"--infilter={infilter}"] if infilter else []),
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ]
        log.debug("converting %s to %s with %s, filter %s", path, target, soffice, infilter or "detected")
        started = time.monotonic()
        returncode, output = _run(command, timeout, path, extension)
        converted = out / f"{_INPUT_STEM}.{extension}"
        if returncode != 0 or not converted.is_file():
            detail = _detail(output)
            if returncode != 0:
                reason = f"exit {returncode}" + (f": {detail}" if detail else "")
            else:
                reason = detail or "no output file"
            message = f"LibreOffice could not convert {path.name} to {extension}: {reason}"
            raise LibreOfficeFailed(message, reason)
        log.debug("converted %s to %s in %.2f s", path.name, extension, time.monotonic() - started)
        yield converted


def _run(command: list[str], timeout: float, path: Path, extension: str) -> tuple[int, bytes]:
    """Run soffice in its own process group, so a timeout kills soffice.bin too, not only its launcher."""
    # /usr/bin/soffice is a shell script that starts oosplash, which starts soffice.bin:
    # killing the first process alone would leave the converter running.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        _kill(process)
        process.communicate()
        reason = f"it took longer than {timeout:g} s"
        message = f"LibreOffice took longer than {timeout:g} s to convert {path.name} to {extension}"
        raise LibreOfficeTimeout(message, reason) from error
    except BaseException:  # interrupted (KeyboardInterrupt): leave no soffice behind
        _kill(process)
        process.wait()
        raise
    return process.returncode, output


def _kill(process: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups from start_new_session
            process.kill()
    except ProcessLookupError:  # already gone
        pass


def _detail(output: bytes) -> str:
    """soffice's messages without the noise every run prints, on one line, a few hundred characters."""
    lines = output.decode("utf-8", "replace").splitlines()
    kept = [line.strip() for line in lines if line.strip() and not any(noise in line for noise in _NOISE)]
    # "convert input.doc -> out/input.docx using filter : ..." is printed before the attempt, not a reason
    kept = [line for line in kept if not line.startswith("convert ")]
    detail = " ".join(line.removeprefix("Error: ") for line in kept)
    return detail[-_DETAIL_CHARS:]
