"""Every change of the fundraising app's state (see ../shared/ARCHITECTURE.md)."""
