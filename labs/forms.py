"""Forms of the labs app (see ../shared/ARCHITECTURE.md)."""
