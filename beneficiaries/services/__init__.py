"""Services of the case file: every change goes through one of these modules.

``persons`` (person, household, duplicates, restriction), ``cases`` (intake, case,
assignments, diary, referrals, consent), ``ecomap`` (ties, snapshots, assessments),
``gdpr`` (export, anonymisation), ``imports`` (CSV/XLSX import of existing case lists).
"""
