"""Intake: people's requests to be called back, and the advisors who handle them."""
