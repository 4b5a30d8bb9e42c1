import { eq } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { messagePreferences } from "../db/schema/index.ts";
import { getOrganizationRecord } from "../organizations/organizations.ts";

export interface MessagePreferences {
  organizationId: string;
  /** Usage at 80 % and 100 % of a limit; receipts, failed payments and the like always go. */
  nonEssentialEmails: boolean;
}

export async function getMessagePreferences({
  db,
  organizationId,
}: {
  db: Database;
  organizationId: string;
}): Promise<MessagePreferences> {
  await getOrganizationRecord({ db, organizationId });
  const [row] = await db
    .select()
    .from(messagePreferences)
    .where(eq(messagePreferences.organizationId, organizationId));
  return { organizationId, nonEssentialEmails: row?.nonEssentialEmails ?? true };
}

export async function setMessagePreferences({
  db,
  organizationId,
  nonEssentialEmails,
  now,
}: {
  db: Database;
  organizationId: string;
  nonEssentialEmails: boolean;
  now: Date;
}): Promise<MessagePreferences> {
  await getOrganizationRecord({ db, organizationId });
  await db
    .insert(messagePreferences)
    .values({ organizationId, nonEssentialEmails, updatedAt: now })
    .onConflictDoUpdate({
      target: messagePreferences.organizationId,
      set: { nonEssentialEmails, updatedAt: now },
    });
  return { organizationId, nonEssentialEmails };
}
