import { useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "./scroll-region.tsx";

/** `value` flattened to dotted paths → JSON texts of its leaves (arrays and empty objects kept whole). */
export function flatten(value: unknown, prefix = "", into = new Map<string, string>()) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) into.set(prefix, "{}");
    for (const [key, inner] of entries) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix || value !== null) {
    into.set(prefix || "(value)", JSON.stringify(value));
  }
  return into;
}

/** What changed between `before` and `after`, one row per changed field. */
export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const { t } = useAdminText();
  const was = flatten(before);
  const now = flatten(after);
  const fields = [...new Set([...was.keys(), ...now.keys()])]
    .filter((field) => was.get(field) !== now.get(field))
    .sort();
  if (fields.length === 0) return null;
  return (
    <ScrollRegion label={t("audit.changes")}>
      <table className="audit-diff" data-testid="audit-diff">
        <thead>
          <tr>
            <th scope="col">{t("audit.field")}</th>
            <th scope="col">{t("danger.before")}</th>
            <th scope="col">{t("danger.after")}</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((field) => (
            <tr key={field}>
              <th scope="row">
                <code>{field}</code>
              </th>
              <td className="diff-before">
                <code>{was.get(field) ?? "—"}</code>
              </td>
              <td className="diff-after">
                <code>{now.get(field) ?? "—"}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

export interface AuditEntry {
  id: string;
  action: string;
  actor: string;
  organizationId: string | null;
  reason: string | null;
  before?: unknown;
  after?: unknown;
  requestId: string | null;
  createdAt: string;
}

/** Audit entries as a timeline: when, who, what, why, and the before/after diff. */
export function AuditTimeline({ entries }: { entries: AuditEntry[] }) {
  const { t, dateTime } = useAdminText();
  if (entries.length === 0) return <p className="muted">{t("audit.empty")}</p>;
  return (
    <ol className="timeline" data-testid="audit-timeline">
      {entries.map((entry) => (
        <li key={entry.id} data-testid={`audit-${entry.id}`}>
          <p className="timeline-head">
            <strong>{entry.action}</strong> · <span>{entry.actor}</span> ·{" "}
            <time dateTime={entry.createdAt}>{dateTime(entry.createdAt)}</time>
          </p>
          {entry.reason ? (
            <p>
              {t("audit.reason")}: {entry.reason}
            </p>
          ) : null}
          <p className="small muted">
            <code>{entry.id}</code>
            {entry.organizationId ? (
              <>
                {" · "}
                <code>{entry.organizationId}</code>
              </>
            ) : null}
            {entry.requestId ? (
              <>
                {" · "}
                {t("audit.request")} <code>{entry.requestId}</code>
              </>
            ) : null}
          </p>
          <AuditDiff before={entry.before} after={entry.after} />
        </li>
      ))}
    </ol>
  );
}
