"""Route registrations of the shared matrix, one module per app (see ``tests/support/matrix.py``)."""
