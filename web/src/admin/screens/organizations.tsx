import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Badge } from "../../components/badge.tsx";
import { Button } from "../../components/button.tsx";
import { LoadError, Loading } from "../../components/loading.tsx";
import { Link, navigate, useLocation } from "../../router.tsx";
import { useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "../components/scroll-region.tsx";

/** Organizations, searched and paged by the server (keyset pagination by id). */
export function Organizations() {
  const { t, money } = useAdminText();
  const { query } = useLocation();
  const search = query.get("q") ?? "";
  const [text, setText] = useState(search);
  const inputId = useId();
  const list = useInfiniteQuery({
    queryKey: ["admin", "organizations", search],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/admin/organizations", {
          params: {
            query: { limit: 25, ...(search ? { q: search } : {}), cursor: pageParam },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const q = text.trim();
    navigate(q ? `/admin/organizations?q=${encodeURIComponent(q)}` : "/admin/organizations", {
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
