"""On PostgreSQL, the database itself refuses to delete an ARK or to rewrite its history.

Application code already cannot (``PROTECT``, querysets that refuse ``delete``); these triggers
also stop a stray ``DELETE`` typed into psql. SQLite, the embedded default, relies on the former.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION pidsvc_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER arks_ark_never_deleted BEFORE DELETE ON arks_ark
    FOR EACH ROW EXECUTE FUNCTION pidsvc_refuse('ARKs are never deleted; withdraw them instead');
CREATE TRIGGER arks_arkevent_append_only BEFORE UPDATE OR DELETE ON arks_arkevent
    FOR EACH ROW EXECUTE FUNCTION pidsvc_refuse('ARK history is append-only');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS arks_arkevent_append_only ON arks_arkevent;
DROP TRIGGER IF EXISTS arks_ark_never_deleted ON arks_ark;
DROP FUNCTION IF EXISTS pidsvc_refuse();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("arks", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
