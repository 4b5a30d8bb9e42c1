import type { ReactNode } from "react";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { useAdminText } from "../admin-text.ts";

/**
 * The second step of a destructive money action: what will happen, the amount in the organization's currency,
 * and an explicit confirm; nothing is sent before it.
 */
export function ConfirmAction({
  testId,
  children,
  confirm,
  back,
  busy,
  error,
}: {
  testId: string;
  children: ReactNode;
  confirm: { label: string; run: () => void };
  back: () => void;
  busy: boolean;
  error: unknown;
}) {
  const { t, errorOf } = useAdminText();
  return (
    <section className="confirm-box" data-testid={testId} aria-label={confirm.label}>
      <Alert tone="warning">{children}</Alert>
      {error ? (
        <Alert tone="error" testId={`${testId}-error`}>
          {errorOf(error)}
        </Alert>
      ) : null}
      <div className="actions">
        <Button variant="danger" busy={busy} onClick={confirm.run}>
          {confirm.label}
        </Button>
        <Button variant="ghost" onClick={back}>
          {t("money.back")}
        </Button>
      </div>
    </section>
  );
}
