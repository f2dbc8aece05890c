"""Tasks of the fundraising app (see ../shared/ARCHITECTURE.md)."""
