"""Selectors of the partners app (see ../shared/ARCHITECTURE.md)."""
