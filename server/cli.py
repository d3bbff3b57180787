"""The ``eye`` command: ``serve``, ``worker``, ``keys``, ``users``, ``purge``, ``candidates``, ``demo`` (docs/server.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .store import Database

if TYPE_CHECKING:  # imported where used: the CLI starts fast and loads only what a command needs
    from fastapi import FastAPI
    from sqlalchemy.orm import Session

    from .custody.evidence import EvidenceStore
    from .options import Options
    from .store import ApiKey, SecretKey


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: env EYE_DATABASE_URL, else ./eye.db)")


def _announce_database(url: str | None) -> None:
    """Say on stderr which database this command opens (its password hidden), and when it is a
    SQLite file that does not exist yet: a command run from another folder makes a new, empty
    one there, which is rarely what was meant."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from .store import default_url

    parsed = make_url(url or default_url())
    note = ""
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).exists():
            note = (" (new and empty: no file was there; pass --database-url or set EYE_DATABASE_URL to use "
                    "an existing one)")
    print(f"eye: database {parsed.render_as_string(hide_password=True)}{note}", file=sys.stderr)


def _database(args: argparse.Namespace) -> Database:
    """The database the command names (said on stderr), migrated to the current schema."""
    _announce_database(args.database_url)
    db = Database(args.database_url)
    db.migrate()
    return db


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    _database_option(parser)
    _media_option(parser)
    parser.add_argument("--public-url", default=None,
                        help="the URL users reach Eye at, e.g. https://eye.example.edu (env EYE_PUBLIC_URL): the only "
                             "source of absolute URLs; requests for another Host are refused")
    parser.add_argument("--allowed-hosts", default=None,
                        help="other Host names to accept besides the public URL's, comma-separated (env EYE_ALLOWED_HOSTS)")
    parser.add_argument("--forwarded-allow-ips", default=None,
                        help="proxies whose X-Forwarded-For/Proto are believed, comma-separated IPs or CIDRs "
                             "(env EYE_FORWARDED_ALLOW_IPS; default none)")
    parser.add_argument("--workers", type=int, default=1, help="processes serving requests (default 1)")
    parser.add_argument("--no-webhook-worker", action="store_true",
                        help="do not deliver webhooks in these processes (run `eye worker` instead)")


def _media_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--media-dir", default=None,
                        help="where evidence files go: a folder or s3://BUCKET/PREFIX (endpoint and credentials "
                             "from the AWS variables); recorded in the database, so every later command finds it "
                             "(default: the recorded place, else env EYE_MEDIA_URL or EYE_MEDIA_DIR, else ./eye-media)")


def _options(args: argparse.Namespace) -> "Options":
    from .options import OptionError, Options, comma_list

    try:
        overrides: dict[str, object] = {"public_url": getattr(args, "public_url", None),
                     "allowed_hosts": comma_list(getattr(args, "allowed_hosts", None)),
                     "forwarded_allow_ips": comma_list(getattr(args, "forwarded_allow_ips", None))}
        if getattr(args, "no_webhook_worker", False):
            overrides["webhook_worker"] = False
        return Options.from_env(None, **overrides)
    except OptionError as e:
        raise SystemExit(f"eye: {e}") from None


def _run(app: "FastAPI | str", host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from .logs import configure

    configure()
    # Proxy headers are handled inside the app (only from --forwarded-allow-ips); the access log
    # is the app's own (structured, tokens redacted). A stop waits at most 5 s for open requests:
    # the widgets' live channels never end by themselves, and they reconnect (to another instance).
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, access_log=False, log_config=None,
                workers=workers, factory=isinstance(app, str), timeout_graceful_shutdown=5)


