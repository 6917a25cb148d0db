"""casetrack_nb: clients, cases and client importance for Latin American law firms.

    >>> import casetrack_nb as ct
    >>> db = ct.open_database("data/casetrack.duckdb", user="socia")
    >>> ct.list_clients(db, search="nunez").rows
"""

from .cases import (
    CaseFilter,
    add_case,
    client_cases,
    export_cases,
    facet_values,
    get_case,
    link_case,
    search_cases,
    set_case_status,
    update_case,
)
from .clients import (
    add_client,
    client_choices,
    client_counts,
    delete_client,
    get_client,
    list_clients,
    restore_client,
    update_client,
)
from .errors import (
    CaseNotFound,
    CasetrackError,
    ClientHasCases,
    ClientNotFound,
    ConfirmationRequired,
    Conflict,
    DatabaseBusy,
    DatabaseError,
    DuplicateTaxId,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from .i18n import set_language
from .identifiers import format_tax_id, parse_tax_id
from .importance import (
    ImportanceFilter,
    amounts_by_client,
    client_importance,
    group_importance,
    importance_table,
    monthly_intake,
    portfolio_concentration,
    ranking_xlsx,
)
from .portfolio import portfolio_summary
from .scoring import ScoreWeights, importance_score
from .settings import get_settings, set_setting
from .store import Database, current_username, open_database
from .users import add_user, current_role, list_users, set_role

__all__ = [
    "CaseFilter", "CaseNotFound", "CasetrackError", "ClientHasCases", "ClientNotFound", "ConfirmationRequired",
    "Conflict", "Database", "DatabaseBusy", "DatabaseError", "DuplicateTaxId", "NotFound", "PermissionDenied",
    "ValidationError", "add_case", "add_client", "add_user", "client_cases", "client_choices", "client_counts",
    "current_role", "current_username", "delete_client", "export_cases", "facet_values", "format_tax_id",
    "get_case", "get_client", "get_settings", "link_case", "list_clients", "list_users", "open_database",
    "parse_tax_id", "portfolio_summary", "restore_client", "search_cases", "set_case_status", "set_language",
    "set_role", "set_setting", "update_case", "update_client",
    "ImportanceFilter", "ScoreWeights", "amounts_by_client", "client_importance", "group_importance",
    "importance_score", "importance_table", "monthly_intake", "portfolio_concentration", "ranking_xlsx",
]
