"""Notify: delivery of e-mail, SMS and webhooks, with a delivery log."""
