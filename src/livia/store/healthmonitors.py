"""Health monitor rows."""

from __future__ import annotations

from livia.domain.healthmonitors import HealthMonitor
from livia.store.records import Records
from livia.store.tables import healthmonitors as table

records = Records(table, HealthMonitor)
