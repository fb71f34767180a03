"""Importers of the monitoring hub (registered with ``citywatch.core.importing``): stations
(``citywatch import stations FILE…``)."""

from citywatch.monitoring.importers import stations  # noqa: F401  (registers the importer)
