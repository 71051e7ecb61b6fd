"""Staff accounts domain: users, roles, sign-in sessions and the password policy (pure Python)."""
