import { AbonoError } from "@abono/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { Link } from "../../router.tsx";
import { useAdminText } from "../admin-text.ts";
import { type AuditEntry, AuditTimeline } from "../components/audit-diff.tsx";
import { BalanceAdjustment } from "../components/balance-adjustment.tsx";
import { BalancePayout } from "../components/balance-payout.tsx";
import { CancelSubscription } from "../components/cancel-subscription.tsx";
import { CreditNotes } from "../components/credit-notes.tsx";
import { DangerZone } from "../components/danger-zone.tsx";
import { EntitlementOverrides } from "../components/entitlement-overrides.tsx";
import { PaymentMethods } from "../components/payment-methods.tsx";
import { RefundInvoice } from "../components/refund-invoice.tsx";
import { ScrollRegion } from "../components/scroll-region.tsx";
import { StoreSubscriptions } from "../components/store-subscriptions.tsx";

/** One organization's read, keyed under the organization so a change refreshes all of them. */
function useOrganizationRead<Data>(
  organizationId: string,
  part: string,
  read: () => Promise<Data>,
) {
  return useQuery({ queryKey: ["admin", "organization", organizationId, part], queryFn: read });
}

const orNull = async <Data,>(read: Promise<Data>): Promise<Data | null> => {
  try {
    return await read;
  } catch (error) {
    if (error instanceof AbonoError && error.status === 404) return null;
    throw error;
  }
};

/**
 * An organization, to answer "what happened to this customer and why": subscription, entitlement (usage
 * against limits, overrides), invoices, balance ledger, members, providers, provisioning and the audit
 * timeline; then the danger zone and balance adjustments.
 */
