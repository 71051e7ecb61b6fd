"""Staff accounts domain: users, roles and the password policy (pure Python)."""
