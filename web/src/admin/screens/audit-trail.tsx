import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Button } from "../../components/button.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { type AuditEntry, AuditTimeline } from "../components/audit-diff.tsx";

interface Filter {
  organizationId: string;
  actor: string;
  action: string;
  since: string;
  until: string;
}
const emptyFilter: Filter = { organizationId: "", actor: "", action: "", since: "", until: "" };

/** A `datetime-local` value (read as UTC) as an ISO instant, or undefined when empty. */
const instant = (value: string) => (value ? `${value}:00Z` : undefined);

/** The audit trail, filtered by organization, actor, action and time, newest first. */
export function AuditTrail() {
  const { t } = useAdminText();
  const [draft, setDraft] = useState<Filter>(emptyFilter);
  const [filter, setFilter] = useState<Filter>(emptyFilter);
  const id = useId();
  const trail = useInfiniteQuery({
    queryKey: ["admin", "audit", filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/audit-logs", {
          params: {
            query: {
              limit: 50,
              cursor: pageParam,
              organizationId: filter.organizationId || undefined,
              actor: filter.actor || undefined,
              action: filter.action || undefined,
              since: instant(filter.since),
              until: instant(filter.until),
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFilter(draft);
  };
  const field = (name: keyof Filter, label: string, type = "text") => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        type={type}
        value={draft[name]}
        onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
      />
    </div>
  );
  const entries = (trail.data?.pages.flatMap((page) => page.data) ?? []) as AuditEntry[];
  return (
    <>
      <h1>{t("audit.title")}</h1>
      <form className="card admin-filters" onSubmit={onSubmit}>
        {field("organizationId", t("audit.organization"))}
        {field("actor", t("audit.actor"))}
        {field("action", t("audit.action"))}
        {field("since", `${t("audit.since")} (UTC)`, "datetime-local")}
        {field("until", `${t("audit.until")} (UTC)`, "datetime-local")}
        <Button type="submit" variant="secondary">
          {t("audit.filter")}
        </Button>
      </form>
      {trail.isPending ? <Loading /> : null}
      {trail.error ? <LoadError error={trail.error} retry={() => trail.refetch()} /> : null}
      {trail.data ? <AuditTimeline entries={entries} /> : null}
      {trail.hasNextPage ? (
        <Button
          variant="secondary"
          busy={trail.isFetchingNextPage}
          onClick={() => trail.fetchNextPage()}
        >
          {t("admin.loadMore")}
        </Button>
      ) : null}
    </>
  );
}