def _listen_url(args: argparse.Namespace) -> str:
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"http://{host}:{args.port}"


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from .app import LISTEN_ENV, create_app
    from .custody.evidence import media_location

    options = _options(args)
    if options.public_url is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        print("eye serve: no --public-url; absolute URLs (webhook mediaUrl) will use "
              f"{_listen_url(args)}. Set --public-url in production.", file=sys.stderr)
    if args.workers < 1:
        raise SystemExit(f"eye serve: --workers: expected 1 or more, received {args.workers}")
    if args.workers == 1:
        _announce_database(args.database_url)
        _run(create_app(args.database_url, media_dir=args.media_dir, options=options, listen_url=_listen_url(args)),
             args.host, args.port)
        return 0
    # Several processes: each builds the app from the environment this process sets up now.
    db = _database(args)
    from .access.tokens import default_key_file, signing_key

    os.environ.setdefault("EYE_SECRET_KEY_FILE", str(default_key_file(db.url)))
    signing_key(db)  # made once here, read by every process
    settings = {"EYE_DATABASE_URL": db.url, "EYE_MEDIA_URL": media_location(db, args.media_dir).location,
                LISTEN_ENV: _listen_url(args), "EYE_PUBLIC_URL": options.public_url or "",
                "EYE_ALLOWED_HOSTS": ",".join(options.allowed_hosts),
                "EYE_FORWARDED_ALLOW_IPS": ",".join(options.forwarded_allow_ips),
                "EYE_WEBHOOK_WORKER": "1" if options.webhook_worker else "0"}
    os.environ.update({k: v for k, v in settings.items() if v})
    db.engine.dispose()
    _run("server.app:app_from_env", args.host, args.port, workers=args.workers)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Deliver webhooks (and nothing else) until stopped: for deployments that run the delivery
    worker apart from the web processes (``eye serve --no-webhook-worker``)."""
    import signal
    import threading

    from .access.tokens import MediaLinks, signing_key
    from .logs import configure, info
    from .webhooks import SCHEDULE, Webhooks

    configure()
    db = _database(args)
    options = _options(args)
    public = options.base_url("http://127.0.0.1:8000")
    worker = Webhooks(db, MediaLinks(signing_key(db)), public, allow=options.webhook_allow,
                      schedule=options.webhook_schedule or SCHEDULE).start()
    info("webhook worker started", publicUrl=public)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    worker.close()
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from .access.keys import KeyRequestError, create_key, enable_launch_tokens

    db = _database(args)
    try:
        with db.session() as s:
            secret = create_key(s, args.institution, args.domain, create_institution=args.create_institution)
            launch = enable_launch_tokens(s, secret) if args.require_launch_token else None
    except KeyRequestError as e:
        print(f"eye keys create: {e}", file=sys.stderr)
        return 2
    if launch:
        print("Sessions with this key need a launch token signed with this launch secret (keep it on your "
              "exam platform's server; it is shown once):")
        print(f"launch secret: {launch}")
    print(f"Created an API key for {args.institution} ({', '.join(args.domain)}). It is shown once:")
    print(secret)
    return 0


def cmd_keys_create_secret(args: argparse.Namespace) -> int:
    from .access.keys import KeyRequestError, create_secret_key

    db = _database(args)
    try:
        with db.session() as s:
            if bool(args.operator) == bool(args.institution):
                raise KeyRequestError("expected --institution NAME or --operator (one of them)")
            secret = create_secret_key(s, None if args.operator else args.institution, read_only=args.read_only)
    except KeyRequestError as e:
        print(f"eye keys create-secret: {e}", file=sys.stderr)
        return 2
    access = "read-only " if args.read_only else ""
    whose = "an operator (every institution; Eye-Institution names one)" if args.operator else f"{args.institution}'s exam platform server"
    print(f"Created a {access}secret key for {whose} (the platform API, docs/platform-api.md). Keep it on your "
          "server, never in a page. It is shown once:")
    print(secret)
    return 0


def _password(args: argparse.Namespace) -> str:
    """From ``--password-stdin`` (first line of stdin), else asked twice on the terminal."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("eye users create: the passwords differ")
    return first


def cmd_users_create(args: argparse.Namespace) -> int:
    from .access.users import UserError, create_user

    db = _database(args)
    try:
        with db.session() as s:
            user = create_user(s, args.institution, args.email, _password(args), create_institution=args.create_institution,
                               role=args.role)
            print(f"Created {user.role} {user.email} for {args.institution}.")
    except UserError as e:
        print(f"eye users create: {e}", file=sys.stderr)
        return 2
    return 0


