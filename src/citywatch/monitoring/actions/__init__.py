"""The monitoring hub's write halves, one module per part (import the module you need):

``ingest`` — the one ingestion function every path uses (HTTP, MQTT, files, pull adapters, the demo);
``rejects`` — each source's refused readings, counted (bounded) for its feed health;
``rules`` — rules evaluated per batch and their editing; ``alarms`` — the alarm lifecycle;
``partitions`` — PostgreSQL partitions ahead and retention; ``stations`` / ``sources`` — the registry.
"""
