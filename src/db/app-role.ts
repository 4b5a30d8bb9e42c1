import pg from "pg";

/**
 * The service runs its queries as a role that neither owns the tables nor is a superuser, so a stolen
 * connection (or an injected query) cannot rewrite history: it has INSERT and SELECT only on the
 * append-only tables and cannot disable triggers (`session_replication_role` needs a superuser,
 * `ALTER TABLE … DISABLE TRIGGER` the owner). Migrations run as the owner, which then grants this.
 */

/** Tables the service may append to and read, never change: UPDATE, DELETE and TRUNCATE are withheld. */
const appendOnlyTables = ["audit_logs", "balance_transactions"];
/** Written only by the chain trigger, which runs as the owner: the service may only read it. */
const readOnlyTables = ["audit_chain"];

/**
 * Grants the service's role what it needs after a migration, as the owner. Safe to repeat (every start
 * re-applies it, so tables added by later migrations are covered). CREATE on the database lets it make
 * tenant schemas (ABONO_TENANT_SCHEMAS).
 */
export async function grantAppRole({
  client,
  role,
}: {
  client: pg.ClientBase;
  role: string;
}): Promise<void> {
  const who = client.escapeIdentifier(role);
  const database = (await client.query<{ name: string }>("select current_database() as name"))
    .rows[0]?.name;
  if (!database) throw new Error("No current database");
  const list = (tables: string[]) =>
    tables.map((table) => client.escapeIdentifier(table)).join(", ");
  await client.query(`
    grant connect, create on database ${client.escapeIdentifier(database)} to ${who};
    grant usage on schema public to ${who};
    grant select, insert, update, delete on all tables in schema public to ${who};
    revoke update, delete, truncate, references, trigger on ${list(appendOnlyTables)} from ${who};
    revoke insert, update, delete, truncate, references, trigger on ${list(readOnlyTables)} from ${who};
    grant usage, select, update on all sequences in schema public to ${who};
    grant execute on function abono_drop_usage_partition(text) to ${who};
    grant usage on schema graphile_worker to ${who};
    grant select, insert, update, delete on all tables in schema graphile_worker to ${who};
    grant usage, select, update on all sequences in schema graphile_worker to ${who};
    grant execute on all functions in schema graphile_worker to ${who};
  `);
  // graphile-worker turns row-level security on for its tables (no policy: only the owner sees rows).
  // A policy per table lets the service role through. Created only when missing: dropping or altering a
  // policy locks the table, which a busy worker would feel at every start.
  const { rows } = await client.query<{ name: string; covered: boolean }>(
    `select c.relname as name,
            exists (select 1 from pg_policies p
                     where p.schemaname = n.nspname and p.tablename = c.relname
                       and p.policyname = 'abono_service' and $1 = any(p.roles)) as covered
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'graphile_worker' and c.relkind in ('r', 'p') and c.relrowsecurity`,
    [role],
  );
  for (const { name, covered } of rows) {
    if (covered) continue;
    const table = `graphile_worker.${client.escapeIdentifier(name)}`;
    await client.query(`drop policy if exists abono_service on ${table}`);
    await client.query(
      `create policy abono_service on ${table} for all to ${who} using (true) with check (true)`,
    );
  }
}

export interface RoleDescription {
  name: string;
  superuser: boolean;
  /** Whether it owns (or is a member of the owner of) audit_logs; null before the table exists. */
  ownsTables: boolean | null;
}

/** Who a connection runs as, to warn when that role could rewrite the audit trail. */
export async function describeRole(client: pg.ClientBase | pg.Pool): Promise<RoleDescription> {
  const { rows } = await client.query<{ name: string; superuser: boolean; owns: boolean | null }>(`
    select current_user as name,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           (select pg_has_role(current_user, c.relowner, 'USAGE')
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relname = 'audit_logs') as owns`);
  const row = rows[0];
  if (!row) throw new Error("Could not read the current role");
  return { name: row.name, superuser: row.superuser, ownsTables: row.owns };
}

/** The role a connection string logs in as, read from the server. */
export async function currentRole(connectionString: string): Promise<string> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("select current_user as name");
    return rows[0]?.name ?? "";
  } finally {
    await client.end();
  }
}

/**
 * Creates (or updates the password of) a login role with no special attributes. Used for the embedded
 * database's service role; as a superuser.
 */
export async function ensureLoginRole({
  adminUrl,
  role,
  password,
}: {
  adminUrl: string;
  role: string;
  password: string;
}): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query("begin");
  try {
    const who = client.escapeIdentifier(role);
    const secret = client.escapeLiteral(password);
    // Two processes starting at once would otherwise race on the role's catalog row.
    await client.query("select pg_advisory_xact_lock(hashtext('abono.app_role'))");
    const found = await client.query("select 1 from pg_roles where rolname = $1", [role]);
    if (found.rowCount === 0) {
      await client.query(
        `create role ${who} login nosuperuser nocreatedb nocreaterole noreplication password ${secret}`,
      );
    } else {
      await client.query(`alter role ${who} login password ${secret}`);
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
