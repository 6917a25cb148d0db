"""Roles and what each may do. Services call `require()` inside their transaction."""

from __future__ import annotations

import duckdb

from .errors import PermissionDenied
from .i18n import t

ROLES = ("superadmin", "admin", "usuario")

# Action -> roles allowed. Reading is open to every known or unknown user.
_ALLOWED = {
    "client.write": {"superadmin", "admin"},
    "client.restore": {"superadmin"},
    "case.write": {"superadmin", "admin"},
    "import": {"superadmin", "admin"},
    "audit.read": {"superadmin", "admin"},
    "user.manage": {"superadmin"},
    "settings.write": {"superadmin"},
}


def role_of(con: duckdb.DuckDBPyConnection, username: str) -> str | None:
    """Return the user's role, or None for an unknown or inactive user (read-only)."""
    # fetchall, not fetchone: DuckDB 2.0 keeps a half-read result open and then refuses
    # to register a DataFrame on the same connection (as imports do).
    rows = con.execute(
        "SELECT role FROM users WHERE username = ? AND active", [username]
    ).fetchall()
    return rows[0][0] if rows else None


def can(role: str | None, action: str) -> bool:
    return role in _ALLOWED[action]


def check(role: str | None, username: str, action: str) -> None:
    """Raise PermissionDenied unless `role` allows `action` (for callers that already know the role)."""
    if not can(role, action):
        allowed = [name for name in ROLES if name in _ALLOWED[action]]
        raise PermissionDenied(user=username, role=role or t("role.none"), action=t(f"action.{action}"),
                               allowed=f" {t('or')} ".join(allowed))


def require(con: duckdb.DuckDBPyConnection, username: str, action: str) -> str:
    """Raise PermissionDenied unless `username` may do `action`; return the role."""
    role = role_of(con, username)
    check(role, username, action)
    return role
