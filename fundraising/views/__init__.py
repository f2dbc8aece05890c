"""Pages of the fundraising app."""
