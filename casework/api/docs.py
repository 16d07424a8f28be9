"""The OpenAPI document and its reference page, both generated from the schemas that validate
the requests (nothing written twice, nothing loaded from a CDN)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from casework.api.web import PREFIX, spec
from casework.core.permissions import public

bp = Blueprint("api_docs", __name__, url_prefix=PREFIX)
METHODS = ("get", "post", "put", "patch", "delete")


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(spec())


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of the document, in order, with what the reference page shows."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                security = operation.get("security") or [{}]
                found.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": operation.get("summary", ""),
                        "description": operation.get("description", ""),
                        "parameters": [
                            *item.get("parameters", []),
                            *operation.get("parameters", []),
                        ],
                        "body": _schema_name(operation.get("requestBody", {})),
                        "responses": {
                            code: (answer.get("description", ""), _schema_name(answer))
                            for code, answer in operation.get("responses", {}).items()
                        },
                        "scopes": [
                            scope for entry in security for scope in entry.get("bearerAuth", [])
                        ],
                        "anchor": f"{method}-{path}".replace("/", "-")
                        .replace("{", "")
                        .replace("}", ""),
                    }
                )
    return found


def _schema_name(node: dict[str, Any]) -> str:
    for content in node.get("content", {}).values():
        reference = content.get("schema", {}).get("$ref", "")
        return reference.rsplit("/", 1)[-1]
    return ""


@bp.get("/")
@public
def reference():
    document = spec()
    return render_template(
        "api/reference.html",
        spec=document,
        operations=operations(document),
        schemas=document.get("components", {}).get("schemas", {}),
    )
