"""The gateway's routes, one module per area of the public API; ``services/gateway/service.py``
composes them into one nameko service."""
