"""The one statement that counts the orders against an offender's cluster, and how many were breached.

Restricted cases appear in no flag outside oversight (DESIGN §10): orders linked to one are not
counted. Written by hand (core.sql_reads, ADR 0018) because every case view asks it: on its own
(``orders.selectors.order_counts_for_offender``) and inside the case's facts (``cases.case_reads``).
It has no imports, so that the cases app can use it without importing the orders app.
"""

# One row, columns ``orders`` and ``breached``; parameters: the offender's cluster id, then True.
OFFENDER_ORDERS_SQL = """
    SELECT COUNT(o.id) AS orders,
           COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM orders_breach b WHERE b.order_id = o.id) THEN 1 ELSE 0 END), 0) AS breached
    FROM orders_order o JOIN people_person op ON op.id = o.offender_id
    WHERE op.cluster_id = %s AND NOT EXISTS (
      SELECT 1 FROM orders_ordercase l JOIN cases_case rc ON rc.id = l.case_id WHERE l.order_id = o.id AND rc.restricted = %s
    )
"""
