import { errorText } from "../api/error-text.ts";
import { useI18n } from "../i18n/i18n.tsx";
import { Alert } from "./alert.tsx";
import { Button } from "./button.tsx";

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {t("app.loading")}
    </p>
  );
}

/** A failed read, in words, with a way to try again. */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  const i18n = useI18n();
  return (
    <Alert tone="error">
      <p>{errorText(error, i18n)}</p>
      {retry ? (
        <Button variant="secondary" onClick={retry}>
          {i18n.t("app.retry")}
        </Button>
      ) : null}
    </Alert>
  );
}
