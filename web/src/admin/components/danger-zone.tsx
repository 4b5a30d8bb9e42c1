import { AbonoError } from "@abono/client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";
import { AuditDiff, type AuditEntry, AuditTimeline } from "./audit-diff.tsx";

const entitlementStatuses = ["trialing", "active", "past_due", "canceled"] as const;
const organizationStatuses = ["active", "suspended", "deleted"] as const;
const otherPlan = "__other__";

interface Current {
  planId: string;
  entitlementStatus: string;
  organizationStatus: string;
}

/**
 * The danger zone (POST /v1/root/organizations/:orgId/plan): a plan from the catalog or a manual plan id
 * (warned before confirming), statuses, a mandatory reason and the organization id typed to confirm. The
 * preview shows before/after; once applied, the audit entry it wrote.
 */
export function DangerZone({
  organizationId,
  current,
}: {
  organizationId: string;
  current: Current;
}) {
  const { t, errorOf } = useAdminText();
  const id = useId();
  const client = useQueryClient();
  const plans = useQuery({
    queryKey: ["admin", "plans"],
    queryFn: () => unwrap(api.GET("/v1/plans", { params: { query: { limit: 100 } } })),
  });
  const [planChoice, setPlanChoice] = useState("");
  const [manualPlan, setManualPlan] = useState("");
  const [entitlementStatus, setEntitlementStatus] = useState("");
  const [organizationStatus, setOrganizationStatus] = useState("");
  const [reason, setReason] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [previewing, setPreviewing] = useState(false);
  const [applied, setApplied] = useState<AuditEntry | null>(null);

  const planId = planChoice === otherPlan ? manualPlan.trim() : planChoice;
  const catalogIds = new Set((plans.data?.data ?? []).map((plan) => plan.id));
  const notInCatalog = planId !== "" && plans.data !== undefined && !catalogIds.has(planId);
  const after: Current = {
    planId: planId || current.planId,
    entitlementStatus: entitlementStatus || current.entitlementStatus,
    organizationStatus: organizationStatus || current.organizationStatus,
  };
  const nothing = !planId && !entitlementStatus && !organizationStatus;

  const apply = useMutation({
    mutationFn: async () => {
      const result = await unwrap(
        api.POST("/v1/root/organizations/{orgId}/plan", {
          params: { path: { orgId: organizationId } },
          body: {
            organizationId: confirmation,
            reason,
            ...(planId ? { planId } : {}),
            ...(entitlementStatus
              ? { entitlementStatus: entitlementStatus as (typeof entitlementStatuses)[number] }
              : {}),
            ...(organizationStatus
              ? { organizationStatus: organizationStatus as (typeof organizationStatuses)[number] }
              : {}),
          },
        }),
      );
      const trail = await unwrap(
        api.GET("/v1/organizations/{orgId}/audit-logs", {
          params: { path: { orgId: organizationId }, query: { limit: 20 } },
        }),
      );
      return trail.data.find((entry) => entry.id === result.auditLogId) as AuditEntry | undefined;
    },
    onSuccess: (entry) => {
      setApplied(entry ?? null);
      setPreviewing(false);
      setConfirmation("");
      setReason("");
      client.invalidateQueries({ queryKey: ["admin", "organization", organizationId] });
    },
  });
  const error = apply.error;
  const errorMessage =
    error instanceof AbonoError && error.code === "confirmation_mismatch"
      ? t("danger.mismatch")
      : error
        ? errorOf(error)
        : null;

  const onPreview = (event: FormEvent) => {
    event.preventDefault();
    apply.reset();
    setApplied(null);
    setPreviewing(true);
  };

  return (
    <Card title={t("danger.title")} className="danger-zone" titleId={`${id}-title`}>
      <p className="muted">{t("danger.lead")}</p>
      <form onSubmit={onPreview} data-testid="danger-zone">
        <div className="field">
          <label htmlFor={`${id}-plan`}>{t("danger.plan")}</label>
          <select
            id={`${id}-plan`}
            value={planChoice}
            onChange={(event) => {
              setPlanChoice(event.target.value);
              setPreviewing(false);
            }}
            data-testid="danger-plan"
          >
            <option value="">{t("danger.keepPlan")}</option>
            {(plans.data?.data ?? []).map((plan) => (
              <option key={plan.id} value={plan.id}>
                {plan.name} ({plan.id})
              </option>
            ))}
            <option value={otherPlan}>{t("danger.otherPlan")}</option>
          </select>
        </div>
        {planChoice === otherPlan ? (
          <div className="field">
            <label htmlFor={`${id}-manual`}>{t("danger.manualPlan")}</label>
            <input
              id={`${id}-manual`}
              type="text"
              value={manualPlan}
              onChange={(event) => {
                setManualPlan(event.target.value);
                setPreviewing(false);
              }}
              data-testid="danger-manual-plan"
            />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-entitlement`}>{t("org.entitlementStatus")}</label>
          <select
            id={`${id}-entitlement`}
            value={entitlementStatus}
            onChange={(event) => setEntitlementStatus(event.target.value)}
            data-testid="danger-entitlement-status"
          >
            <option value="">{t("danger.keep")}</option>
            {entitlementStatuses.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-organization`}>{t("org.organizationStatus")}</label>
          <select
            id={`${id}-organization`}
            value={organizationStatus}
            onChange={(event) => setOrganizationStatus(event.target.value)}
            data-testid="danger-organization-status"
          >
            <option value="">{t("danger.keep")}</option>
            {organizationStatuses.map((status) => (
              <option key={status} value={status}>
                {status}
              </option>
            ))}
          </select>
        </div>
        {notInCatalog ? (
          <Alert tone="warning" testId="not-in-catalog">
            {t("danger.notInCatalog", { plan: planId })}
          </Alert>
        ) : null}
        {nothing ? <p className="muted">{t("danger.nothing")}</p> : null}
        <Button type="submit" variant="secondary" disabled={nothing}>
          {t("danger.preview")}
        </Button>
      </form>
      {previewing ? (
        <form
          className="confirm-box"
          onSubmit={(event) => {
            event.preventDefault();
            apply.mutate();
          }}
          data-testid="danger-confirm"
        >
          <AuditDiff before={current} after={after} />
          <div className="field">
            <label htmlFor={`${id}-reason`}>{t("danger.reason")}</label>
            <textarea
              id={`${id}-reason`}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              aria-describedby={`${id}-reason-help`}
              rows={2}
              data-testid="danger-reason"
            />
            <p id={`${id}-reason-help`} className="small muted">
              {t("danger.reasonHelp")}
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-confirm`}>{t("danger.confirm", { id: organizationId })}</label>
            <input
              id={`${id}-confirm`}
              type="text"
              autoComplete="off"
              value={confirmation}
              onChange={(event) => setConfirmation(event.target.value)}
              data-testid="danger-confirmation"
            />
          </div>
          {errorMessage ? (
            <Alert tone="error" testId="danger-error">
              {errorMessage}
            </Alert>
          ) : null}
          <div className="actions">
            <Button type="submit" variant="danger" busy={apply.isPending}>
              {t("danger.apply")}
            </Button>
          </div>
        </form>
      ) : null}
      {applied ? (
        <div data-testid="danger-applied">
          <Alert tone="success">{t("danger.applied", { id: applied.id })}</Alert>
          <AuditTimeline entries={[applied]} />
        </div>
      ) : null}
    </Card>
  );
}
