"""Services of the core: every change to core state goes through one of these functions.

``territory`` changes ambiti and comuni; ``users`` changes accounts and sessions.
"""

from legami.services.territory import (
    DEFAULT_AMBITI,
    DefaultAmbito,
    ImportResult,
    Problem,
    TerritoryImportError,
    ambiti_ensure_default,
    ambito_update,
    comune_set_ambito,
    comuni_assign_ambiti,
    comuni_import_from_codicefiscale,
    comuni_import_from_istat_csv,
    comuni_move_to_ambito,
    territory_load_default,
)
from legami.services.users import (
    user_deactivate,
    user_reactivate,
    user_session_end,
    user_session_rekey,
    user_session_start,
    user_sessions_end_all,
    user_sessions_prune,
    user_update,
)

__all__ = [
    "DEFAULT_AMBITI",
    "DefaultAmbito",
    "ImportResult",
    "Problem",
    "TerritoryImportError",
    "ambiti_ensure_default",
    "ambito_update",
    "comuni_assign_ambiti",
    "comuni_import_from_codicefiscale",
    "comuni_import_from_istat_csv",
    "comune_set_ambito",
    "comuni_move_to_ambito",
    "territory_load_default",
    "user_deactivate",
    "user_reactivate",
    "user_session_end",
    "user_session_rekey",
    "user_session_start",
    "user_sessions_end_all",
    "user_sessions_prune",
    "user_update",
]
