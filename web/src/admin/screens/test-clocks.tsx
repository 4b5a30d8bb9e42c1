import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { useAdminText } from "../admin-text.ts";

/** A `datetime-local` value (read as UTC) as an ISO instant. */
const instant = (value: string) => `${value}:00Z`;

/**
 * Test clocks (test mode): create one, look one up, advance it; the answer says once every piece of due
 * work for its organizations has run, and what failed.
 */
export function TestClocks() {
  const { t, errorOf, dateTime } = useAdminText();
  const id = useId();
  const [createAt, setCreateAt] = useState("");
  const [clockId, setClockId] = useState("");
  const [advanceTo, setAdvanceTo] = useState("");
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/v1/test-clocks", { body: { frozenTime: instant(createAt) } })),
    onSuccess: (clock) => setClockId(clock.id),
  });
  const advance = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/v1/test-clocks/{testClockId}/advance", {
          params: { path: { testClockId: clockId } },
          body: { frozenTime: instant(advanceTo) },
        }),
      ),
  });
  const look = useMutation({
    mutationFn: () =>
      unwrap(
        api.GET("/v1/test-clocks/{testClockId}", { params: { path: { testClockId: clockId } } }),
      ),
  });
  const shown = advance.data ?? look.data ?? create.data;
  const submit = (action: () => void) => (event: FormEvent) => {
    event.preventDefault();
    action();
  };
  return (
    <>
      <h1>{t("clocks.title")}</h1>
      <p className="muted">{t("clocks.lead")}</p>
      <div className="admin-grid">
        <Card title={t("clocks.create")}>
          <form onSubmit={submit(() => create.mutate())}>
            <div className="field">
              <label htmlFor={`${id}-create`}>{t("clocks.frozenTime")}</label>
              <input
                id={`${id}-create`}
                type="datetime-local"
                value={createAt}
                onChange={(event) => setCreateAt(event.target.value)}
                required
              />
            </div>
            {create.error ? <Alert tone="error">{errorOf(create.error)}</Alert> : null}
            <Button type="submit" busy={create.isPending}>
              {t("clocks.create")}
            </Button>
          </form>
        </Card>
        <Card title={t("clocks.advance")}>
          <form onSubmit={submit(() => advance.mutate())}>
            <div className="field">
              <label htmlFor={`${id}-clock`}>{t("clocks.id")}</label>
              <input
                id={`${id}-clock`}
                type="text"
                value={clockId}
                onChange={(event) => setClockId(event.target.value)}
                required
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-advance`}>{t("clocks.advanceTo")}</label>
              <input
                id={`${id}-advance`}
                type="datetime-local"
                value={advanceTo}
                onChange={(event) => setAdvanceTo(event.target.value)}
                required
              />
            </div>
            {advance.error ? <Alert tone="error">{errorOf(advance.error)}</Alert> : null}
            {look.error ? <Alert tone="error">{errorOf(look.error)}</Alert> : null}
            <div className="actions">
              <Button type="submit" busy={advance.isPending}>
                {t("clocks.advance")}
              </Button>
              <Button variant="secondary" onClick={() => look.mutate()} disabled={clockId === ""}>
                {t("clocks.lookUp")}
              </Button>
            </div>
          </form>
        </Card>
      </div>
      {shown ? (
        <Card title={shown.id}>
          <dl className="facts" data-testid="clock">
            <dt>{t("clocks.frozenTime")}</dt>
            <dd>{dateTime(String(shown.frozenTime))}</dd>
            <dt>{t("orgs.status")}</dt>
            <dd>{shown.status}</dd>
          </dl>
          {shown.failures && shown.failures.length > 0 ? (
            <Alert tone="warning">
              <pre className="raw">{JSON.stringify(shown.failures, null, 2)}</pre>
            </Alert>
          ) : null}
        </Card>
      ) : null}
    </>
  );
}
