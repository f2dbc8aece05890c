"""Selectors of the beneficiaries app (see ../shared/ARCHITECTURE.md)."""
