"""Vendors: the register of suppliers, vendor-scoped obligations and the requests they fan out into."""
