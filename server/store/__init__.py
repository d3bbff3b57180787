"""Storage: SQLAlchemy models and the database handle (SQLite by default, PostgreSQL by URL)."""

from .database import Database, default_url
from .models import (
    ApiKey,
    AuditEntry,
    Base,
    Event,
    ExamSession,
    FlagVerdict,
    IdempotentRequest,
    Institution,
    KeyDomain,
    LtiAttempt,
    LtiLogin,
    LtiPlatform,
    LtiSigningKey,
    LtiUser,
    Media,
    ProctorMessage,
    ReviewerSession,
    SecretKey,
    Setting,
    User,
    WebhookDelivery,
    WebhookOutbox,
)

__all__ = ["ApiKey", "AuditEntry", "Base", "FlagVerdict", "IdempotentRequest", "Database", "Event", "ExamSession", "Institution", "KeyDomain", "LtiAttempt", "LtiLogin", "LtiPlatform", "LtiSigningKey", "LtiUser", "Media", "ProctorMessage", "ReviewerSession", "SecretKey", "Setting", "User", "WebhookDelivery", "WebhookOutbox", "default_url"]
