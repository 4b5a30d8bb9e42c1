import { AbonoError } from "@abono/client";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { LanguageSwitch } from "../../components/language-switch.tsx";
import { signIn, useSignedIn } from "../admin-session.ts";
import { useAdminText } from "../admin-text.ts";

/** Sign-in with a root API key or a root JWT; the credential is sent once and never stored by the page. */
export function SignIn() {
  const { t, errorOf } = useAdminText();
  const id = useId();
  const [credential, setCredential] = useState("");
  const signedIn = useSignedIn();
  const submit = useMutation({
    mutationFn: () => signIn(credential.trim()),
    onSuccess: (operator) => {
      setCredential("");
      signedIn(operator);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit.mutate();
  };
  const error = submit.error;
  const message =
    error instanceof AbonoError && error.status === 403
      ? t("signIn.forbidden")
      : error instanceof AbonoError && error.status === 401
        ? t("signIn.unauthenticated")
        : error
          ? errorOf(error)
          : null;
  return (
    <main id="main" className="standalone admin-sign-in">
      <div className="admin-sign-in-tools">
        <LanguageSwitch />
      </div>
      <h1>{t("signIn.title")}</h1>
      <p className="lead">{t("signIn.lead")}</p>
      <form onSubmit={onSubmit} className="card">
        <div className="field">
          <label htmlFor={id}>{t("signIn.credential")}</label>
          <input
            id={id}
            type="password"
            autoComplete="off"
            value={credential}
            onChange={(event) => setCredential(event.target.value)}
            required
            data-testid="credential"
          />
        </div>
        {message ? (
          <Alert tone="error" testId="sign-in-error">
            {message}
          </Alert>
        ) : null}
        <Button type="submit" busy={submit.isPending} disabled={credential.trim() === ""}>
          {t("signIn.submit")}
        </Button>
      </form>
    </main>
  );
}
