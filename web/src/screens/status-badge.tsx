import type { Subscription } from "../api/types.ts";
import { Badge } from "../components/badge.tsx";
import { useI18n } from "../i18n/i18n.tsx";

const tones = {
  trialing: "accent",
  active: "success",
  past_due: "danger",
  canceled: "neutral",
  incomplete: "warning",
  expired: "neutral",
} as const;

export function StatusBadge({ subscription }: { subscription: Subscription }) {
  const { t, date } = useI18n();
  if (subscription.cancelAtPeriodEnd && subscription.status !== "canceled") {
    return (
      <Badge tone="warning">
        {t("status.endsAt", { date: date(subscription.currentPeriodEnd) })}
      </Badge>
    );
  }
  return (
    <span data-testid="plan-status">
      <Badge tone={tones[subscription.status]}>{t(`status.${subscription.status}`)}</Badge>
    </span>
  );
}
