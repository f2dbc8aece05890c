"""Pages of the pacts app: the pact list, editor and page (``pages``), reviews, the
ledger, placements and reminders (``follow``), the PDF documents and the scan
(``documents``)."""
