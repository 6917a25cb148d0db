"""The exceptions a caller of casetrack_nb can expect.

Every error carries a message key and its parameters, so `str(error)` renders in the
language selected at the time it is shown, not when it was raised.
"""

from __future__ import annotations

from .i18n import t


class CasetrackError(Exception):
    """Base class for every error the package raises on purpose."""

    key = "db.error"

    def __init__(self, key: str | None = None, /, **params: object) -> None:
        self.key = key or self.key
        self.params = params
        super().__init__(self.key)

    @property
    def message(self) -> str:
        return t(self.key, **self.params)

    def __str__(self) -> str:
        return self.message


class DatabaseBusy(CasetrackError):
    """Another process held the database file's lock for longer than the retry window."""

    key = "db.busy"


class DatabaseError(CasetrackError):
    """DuckDB failed for a reason other than the file lock."""

    key = "db.error"


class PermissionDenied(CasetrackError):
    """The acting user's role does not allow the action."""

    key = "perm.denied"


class NotFound(CasetrackError):
    """The requested record does not exist (or is deleted)."""


class ClientNotFound(NotFound):
    key = "client.not_found"


class CaseNotFound(NotFound):
    key = "case.not_found"


class UserNotFound(NotFound):
    key = "user.not_found"


class ValidationError(CasetrackError):
    """One or more fields are invalid; `errors` maps each field to its message."""

    key = "val.invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(self.key, details=" ".join(self.errors.values()))

    @property
    def message(self) -> str:
        return " ".join(self.errors.values())


class ConfirmationRequired(CasetrackError):
    """The save is possible but has warnings the user must confirm first.

    `warnings` maps a field to its message; call again with `confirm=True` to save.
    """

    key = "confirm.required"

    def __init__(self, warnings: dict[str, str]) -> None:
        self.warnings = dict(warnings)
        super().__init__(self.key, details=" ".join(self.warnings.values()))

    @property
    def message(self) -> str:
        return " ".join(self.warnings.values())


class Conflict(CasetrackError):
    """Someone else saved the record after the caller read it."""


class DuplicateTaxId(ValidationError):
    """The tax id already belongs to another live client."""

    def __init__(self, message: str, *, other_id: int) -> None:
        self.other_id = other_id
        super().__init__({"tax_id": message})


class ClientHasCases(CasetrackError):
    """A client with linked cases cannot be deleted."""

    key = "client.has_cases"


class InvalidOperation(CasetrackError):
    """The request does not apply to the record's current state."""
