"""The API documentation pages, /docs (Swagger UI) and /redoc, served with no request leaving the server.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, which a government intranet does not
reach: the page stays blank. This is FastAPI's "self-hosting JavaScript and CSS for docs" recipe
(https://fastapi.tiangolo.com/how-to/custom-docs-ui-assets/) over the files the PyPI package
fastapi-offline ships: the swagger-ui-dist 5 bundle and CSS, the ReDoc 2 standalone bundle and
FastAPI's favicon. Only its static folder is used, not its `FastAPIOffline` factory, which would
take over our `FastAPI(...)` call. (swagger-ui-bundle, the other package that ships the files,
holds Swagger UI 4.15, which cannot render the OpenAPI 3.1 schema FastAPI writes.)

Each page also carries a Content-Security-Policy that lets it load from this server only. ReDoc
needs it: its bundle always shows Redocly's logo from cdn.redoc.ly (and hides it when it fails), so
without the policy every /redoc view would still try to reach out; the browser now refuses that
image before any request is made. Swagger UI makes no such request; the policy holds it there too.

`create_app` passes `docs_url=None, redoc_url=None` to FastAPI and then calls `install_docs`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSET_PACKAGE = "fastapi_offline"
SWAGGER_JS, SWAGGER_CSS = "swagger-ui-bundle.js", "swagger-ui.css"
REDOC_JS, FAVICON = "redoc.standalone.js", "favicon.png"
# The pages' own start-up script and the UIs' computed styles are inline; ReDoc searches in a blob: worker.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self' data:", "worker-src 'self' blob:", "connect-src 'self'",
    "base-uri 'self'", "form-action 'self'", "frame-ancestors 'self'",
))


def assets_folder() -> Path:
    """fastapi-offline's folder of Swagger UI and ReDoc files (found without importing the package)."""
    spec = importlib.util.find_spec(ASSET_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the /docs assets are missing: pip install fastapi-offline (a dependency)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    missing = [name for name in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON) if not (folder / name).is_file()]
    if missing:  # a later release that moves its files must fail at start-up, not as a blank page
        raise RuntimeError(f"fastapi-offline at {folder} lacks {', '.join(missing)}")
    return folder


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def install_docs(app: FastAPI) -> None:
    """Serve the documentation assets under /docs-assets and register /docs, its OAuth2 redirect
    page and /redoc, all pointing at this server only (behind a proxy, under its root_path)."""
    if app.openapi_url is None:
        return
    app.mount(ASSETS_URL, StaticFiles(directory=assets_folder()), name="docs-assets")
    openapi_url = app.openapi_url
    redirect_url = app.swagger_ui_oauth2_redirect_url or f"{DOCS_URL}/oauth2-redirect"
    # validatorUrl null: no layout ever shows the online validator badge (an image from swagger.io).
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} 接口文档",
            swagger_js_url=f"{root}{ASSETS_URL}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS_URL}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
            oauth2_redirect_url=root + redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=parameters,
        ))

    def oauth2_redirect() -> HTMLResponse:
        return _local_only(get_swagger_ui_oauth2_redirect_html())

    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _local_only(get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} 接口文档 · ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/{REDOC_JS}",
            redoc_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
            with_google_fonts=False,
        ))

    app.add_api_route(DOCS_URL, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(redirect_url, oauth2_redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc, methods=["GET"], include_in_schema=False)