def cmd_users_password(args: argparse.Namespace) -> int:
    from .access.users import UserError, set_password

    db = _database(args)
    try:
        with db.session() as s:
            set_password(s, args.email, _password(args), args.institution)
    except UserError as e:
        print(f"eye users password: {e}", file=sys.stderr)
        return 2
    print(f"Changed the password of {args.email.strip().lower()}; their signed-in sessions are ended.")
    return 0


def _key(s: "Session", prefix: str) -> "ApiKey | SecretKey":
    """The publishable or secret key whose prefix this is (a secret key's starts with eye_sk_)."""
    from .access.keys import SECRET_PREFIX, find_by_prefix, find_secret_by_prefix

    key: ApiKey | SecretKey | None = (find_secret_by_prefix(s, prefix) if prefix.startswith(SECRET_PREFIX)
                                      else find_by_prefix(s, prefix))
    if key is None:
        raise SystemExit(f"eye keys: no single key starts with {prefix!r} (see `eye keys list`)")
    return key


def cmd_keys_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .store import ApiKey, SecretKey
    from .store.models import iso

    db = _database(args)
    with db.session() as s:
        for key in s.scalars(select(ApiKey).order_by(ApiKey.created_at)):
            state = "revoked" if key.revoked_at else "active"
            print(f"{key.prefix}  {state:7}  {key.institution.name}  {', '.join(d.domain for d in key.domains)}")
        for secret in s.scalars(select(SecretKey).order_by(SecretKey.created_at)):
            state = "revoked" if secret.revoked_at else "active"
            used = f"last used {iso(secret.last_used_at)}" if secret.last_used_at else "never used"
            kind = "secret key, read-only" if secret.read_only else "secret key"
            whose = secret.institution.name if secret.institution else "(operator: every institution)"
            print(f"{secret.prefix}  {state:7}  {whose}  ({kind}; {used})")
    return 0


