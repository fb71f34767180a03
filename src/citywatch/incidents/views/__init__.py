"""Pages of incident command: ``incidents`` (the list, the report form, the one-map, the team leader's
phone page) and ``duty`` (the duty screen, the roster and handover forms, a shift's page).

Reads go through ``queries`` (jurisdiction applied; ``core.access`` for what the user may see and do);
every change goes through ``actions`` (the one-map's buttons call the JSON API, which does the same).
"""
