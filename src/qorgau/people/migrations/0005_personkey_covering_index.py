"""The blocking keys' index carries the record's id (people.registry.probe_ids reads the index alone).

The new index is built before the old ones (the plain and the pattern index Django made for
``db_index``) are dropped, so the registry is never probed without an index on its keys."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0004_retention"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="personkey",
            index=models.Index(fields=["bidx"], include=("person_id",), name="personkey_bidx_person_idx"),
        ),
        migrations.AlterField(
            model_name="personkey",
            name="bidx",
            field=models.CharField(max_length=64),
        ),
    ]
