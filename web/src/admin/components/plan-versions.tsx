import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { AuditDiff } from "./audit-diff.tsx";

/** The comparable content of a plan version: what an edit changes. */
function contentOf(plan: {
  name: string;
  description: string | null;
  tier: number;
  trialDays: number;
  prices: { interval: string; currency: string; unitAmount: number }[];
  features: Record<string, unknown>;
  overage: Record<string, unknown>;
}) {
  return {
    name: plan.name,
    description: plan.description,
    tier: plan.tier,
    trialDays: plan.trialDays,
    prices: Object.fromEntries(
      plan.prices.map((price) => [`${price.interval}.${price.currency}`, price.unitAmount]),
    ),
    features: plan.features,
    overage: plan.overage,
  };
}

/** A plan's versions with the live subscriptions on each, and the diff of one version against the one before. */
export function PlanVersions({ planId }: { planId: string }) {
  const { t } = useAdminText();
  const id = useId();
  const versions = useQuery({
    queryKey: ["admin", "catalog", "versions", planId],
    queryFn: () =>
      unwrap(api.GET("/v1/admin/plans/{planId}/versions", { params: { path: { planId } } })),
  });
  const latest = versions.data?.versions.at(-1)?.version ?? 1;
  const [chosen, setChosen] = useState<number | null>(null);
  const version = chosen ?? latest;
  const read = (number: number) =>
    unwrap(
      api.GET("/v1/plans/{planId}", {
        params: { path: { planId }, query: { version: number } },
      }),
    );
  const pair = useQuery({
    queryKey: ["admin", "catalog", "version-pair", planId, version],
    enabled: versions.data !== undefined && version > 1,
    queryFn: async () => ({ before: await read(version - 1), after: await read(version) }),
  });
  if (versions.isPending) return <Loading />;
  if (versions.error) return <LoadError error={versions.error} />;
  return (
    <div className="confirm-box" data-testid={`plan-versions-${planId}`}>
      <h3>{t("plans.versionsOf", { plan: planId })}</h3>
      <ul>
        {versions.data.versions.map((item) => (
          <li key={item.version}>
            {t("org.version", { version: item.version })}:{" "}
            {t("plans.onVersion", { count: item.subscriptions })}
          </li>
        ))}
      </ul>
      {latest > 1 ? (
        <>
          <div className="field inline">
            <label htmlFor={`${id}-version`}>{t("plans.compare")}</label>
            <select
              id={`${id}-version`}
              value={version}
              onChange={(event) => setChosen(Number(event.target.value))}
            >
              {versions.data.versions
                .filter((item) => item.version > 1)
                .map((item) => (
                  <option key={item.version} value={item.version}>
                    {item.version - 1} → {item.version}
                  </option>
                ))}
            </select>
          </div>
          {pair.data ? (
            <AuditDiff before={contentOf(pair.data.before)} after={contentOf(pair.data.after)} />
          ) : (
            <Loading />
          )}
        </>
      ) : null}
    </div>
  );
}
