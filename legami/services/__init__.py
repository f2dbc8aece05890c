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
    comuni_assign_ambiti,
    comuni_import_from_codicefiscale,
    comuni_import_from_istat_csv,
    comuni_move_to_ambito,
    territory_load_default,
)

__all__ = [
    "DEFAULT_AMBITI",
    "DefaultAmbito",
    "ImportResult",
    "Problem",
    "TerritoryImportError",
    "ambiti_ensure_default",
    "comuni_assign_ambiti",
    "comuni_import_from_codicefiscale",
    "comuni_import_from_istat_csv",
    "comuni_move_to_ambito",
    "territory_load_default",
]
