import type { organizations } from "../db/schema/index.ts";

export type OrganizationRecord = typeof organizations.$inferSelect;
