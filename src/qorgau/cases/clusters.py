"""Cases by person cluster, answered through indexes.

A person's records form a cluster (people.models.Person.cluster_id). "The cases of this cluster" reads
naturally as ``Q(victim__cluster_id=c) | Q(offender__cluster_id=c)``, but that joins ``people_person``
twice under an OR, and PostgreSQL can only answer it by scanning every case: at national scale (a
million cases) a case page spent seconds there. Here the cluster's few record ids are read first
(index on ``cluster_id``), and the cases are filtered on their own ``victim_id``/``offender_id``
columns (one index each, combined by a bitmap OR). docs/query-discipline.md has the plans.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from qorgau.people.models import Person


def cluster_members(clusters: Iterable[int | None]) -> list[int]:
    """The ids of the person records in these clusters (a handful each)."""
    wanted = sorted({c for c in clusters if c is not None})
    return list(Person.objects.filter(cluster_id__in=wanted).values_list("pk", flat=True)) if wanted else []


def cases_of_clusters(victims: Iterable[int | None] = (), offenders: Iterable[int | None] = (), *, either: Iterable[int | None] = ()) -> Q:
    """Cases whose victim is in one of ``victims``' clusters, or whose offender is in one of
    ``offenders``', or where a person of the ``either`` clusters is victim or offender."""
    both = list(either)
    return Q(victim_id__in=cluster_members([*victims, *both])) | Q(offender_id__in=cluster_members([*offenders, *both]))
