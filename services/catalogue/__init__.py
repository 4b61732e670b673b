"""Catalogue: providers, their API keys, courses and offerings; the source of truth."""
