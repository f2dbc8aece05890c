"""Selectors of the civic_center app (see ../shared/ARCHITECTURE.md)."""
