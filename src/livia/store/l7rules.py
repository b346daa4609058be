"""L7 rule rows."""

from __future__ import annotations

from livia.domain.l7rules import L7Rule
from livia.store.records import Records
from livia.store.tables import l7rules as table

records = Records(table, L7Rule)
