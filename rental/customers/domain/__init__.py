"""Customer identity domain: the Customer, its Address and the rules (pure Python)."""
