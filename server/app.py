"""The ASGI app: widget API, CORS, static assets, and the demo page when asked for."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .access.tokens import MediaLinks, Tokens, signing_key
from .api import router
from .api.errors import ApiError, from_http
from .api.idempotency import Idempotency
from .check import router as check_router
from .custody.evidence import media_location
from .dashboard import router as dashboard_router
from .dashboard.auth import NeedsLogin
from .live.fanout import Fanout
from .lms.launches import PlatformKeys
from .logs import AccessLog
from .lti import router as lti_router
from .options import Options
from .store import Database
from .store.writer import EventWriter
from .web import assets
from .web.cors import Cors
from .web.limits import LIMITS, limiters, storage_for
from .web.middleware import BodyLimit, SecurityHeaders
from .webhooks import SCHEDULE, Webhooks

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATIC = ROOT / "static"
LISTEN_ENV = "EYE_LISTEN_URL"


def app_from_env() -> FastAPI:
    """The app as each process of ``eye serve --workers N`` builds it: everything from the
    environment ``eye serve`` set (database, evidence folder, public URL, proxies, ...)."""
    import os

    from .logs import configure

    configure()
    return create_app(listen_url=os.environ.get(LISTEN_ENV, "http://127.0.0.1:8000"))


def create_app(database_url: str | None = None, static_dir: Path | None = None, media_dir: Path | None = None,
               options: Options | None = None, listen_url: str = "http://127.0.0.1:8000",
               secret_key_file: Path | None = None) -> FastAPI:
    """The app. ``options`` default to the environment's (see server/options.py); absolute URLs
    use ``options.public_url``, else ``listen_url`` (never a request's ``Host``)."""
    options = options or Options.from_env()
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
    app.state.options = options
    app.state.public_url = options.base_url(listen_url)
    key = signing_key(db, secret_key_file)
    app.state.signing_key = key
    app.state.tokens = Tokens(key)
    app.state.media_links = MediaLinks(key)
    app.state.writer = EventWriter(db)
    app.state.webhooks = Webhooks(db, app.state.media_links, app.state.public_url, allow=options.webhook_allow,
                                  schedule=options.webhook_schedule or SCHEDULE)
    if options.webhook_worker:
        app.state.webhooks.start()
    app.state.fanout = Fanout(options.redis_url, db.engine)  # live proctoring: wake the streams a message is for
    app.state.limits = limiters(storage_for(options.redis_url), {**LIMITS, **dict(options.rate_limits)})
    app.state.evidence = media_location(db, media_dir)
    app.state.media_dir = app.state.evidence.root  # the evidence folder (None with object storage)
    app.include_router(router)
    app.include_router(dashboard_router, include_in_schema=False)  # HTML pages, not the API
    app.state.lti_keys = PlatformKeys()  # the LMS platforms' public keys, cached
    app.include_router(lti_router, include_in_schema=False)  # LTI 1.3: an LMS's door, not the API
    app.include_router(check_router, include_in_schema=False)  # the candidates' setup check page
    for route in assets.routes(static_dir or DEFAULT_STATIC):
        app.router.routes.append(route)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(NeedsLogin)
    async def needs_login(request: Request, _: NeedsLogin) -> RedirectResponse:
        return RedirectResponse(f"/dashboard/login?next={request.url.path}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):  # an API answers in its own error shape, always
            return from_http(exc.status_code, str(exc.detail), exc.headers).response()
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = {".".join(str(p) for p in err["loc"][1:]) or "body": err["msg"] for err in exc.errors()}
        return JSONResponse({"code": "INVALID_REQUEST", "message": "The request body is not valid.", "details": details}, status_code=422)

    app.add_middleware(Idempotency, db=db)
    app.add_middleware(Cors)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    if options.public_url:  # a request for another host is refused (400), never used for URLs
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=[options.public_host or "", *options.allowed_hosts])
    app.add_middleware(AccessLog)
    # X-Forwarded-For/Proto are believed from the configured proxies only (default: none).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(options.forwarded_allow_ips) or [])
    return app


def close_app(app: FastAPI) -> None:
    """Stop what an app runs beside its requests: the event writer (after its last commit), the
    webhook worker, the live fan-out's listener, and the database's pool. For a process that
    made the app and goes on without it (tests, tools)."""
    app.state.writer.close()
    app.state.webhooks.close()
    app.state.fanout.close()
    app.state.db.engine.dispose()
