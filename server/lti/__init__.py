"""The LTI 1.3 door: an LMS logs a user in to Eye (OIDC third-party-initiated login), posts the
launch back, and reads Eye's public keys. Every check lives in ``server.lms``; this turns HTTP
into calls to it and answers with plain pages."""

from .routes import router

__all__ = ["router"]
