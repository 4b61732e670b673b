"""The hostile-input tests use the end-to-end tests' fixtures (two regional teams with advisors)."""
from tests.e2e.conftest import teams

__all__ = ["teams"]
