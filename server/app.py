"""The ASGI app: widget API, CORS, static assets, and the demo page when asked for."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from . import assets
from .api import router
from .api.errors import ApiError
from .cors import Cors
from .dashboard.auth import NeedsLogin
from .dashboard.views import router as dashboard_router
from .limits import Limit, RateLimiter
from .middleware import BodyLimit, SecurityHeaders
from .tokens import MediaLinks, Tokens, signing_key
from .webhooks import Webhooks
from .store import Database
from .store.database import default_media_dir
from .store.writer import EventWriter

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATIC = ROOT / "static"
#: Per API key: session creations; per session: event batches and evidence uploads.
LIMITS = {
    "key": Limit(rate=20, burst=200),
    "events": Limit(rate=10, burst=40),
    "media": Limit(rate=5, burst=20),
    "login_email": Limit(rate=1 / 12, burst=5),  # per reviewer email: 5 sign-in tries, then 1 every 12 s
    "login_ip": Limit(rate=1, burst=30),  # per client address (offices share one behind NAT)
}


def create_app(database_url: str | None = None, static_dir: Path | None = None, media_dir: Path | None = None) -> FastAPI:
    db = Database(database_url)
    db.migrate()
    app = FastAPI(
        title="Eye",
        version="0.1.0",
        description="Eye proctoring server: sessions, events and evidence from the widget.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.db = db
    key = signing_key(db)
    app.state.signing_key = key
    app.state.tokens = Tokens(key)
    app.state.media_links = MediaLinks(key)
    app.state.writer = EventWriter(db)
    app.state.webhooks = Webhooks(db, app.state.media_links)
    app.state.limits = {name: RateLimiter(limit) for name, limit in LIMITS.items()}
    app.state.media_dir = Path(media_dir or default_media_dir()).resolve()
    app.include_router(router)
    app.include_router(dashboard_router)
    for route in assets.routes(static_dir or DEFAULT_STATIC):
        app.router.routes.append(route)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(NeedsLogin)
    async def needs_login(request: Request, _: NeedsLogin) -> RedirectResponse:
        return RedirectResponse(f"/dashboard/login?next={request.url.path}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = {".".join(str(p) for p in err["loc"][1:]) or "body": err["msg"] for err in exc.errors()}
        return JSONResponse({"code": "INVALID_REQUEST", "message": "The request body is not valid.", "details": details}, status_code=422)

    app.add_middleware(Cors, db=db)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    return app
