"""Commands, queries and their handlers for customer identity."""
