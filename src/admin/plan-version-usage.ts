import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";

/**
 * Every version of a plan with how many live subscriptions (trialing, active, past due) are on it, oldest
 * first: which customers an edit did not move (docs/backoffice.md "Plan Settings").
 */
export async function listPlanVersionUsage({
  db,
  planId,
}: {
  db: Database;
  planId: string;
}): Promise<{ version: number; subscriptions: number }[]> {
  const result = await db.execute<{ version: number; subscriptions: string }>(sql`
    select v.version, count(s.id)::text as subscriptions
      from plan_versions v
      left join subscriptions s
        on s.plan_id = v.plan_id and s.plan_version = v.version
       and s.status in ('trialing', 'active', 'past_due')
     where v.plan_id = ${planId}
     group by v.version
     order by v.version`);
  return result.rows.map((row) => ({
    version: Number(row.version),
    subscriptions: Number(row.subscriptions),
  }));
}