export function OrganizationDetail({ organizationId }: { organizationId: string }) {
  const { t, money, date, errorOf } = useAdminText();
  const client = useQueryClient();
  const path = { orgId: organizationId };
  const organization = useOrganizationRead(organizationId, "record", () =>
    unwrap(api.GET("/v1/organizations/{orgId}", { params: { path } })),
  );
  const subscription = useOrganizationRead(organizationId, "subscription", () =>
    orNull(unwrap(api.GET("/v1/organizations/{orgId}/subscription", { params: { path } }))),
  );
  const entitlement = useOrganizationRead(organizationId, "entitlement", () =>
    unwrap(api.GET("/v1/organizations/{orgId}/entitlement", { params: { path } })),
  );
  const overrides = useOrganizationRead(organizationId, "overrides", () =>
    unwrap(api.GET("/v1/root/organizations/{orgId}/entitlement-overrides", { params: { path } })),
  );
  const invoices = useOrganizationRead(organizationId, "invoices", () =>
    unwrap(
      api.GET("/v1/organizations/{orgId}/invoices", {
        params: { path, query: { limit: 20, documentType: "invoice" } },
      }),
    ),
  );
  const balance = useOrganizationRead(organizationId, "balance", () =>
    unwrap(api.GET("/v1/organizations/{orgId}/balance", { params: { path } })),
  );
  const members = useOrganizationRead(organizationId, "members", () =>
    unwrap(api.GET("/v1/organizations/{orgId}/members", { params: { path } })),
  );
  const audit = useOrganizationRead(organizationId, "audit", () =>
    unwrap(
      api.GET("/v1/organizations/{orgId}/audit-logs", {
        params: { path, query: { limit: 50 } },
      }),
    ),
  );

  const retry = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/v1/organizations/{orgId}/provisioning/retry", { params: { path } })),
    onSuccess: () =>
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] }),
  });

  if (organization.isPending) return <Loading />;
  if (organization.error) {
    return <LoadError error={organization.error} retry={() => organization.refetch()} />;
  }
  const record = organization.data;
  const currency = balance.data?.currency ?? record.currency ?? "USD";
  return (
    <>
      <p>
        <Link to="/admin/organizations">← {t("org.back")}</Link>
      </p>
      <h1>
        {record.name} <code className="small">{record.id}</code>
      </h1>
      <p className="inline">
        <Badge tone={record.status === "active" ? "success" : "danger"}>{record.status}</Badge>
        {record.owner?.email ? <span>{record.owner.email}</span> : null}
        {record.testClockId ? <Badge tone="warning">{record.testClockId}</Badge> : null}
      </p>
      <div className="admin-grid">
        <Card title={t("org.subscription")}>
          {subscription.data ? (
            <dl className="facts" data-testid="subscription">
              <dt>{t("org.plan")}</dt>
              <dd>
                {subscription.data.planId} ·{" "}
                {t("org.version", { version: subscription.data.planVersion })}
              </dd>
              <dt>{t("orgs.status")}</dt>
              <dd>{subscription.data.status}</dd>
              <dt>{t("org.interval")}</dt>
              <dd>{subscription.data.interval}</dd>
              <dt>{t("org.period")}</dt>
              <dd>
                {date(subscription.data.currentPeriodStart)} –{" "}
                {date(subscription.data.currentPeriodEnd)}
              </dd>
            </dl>
          ) : subscription.isPending ? (
            <Loading />
          ) : (
            <p className="muted">{t("org.noSubscription")}</p>
          )}
        </Card>
        <Card title={t("org.entitlement")}>
          {entitlement.data ? (
            <>
              <dl className="facts" data-testid="entitlement">
                <dt>{t("org.plan")}</dt>
                <dd data-testid="entitlement-plan">{entitlement.data.planId}</dd>
                <dt>{t("org.entitlementStatus")}</dt>
                <dd>{entitlement.data.status}</dd>
                <dt>{t("org.organizationStatus")}</dt>
                <dd>{entitlement.data.organizationStatus}</dd>
              </dl>
              <ScrollRegion label={t("org.entitlement")}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("org.feature")}</th>
                      <th scope="col" className="number">
                        {t("org.used")}
                      </th>
                      <th scope="col" className="number">
                        {t("org.limit")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {[
                      ...new Set([
                        ...Object.keys(entitlement.data.features),
                        ...Object.keys(entitlement.data.limits),
                      ]),
                    ].map((feature) => {
                      const allowed = entitlement.data.features[feature] ?? true;
                      const limit = entitlement.data.limits[feature];
                      return (
                        <tr key={feature}>
                          <th scope="row">{feature}</th>
                          <td className="number">{entitlement.data.usage[feature] ?? "—"}</td>
                          <td className="number">
                            {!allowed
                              ? t("admin.no")
                              : limit === undefined
                                ? t("admin.yes")
                                : limit === null
                                  ? t("org.unlimited")
                                  : limit}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </ScrollRegion>
            </>
          ) : (
            <Loading />
          )}
        </Card>
      </div>
      <Card title={t("org.invoices")}>
        {invoices.data && invoices.data.data.length > 0 ? (
          <ScrollRegion label={t("org.invoices")}>
            <table data-testid="invoices">
              <thead>
                <tr>
                  <th scope="col">{t("org.number")}</th>
                  <th scope="col">{t("org.date")}</th>
                  <th scope="col">{t("org.type")}</th>
                  <th scope="col">{t("orgs.status")}</th>
                  <th scope="col" className="number">
                    {t("org.total")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {invoices.data.data.map((invoice) => (
                  <tr key={invoice.id}>
                    <td>{invoice.number ?? invoice.id}</td>
                    <td>{date(invoice.createdAt)}</td>
                    <td>{invoice.kind}</td>
                    <td>{invoice.status}</td>
                    <td className="number">{money(invoice.total, invoice.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        ) : (
          <p className="muted">{t("admin.none")}</p>
        )}
      </Card>
      <CreditNotes
        organizationId={record.id}
        invoiceNumbers={Object.fromEntries(
          (invoices.data?.data ?? []).map((invoice) => [invoice.id, invoice.number ?? invoice.id]),
        )}
      />
      <RefundInvoice
        organizationId={record.id}
        invoices={(invoices.data?.data ?? []).filter((invoice) => invoice.status === "paid")}
      />
      <Card title={t("org.balance")}>
        {balance.data ? (
          <>
            <p data-testid="balance-available">
              {t("org.available", {
                amount: money(balance.data.available, balance.data.currency ?? currency),
              })}
            </p>
            <ScrollRegion label={t("org.balance")}>
              <table data-testid="ledger">
                <thead>
                  <tr>
                    <th scope="col">{t("org.date")}</th>
                    <th scope="col">{t("org.type")}</th>
                    <th scope="col">{t("org.description")}</th>
                    <th scope="col" className="number">
                      {t("org.amount")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {balance.data.transactions.map((transaction) => (
                    <tr key={transaction.id}>
                      <td>{date(transaction.createdAt)}</td>
                      <td>{transaction.type}</td>
                      <td>{transaction.description}</td>
                      <td className="number">
                        {money(transaction.amount, balance.data.currency ?? currency)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </>
        ) : (
          <Loading />
        )}
      </Card>
      <BalancePayout
        organizationId={record.id}
        currency={currency}
        available={balance.data?.available ?? 0}
      />
      <PaymentMethods organizationId={record.id} />
      <CancelSubscription organizationId={record.id} subscription={subscription.data ?? null} />
      <div className="admin-grid">
        <Card title={t("org.members")}>
          {members.data && members.data.data.length > 0 ? (
            <ul>
              {members.data.data.map((member) => (
                <li key={member.userId}>
                  {member.email ?? member.userId} — {member.roles.join(", ")}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t("admin.none")}</p>
          )}
        </Card>
        <Card title={t("org.providers")}>
          <ScrollRegion label={t("org.providers")} className="raw-wrap">
            <pre className="raw" data-testid="billing-providers">
              {JSON.stringify(record.billingProviders, null, 2)}
            </pre>
          </ScrollRegion>
          <h3>{t("org.provisioning")}</h3>
          {record.provisioning.status === "failed" ? (
            <Button variant="secondary" busy={retry.isPending} onClick={() => retry.mutate()}>
              {t("org.retryProvisioning")}
            </Button>
          ) : null}
          {retry.error ? <Alert tone="error">{errorOf(retry.error)}</Alert> : null}
          <ul>
            {record.provisioning.steps.map((step) => (
              <li key={step.step}>
                {step.step}: {step.status}
                {step.error ? ` — ${step.error}` : ""}
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <DangerZone
        organizationId={record.id}
        current={{
          planId: entitlement.data?.planId ?? "",
          entitlementStatus: entitlement.data?.status ?? "",
          organizationStatus: record.status,
        }}
      />
      <EntitlementOverrides
        organizationId={record.id}
        features={Object.keys({
          ...(entitlement.data?.features ?? {}),
          ...(entitlement.data?.limits ?? {}),
        })}
        overrides={(overrides.data?.data ?? []).map((override) => ({
          ...override,
          expiresAt: override.expiresAt === null ? null : String(override.expiresAt),
        }))}
      />
      <BalanceAdjustment organizationId={record.id} currency={currency} />
      <StoreSubscriptions organizationId={record.id} />
      <Card title={t("org.timeline")}>
        {audit.data ? <AuditTimeline entries={audit.data.data as AuditEntry[]} /> : <Loading />}
      </Card>
    </>
  );
}
