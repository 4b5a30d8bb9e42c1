import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { organizationPublicView } from "../db/schema/index.ts";
import type { OrganizationRecord } from "./organization-record.ts";

export interface PublicView {
  name: string;
  status: OrganizationRecord["status"];
  isActive: boolean;
}

/**
 * Brings the public view (`GET /v1/public/organizations/:orgId`) in step with the organization, in the
 * caller's transaction: same name and status, `isActive` exactly when the status is `active`.
 */
export async function syncPublicView({
  executor,
  organization,
  now,
}: {
  executor: Executor;
  organization: Pick<OrganizationRecord, "id" | "name" | "status">;
  now: Date;
}): Promise<PublicView | null> {
  const [view] = await executor
    .update(organizationPublicView)
    .set({
      name: organization.name,
      status: organization.status,
      isActive: organization.status === "active",
      updatedAt: now,
    })
    .where(eq(organizationPublicView.organizationId, organization.id))
    .returning({
      name: organizationPublicView.name,
      status: organizationPublicView.status,
      isActive: organizationPublicView.isActive,
    });
  return view ?? null;
}
