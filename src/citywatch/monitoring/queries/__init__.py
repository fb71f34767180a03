"""Read paths of the monitoring hub; every one starts from ``restrict(user, action)`` or
``core.access.get_for``. One module per part: ``stations`` (the registry and the stations' state),
``sources`` (feed health)."""
