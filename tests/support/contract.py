"""Every API answer the suite receives is checked against the OpenAPI document, as it arrives.

``check_response(method, path, response)`` finds the operation the request reached (the document's path
templates, e.g. ``/api/v1/incidents/{pk}``), takes the JSON schema the operation declares for the status
(any 4xx/5xx answer is checked against the one error body), and validates the body with JSON Schema 2020-12
(what OpenAPI 3.1 uses); a file must be of a content type the operation declares for the status. A 2xx
status the operation does not declare, or a body that does not match, fails the test that made the
request: the contract cannot drift from the code. ``install()`` wraps the test client so that every test
checks what it receives without asking.
"""

from __future__ import annotations

import functools
import json
import re

from jsonschema import Draft202012Validator

API_PREFIX = "/api/v1"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
        }
    },
}


class ContractError(AssertionError):
    pass


@functools.cache
def document() -> dict:
    from citywatch.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=API_PREFIX)))


@functools.cache
def _routes() -> list[tuple[re.Pattern, str, dict]]:
    routes = []
    for template, item in document()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        routes.append((re.compile(f"^{pattern}$"), template, item))
    # Literal segments before parameters: /incidents/overdue-reports before /incidents/{pk}.
    routes.sort(key=lambda r: (r[1].count("{"), -len(r[1])))
    return routes


def operation(method: str, path: str) -> tuple[str, dict] | None:
    for pattern, template, item in _routes():
        if pattern.match(path) and method.lower() in item:
            return template, item[method.lower()]
    return None


@functools.cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    return Draft202012Validator({**schema, "components": document().get("components", {})})


def _validate(schema: dict, body, where: str) -> None:
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        at = "/".join(str(p) for p in first.absolute_path) or "(the body)"
        raise ContractError(
            f"{where}: the answer does not match the OpenAPI document at {at}: {first.message}"
        )


def check_response(method: str, path: str, response) -> None:
    """Fail unless ``response`` (to ``method path``) is what the OpenAPI document says it answers."""
    if not path.startswith(API_PREFIX + "/") or path.startswith(API_PREFIX + "/docs"):
        return
    if path == API_PREFIX + "/openapi.json":
        return
    status = response.status_code
    content_type = response.get("Content-Type", "")
    where = f"{method} {path} → {status}"
    found = operation(method, path)
    if status >= 400:
        if content_type.startswith("application/json"):
            _validate(ERROR_SCHEMA, json.loads(response.content), where)
            return
        raise ContractError(f"{where}: an API failure must answer the JSON error body, not {content_type!r}")
    if found is None:
        raise ContractError(f"{where}: no operation in the OpenAPI document answers this path and method")
    template, op = found
    declared = op.get("responses", {})
    spec = declared.get(str(status))
    if spec is None:
        raise ContractError(
            f"{where}: {template} does not declare status {status} (declares {sorted(declared)})"
        )
    content = spec.get("content") or {}
    if not content:
        return  # no body declared (a 204, or a file route that declares none)
    media = content_type.split(";")[0].strip()
    if media != "application/json":
        if media not in content:
            raise ContractError(f"{where}: declared {sorted(content)}, answered {content_type!r}")
        return  # a file (CSV, XLSX, PDF, …) of a declared type
    if "application/json" not in content:
        raise ContractError(f"{where}: declared {sorted(content)}, answered JSON")
    _validate(content["application/json"].get("schema", {}), json.loads(response.content), where)


_installed = False


def install() -> None:
    """Check every answer the Django test client receives under /api/v1/."""
    global _installed
    if _installed:
        return
    from django.test.client import Client

    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        if getattr(response, "streaming", False):
            return response
        check_response(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""), response)
        return response

    Client.request = request
    _installed = True
