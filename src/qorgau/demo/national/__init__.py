"""The national data set (issue 10): ``qorgau demo --scale national --years 10`` writes about
100,000 reports a year with their people, cases, risk assessments, protective orders (about 72,000 a
year), protocol tasks, shelter stays and electronic monitoring, in national proportions.

Unlike the small demo (``demo.synthetic``), which replays its few hundred reports through the
services, this writes rows in bulk — ``COPY`` on PostgreSQL, ``executemany`` on SQLite — because a
million reports through the services would take days. The rows are the ones the services would
write (encrypted fields with their column's context, blind indexes and blocking keys, numbers in the
project's format, grants to the holding unit and to the units given duties, a timeline), so search,
matching, the access gate and the case pages work on them as on any other.

The bulk rows are not audited one by one: they are synthetic history, not anyone's reading or
writing of personal data, and a million audit rows would say nothing an auditor needs. One audit
event (``import``, target ``national_history``, the seed as id, the number of reports as count, by
the demo administrator) records that the history was loaded, in the same transaction.

Modules: ``plan`` (the pairs, from the small demo's planner), ``people`` (registry rows and keys),
``cases`` (incidents, reports, cases, parties, grants, timeline), ``downstream`` (risk, orders,
tasks), ``placements``, ``monitoring``, ``tables`` (the bulk writer), ``context`` (what is read
first), ``progress`` (the bar) and ``build`` (all of it in one transaction).
"""
