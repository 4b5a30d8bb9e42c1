import { sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { listOrganizations, type OrganizationStatus } from "../organizations/organizations.ts";
import { monthlyAmount } from "./compute-dashboard.ts";

export interface OrganizationSummary {
  id: string;
  name: string;
  status: string;
  ownerEmail: string | null;
  currency: string | null;
  planId: string | null;
  subscriptionStatus: string | null;
  monthlyRecurringRevenue: { currency: string; amount: bigint } | null;
  balance: bigint;
  providers: string[];
}

/**
 * One page of the backoffice's organization list (docs/backoffice.md): the organizations `listOrganizations`
 * finds (search and filters, keyset by id), each with its plan, live subscription and its list price as MRR, credit
 * balance and billing providers, read with one query for the whole page.
 */
export async function listOrganizationSummaries({
  db,
  search,
  limit,
  cursor,
  filters = {},
}: {
  db: Database;
  search: string | undefined;
  limit: number;
  cursor: string | undefined;
  /** Server-side filters: organization status, entitlement plan, billing provider. */
  filters?: {
    status?: OrganizationStatus | undefined;
    planId?: string | undefined;
    provider?: string | undefined;
  };
}): Promise<OrganizationSummary[]> {
  const rows = await listOrganizations({ db, limit, cursor, search, ...filters });
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const details = await db.execute<{
    id: string;
    plan_id: string | null;
    subscription_status: string | null;
    interval: "month" | "year" | null;
    subscription_currency: string | null;
    unit_amount: string | null;
    balance: string;
    providers: string[] | null;
  }>(sql`
    select o.id,
           entitlement.plan_id,
           subscription.status as subscription_status,
           subscription.interval,
           subscription.currency as subscription_currency,
           price.unit_amount::text as unit_amount,
           coalesce((select sum(t.amount) from balance_transactions t where t.organization_id = o.id), 0)::text
             as balance,
           (select array_agg(p.provider order by p.provider) from organization_billing_providers p
             where p.organization_id = o.id) as providers
      from organizations o
      left join organization_entitlements entitlement on entitlement.organization_id = o.id
      left join lateral (
        select s.plan_id, s.plan_version, s.interval, s.currency, s.status from subscriptions s
         where s.organization_id = o.id and s.status in ('trialing', 'active', 'past_due')
         order by s.created_at desc limit 1
      ) subscription on true
      left join plan_prices price
        on price.plan_id = subscription.plan_id and price.version = subscription.plan_version
       and price.interval = subscription.interval and price.currency = subscription.currency
     where o.id = any(${sql.param(ids)}::text[])`);
  const byId = new Map(details.rows.map((row) => [row.id, row]));
  return rows.map((organization) => {
    const detail = byId.get(organization.id);
    const live =
      detail?.interval && detail.subscription_currency && detail.unit_amount !== null
        ? {
            interval: detail.interval,
            currency: detail.subscription_currency,
            amount: BigInt(detail.unit_amount),
            trialing: detail.subscription_status === "trialing",
          }
        : null;
    return {
      id: organization.id,
      name: organization.name,
      status: organization.status,
      ownerEmail: organization.ownerEmail,
      currency: organization.currency,
      planId: detail?.plan_id ?? null,
      subscriptionStatus: detail?.subscription_status ?? null,
      monthlyRecurringRevenue: live && {
        currency: live.currency,
        amount: live.trialing
          ? 0n
          : monthlyAmount({ interval: live.interval, amount: live.amount }),
      },
      balance: BigInt(detail?.balance ?? "0"),
      providers: detail?.providers ?? [],
    };
  });
}
