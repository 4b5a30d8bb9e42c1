import { randomBytes } from "node:crypto";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { runMigrations as runWorkerMigrations } from "graphile-worker";
import { describe, expect, inject, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { migrateDatabase } from "../../src/db/migrate.ts";
import { adminQuery, withDatabase } from "../global-setup.ts";
import { migrationsBefore } from "../helpers/migrations-before.ts";

/**
 * The migration that gives invoice_lines and subscription_items their parent's organization_id (the
 * distribution key, docs/scaling.md "Past one PostgreSQL"), run on a database that already holds lines
 * and items of two organizations: each row gets its parent's organization, the column becomes NOT NULL
 * and part of the primary key, and filling it changes no entitlement (no version bump, no event).
 */
describe("the migration that keys invoice lines and subscription items by organization", () => {
  it("fills organization_id from the parent on a database holding rows", async () => {
    // The migrations before this one, in a folder of their own.
    const before = await migrationsBefore("_organization_keys");
    const serverUrl = inject("serverUrl");
    const name = `abono_m_${randomBytes(6).toString("hex")}`;
    await adminQuery(serverUrl, `create database ${name}`);
    const database = openDatabase({ connectionString: withDatabase(serverUrl, name) });
    const query = (text: string, values: unknown[] = []) => database.pool.query(text, values);
    try {
      await migrate(database.db, { migrationsFolder: before.folder });
      // The job queue the events' triggers enqueue to.
      await runWorkerMigrations({ pgPool: database.pool });
      const at = "2026-03-01T00:00:00Z";
      for (const org of ["org-a", "org-b"]) {
        await query(
          `insert into organizations (id, name, billing_anchor, status, identity_group, provisioning_status,
                                      provisioning_started_at, created_at, updated_at)
           values ($1, $1, 'subscription', 'active', $1, 'active', $2, $2, $2)`,
          [org, at],
        );
        await query(
          `insert into organization_entitlements (organization_id, plan_id, status, source, updated_at)
           values ($1, 'plus', 'active', 'subscription', $2)`,
          [org, at],
        );
        await query(
          `insert into subscriptions (id, organization_id, plan_id, plan_version, interval, currency, status,
                                      anchor_at, current_period_start, current_period_end, created_at, updated_at)
           values ($1, $2, 'plus', 1, 'month', 'USD', 'active', $3, $3, $3::timestamptz + interval '1 month', $3, $3)`,
          [`sub-${org}`, org, at],
        );
        for (const addon of ["seat", "analytics"]) {
          await query(
            `insert into subscription_items (subscription_id, addon_id, addon_version, quantity, created_at, updated_at)
             values ($1, $2, 1, 2, $3, $3)`,
            [`sub-${org}`, addon, at],
          );
        }
        for (const invoice of [1, 2]) {
          await query(
            `insert into invoices (id, organization_id, subscription_id, kind, status, billing_reason, currency,
                                   locale, subtotal, discount, total, balance_applied, credited_to_balance,
                                   amount_due, amount_paid, created_at)
             values ($1, $2, $3, 'subscription', 'paid', 'subscription_cycle', 'USD', 'en',
                     5000, 0, 5000, 0, 0, 5000, 5000, $4)`,
            [`inv-${org}-${invoice}`, org, `sub-${org}`, at],
          );
          for (const position of [0, 1]) {
            await query(
              `insert into invoice_lines (invoice_id, position, kind, description, amount, proration)
               values ($1, $2, 'plan', 'Plus (monthly)', 2500, false)`,
              [`inv-${org}-${invoice}`, position],
            );
          }
        }
      }
      const entitlementState = async () => ({
        versions: (
          await query(
            "select organization_id, version::int from entitlement_versions order by organization_id",
          )
        ).rows,
        events: (await query("select type, organization_id from events order by id")).rows,
      });
      const stateBefore = await entitlementState();
      expect(stateBefore.versions).toHaveLength(2);

      await migrateDatabase(database);

      const { rows: lines } = await query(
        "select invoice_id, position, organization_id from invoice_lines order by invoice_id, position",
      );
      expect(lines).toEqual(
        ["org-a", "org-b"].flatMap((org) =>
          [1, 2].flatMap((invoice) =>
            [0, 1].map((position) => ({
              invoice_id: `inv-${org}-${invoice}`,
              position,
              organization_id: org,
            })),
          ),
        ),
      );
      const { rows: items } = await query(
        "select subscription_id, addon_id, organization_id from subscription_items order by subscription_id, addon_id",
      );
      expect(items).toEqual(
        ["org-a", "org-b"].flatMap((org) =>
          ["analytics", "seat"].map((addon) => ({
            subscription_id: `sub-${org}`,
            addon_id: addon,
            organization_id: org,
          })),
        ),
      );
      // Filling the key is no entitlement change.
      expect(await entitlementState()).toEqual(stateBefore);

      // The key is required and part of each primary key.
      const { rows: keys } = await query(
        `select c.relname as table, a.attnotnull as required,
                exists (select 1 from pg_index x where x.indrelid = c.oid and x.indisprimary
                           and a.attnum = any(x.indkey)) as in_primary_key
           from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'organization_id'
          where c.relname in ('invoice_lines', 'subscription_items') order by c.relname`,
      );
      expect(keys).toEqual([
        { table: "invoice_lines", required: true, in_primary_key: true },
        { table: "subscription_items", required: true, in_primary_key: true },
      ]);
      await expect(
        query(
          `insert into invoice_lines (invoice_id, position, kind, description, amount, proration)
           values ('inv-org-a-1', 2, 'plan', 'Plus (monthly)', 2500, false)`,
        ),
      ).rejects.toThrow(/organization_id/);

      // An item's change still bumps its organization's version and publishes entitlement.updated, now
      // read from the item's own key.
      await query(
        "update subscription_items set quantity = 3 where subscription_id = 'sub-org-b' and addon_id = 'seat'",
      );
      const after = await entitlementState();
      expect(after.versions).toEqual(
        stateBefore.versions.map((row) =>
          row.organization_id === "org-b" ? { ...row, version: row.version + 1 } : row,
        ),
      );
      expect(after.events.slice(stateBefore.events.length)).toEqual([
        { type: "entitlement.updated", organization_id: "org-b" },
      ]);
    } finally {
      await database.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
      await before.remove();
    }
  });
});
