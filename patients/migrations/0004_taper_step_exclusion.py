"""Steps of one revision never overlap in time, enforced by PostgreSQL itself.

An exclusion constraint over (revision, date range) needs btree_gist for the equality on the
revision id. SQLite (the embedded run default) has no exclusion constraints; there the services
remain the guard.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE patients_taperstep ADD CONSTRAINT step_dates_do_not_overlap
    EXCLUDE USING gist (
        revision_id WITH =,
        daterange(start_date, end_date, '[]') WITH &&
    );
"""
DROP = "ALTER TABLE patients_taperstep DROP CONSTRAINT IF EXISTS step_dates_do_not_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_seed_medication_catalogue")]
    operations = [migrations.RunPython(forwards, backwards)]
