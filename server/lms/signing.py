"""Eye's RS256 keys for the LTI messages it signs, published at ``/lti/jwks.json``."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import LtiSigningKey
from ..store.models import aware, utcnow

#: How long what Eye signs is valid; a retired key stays published this long (and a margin).
MESSAGE_SECONDS = 300
PUBLISHED_AFTER_RETIREMENT = dt.timedelta(seconds=MESSAGE_SECONDS * 2)


def _new_key(db: Session) -> LtiSigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    key = LtiSigningKey(kid=secrets.token_urlsafe(12), private_pem=pem)
    db.add(key)
    db.flush()
    return key


def current_key(db: Session) -> LtiSigningKey:
    """The key that signs now (made on first use)."""
    key = db.scalar(select(LtiSigningKey).where(LtiSigningKey.retired_at.is_(None))
                    .order_by(LtiSigningKey.created_at.desc()).limit(1))
    return key or _new_key(db)


def rotate(db: Session) -> LtiSigningKey:
    """A new key signs from now on; the old ones stay published until what they signed expired."""
    now = utcnow()
    for key in db.scalars(select(LtiSigningKey).where(LtiSigningKey.retired_at.is_(None))):
        key.retired_at = now
    return _new_key(db)


def jwks(db: Session) -> dict[str, Any]:
    """The public keys a platform checks Eye's messages with."""
    since = utcnow() - PUBLISHED_AFTER_RETIREMENT
    current_key(db)
    published = []
    for key in db.scalars(select(LtiSigningKey).order_by(LtiSigningKey.created_at)):
        if key.retired_at is not None and aware(key.retired_at) < since:
            continue
        private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise TypeError(f"LTI signing key {key.kid} is not an RSA key")
        public = private.public_key()
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        published.append({**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": published}


def sign(db: Session, claims: dict[str, Any]) -> str:
    """``claims`` as a JWT signed with the current key (``iat``/``exp`` added)."""
    key = current_key(db)
    now = int(utcnow().timestamp())
    return jwt.encode({"iat": now, "exp": now + MESSAGE_SECONDS, **claims}, key.private_pem, algorithm="RS256",
                      headers={"kid": key.kid})