def cmd_keys_domain(args: argparse.Namespace) -> int:
    """``eye keys add-domain|remove-domain PREFIX HOST``."""
    from .access.keys import KeyRequestError, add_domain, remove_domain
    from .store import ApiKey

    adding = args.keys_command == "add-domain"
    with _database(args).session() as s:
        key = _key(s, args.prefix)
        if not isinstance(key, ApiKey):
            raise SystemExit("eye keys: a secret key has no domains (it is used by a server, never a page)")
        try:
            done = add_domain(key, args.domain) if adding else remove_domain(key, args.domain)
        except KeyRequestError as e:
            print(f"eye keys {args.keys_command}: {e}", file=sys.stderr)
            return 2
        listed = ", ".join(d.domain for d in key.domains)
    print(f"{key.prefix}… {'now also starts sessions from' if adding else 'no longer starts sessions from'} {done}; "
          f"its domains: {listed}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from .access.keys import revoke_key
    from .store import SecretKey

    db = _database(args)
    with db.session() as s:
        key = _key(s, args.prefix)
        revoke_key(key)
        refused = "the platform API refuses it with INVALID_SECRET_KEY" if isinstance(key, SecretKey) else \
            "init with it now fails with INVALID_API_KEY"
        print(f"Revoked {key.prefix}…; {refused}.")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    from .access.keys import rotate_key, rotate_secret_key
    from .store import SecretKey

    db = _database(args)
    with db.session() as s:
        key = _key(s, args.prefix)
        if isinstance(key, SecretKey):
            secret = rotate_secret_key(s, key)
            print(f"Revoked {args.prefix}… and created its replacement (same institution and access). It is shown once:")
            print(secret)
            return 0
        rotated = rotate_key(s, key)
    if rotated.launch_secret:
        print("The replacement still requires launch tokens; sign them with this new launch secret from now on "
              "(the old one no longer works; it is shown once):")
        print(f"launch secret: {rotated.launch_secret}")
    print(f"Revoked {args.prefix}… and created its replacement (same domains and settings). It is shown once:")
    print(rotated.secret)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from .custody.retention import purge

    db = _database(args)
    media_dir = _media_dir(db, args)
    removed = purge(db, media_dir)
    print(f"Purged {removed} session(s) past their institution's retention period, with their evidence in {media_dir.location}.")
    return 0


def _media_dir(db: Database, args: argparse.Namespace) -> "EvidenceStore":
    """The database's recorded evidence folder (``--media-dir`` moves the record)."""
    from .custody.evidence import media_location

    return media_location(db, args.media_dir)


def cmd_candidate(args: argparse.Namespace) -> int:
    import json

    from .custody.retention import candidate_export, delete_candidate

    db = _database(args)
    if args.candidate_command == "export":
        print(json.dumps(candidate_export(db, args.institution, args.candidate), indent=2))
    else:
        media_dir = _media_dir(db, args)
        removed = delete_candidate(db, media_dir, args.institution, args.candidate)
        print(f"Deleted {removed} session(s) of candidate {args.candidate} with their events and evidence (in {media_dir.location}).")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import secrets as random_secrets

    from sqlalchemy import select

    from .access.keys import create_key, normalize_domain, revoke_key
    from .access.users import create_user
    from .app import DEFAULT_STATIC, create_app
    from .demo import routes
    from .store import ApiKey, Institution, User

    _announce_database(args.database_url)
    app = create_app(args.database_url, media_dir=args.media_dir, options=_options(args), listen_url=_listen_url(args))
    admin_email, password = "admin@demo.example", None
    domains = [f"{args.host}:{args.port}", f"localhost:{args.port}"]
    with app.state.db.session() as s:
        # one live demo key per origin: an earlier run's key for the same origin is revoked
        for old in s.scalars(select(ApiKey).join(ApiKey.institution).where(
                Institution.name == "Demo Institution", ApiKey.revoked_at.is_(None))):
            if sorted(d.domain for d in old.domains) == sorted(normalize_domain(d) for d in domains):
                revoke_key(old)
        secret = create_key(s, "Demo Institution", domains)
        if s.scalar(select(User).join(User.institution).where(User.email == admin_email,
                                                               Institution.name == "Demo Institution")) is None:
            password = random_secrets.token_urlsafe(12)
            create_user(s, "Demo Institution", admin_email, password, role="admin")
    for route in routes(secret, DEFAULT_STATIC):
        app.router.routes.append(route)
    base = f"http://{args.host}:{args.port}"
    print(f"Eye demo: open {base}/demo/ (script tag) or {base}/demo/python/ (PyScript); "
          f"demo key for this origin: {secret[:12]}…", flush=True)
    if password:
        print(f"Reviewer dashboard (admin): {base}/dashboard/  email {admin_email}  password {password}", flush=True)
    else:
        print(f"Reviewer dashboard (admin): {base}/dashboard/  email {admin_email} (its password was printed at the first "
              f"run; set a new one with `eye users password --email {admin_email}`)", flush=True)
    _run(app, args.host, args.port)
    return 0


def cmd_check_code(args: argparse.Namespace) -> int:
    """What a candidate's setup-check support code says (the check page shows it; nothing was sent)."""
    import datetime as dt

    from widget.checkup import FIXES, decode

    try:
        found = decode(args.code)
    except ValueError as e:
        print(f"eye check-code: {e}", file=sys.stderr)
        return 2
    at = dt.datetime.fromtimestamp(found["at"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Setup check of {at}: round trip {found['rttMs']} ms, upload {found['uploadKbps']} kbit/s")
    for name, check in found["checks"].items():
        reason = check["reason"]
        print(f"  {name:<11} {check['status']:<8} {reason}{': ' + FIXES[reason] if reason else ''}")
    return 0


def cmd_lti_add_platform(args: argparse.Namespace) -> int:
    from .access.institutions import UnknownInstitution
    from .lms.platforms import PlatformError, add_platform

    try:
        with _database(args).session() as s:
            platform = add_platform(s, args.institution, issuer=args.issuer, client_id=args.client_id,
                                    deployment_id=args.deployment_id, auth_url=args.auth_url, jwks_url=args.jwks_url,
                                    token_url=args.token_url, instructor_role=args.instructor_role,
                                    administrator_role=args.administrator_role, exam_seconds=args.exam_seconds)
            number = platform.id
    except (PlatformError, UnknownInstitution) as e:
        print(f"eye lti add-platform: {e}", file=sys.stderr)
        return 2
    print(f"Registered LTI platform {number} for {args.institution}: {args.issuer} (client {args.client_id}, "
          f"deployment {args.deployment_id}). In the LMS, give Eye's tool these URLs (your public URL in front):")
    print("  login (OIDC initiation): /lti/login   redirect / launch: /lti/launch   public keys (JWKS): /lti/jwks.json")
    return 0


def cmd_lti_list(args: argparse.Namespace) -> int:
    from .lms.platforms import platforms

    with _database(args).session() as s:
        found = platforms(s)
        for p in found:
            print(f"{p.id}\t{p.institution.name}\t{p.issuer}\tclient {p.client_id}\tdeployment {p.deployment_id}"
                  f"\tauth {p.auth_url}\tjwks {p.jwks_url}\tinstructor → {p.instructor_role}"
                  f"\tadministrator → {p.administrator_role}\tattempts up to {p.exam_seconds:.0f} s")
    if not found:
        print("no LTI platforms registered (eye lti add-platform)")
    return 0


def cmd_lti_remove(args: argparse.Namespace) -> int:
    from .lms.platforms import PlatformError, remove_platform

    try:
        with _database(args).session() as s:
            gone = remove_platform(s, args.platform)
            issuer = gone.issuer
    except PlatformError as e:
        print(f"eye lti remove: {e}", file=sys.stderr)
        return 2
    print(f"Removed LTI platform {args.platform} ({issuer}): its launches are refused from now on.")
    return 0


def cmd_lti_rotate_key(args: argparse.Namespace) -> int:
    from .lms.signing import PUBLISHED_AFTER_RETIREMENT, rotate

    with _database(args).session() as s:
        kid = rotate(s).kid
    print(f"Eye signs LTI messages with the new key {kid} from now on; the old one stays in /lti/jwks.json for "
          f"{int(PUBLISHED_AFTER_RETIREMENT.total_seconds())} s, until what it signed has expired.")
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
    create.add_argument("--create-institution", action="store_true",
                        help="create the institution if no institution has this name (else that is an error)")
    create.add_argument("--require-launch-token", action="store_true",
                        help="sessions need a launch token signed by your exam platform's server (prints its secret once)")
    _database_option(create)
    create.set_defaults(func=cmd_keys_create)
    secret = keys_sub.add_parser("create-secret", help="create a secret key for an exam platform's server (the platform "
                                 "API); prints it alone on the last line")
    secret.add_argument("--institution", help="the institution the key acts for")
    secret.add_argument("--operator", action="store_true",
                        help="an operator's key instead: any institution (named per request), may create institutions")
    secret.add_argument("--read-only", action="store_true", help="the key may list and read, never end or change anything")
    _database_option(secret)
    secret.set_defaults(func=cmd_keys_create_secret)
    for name, func, helptext in (("list", cmd_keys_list, "list keys (prefix, state, institution, domains)"),
                                 ("revoke", cmd_keys_revoke, "revoke a key at once"),
                                 ("rotate", cmd_keys_rotate, "replace a key (same domains and settings, new launch secret) and revoke the old one")):
        command = keys_sub.add_parser(name, help=helptext)
        if name != "list":
            command.add_argument("prefix", help="the key's first characters, as `eye keys list` shows them")
        _database_option(command)
        command.set_defaults(func=func)
    for name, helptext in (("add-domain", "let a key start sessions from one more page origin (at most 5)"),
                           ("remove-domain", "stop a key starting sessions from a page origin")):
        command = keys_sub.add_parser(name, help=helptext)
        command.add_argument("prefix", help="the key's first characters, as `eye keys list` shows them")
        command.add_argument("domain", help="HOST[:PORT] of the exam page")
        _database_option(command)
        command.set_defaults(func=cmd_keys_domain)
    from .lms.platforms import MAPPABLE

    lti = sub.add_parser("lti", help="connect an LMS (LTI 1.3)")
    lti_sub = lti.add_subparsers(dest="lti_command", required=True)
    add = lti_sub.add_parser("add-platform", help="register an LMS as an LTI 1.3 platform of an institution")
    add.add_argument("--institution", required=True)
    add.add_argument("--issuer", required=True, help="the platform's issuer (iss), as the LMS shows it")
    add.add_argument("--client-id", required=True, help="the client id the LMS gave Eye's tool")
    add.add_argument("--deployment-id", required=True, help="the deployment id the LMS gave Eye's tool")
    add.add_argument("--auth-url", required=True, help="the platform's OIDC authorization URL")
    add.add_argument("--jwks-url", required=True, help="the platform's public keys (JWKS) URL")
    add.add_argument("--token-url", help="the platform's OAuth2 token URL (for its services)")
    add.add_argument("--instructor-role", default="reviewer", choices=MAPPABLE,
                     help="the dashboard role an LMS Instructor signs in with (default reviewer; none: not at all)")
    add.add_argument("--administrator-role", default="admin", choices=MAPPABLE,
                     help="the dashboard role an LMS Administrator signs in with (default admin)")
    add.add_argument("--exam-seconds", type=float, default=3 * 3600,
                     help="how long a proctored attempt may last, in seconds (default 10800)")
    _database_option(add)
    add.set_defaults(func=cmd_lti_add_platform)
    for name, func, helptext in (("list", cmd_lti_list, "list the registered LTI platforms"),
                                 ("remove", cmd_lti_remove, "unregister an LTI platform (its launches are refused)"),
                                 ("rotate-key", cmd_lti_rotate_key, "sign LTI messages with a new key (the old one "
                                  "stays published until what it signed expired)")):
        command = lti_sub.add_parser(name, help=helptext)
        if name == "remove":
            command.add_argument("platform", type=int, help="the number `eye lti list` shows")
        _database_option(command)
        command.set_defaults(func=func)
    users = sub.add_parser("users", help="manage reviewer accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    ucreate = users_sub.add_parser("create", help="create a reviewer (password prompted, or --password-stdin)")
    ucreate.add_argument("--institution", required=True)
    ucreate.add_argument("--email", required=True)
    ucreate.add_argument("--password-stdin", action="store_true")
    ucreate.add_argument("--role", default="admin", choices=("admin", "reviewer", "auditor"),
                         help="admin: keys, settings, deletions and deciding; reviewer: deciding; auditor: reading only")
    ucreate.add_argument("--create-institution", action="store_true",
                         help="create the institution if no institution has this name (else that is an error)")
    _database_option(ucreate)
    ucreate.set_defaults(func=cmd_users_create)
    upassword = users_sub.add_parser("password", help="set a reviewer's password (signs out all their sessions)")
    upassword.add_argument("--email", required=True)
    upassword.add_argument("--institution", help="whose account, when the address has one in several institutions")
    upassword.add_argument("--password-stdin", action="store_true")
    _database_option(upassword)
    upassword.set_defaults(func=cmd_users_password)
    purge = sub.add_parser("purge", help="delete sessions past their institution's retention period, with their evidence")
    _database_option(purge)
    _media_option(purge)
    purge.set_defaults(func=cmd_purge)
    candidates = sub.add_parser("candidates", help="export or delete everything about one candidate")
    candidates_sub = candidates.add_subparsers(dest="candidate_command", required=True)
    for name in ("export", "delete"):
        c = candidates_sub.add_parser(name)
        c.add_argument("--institution", required=True)
        c.add_argument("--candidate", required=True, help="the candidateId")
        _media_option(c)
        _database_option(c)
        c.set_defaults(func=cmd_candidate)
    worker = sub.add_parser("worker", help="deliver webhooks until stopped (beside `eye serve --no-webhook-worker`)")
    _database_option(worker)
    worker.add_argument("--public-url", default=None, help="the URL evidence links point to (env EYE_PUBLIC_URL)")
    worker.set_defaults(func=cmd_worker)
    code = sub.add_parser("check-code", help="read a candidate's setup-check support code (from /check/ or checkSystem)")
    code.add_argument("code", help="the code, e.g. AEAU-CAKB-…")
    code.set_defaults(func=cmd_check_code)
    demo = sub.add_parser("demo", help="serve a demo exam page with a demo key for its own origin")
    _serve_options(demo)
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
