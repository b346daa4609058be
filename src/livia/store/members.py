"""Member rows."""

from __future__ import annotations

from livia.domain.members import Member
from livia.store.records import Records
from livia.store.tables import members as table

records = Records(table, Member)
