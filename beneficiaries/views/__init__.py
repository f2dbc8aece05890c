"""Pages of the case file, one module per part (see ``beneficiaries/urls.py``)."""
