"""Dashboards, exports and the de-identified analytics extract."""
