import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.ts";
import { Alert } from "../../components/alert.tsx";
import { Button } from "../../components/button.tsx";
import { Card } from "../../components/card.tsx";
import { Loading } from "../../components/loading.tsx";
import { useAdminText } from "../admin-text.ts";
import { ScrollRegion } from "./scroll-region.tsx";

/** Downloads a document's PDF with the backoffice session (a plain link would not say it is the backoffice). */
async function downloadPdf(creditNoteId: string, name: string) {
  const response = await fetch(`/v1/credit-notes/${encodeURIComponent(creditNoteId)}/pdf`, {
    credentials: "same-origin",
    headers: { "x-abono-backoffice": "1" },
  });
  if (!response.ok) throw new Error(String(response.status));
  const url = URL.createObjectURL(await response.blob());
  const link = window.document.createElement("a");
  link.href = url;
  link.download = `${name}.pdf`;
  window.document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The organization's credit notes as documents of their own: number, what they correct, how much and where
 * the credit went (balance or payment method), why, and the PDF.
 */
export function CreditNotes({
  organizationId,
  invoiceNumbers,
}: {
  organizationId: string;
  /** Invoice id → number, to name what a credit note corrects. */
  invoiceNumbers: Record<string, string>;
}) {
  const { t, money, date } = useAdminText();
  const [failed, setFailed] = useState(false);
  const notes = useQuery({
    queryKey: ["admin", "organization", organizationId, "credit-notes"],
    queryFn: () =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/credit-notes", {
          params: { path: { orgId: organizationId }, query: { limit: 20 } },
        }),
      ),
  });
  const rows = notes.data?.data ?? [];
  return (
    <Card title={t("money.creditNotes")}>
      {notes.isPending ? <Loading /> : null}
      {failed ? <Alert tone="error">{t("money.pdfFailed")}</Alert> : null}
      {notes.data && rows.length === 0 ? <p className="muted">{t("admin.none")}</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label={t("money.creditNotes")}>
          <table data-testid="credit-notes">
            <thead>
              <tr>
                <th scope="col">{t("org.number")}</th>
                <th scope="col">{t("org.date")}</th>
                <th scope="col">{t("money.corrects")}</th>
                <th scope="col" className="number">
                  {t("money.credit")}
                </th>
                <th scope="col">{t("money.creditedTo")}</th>
                <th scope="col">{t("money.reason")}</th>
                <th scope="col">
                  <span className="visually-hidden">PDF</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((note) => (
                <tr key={note.id} data-testid={`credit-note-${note.number ?? note.id}`}>
                  <th scope="row">{note.number ?? note.id}</th>
                  <td>{date(note.createdAt)}</td>
                  <td>
                    {note.correctsInvoiceIds
                      .map((invoiceId) => invoiceNumbers[invoiceId] ?? invoiceId)
                      .join(", ") || "—"}
                  </td>
                  <td className="number">{money(-note.total, note.currency)}</td>
                  <td>
                    {note.creditedTo === null ? "—" : t(`money.to.${note.creditedTo}`)}
                    {note.status === "void" ? ` (${t("money.void")})` : ""}
                  </td>
                  <td>{note.reason ?? "—"}</td>
                  <td>
                    <Button
                      variant="ghost"
                      onClick={() => {
                        setFailed(false);
                        downloadPdf(note.id, note.number ?? note.id).catch(() => setFailed(true));
                      }}
                      aria-label={t("money.pdfOf", { number: note.number ?? note.id })}
                    >
                      PDF
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </Card>
  );
}
