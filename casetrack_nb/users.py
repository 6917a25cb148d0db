"""Users and their roles. Only a superadmin manages users, except for the very first."""

from __future__ import annotations

import re

import pandas as pd

from . import audit, permissions
from .errors import CasetrackError, UserNotFound, ValidationError
from .i18n import t
from .values import FieldError, clean_text, parse_choice

_USERNAME = re.compile(r"^[\w.@-]{1,64}$")


def _check_username(username: str) -> str:
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise ValidationError({"username": t("val.username", value=username)})
    return name


def add_user(db, username: str, *, role: str, display_name: str | None = None, bootstrap: bool = False) -> dict:
    """Create a user.

    With `bootstrap=True` the call is allowed only while the database has no superadmin,
    and is how the first superadmin is created from the command line.
    """
    username = _check_username(username)
    try:
        role = parse_choice(role, field="role", label="rol", choices=permissions.ROLES)
        display_name = clean_text(display_name, field="display_name", label="nombre", max_length=200)
    except FieldError as error:
        raise ValidationError({error.field: error.message}) from None
    if role is None:
        raise ValidationError({"role": t("val.required", field="rol")})

    with db.transaction() as con:
        superadmins = con.execute("SELECT count(*) FROM users WHERE role = 'superadmin' AND active").fetchone()[0]
        if not (bootstrap and superadmins == 0):
            permissions.require(con, db.user, "user.manage")
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise CasetrackError("user.exists", username=username)
        now = audit.now()
        con.execute(
            "INSERT INTO users (username, display_name, role, active, created_at, created_by)"
            " VALUES (?, ?, ?, TRUE, ?, ?)",
            [username, display_name, role, now, db.user],
        )
        after = {"username": username, "display_name": display_name, "role": role, "active": True}
        audit.record(con, actor=db.user, action="create", entity="user", entity_id=username, before=None, after=after, at=now)
        return after


def set_role(db, username: str, role: str | None = None, *, active: bool | None = None) -> dict:
    """Change a user's role and/or active flag (superadmin only)."""
    if role is not None:
        try:
            role = parse_choice(role, field="role", label="rol", choices=permissions.ROLES)
        except FieldError as error:
            raise ValidationError({error.field: error.message}) from None
    with db.transaction() as con:
        permissions.require(con, db.user, "user.manage")
        row = con.execute("SELECT display_name, role, active FROM users WHERE username = ?", [username]).fetchone()
        if row is None:
            raise UserNotFound(username=username)
        before = {"username": username, "display_name": row[0], "role": row[1], "active": row[2]}
        after = {**before, "role": role or row[1], "active": row[2] if active is None else active}

        leaves_superadmin = before["role"] == "superadmin" and (after["role"] != "superadmin" or not after["active"])
        if leaves_superadmin:
            others = con.execute(
                "SELECT count(*) FROM users WHERE role = 'superadmin' AND active AND username <> ?", [username]
            ).fetchone()[0]
            if others == 0:
                raise CasetrackError("user.last_superadmin", username=username)

        con.execute("UPDATE users SET role = ?, active = ? WHERE username = ?", [after["role"], after["active"], username])
        audit.record(con, actor=db.user, action="update", entity="user", entity_id=username, before=before, after=after)
        return after


def list_users(db) -> pd.DataFrame:
    with db.read() as con:
        return con.execute(
            "SELECT username, display_name, role, active, created_at FROM users ORDER BY username"
        ).df()


def current_role(db) -> str | None:
    """Return the acting user's role, or None when the user is unknown (read-only)."""
    with db.read() as con:
        return permissions.role_of(con, db.user)
