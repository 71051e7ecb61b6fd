"""The ledger per order: entries, balances, deposit state (pure Python)."""
