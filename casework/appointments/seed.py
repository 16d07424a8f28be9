"""The appointment types of ``seed/appointment_types.yaml`` (a seed loader: see listeners.py)."""

from __future__ import annotations

from pathlib import Path

from casework.appointments.models import AppointmentType
from casework.reference.seed import Upserter, read_seed


def load_appointment_types(seed_dir: Path) -> tuple[int, int]:
    """``appointment_types.yaml``; what an administrator may edit is set only once."""
    upsert = Upserter(AppointmentType, "code")
    existing = set(upsert.rows)
    for position, item in enumerate(
        read_seed(seed_dir, "appointment_types.yaml", "appointment_types")
    ):
        values = {"name": item["name"], "name_en": item.get("name_en"), "position": position}
        if item["code"] not in existing:
            values["duration_minutes"] = int(item["duration_minutes"])
        upsert.put(item["code"], **values)
    return upsert.report
