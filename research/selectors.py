"""Selectors of the research app (see ../shared/ARCHITECTURE.md)."""
