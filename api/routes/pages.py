"""The trainers' page, the widget script and the demo host page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

HERE = Path(__file__).resolve().parents[1]
STATIC = HERE / "static"
WIDGET = HERE / "widget"

router = APIRouter(include_in_schema=False)


def _file(path: Path, media_type: str) -> FileResponse:
    if not path.is_file():
        raise HTTPException(404, f"{path.name} is not installed")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/")
def trainer_page() -> FileResponse:
    return _file(STATIC / "index.html", "text/html; charset=utf-8")


@router.get("/widget.js")
def widget_script() -> FileResponse:
    return _file(WIDGET / "widget.js", "application/javascript; charset=utf-8")


@router.get("/demo")
def demo_page() -> FileResponse:
    return _file(WIDGET / "demo.html", "text/html; charset=utf-8")
