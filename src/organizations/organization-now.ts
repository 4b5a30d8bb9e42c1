import { eq } from "drizzle-orm";
import type { Executor } from "../db/database.ts";
import { testClocks } from "../db/schema/index.ts";

/**
 * "Now" for an organization: its test clock's frozen time when it lives on one, else the system time.
 * Read once per operation and passed down.
 */
export async function organizationNow({
  executor,
  testClockId,
  systemNow,
}: {
  executor: Executor;
  testClockId: string | null;
  systemNow: Date;
}): Promise<Date> {
  if (testClockId === null) return systemNow;
  const [clock] = await executor
    .select({ frozenTime: testClocks.frozenTime })
    .from(testClocks)
    .where(eq(testClocks.id, testClockId));
  return clock?.frozenTime ?? systemNow;
}
