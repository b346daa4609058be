"""Pool rows."""

from __future__ import annotations

from livia.domain.pools import Pool
from livia.store.records import Records
from livia.store.tables import pools as table

records = Records(table, Pool)
