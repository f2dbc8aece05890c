"""Pages of the Civic Center: families' side (``family``), providers' and coordinators'
side (``provider``, ``coordination``)."""
