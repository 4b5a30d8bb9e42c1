import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { Link, navigate, useLocation } from "../../router.tsx";
import { useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "../components/scroll-region.tsx";

const statuses = ["active", "suspended", "deleted"] as const;
type Status = (typeof statuses)[number];

/** Organizations, searched, filtered and paged by the server (keyset pagination by id). */
export function Organizations() {
  const { t, money } = useAdminText();
  const { query } = useLocation();
  const search = query.get("q") ?? "";
  const statusParam = query.get("status");
  const status = statuses.find((value) => value === statusParam);
  const planId = query.get("planId") ?? "";
  const provider = query.get("provider") ?? "";
  const [text, setText] = useState(search);
  const [filters, setFilters] = useState({ status: status ?? "", planId, provider });
  const inputId = useId();
  const filterId = useId();
  const list = useInfiniteQuery({
    queryKey: ["admin", "organizations", search, status, planId, provider],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/admin/organizations", {
          params: {
            query: {
              limit: 25,
              ...(search ? { q: search } : {}),
              ...(status ? { status } : {}),
              ...(planId ? { planId } : {}),
              ...(provider ? { provider } : {}),
              cursor: pageParam,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, value] of [
      ["q", text],
      ["status", filters.status],
      ["planId", filters.planId],
      ["provider", filters.provider],
    ] as const) {
      if (value.trim()) params.set(name, value.trim());
    }
    const encoded = params.toString();
    navigate(encoded ? `/admin/organizations?${encoded}` : "/admin/organizations", {
      replace: true,
    });
  };
  const rows = list.data?.pages.flatMap((page) => page.data) ?? [];
  return (
    <>
      <h1>{t("orgs.title")}</h1>
      <form className="admin-search" onSubmit={onSubmit}>
        <label htmlFor={inputId}>{t("orgs.search")}</label>
        <div className="inline">
          <input
            id={inputId}
            type="text"
            value={text}
            onChange={(event) => setText(event.target.value)}
            data-testid="organization-search"
          />
          <Button type="submit" variant="secondary">
            {t("orgs.searchButton")}
          </Button>
        </div>
        <div className="admin-filters">
          <div>
            <label htmlFor={`${filterId}-status`}>{t("orgs.status")}</label>
            <select
              id={`${filterId}-status`}
              value={filters.status}
              data-testid="organization-status-filter"
              onChange={(event) =>
                setFilters({ ...filters, status: event.target.value as Status | "" })
              }
            >
              <option value="">{t("orgs.anyStatus")}</option>
              {statuses.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${filterId}-plan`}>{t("org.plan")}</label>
            <input
              id={`${filterId}-plan`}
              type="text"
              size={10}
              value={filters.planId}
              onChange={(event) => setFilters({ ...filters, planId: event.target.value })}
            />
          </div>
          <div>
            <label htmlFor={`${filterId}-provider`}>{t("orgs.provider")}</label>
            <input
              id={`${filterId}-provider`}
              type="text"
              size={10}
              value={filters.provider}
              onChange={(event) => setFilters({ ...filters, provider: event.target.value })}
            />
          </div>
        </div>
      </form>
      {list.isPending ? <Loading /> : null}
      {list.error ? <LoadError error={list.error} retry={() => list.refetch()} /> : null}
      {list.data ? (
        rows.length === 0 ? (
          <p className="muted">{t("orgs.empty")}</p>
        ) : (
          <ScrollRegion label={t("orgs.title")}>
            <table data-testid="organizations">
              <thead>
                <tr>
                  <th scope="col">{t("orgs.id")}</th>
                  <th scope="col">{t("orgs.name")}</th>
                  <th scope="col">{t("orgs.status")}</th>
                  <th scope="col">{t("org.plan")}</th>
                  <th scope="col" className="number">
                    MRR
                  </th>
                  <th scope="col" className="number">
                    {t("orgs.balance")}
                  </th>
                  <th scope="col">{t("orgs.owner")}</th>
                  <th scope="col">{t("orgs.providers")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((organization) => (
                  <tr key={organization.id}>
                    <td>
                      <Link to={`/admin/organizations/${encodeURIComponent(organization.id)}`}>
                        <code>{organization.id}</code>
                      </Link>
                    </td>
                    <td>{organization.name}</td>
                    <td>
                      <Badge tone={organization.status === "active" ? "success" : "danger"}>
                        {organization.status}
                      </Badge>
                    </td>
                    <td>
                      {organization.planId ?? "—"}
                      {organization.subscriptionStatus ? (
                        <span className="small muted"> · {organization.subscriptionStatus}</span>
                      ) : null}
                    </td>
                    <td className="number">
                      {organization.monthlyRecurringRevenue
                        ? money(
                            organization.monthlyRecurringRevenue.amount,
                            organization.monthlyRecurringRevenue.currency,
                          )
                        : "—"}
                    </td>
                    <td className="number">
                      {organization.currency
                        ? money(organization.balance, organization.currency)
                        : organization.balance}
                    </td>
                    <td>{organization.ownerEmail ?? "—"}</td>
                    <td>{organization.providers.join(", ") || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )
      ) : null}
      {list.hasNextPage ? (
        <Button
          variant="secondary"
          busy={list.isFetchingNextPage}
          onClick={() => list.fetchNextPage()}
        >
          {t("admin.loadMore")}
        </Button>
      ) : null}
    </>
  );
}
