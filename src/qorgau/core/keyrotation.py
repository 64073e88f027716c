"""Re-encrypt every personal field under the active key (``qorgau rotate-keys``).

Rows are read and written with plain SQL so the command sees the stored tokens, not the decrypted
values, and only rewrites what an old key sealed. It is safe to run twice and safe to interrupt, and
safe while the application writes: a value is replaced only if it is still the token that was read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from qorgau.core import crypto
from qorgau.core.fields import encrypted_fields

BATCH = 500


@dataclass
class RotationReport:
    examined: int = 0
    rewritten: int = 0
    # Values rewritten by the application between the rotation's read and its write (left as written).
    overtaken: int = 0


def rotate_field_keys(*, batch: int = BATCH) -> RotationReport:
    report = RotationReport()
    qn = connection.ops.quote_name
    for model, field in encrypted_fields():
        table, column, pk = qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cur:
                where = f"{column} IS NOT NULL" + (f" AND {pk} > %s" if last is not None else "")
                cur.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
                    ([last] if last is not None else []) + [batch],
                )
                rows = cur.fetchall()
                for row_pk, token in rows:
                    report.examined += 1
                    if crypto.needs_rotation(token):
                        plain = crypto.decrypt(token, context=field.crypto_context)
                        # Only if the value is still the one read: a write that landed in between
                        # (under the active key already) must not be replaced by the older value.
                        cur.execute(
                            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                            [crypto.encrypt(plain, context=field.crypto_context), row_pk, token],
                        )
                        if cur.rowcount == 1:
                            report.rewritten += 1
                        else:
                            report.overtaken += 1
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return report


def stale_key_count() -> int:
    """How many stored values still sit under a key that is not the active one."""
    qn = connection.ops.quote_name
    count = 0
    for model, field in encrypted_fields():
        with connection.cursor() as cur:
            cur.execute(f"SELECT {qn(field.column)} FROM {qn(model._meta.db_table)} WHERE {qn(field.column)} IS NOT NULL")  # noqa: S608
            count += sum(1 for (token,) in cur.fetchall() if crypto.needs_rotation(token))
    return count
