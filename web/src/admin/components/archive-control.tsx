import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Loading } from "../../components/loading.tsx";
import { Link } from "../../router.tsx";
import { useAdminText } from "../admin-text.ts";

export type ArchivableKind = "plan" | "addon" | "pack" | "coupon";

interface Preview {
  archived: boolean;
  subscriptions: number;
  organizations: number;
  byVersion: { version: number; subscriptions: number }[];
  redemptions: number;
  affected: {
    organizationId: string;
    organizationName: string;
    subscriptionId: string;
    status: string;
    version: number | null;
  }[];
}

/** Who archiving the entry touches: `GET …/archive-preview` of its kind. */
function readPreview(kind: ArchivableKind, id: string): Promise<Preview> {
  switch (kind) {
    case "plan":
      return unwrap(
        api.GET("/v1/plans/{planId}/archive-preview", { params: { path: { planId: id } } }),
      );
    case "addon":
      return unwrap(
        api.GET("/v1/addons/{addonId}/archive-preview", { params: { path: { addonId: id } } }),
      );
    case "pack":
      return unwrap(
        api.GET("/v1/packs/{packId}/archive-preview", { params: { path: { packId: id } } }),
      );
    case "coupon":
      return unwrap(
        api.GET("/v1/coupons/{couponCode}/archive-preview", {
          params: { path: { couponCode: id } },
        }),
      );
  }
}

/** Archives (or unarchives) the entry. */
function setArchived(kind: ArchivableKind, id: string, archived: boolean): Promise<unknown> {
  const action = archived ? "archive" : "unarchive";
  switch (kind) {
    case "plan":
      return unwrap(api.POST(`/v1/plans/{planId}/${action}`, { params: { path: { planId: id } } }));
    case "addon":
      return unwrap(
        api.POST(`/v1/addons/{addonId}/${action}`, { params: { path: { addonId: id } } }),
      );
    case "pack":
      return unwrap(api.POST(`/v1/packs/{packId}/${action}`, { params: { path: { packId: id } } }));
    case "coupon":
      return unwrap(
        api.POST(`/v1/coupons/{couponCode}/${action}`, { params: { path: { couponCode: id } } }),
      );
  }
}

/**
 * Archive or unarchive a catalog entry, only after reading who it affects: the live subscriptions on it
 * (per version) and their organizations, and what archiving does and does not change for them.
 */
export function ArchiveControl({
  kind,
  id,
  archived,
}: {
  kind: ArchivableKind;
  id: string;
  archived: boolean;
}) {
  const { t, errorOf } = useAdminText();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const preview = useQuery({
    queryKey: ["admin", "catalog", "archive-preview", kind, id],
    enabled: open,
    queryFn: () => readPreview(kind, id),
  });
  const apply = useMutation({
    mutationFn: () => setArchived(kind, id, !archived),
    onSuccess: () => {
      setOpen(false);
      client.invalidateQueries({ queryKey: ["admin", "catalog"] });
    },
  });
  const action = archived ? t("plans.unarchive") : t("plans.archive");
  if (!open) {
    return (
      <Button variant="ghost" onClick={() => setOpen(true)} aria-label={`${action} ${id}`}>
        {action}…
      </Button>
    );
  }
  const data = preview.data;
  return (
    <section
      className="confirm-box"
      data-testid={`archive-preview-${id}`}
      aria-label={`${action} ${id}`}
    >
      <h3>{t(archived ? "archive.unarchiveTitle" : "archive.title", { id })}</h3>
      {preview.isPending ? <Loading /> : null}
      {preview.error ? <Alert tone="error">{errorOf(preview.error)}</Alert> : null}
      {data ? (
        <>
          <p data-testid="archive-affected-count">
            {t("archive.affected", {
              subscriptions: data.subscriptions,
              organizations: data.organizations,
            })}
          </p>
          {data.byVersion.length > 0 ? (
            <ul>
              {data.byVersion.map((item) => (
                <li key={item.version}>
                  {t("org.version", { version: item.version })}:{" "}
                  {t("plans.onVersion", { count: item.subscriptions })}
                </li>
              ))}
            </ul>
          ) : null}
          {kind === "coupon" ? (
            <p>{t("archive.redemptions", { count: data.redemptions })}</p>
          ) : null}
          {data.affected.length > 0 ? (
            <ul data-testid="archive-affected">
              {data.affected.map((item) => (
                <li key={item.subscriptionId}>
                  <Link to={`/admin/organizations/${encodeURIComponent(item.organizationId)}`}>
                    {item.organizationName}
                  </Link>{" "}
                  <code className="small">{item.organizationId}</code> · {item.status}
                  {item.version === null ? "" : ` · ${t("org.version", { version: item.version })}`}
                </li>
              ))}
            </ul>
          ) : null}
          {data.subscriptions > data.affected.length ? (
            <p className="small muted">
              {t("archive.more", { count: data.subscriptions - data.affected.length })}
            </p>
          ) : null}
          <Alert tone="info">
            {archived ? t("archive.unarchiveMeans") : t(`archive.means.${kind}`)}
          </Alert>
          {apply.error ? <Alert tone="error">{errorOf(apply.error)}</Alert> : null}
          <div className="actions">
            <Button
              variant={archived ? "primary" : "danger"}
              busy={apply.isPending}
              onClick={() => apply.mutate()}
            >
              {t(archived ? "archive.confirmUnarchive" : "archive.confirm", { id })}
            </Button>
            <Button variant="ghost" onClick={() => setOpen(false)}>
              {t("plans.cancel")}
            </Button>
          </div>
        </>
      ) : null}
    </section>
  );
}
