"""Listener rows."""

from __future__ import annotations

from livia.domain.listeners import Listener
from livia.store.records import Records
from livia.store.tables import listeners as table

records = Records(table, Listener)
