"""Importers of resources (registered with citywatch.core.importing)."""
