"""Search: the searchable read model of published courses, built from catalogue events."""
