import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { ConfirmAction } from "./confirm-action.tsx";

/** The organization's payment methods: which is the default, make another the default, remove one. */
export function PaymentMethods({ organizationId }: { organizationId: string }) {
  const { t, date, errorOf } = useAdminText();
  const client = useQueryClient();
  const key = ["admin", "organization", organizationId, "payment-methods"];
  const path = { orgId: organizationId };
  const methods = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(api.GET("/v1/organizations/{orgId}/payment-methods", { params: { path } })),
  });
  const [removing, setRemoving] = useState<string | null>(null);
  const refresh = () =>
    client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
  const makeDefault = useMutation({
    mutationFn: (paymentMethodId: string) =>
      unwrap(
        api.POST("/v1/organizations/{orgId}/payment-methods/{paymentMethodId}/default", {
          params: { path: { ...path, paymentMethodId } },
        }),
      ),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (paymentMethodId: string) =>
      unwrap(
        api.DELETE("/v1/organizations/{orgId}/payment-methods/{paymentMethodId}", {
          params: { path: { ...path, paymentMethodId } },
        }),
      ),
    onSuccess: () => {
      setRemoving(null);
      refresh();
    },
  });
  const list = methods.data?.data ?? [];
  return (
    <Card title={t("money.paymentMethods")}>
      {methods.isPending ? <Loading /> : null}
      {methods.data && list.length === 0 ? <p className="muted">{t("admin.none")}</p> : null}
      {makeDefault.error ? <Alert tone="error">{errorOf(makeDefault.error)}</Alert> : null}
      <ul data-testid="payment-methods">
        {list.map((method) => (
          <li key={method.id} data-testid={`payment-method-${method.id}`}>
            {method.description ?? method.id} · {method.provider} · {date(method.createdAt)}{" "}
            {method.default ? (
              <Badge tone="success">{t("money.default")}</Badge>
            ) : (
              <Button
                variant="secondary"
                busy={makeDefault.isPending && makeDefault.variables === method.id}
                onClick={() => makeDefault.mutate(method.id)}
                aria-label={t("money.makeDefaultOf", { method: method.description ?? method.id })}
              >
                {t("money.makeDefault")}
              </Button>
            )}{" "}
            <Button
              variant="ghost"
              onClick={() => setRemoving(method.id)}
              aria-label={t("money.removeOf", { method: method.description ?? method.id })}
            >
              {t("money.remove")}
            </Button>
            {removing === method.id ? (
              <ConfirmAction
                testId="remove-method-confirm"
                confirm={{ label: t("money.remove"), run: () => remove.mutate(method.id) }}
                back={() => setRemoving(null)}
                busy={remove.isPending}
                error={remove.error}
              >
                {t(method.default ? "money.removeDefaultWarning" : "money.removeWarning", {
                  method: method.description ?? method.id,
                })}
              </ConfirmAction>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}
