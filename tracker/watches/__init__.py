"""Watching regulator data: providers, watches, observations and proposals.

`providers/` talks to the regulator APIs (Congress.gov, the Federal Register,
Open States) and turns their answers into `Observation`s; it imports neither
Flask nor the database. The rest of the package stores watches, turns
observations into proposals and records accepted ones through the event service.
"""
