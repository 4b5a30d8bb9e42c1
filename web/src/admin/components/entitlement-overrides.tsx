import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";

/** A typed value: true, false, a whole number (a limit), or empty for unlimited. */
function parseValue(text: string): boolean | number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "") return null;
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return Number(trimmed);
}

/**
 * Per-feature entitlement overrides (PUT/DELETE /v1/root/organizations/:orgId/entitlement-overrides/:feature):
 * a value that wins over the plan and add-ons, with a reason and an optional expiry.
 */
export function EntitlementOverrides({
  organizationId,
  features,
  overrides,
}: {
  organizationId: string;
  features: string[];
  overrides: { feature: string; value: unknown; reason: string; expiresAt: string | null }[];
}) {
  const { t, errorOf, dateTime } = useAdminText();
  const id = useId();
  const client = useQueryClient();
  const [feature, setFeature] = useState(features[0] ?? "");
  const [value, setValue] = useState("");
  const [reason, setReason] = useState("");
  const [expiresAt, setExpiresAt] = useState("");
  const refresh = () =>
    client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/v1/root/organizations/{orgId}/entitlement-overrides/{feature}", {
          params: { path: { orgId: organizationId, feature } },
          body: {
            value: parseValue(value),
            reason,
            ...(expiresAt ? { expiresAt: `${expiresAt}:00Z` } : {}),
          },
        }),
      ),
    onSuccess: () => {
      setValue("");
      setReason("");
      setExpiresAt("");
      refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (removed: string) =>
      unwrap(
        api.DELETE("/v1/root/organizations/{orgId}/entitlement-overrides/{feature}", {
          params: { path: { orgId: organizationId, feature: removed } },
          // The reason typed in the form below: removing is audited with it too.
          body: { reason },
        }),
      ),
    onSuccess: refresh,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Card title={t("overrides.title")}>
      {overrides.length > 0 ? (
        <ul data-testid="overrides">
          {overrides.map((override) => (
            <li key={override.feature}>
              <strong>{override.feature}</strong>: {JSON.stringify(override.value)} —{" "}
              {override.reason}
              {override.expiresAt
                ? ` (${t("overrides.until", { date: dateTime(override.expiresAt) })})`
                : ""}{" "}
              <Button
                variant="ghost"
                onClick={() => remove.mutate(override.feature)}
                aria-label={`${t("overrides.remove")} ${override.feature}`}
              >
                {t("overrides.remove")}
              </Button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{t("admin.none")}</p>
      )}
      <form onSubmit={onSubmit} className="admin-filters">
        <div className="field">
          <label htmlFor={`${id}-feature`}>{t("org.feature")}</label>
          <select
            id={`${id}-feature`}
            value={feature}
            onChange={(event) => setFeature(event.target.value)}
          >
            {features.map((key) => (
              <option key={key} value={key}>
                {key}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-value`}>{t("overrides.value")}</label>
          <input
            id={`${id}-value`}
            type="text"
            value={value}
            onChange={(event) => setValue(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-expires`}>{t("overrides.expires")}</label>
          <input
            id={`${id}-expires`}
            type="datetime-local"
            value={expiresAt}
            onChange={(event) => setExpiresAt(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>{t("adjust.reason")}</label>
          <input
            id={`${id}-reason`}
            type="text"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
          />
        </div>
        <Button type="submit" busy={save.isPending} disabled={feature === ""}>
          {t("overrides.save")}
        </Button>
      </form>
      {save.error ? <Alert tone="error">{errorOf(save.error)}</Alert> : null}
      {remove.error ? <Alert tone="error">{errorOf(remove.error)}</Alert> : null}
    </Card>
  );
}
