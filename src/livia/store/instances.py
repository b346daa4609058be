"""Instance rows."""

from __future__ import annotations

from livia.domain.instances import Instance
from livia.store import tables
from livia.store.records import Records

records = Records(tables.instances, Instance, tagged=False)
