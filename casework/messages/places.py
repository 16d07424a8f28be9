"""The service points as the person's messages give them: address and number to call
(``seed/message_places.yaml``, read once per process)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app


@lru_cache(maxsize=4)
def _read(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        return {}
    return yaml.safe_load(file.read_text(encoding="utf-8")) or {}


def contact_of(service_point_code: str) -> tuple[str, str]:
    """(address, phone) of a service point; the default number when it has none of its own."""
    data = _read(str(Path(current_app.config["SEED_DIR"]) / "message_places.yaml"))
    default = data.get("default") or {}
    place = (data.get("places") or {}).get(service_point_code) or {}
    return str(place.get("address") or ""), str(place.get("phone") or default.get("phone") or "")
