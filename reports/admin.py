"""Admin of the reports app (see ../shared/ARCHITECTURE.md)."""
