import type { Executor } from "../db/database.ts";
import { publishEvent } from "../events/publish-event.ts";
import type { OrganizationRecord } from "./organization-record.ts";

/**
 * `organization.updated` when the name, locale or status changed, then `organization.status_changed`
 * when the status did; nothing when nothing changed.
 */
export async function publishOrganizationChanges({
  executor,
  before,
  after,
  now,
}: {
  executor: Executor;
  before: OrganizationRecord;
  after: OrganizationRecord;
  now: Date;
}): Promise<void> {
  const changed =
    before.name !== after.name || before.locale !== after.locale || before.status !== after.status;
  if (!changed) return;
  await publishEvent({
    executor,
    type: "organization.updated",
    organizationId: after.id,
    data: {
      organizationId: after.id,
      name: after.name,
      status: after.status,
      currency: after.currency,
      locale: after.locale,
    },
    previous: { name: before.name, locale: before.locale, status: before.status },
    now,
  });
  if (before.status === after.status) return;
  await publishEvent({
    executor,
    type: "organization.status_changed",
    organizationId: after.id,
    data: { organizationId: after.id, status: after.status, isActive: after.status === "active" },
    previous: { status: before.status, isActive: before.status === "active" },
    now,
  });
}
