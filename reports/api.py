"""Api of the reports app (see ../shared/ARCHITECTURE.md)."""
