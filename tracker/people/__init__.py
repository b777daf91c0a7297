"""People: teams, users, memberships, sign-in and its throttle."""
