# No `from __future__ import annotations`: ninja must see the real schema classes of the routes it builds.
"""The write routes of a registry, declared once: ``POST <path>`` creates a record and ``PATCH <path>{pk}``
changes the fields its body sends. Resources (every kind), monitoring sources and stations declare theirs
through ``write_routes``; what differs is the record's ``write`` (check the body, refuse every problem
with ``errors.invalid_record``, save, answer the stored record) and how the record to change is fetched.
"""

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from citywatch.core import access


def write_routes(
    router: Router,
    path: str,
    *,
    name: str,
    model,
    schema_in,
    schema_out,
    write,
    fetch,
    create_summary: str,
    update_summary: str,
) -> None:
    """Add to ``router``: ``POST path`` (operation ``create_<name>``, the model's add permission, 201) and
    ``PATCH path{int:pk}`` (``update_<name>``; ``fetch(user, pk, "change")`` finds the record or refuses).
    Both answer ``write(request, payload, instance=None)``."""

    @router.post(path, response={201: schema_out}, operation_id=f"create_{name}", summary=create_summary)
    def create(request: HttpRequest, payload: schema_in):
        access.require(request.user, model, "add")
        return Status(201, write(request, payload))

    @router.patch(
        f"{path}{{int:pk}}", response=schema_out, operation_id=f"update_{name}", summary=update_summary
    )
    def update(request: HttpRequest, pk: int, payload: schema_in):
        return write(request, payload, fetch(request.user, pk, "change"))
