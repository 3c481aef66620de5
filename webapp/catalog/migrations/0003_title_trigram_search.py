# Hand-written: typo-tolerant title search on PostgreSQL (see webapp/catalog/search.py).

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX_NAME = "movie_title_trgm"


def create_trigram_index(apps, schema_editor):
    """A GIN trigram index on the title, which ``title %> query`` uses; PostgreSQL only.

    Not declared in ``Movie.Meta.indexes``: a GIN index with an operator class has no SQLite
    equivalent, and SQLite searches through an index of its own in Python instead.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON catalog_movie USING gin (title gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_unique_upload_title_year")]

    operations = [
        # Django's TrigramExtension does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
