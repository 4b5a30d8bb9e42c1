import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";

const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(name: string): string {
  if (!schemaNamePattern.test(name)) throw new Error(`Unsafe schema name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export class TenantTemplateMissingError extends Error {
  constructor(template: string) {
    super(
      `The tenant template schema "${template}" does not exist; create it (tables and seed rows every tenant starts with) or set ABONO_TENANT_TEMPLATE_SCHEMA.`,
    );
    this.name = "TenantTemplateMissingError";
  }
}

/**
 * Creates a tenant's own schema as a copy of the template: every table (columns, defaults, constraints,
 * indexes, identity columns), its rows, its own sequences for serial columns, then the foreign keys
 * between the tables. One transaction: the schema appears whole or not at all.
 */
export async function createTenantSchema({
  db,
  template,
  schema,
}: {
  db: Database;
  template: string;
  schema: string;
}): Promise<void> {
  const source = identifier(template);
  const target = identifier(schema);
  await db.transaction(async (tx) => {
    const found = await tx.execute(sql`select 1 from pg_namespace where nspname = ${template}`);
    if (found.rows.length === 0) throw new TenantTemplateMissingError(template);
    const existing = await tx.execute(sql`select 1 from pg_namespace where nspname = ${schema}`);
    if (existing.rows.length > 0) return;

    await tx.execute(sql.raw(`create schema ${target}`));
    const tables = await tx.execute<{ name: string }>(
      sql`select tablename as name from pg_tables where schemaname = ${template} order by tablename`,
    );
    for (const { name } of tables.rows) {
      const table = identifier(name);
      await tx.execute(
        sql.raw(`create table ${target}.${table} (like ${source}.${table} including all)`),
      );
      await tx.execute(
        sql.raw(
          `insert into ${target}.${table} overriding system value select * from ${source}.${table}`,
        ),
      );
    }

    // Serial columns still draw from the template's sequences: give the tenant its own.
    const serials = await tx.execute<{
      table_name: string;
      column_name: string;
      sequence: string;
    }>(sql`
      select c.table_name, c.column_name, pg_get_serial_sequence(quote_ident(${template}) || '.' || quote_ident(c.table_name), c.column_name) as sequence
        from information_schema.columns c
       where c.table_schema = ${schema} and c.column_default like 'nextval(%'`);
    for (const { table_name, column_name, sequence } of serials.rows) {
      if (!sequence) continue;
      const sequenceName = `${table_name}_${column_name}_seq`.slice(0, 63);
      const table = identifier(table_name);
      const column = `"${column_name.replaceAll('"', '""')}"`;
      await tx.execute(
        sql.raw(
          `create sequence ${target}."${sequenceName}" owned by ${target}.${table}.${column}`,
        ),
      );
      await tx.execute(
        sql.raw(
          `alter table ${target}.${table} alter column ${column} set default nextval('${schema}."${sequenceName}"')`,
        ),
      );
      await tx.execute(
        sql.raw(
          `select setval('${schema}."${sequenceName}"', greatest((select coalesce(max(${column}), 0) from ${target}.${table}), 1), (select count(*) > 0 from ${target}.${table}))`,
        ),
      );
    }

    const foreignKeys = await tx.execute<{
      table_name: string;
      name: string;
      definition: string;
    }>(sql`
      select cls.relname as table_name, con.conname as name, pg_get_constraintdef(con.oid) as definition
        from pg_constraint con
        join pg_class cls on cls.oid = con.conrelid
        join pg_namespace ns on ns.oid = cls.relnamespace
       where ns.nspname = ${template} and con.contype = 'f'
       order by cls.relname, con.conname`);
    for (const { table_name, name, definition } of foreignKeys.rows) {
      const retargeted = definition.replaceAll(`REFERENCES ${template}.`, `REFERENCES ${schema}.`);
      await tx.execute(
        sql.raw(
          `alter table ${target}.${identifier(table_name)} add constraint "${name.replaceAll('"', '""')}" ${retargeted}`,
        ),
      );
    }
  });
}

export async function dropTenantSchema({
  db,
  schema,
}: {
  db: Database;
  schema: string;
}): Promise<void> {
  await db.execute(sql.raw(`drop schema if exists ${identifier(schema)} cascade`));
}
