"""The ``eye`` command: ``serve``, ``keys create``, ``demo`` (CONTRACT §5)."""

from __future__ import annotations

import argparse
import sys

from .store import Database


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: env EYE_DATABASE_URL, else ./eye.db)")


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    _database_option(parser)
    parser.add_argument("--media-dir", default=None, help="where evidence files go (default: env EYE_MEDIA_DIR, else ./eye-media)")


def _run(app, host: str, port: int) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_app

    _run(create_app(args.database_url, media_dir=args.media_dir), args.host, args.port)
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .keys import KeyRequestError, create_key

    db = Database(args.database_url)
    db.migrate()
    try:
        with db.session() as s:
            secret = create_key(s, args.institution, args.domain)
    except KeyRequestError as e:
        print(f"eye keys create: {e}", file=sys.stderr)
        return 2
    print(f"Created an API key for {args.institution} ({', '.join(args.domain)}). It is shown once:")
    print(secret)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .app import DEFAULT_STATIC, create_app
    from .demo import routes
    from .keys import create_key

    app = create_app(args.database_url, media_dir=args.media_dir)
    with app.state.db.session() as s:
        secret = create_key(s, "Demo Institution", [f"{args.host}:{args.port}", f"localhost:{args.port}"])
    for route in routes(secret, DEFAULT_STATIC):
        app.router.routes.append(route)
    print(f"Eye demo: open http://{args.host}:{args.port}/demo/ (script tag) or /demo/python/ (PyScript); "
          f"demo key for this origin: {secret[:12]}…", flush=True)
    _run(app, args.host, args.port)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="eye", description="Eye proctoring server")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the API, /loader.js and the runtime")
    _serve_options(serve)
    serve.set_defaults(func=cmd_serve)
    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create an API key; prints it alone on the last line")
    create.add_argument("--institution", required=True)
    create.add_argument("--domain", action="append", required=True, help="HOST[:PORT] the exam page is served from")
    _database_option(create)
    create.set_defaults(func=cmd_keys_create)
    demo = sub.add_parser("demo", help="serve a demo exam page with a demo key for its own origin")
    _serve_options(demo)
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
