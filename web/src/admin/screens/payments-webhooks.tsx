import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "../components/scroll-region.tsx";

const providers = ["stripe", "mercadopago", "paypal", "apple", "google"] as const;

/** Inbound provider events with their verification result and raw body, filtered by provider and result. */
function PaymentEvents() {
  const { t, dateTime } = useAdminText();
  const id = useId();
  const [provider, setProvider] = useState("");
  const [verified, setVerified] = useState("");
  const events = useInfiniteQuery({
    queryKey: ["admin", "payment-events", provider, verified],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/payment-events", {
          params: {
            query: {
              limit: 25,
              cursor: pageParam,
              provider: provider || undefined,
              verified: verified === "true" || verified === "false" ? verified : undefined,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const rows = events.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Card title={t("payments.events")}>
      <div className="inline">
        <div className="field">
          <label htmlFor={`${id}-provider`}>{t("payments.provider")}</label>
          <select
            id={`${id}-provider`}
            value={provider}
            onChange={(event) => setProvider(event.target.value)}
          >
            <option value="">{t("payments.all")}</option>
            {providers.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-verified`}>{t("payments.verification")}</label>
          <select
            id={`${id}-verified`}
            value={verified}
            onChange={(event) => setVerified(event.target.value)}
          >
            <option value="">{t("payments.all")}</option>
            <option value="true">{t("payments.verified")}</option>
            <option value="false">{t("payments.unverified")}</option>
          </select>
        </div>
      </div>
      {events.isPending ? <Loading /> : null}
      {events.error ? <LoadError error={events.error} retry={() => events.refetch()} /> : null}
      {events.data && rows.length === 0 ? <p className="muted">{t("admin.none")}</p> : null}
      <ol className="timeline" data-testid="payment-events">
        {rows.map((event) => (
          <li key={event.id}>
            <p className="timeline-head">
              <strong>{event.provider}</strong> · {event.eventType ?? "—"} ·{" "}
              <time dateTime={String(event.receivedAt)}>{dateTime(String(event.receivedAt))}</time>{" "}
              <Badge tone={event.verified ? "success" : "danger"}>
                {event.verified ? t("payments.verified") : t("payments.unverified")}
              </Badge>
            </p>
            <p className="small muted">
              <code>{event.id}</code>
              {event.outcome ? ` · ${event.outcome}` : ""}
              {event.verificationError ? ` · ${event.verificationError}` : ""}
            </p>
            <details>
              <summary>{t("payments.rawBody")}</summary>
              <ScrollRegion label={`${t("payments.rawBody")} ${event.id}`} className="raw-wrap">
                <pre className="raw">{event.body}</pre>
              </ScrollRegion>
            </details>
          </li>
        ))}
      </ol>
      {events.hasNextPage ? (
        <Button
          variant="secondary"
          busy={events.isFetchingNextPage}
          onClick={() => events.fetchNextPage()}
        >
          {t("admin.loadMore")}
        </Button>
      ) : null}
    </Card>
  );
}

/** Outbound webhook deliveries that used up their retries, each with a retry. */
function FailedDeliveries() {
  const { t, dateTime, errorOf } = useAdminText();
  const client = useQueryClient();
  const deliveries = useInfiniteQuery({
    queryKey: ["admin", "failed-deliveries"],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/webhook-deliveries", {
          params: { query: { limit: 25, cursor: pageParam, status: "failed" } },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const retry = useMutation({
    mutationFn: (deliveryId: string) =>
      unwrap(
        api.POST("/v1/webhook-deliveries/{deliveryId}/retry", {
          params: { path: { deliveryId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ["admin", "failed-deliveries"] }),
  });
  const rows = deliveries.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <Card title={t("payments.failedDeliveries")}>
      {deliveries.isPending ? <Loading /> : null}
      {deliveries.error ? <LoadError error={deliveries.error} /> : null}
      {retry.error ? <Alert tone="error">{errorOf(retry.error)}</Alert> : null}
      {deliveries.data && rows.length === 0 ? <p className="muted">{t("admin.none")}</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label={t("payments.failedDeliveries")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("payments.event")}</th>
                <th scope="col">{t("payments.endpoint")}</th>
                <th scope="col">{t("payments.lastError")}</th>
                <th scope="col">{t("org.date")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("payments.retry")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((delivery) => (
                <tr key={delivery.id}>
                  <td>
                    {delivery.eventType}
                    <br />
                    <code className="small">{delivery.eventId}</code>
                  </td>
                  <td>
                    <code className="small">{delivery.endpointId}</code>
                  </td>
                  <td>
                    {delivery.lastStatusCode ?? ""} {delivery.lastError ?? ""}
                  </td>
                  <td>{delivery.lastAttemptAt ? dateTime(String(delivery.lastAttemptAt)) : "—"}</td>
                  <td>
                    <Button
                      variant="secondary"
                      busy={retry.isPending && retry.variables === delivery.id}
                      onClick={() => retry.mutate(delivery.id)}
                      aria-label={`${t("payments.retry")} ${delivery.id}`}
                    >
                      {t("payments.retry")}
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </Card>
  );
}

/** Payments and webhooks: what providers sent in, and what Abono failed to deliver out. */
export function PaymentsAndWebhooks() {
  const { t } = useAdminText();
  return (
    <>
      <h1>{t("payments.title")}</h1>
      <PaymentEvents />
      <FailedDeliveries />
    </>
  );
}
