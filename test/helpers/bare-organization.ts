import type { TestApp } from "./app.ts";

/**
 * An organization row and nothing else (no plan, no provisioning steps), for tests that only need an
 * organization to exist, e.g. to hold an organization-scoped API key, without a free plan in the catalog.
 */
export async function insertBareOrganization(app: TestApp, id: string): Promise<void> {
  await app.database.pool.query(
    `insert into organizations
       (id, name, billing_anchor, status, identity_group, provisioning_status, provisioning_started_at,
        created_at, updated_at)
     values ($1, $1, 'anniversary', 'active', $1, 'active', now(), now(), now())
     on conflict (id) do nothing`,
    [id],
  );
}
