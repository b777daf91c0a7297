"""Audit-ready reports: a team, a source or a vendor, today or as the register stood at the end of a past day.

`model` and `history` are pure (the report's values and the reconstruction of a past
state); `scopes` resolves and checks what was asked for; `assemble` reads the
database into a `Report`; `pdf` and `xlsx` render one; `files` writes one safely.
"""
