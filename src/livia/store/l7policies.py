"""L7 policy rows."""

from __future__ import annotations

from livia.domain.l7policies import L7Policy
from livia.store.records import Records
from livia.store.tables import l7policies as table

records = Records(table, L7Policy)
