"""Models of the pacts app (see ../shared/ARCHITECTURE.md)."""
