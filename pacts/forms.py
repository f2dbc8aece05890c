"""Forms of the pacts app (see ../shared/ARCHITECTURE.md)."""
