import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";

const storeNames: Record<string, string> = { app_store: "App Store", google_play: "Google Play" };

/**
 * The organization's App Store and Google Play subscriptions (GET /v1/root/store-subscriptions): the store
 * bills and cancels them, so the operator sees their state and can only reconcile them now
 * (POST /v1/root/organizations/:orgId/store-sync).
 */
export function StoreSubscriptions({ organizationId }: { organizationId: string }) {
  const { t, errorOf, dateTime } = useAdminText();
  const client = useQueryClient();
  const queryKey = ["admin", "organization", organizationId, "store-subscriptions"];
  const listed = useQuery({
    queryKey,
    queryFn: () =>
      unwrap(
        api.GET("/v1/root/store-subscriptions", {
          params: { query: { organizationId, limit: 100 } },
        }),
      ),
  });
  const sync = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/root/organizations/{orgId}/store-sync", {
          params: { path: { orgId: organizationId } },
        }),
      ),
    onSuccess: () =>
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] }),
  });
  if (listed.isError) return <LoadError error={listed.error} />;
  if (!listed.data) return <Loading />;
  const rows = listed.data.data;
  return (
    <Card title={t("stores.title")}>
      <div data-testid="store-subscriptions">
        {rows.length === 0 ? (
          <p>{t("stores.none")}</p>
        ) : (
          <>
            <p>{t("stores.managedThere")}</p>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("stores.store")}</th>
                  <th scope="col">{t("stores.product")}</th>
                  <th scope="col">{t("org.plan")}</th>
                  <th scope="col">{t("stores.status")}</th>
                  <th scope="col">{t("stores.renews")}</th>
                  <th scope="col">{t("stores.expires")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.id}>
                    <td>{storeNames[row.store] ?? row.store}</td>
                    <td>
                      {row.productId}
                      {row.basePlanId ? ` / ${row.basePlanId}` : ""}
                    </td>
                    <td>
                      {row.planId ?? t("stores.unmapped")}
                      {row.pendingPlanId ? (
                        <div>{t("stores.pending", { plan: row.pendingPlanId })}</div>
                      ) : null}
                    </td>
                    <td>
                      <Badge
                        tone={
                          row.status === "active" || row.status === "trialing"
                            ? "success"
                            : row.status === "past_due"
                              ? "warning"
                              : "neutral"
                        }
                      >
                        {row.status}
                      </Badge>
                    </td>
                    <td>{row.autoRenew ? t("admin.yes") : t("admin.no")}</td>
                    <td>{row.expiresAt ? dateTime(String(row.expiresAt)) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Button onClick={() => sync.mutate()} disabled={sync.isPending}>
              {t("stores.sync")}
            </Button>
            {sync.isError ? <Alert tone="error">{errorOf(sync.error)}</Alert> : null}
            {sync.data ? (
              <Alert tone="success">
                {t("stores.synced", {
                  outcomes: sync.data.results.map((result) => result.outcome).join(", "),
                })}
              </Alert>
            ) : null}
          </>
        )}
      </div>
    </Card>
  );
}
