"""How a request says who it is, as the OpenAPI document describes it: two bearer schemes — the
widget's **session token** (from ``POST /sessions``) and the platform server's **secret key**
(``eye_sk_…``). A route declares which it takes; each answers the raw ``Authorization`` value
(``Bearer …``) or None, and the route's own check decides (401 with a clear error)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

session_token = HTTPBearer(auto_error=False, scheme_name="sessionToken",
                           description="The session token POST /api/v1/sessions returned (the widget's).")
secret_key = HTTPBearer(auto_error=False, scheme_name="secretKey",
                        description="A secret key, eye_sk_… (`eye keys create-secret`): the exam platform's server only.")

Credentials = HTTPAuthorizationCredentials | None


def _header(credentials: Credentials) -> str | None:
    return f"Bearer {credentials.credentials}" if credentials else None


def _session(credentials: Annotated[Credentials, Security(session_token)]) -> str | None:
    return _header(credentials)


def _secret(credentials: Annotated[Credentials, Security(secret_key)]) -> str | None:
    return _header(credentials)


def _either(token: Annotated[Credentials, Security(session_token)],
            key: Annotated[Credentials, Security(secret_key)]) -> str | None:
    return _header(token or key)


#: ``Authorization`` of a widget route (session token).
SessionAuth = Annotated[str | None, Depends(_session)]
#: ``Authorization`` of a platform route (secret key).
SecretAuth = Annotated[str | None, Depends(_secret)]
#: ``Authorization`` of a route both take (``GET /sessions/{id}``, its end, its evidence).
EitherAuth = Annotated[str | None, Depends(_either)]
