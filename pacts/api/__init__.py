"""The pacts API (DRF): see pacts/api_urls.py."""
