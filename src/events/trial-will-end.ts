import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { subscriptions } from "../db/schema/index.ts";
import { enqueueJobs } from "../jobs/enqueue-job.ts";
import { defineJob } from "../jobs/job.ts";
import { enqueueBatchSize, queueForScope, type ScheduledTask } from "../jobs/scheduler.ts";
import { lockOrganization } from "../organizations/lock-organization.ts";
import { publishEvent } from "./publish-event.ts";

/** `subscription.trial_will_end` goes out this long before a trial ends. */
export const trialNoticeMs = 3 * 24 * 60 * 60 * 1000;

/** True when the trial's notice was published already (once per subscription and trial end). */
async function noticePublished({
  executor,
  organizationId,
  subscriptionId,
  trialEndsAt,
}: {
  executor: Parameters<typeof publishEvent>[0]["executor"];
  organizationId: string;
  subscriptionId: string;
  trialEndsAt: Date;
}): Promise<boolean> {
  const { rows } = await executor.execute(sql`
    select 1 from events
     where organization_id = ${organizationId} and type = 'subscription.trial_will_end'
       and data->>'subscriptionId' = ${subscriptionId}
       and data->>'trialEndsAt' = ${trialEndsAt.toISOString()}
     limit 1`);
  return rows.length > 0;
}

/**
 * Publishes `subscription.trial_will_end` for a trial that ends within three days, once: under the
 * organization's lock, only while the subscription still trials to that end and no notice went out.
 */
export const trialWillEndJob = defineJob({
  name: "subscription.trial_will_end_notice",
  payload: z.object({ subscriptionId: z.string(), trialEndsAt: z.iso.datetime() }),
  async handler({ payload, context }) {
    const trialEndsAt = new Date(payload.trialEndsAt);
    await context.db.transaction(async (tx) => {
      const [subscription] = await tx
        .select()
        .from(subscriptions)
        .where(eq(subscriptions.id, payload.subscriptionId));
      if (!subscription) return;
      const { now } = await lockOrganization({
        tx,
        organizationId: subscription.organizationId,
        systemNow: new Date(),
      });
      const [current] = await tx
        .select()
        .from(subscriptions)
        .where(
          and(eq(subscriptions.id, payload.subscriptionId), eq(subscriptions.status, "trialing")),
        );
      if (current?.trialEndsAt?.getTime() !== trialEndsAt.getTime()) return;
      if (
        await noticePublished({
          executor: tx,
          organizationId: current.organizationId,
          subscriptionId: current.id,
          trialEndsAt,
        })
      )
        return;
      await publishEvent({
        executor: tx,
        type: "subscription.trial_will_end",
        organizationId: current.organizationId,
        data: {
          subscriptionId: current.id,
          planId: current.planId,
          interval: current.interval,
          trialEndsAt,
        },
        now,
      });
    });
  },
});

/** The scheduler's task: trials ending within three days whose notice has not gone out. */
export const trialWillEndTask: ScheduledTask = {
  name: "subscriptions.trial_will_end",
  async run({ db, now, scope }) {
    const { rows } = await db.execute<{ id: string; trial_ends_at: Date | string }>(sql`
      select s.id, s.trial_ends_at
        from subscriptions s
        join organizations o on o.id = s.organization_id
       where s.status = 'trialing'
         and s.trial_ends_at > ${now.toISOString()}::timestamptz
         and s.trial_ends_at <= ${new Date(now.getTime() + trialNoticeMs).toISOString()}::timestamptz
         and o.test_clock_id is not distinct from ${scope.testClockId}
         and not exists (
           select 1 from events e
            where e.organization_id = s.organization_id and e.type = 'subscription.trial_will_end'
              and e.data->>'subscriptionId' = s.id
              and e.data->>'trialEndsAt' = abono_iso(s.trial_ends_at))
       limit 10000`);
    const entries = rows.map((row) => {
      const trialEndsAt = new Date(row.trial_ends_at).toISOString();
      return {
        payload: { subscriptionId: row.id, trialEndsAt },
        options: {
          jobKey: `trial_will_end:${row.id}:${trialEndsAt}`,
          queueName: queueForScope(scope),
        },
      };
    });
    for (let start = 0; start < entries.length; start += enqueueBatchSize) {
      await enqueueJobs(db, trialWillEndJob, entries.slice(start, start + enqueueBatchSize));
    }
    return entries.length;
  },
};
