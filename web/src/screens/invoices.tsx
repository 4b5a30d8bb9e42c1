import { useInfiniteQuery } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { api, unwrap } from "../api/client.ts";
import { errorText } from "../api/error-text.ts";
import { keys } from "../api/queries.ts";
import type { CreditNote, Invoice } from "../api/types.ts";
import { Alert } from "../components/alert.tsx";
import { Badge } from "../components/badge.tsx";
import { Button } from "../components/button.tsx";
import { LoadError, Loading } from "../components/loading.tsx";
import { useI18n } from "../i18n/i18n.tsx";
import { usePortal } from "../portal-context.tsx";

const statusTone = {
  draft: "neutral",
  open: "warning",
  paid: "success",
  void: "neutral",
  uncollectible: "danger",
} as const;

/** The numbers of the invoices a credit note corrects, as far as the loaded invoices know them. */
function correctedNumbers(note: CreditNote, invoices: readonly Invoice[]): string {
  const numbers = note.correctsInvoiceIds.map(
    (id) => invoices.find((invoice) => invoice.id === id)?.number ?? "—",
  );
  return numbers.length > 0 ? numbers.join(", ") : "—";
}

/** Invoices and credit notes, newest first, with their PDFs. */
export function Invoices() {
  const i18n = useI18n();
  const { t, money } = i18n;
  const { organizationId } = usePortal();
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const invoices = useInfiniteQuery({
    queryKey: keys.invoices(organizationId),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/invoices", {
          params: {
            path: { orgId: organizationId },
            query: {
              limit: 20,
              documentType: "invoice",
              ...(pageParam ? { cursor: pageParam } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const creditNotes = useInfiniteQuery({
    queryKey: keys.creditNotes(organizationId),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/v1/organizations/{orgId}/credit-notes", {
          params: {
            path: { orgId: organizationId },
            query: { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) },
          },
        }),
      ),
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  if (invoices.error) return <LoadError error={invoices.error} />;
  if (creditNotes.error) return <LoadError error={creditNotes.error} />;
  if (invoices.isPending || creditNotes.isPending) return <Loading />;
  const rows = invoices.data.pages.flatMap((page) => page.data);
  const creditRows = creditNotes.data.pages.flatMap((page) => page.data);

  /** The PDF, fetched with the portal's client and handed to the browser as a download. */
  const download = async (document: Invoice | CreditNote) => {
    setDownloadError(null);
    const invoice = document;
    try {
      const pdf = await unwrap(
        document.documentType === "credit_note"
          ? api.GET("/v1/credit-notes/{creditNoteId}/pdf", {
              params: { path: { creditNoteId: document.id } },
              parseAs: "blob",
            })
          : api.GET("/v1/invoices/{invoiceId}/pdf", {
              params: { path: { invoiceId: document.id } },
              parseAs: "blob",
            }),
      );
      const url = URL.createObjectURL(pdf as Blob);
      const link = window.document.createElement("a");
      link.href = url;
      link.download = `${invoice.number ?? invoice.id}.pdf`;
      window.document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      setDownloadError(error);
    }
  };

  const kindLabel = (invoice: Invoice) =>
    invoice.total < 0 ? t("invoices.kind.credit") : t(`invoices.kind.${invoice.kind}`);

  return (
    <>
      <h1>{t("invoices.heading")}</h1>
      {downloadError ? <Alert tone="error">{errorText(downloadError, i18n)}</Alert> : null}
      {rows.length === 0 ? (
        <p>{t("invoices.empty")}</p>
      ) : (
        <DocumentTable
          caption={t("invoices.heading")}
          testId="invoices"
          rowTestId="invoice"
          documents={rows}
          thirdColumn={{ heading: t("invoices.kind"), cell: kindLabel }}
          badge={(invoice) => (
            <Badge tone={statusTone[invoice.status]}>
              {t(`invoices.status.${invoice.status}`)}
            </Badge>
          )}
          amountNote={(invoice) =>
            invoice.creditedToBalance > 0
              ? t("invoices.credited", {
                  amount: money(invoice.creditedToBalance, invoice.currency),
                })
              : null
          }
          onDownload={download}
        />
      )}
      <MoreButton query={invoices} />
      {creditRows.length > 0 ? (
        <>
          <h2 className="list-heading">{t("creditNotes.heading")}</h2>
          <DocumentTable
            caption={t("creditNotes.heading")}
            testId="credit-notes"
            rowTestId="credit-note"
            documents={creditRows}
            thirdColumn={{
              heading: t("creditNotes.corrects"),
              cell: (note) => correctedNumbers(note, rows),
            }}
            badge={(note) => (
              <Badge tone={note.status === "void" ? "neutral" : "success"}>
                {t(`creditNotes.status.${note.status}`)}
              </Badge>
            )}
            amountNote={(note) =>
              note.creditedTo === "payment_method"
                ? t("creditNotes.refunded", { amount: money(note.amountRefunded, note.currency) })
                : t("invoices.credited", { amount: money(note.creditedToBalance, note.currency) })
            }
            onDownload={download}
          />
          <MoreButton query={creditNotes} />
        </>
      ) : null}
    </>
  );
}

/** "More" under a list, while its query has another page. */
function MoreButton({
  query,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  const { t } = useI18n();
  if (!query.hasNextPage) return null;
  return (
    <Button
      variant="secondary"
      busy={query.isFetchingNextPage}
      onClick={() => void query.fetchNextPage()}
    >
      {t("invoices.more")}
    </Button>
  );
}

/** One table of billing documents: number, date, a column of its own, status, total and the PDF. */
function DocumentTable<Document extends Invoice | CreditNote>({
  caption,
  testId,
  rowTestId,
  documents,
  thirdColumn,
  badge,
  amountNote,
  onDownload,
}: {
  caption: string;
  testId: string;
  rowTestId: string;
  documents: readonly Document[];
  thirdColumn: { heading: string; cell: (document: Document) => string };
  badge: (document: Document) => ReactNode;
  amountNote: (document: Document) => string | null;
  onDownload: (document: Document) => Promise<void>;
}) {
  const { t, money, date } = useI18n();
  return (
    <div className="table-wrap card">
      <table className="list" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("invoices.number")}</th>
            <th scope="col">{t("invoices.date")}</th>
            <th scope="col">{thirdColumn.heading}</th>
            <th scope="col">{t("invoices.status")}</th>
            <th scope="col" className="number">
              {t("invoices.total")}
            </th>
            <th scope="col">
              <span className="visually-hidden">{t("invoices.pdf")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {documents.map((document) => {
            const note = amountNote(document);
            return (
              <tr key={document.id} data-testid={`${rowTestId}-${document.number ?? document.id}`}>
                <th scope="row">{document.number ?? "—"}</th>
                <td className="date">{date(document.createdAt)}</td>
                <td>{thirdColumn.cell(document)}</td>
                <td>{badge(document)}</td>
                <td className="number">
                  {money(document.total, document.currency)}
                  {note === null ? null : <div className="muted small">{note}</div>}
                </td>
                <td>
                  <Button variant="ghost" onClick={() => void onDownload(document)}>
                    {t("invoices.pdf")}
                    <span className="visually-hidden">
                      {" "}
                      {t("invoices.download", { number: document.number ?? document.id })}
                    </span>
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
