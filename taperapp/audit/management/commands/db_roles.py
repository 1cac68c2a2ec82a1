"""Least-privilege PostgreSQL roles: the owner (runs migrations, owns the tables) and the app
(what web and workers connect as). Run it as a superuser or the owner after every migrate:
it is idempotent, and new tables need their grants.

The app role can read and write the clinical tables but owns nothing, so it cannot disable a
trigger, and it has no TRUNCATE anywhere and no UPDATE or DELETE on the audit log, the alert
event log or any history table: what the app wrote there stays, even if the app is compromised.
"""

from __future__ import annotations

import os

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from pghistory.models import Event
from psycopg import sql

from symptoms.models import AlertEvent
from taperapp.audit.models import AuditEvent


def append_only_tables() -> list[str]:
    """The audit log, the alerts' event log and every pghistory event table."""

    tables = {AuditEvent._meta.db_table, AlertEvent._meta.db_table}
    for model in apps.get_models():
        if issubclass(model, Event) and not model._meta.abstract and model._meta.managed:
            tables.add(model._meta.db_table)
    return sorted(tables)


def statements(*, app: str, owner: str, database: str, password: str | None) -> list:
    app_id, owner_id = sql.Identifier(app), sql.Identifier(owner)
    create = sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
        "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF; END $$"
    )
    result = [create.format(name=sql.Literal(app), role=app_id)]
    if password:
        result.append(sql.SQL("ALTER ROLE {} PASSWORD {}").format(app_id, sql.Literal(password)))
    result += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), app_id),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(app_id),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            app_id
        ),
        sql.SQL(
            "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}"
        ).format(app_id),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app_id),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(owner_id, app_id),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(owner_id, app_id),
    ]
    # Who made each history row (pghistory upserts it: UPDATE stays) and the admin's own log:
    # never removed by the app.
    for table in ("pghistory_context", "django_admin_log"):
        result.append(
            sql.SQL("REVOKE DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), app_id)
        )
    for table in append_only_tables():
        result.append(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.Identifier(table), app_id
            )
        )
    return result


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--app", default="taperapp_app", help="the app's role (created)")
        parser.add_argument(
            "--owner",
            help="the role that owns the tables (runs migrate); default: the connected role",
        )
        parser.add_argument(
            "--app-password-env",
            help="name of an environment variable holding the app role's password",
        )
        parser.add_argument("--print", action="store_true", help="print the SQL, run nothing")

    def handle(self, *args, app, owner, app_password_env, print: bool, **options):

        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter: set DATABASE_URL.")
        password = os.environ.get(app_password_env) if app_password_env else None
        with connection.cursor() as cursor:
            owner = owner or connection.get_connection_params()["user"]
            database = connection.settings_dict["NAME"]
            for statement in statements(app=app, owner=owner, database=database, password=password):
                text = statement.as_string(cursor.connection)
                if print:
                    self.stdout.write(("-- password set\n" if "PASSWORD" in text else text) + ";")
                else:
                    cursor.execute(statement)
        if not print:
            self.stdout.write(
                f"Role {app}: reads and writes {database}; owns nothing; no TRUNCATE; no UPDATE "
                f"or DELETE on {len(append_only_tables())} audit and history tables."
            )
