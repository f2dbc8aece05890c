"""Every change to a pact: its lifecycle and contents (``pacts``), the reciprocity
ledger (``ledger``), reviews, placements and reminders (``follow``)."""
