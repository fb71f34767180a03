"""Importers of the monitoring hub (registered with ``citywatch.core.importing``): readings
(``citywatch import observations FILE``, ``observations.py``) and stations (``citywatch import stations
FILE…``, ``stations.py``)."""

from citywatch.monitoring.importers import observations, stations  # noqa: F401  (registers the importers)
