"""Gateway: the only HTTP face of the platform (auth, validation, OpenAPI, problem+json)."""
