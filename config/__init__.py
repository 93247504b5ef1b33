"""Configuration every stage may import: the Settings read once at the edge (CLI, app factory)."""
