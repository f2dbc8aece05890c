"""Pages of the Wel(l)fare LAB: the survey builder (``builder``), answering by invitation
(``answer``), results and exports (``results``), the observatory (``observatory``)."""
