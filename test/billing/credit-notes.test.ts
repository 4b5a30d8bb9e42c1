import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, testRootKey } from "../helpers/app.ts";
import { createBillingCatalog } from "../helpers/billing-scenario.ts";
import { hasPdftoppm, rasterizePdf } from "../helpers/pdf-image.ts";
import { inflatePdf, readPdfText } from "../helpers/pdf-text.ts";

/**
 * Credit notes, refunds and balance payouts over HTTP (docs/billing.md "Credit notes", "Refunds",
 * "Payouts"), every amount worked out by hand. Catalog (besides `createBillingCatalog`'s USD plans):
 * Básico 10.000,00 ARS and Pro 25.000,00 ARS a month (1000000 and 2500000 minor units), with `ar-iva-21`
 * (IVA 21 % added to prices) for Argentine organizations. Organizations live on test clocks from
 * 1 January 2026: January has 31 days, so 12:00 on 16 January is exactly half of it.
 */
let app: TestApp;
const noBreakSpace = "\u00a0";

beforeAll(async () => {
  app = await startTestApp({
    environment: { ABONO_ISSUER_NAME: "Abono Software S.R.L." },
  });
  await createBillingCatalog(app);
  const post = async (path: string, body: unknown) => {
    const response = await app.request("POST", path, { body });
    if (response.status !== 201) throw new Error(`${path}: ${JSON.stringify(response.body)}`);
  };
  for (const [id, name, ars] of [
    ["basico", "Básico", 1000000],
    ["pro", "Pro", 2500000],
  ] as const) {
    await post("/v1/plans", {
      id,
      name,
      prices: [{ interval: "month", currency: "ARS", unitAmount: ars }],
      features: { encounters: 100, seats: 3 },
    });
  }
  await post("/v1/tax-rates", { id: "ar-iva-21", name: "IVA", percentage: "21", country: "AR" });
});
afterAll(() => app.close());

let counter = 0;

/** An organization with an owner to email, on its own test clock from 1 Jan 2026, with a sandbox card. */
async function customer({
  locale,
  currency,
  argentine = false,
}: {
  locale: "en" | "es";
  currency: "USD" | "ARS";
  argentine?: boolean;
}) {
  counter += 1;
  const clock = await app.request("POST", "/v1/test-clocks", {
    body: { frozenTime: "2026-01-01T00:00:00Z" },
  });
  const id = `credit-${process.pid}-${counter}`;
  const created = await app.request("POST", "/v1/organizations", {
    body: {
      id,
      name: `Clínica ${counter}`,
      currency,
      locale,
      testClockId: clock.body.id,
      owner: { userId: `owner-${counter}`, email: `owner-${counter}@example.com` },
    },
  });
  expect(created.status).toBe(201);
  const path = (suffix = "") => `/v1/organizations/${id}${suffix}`;
  expect(
    (
      await app.request("POST", path("/payment-methods"), {
        body: { provider: "sandbox", token: "pm_sandbox_ok" },
      })
    ).status,
  ).toBe(201);
  if (argentine) {
    const details = await app.request("PATCH", path("/billing-details"), {
      body: {
        legalName: "Compañía Ñandú S.A.",
        address: { line1: "Calle 50 N° 742", city: "La Plata", country: "AR" },
        taxIdType: "ar_cuit",
        taxId: "20-12345678-6",
      },
    });
    expect(details.status).toBe(200);
  }
  return {
    id,
    path,
    advance: async (frozenTime: string) => {
      const response = await app.request("POST", `/v1/test-clocks/${clock.body.id}/advance`, {
        body: { frozenTime },
      });
      expect(response.status).toBe(200);
    },
    subscribe: async (planId: string) => {
      const response = await app.request("POST", path("/subscription"), {
        body: { planId, interval: "month" },
      });
      expect(response.status).toBe(201);
      return response.body.invoice;
    },
    async emails(template: string, count = 1) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const box = await app.request("GET", `/v1/mailbox?organizationId=${id}&limit=100`);
        const found = (box.body.data as { template: string; status: string }[]).filter(
          (email) => email.template === template && email.status === "sent",
        );
        if (found.length >= count) return found.reverse() as any[];
        if (Date.now() > deadline) throw new Error(`${count} ${template} emails expected`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

const column = (lines: Record<string, unknown>[], key: string) => lines.map((line) => line[key]);
const sequenceOf = (number: string) => Number(number.slice(number.lastIndexOf("-") + 1));

async function eventsOf(organizationId: string, type: string) {
  const { rows } = await app.database.pool.query(
    "select data from events where organization_id = $1 and type = $2 order by sequence",
    [organizationId, type],
  );
  return rows.map((row) => row.data);
}

/** The PDF as served: its text, and (with pdftoppm) its page as a picture under scratch/pdf-previews/. */
async function pdfText(
  path: string,
  name: string,
): Promise<{ text: string; title: string | null }> {
  const response = await fetch(`${app.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${testRootKey}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/pdf");
  const pdf = Buffer.from(await response.arrayBuffer());
  if (await hasPdftoppm()) expect(await rasterizePdf({ pdf, name })).toHaveLength(1);
  return readPdfText({ pdf: inflatePdf(pdf) });
}

describe("credit notes", () => {
  it("a downgrade mid-period under 21% IVA issues a credit note in its own sequence; invoice numbers keep no gap", async () => {
    const org = await customer({ locale: "es", currency: "ARS", argentine: true });
    // Pro: 2500000 + IVA 525000 = 3025000.
    const first = await org.subscribe("pro");
    expect(first).toMatchObject({ documentType: "invoice", total: 3025000, tax: 525000 });

    // 16 Jan 12:00, half of January left. Downgrade to Básico:
    //   unused Pro        −round(2500000 × 1/2) = −1250000, IVA −1250000 × 0.21 = −262500
    //   remaining Básico  +round(1000000 × 1/2) =  +500000, IVA   500000 × 0.21 = +105000
    //   subtotal −750000, IVA −157500, total −907500: a credit note, credited to the balance.
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "basico", interval: "month" },
    });
    expect(change.status).toBe(200);
    const credit = change.body.invoices[0];
    expect(column(credit.lines, "amount")).toEqual([-1250000, 500000]);
    expect(column(credit.lines, "taxAmount")).toEqual([-262500, 105000]);
    expect(column(credit.lines, "taxableAmount")).toEqual([-1250000, 500000]);
    expect(credit).toMatchObject({
      documentType: "credit_note",
      subtotal: -750000,
      tax: -157500,
      total: -907500,
      creditedToBalance: 907500,
      amountDue: 0,
      correctsInvoiceIds: [first.id],
      creditedTo: "balance",
      taxes: [{ taxRateId: "ar-iva-21", netAmount: -750000, amount: -157500 }],
    });
    expect(credit.number).toMatch(/^ABN-NC-\d{6}$/);

    // Its own API: listed with the credit notes; the invoice list shows every document unless asked for
    // one type; the credit note routes do not answer for an invoice.
    const creditNotes = await app.request("GET", org.path("/credit-notes"));
    expect(creditNotes.status).toBe(200);
    expect(creditNotes.body.data.map((note: { id: string }) => note.id)).toEqual([credit.id]);
    expect(creditNotes.body.data[0]).toMatchObject({ status: "issued", number: credit.number });
    const invoices = await app.request("GET", org.path("/invoices?documentType=invoice"));
    expect(invoices.body.data.map((invoice: { id: string }) => invoice.id)).toEqual([first.id]);
    const documents = await app.request("GET", org.path("/invoices"));
    expect(
      documents.body.data.map((document: { id: string; documentType: string }) => [
        document.id,
        document.documentType,
      ]),
    ).toEqual([
      [credit.id, "credit_note"],
      [first.id, "invoice"],
    ]);
    const one = await app.request("GET", `/v1/credit-notes/${credit.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: credit.id, total: -907500 });
    expect((await app.request("GET", `/v1/credit-notes/${first.id}`)).status).toBe(404);
    // Seen as invoices are: another organization's key gets 404, as for an unknown id.
    const other = await customer({ locale: "es", currency: "ARS" });
    const otherKey = (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId: other.id, name: "other" },
      })
    ).body.secret as string;
    for (const path of [`/v1/credit-notes/${credit.id}`, `/v1/credit-notes/${credit.id}/pdf`]) {
      expect((await app.request("GET", path, { auth: otherKey })).status).toBe(404);
    }
    expect((await app.request("GET", org.path("/credit-notes"), { auth: otherKey })).status).toBe(
      403,
    );

    // The balance's entry names the credit note.
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(907500);
    expect(balance.body.transactions[0]).toMatchObject({
      type: "proration_credit",
      amount: 907500,
      invoiceId: credit.id,
      description: `Nota de crédito ${credit.number}`,
    });

    // credit_note.created, in place of invoice.created for it.
    expect(await eventsOf(org.id, "credit_note.created")).toEqual([
      expect.objectContaining({
        creditNoteId: credit.id,
        number: credit.number,
        amount: 907500,
        correctsInvoiceIds: [first.id],
        creditedTo: "balance",
      }),
    ]);
    const created = await eventsOf(org.id, "invoice.created");
    expect(created.map((data) => data.invoiceId)).toEqual([first.id]);

    // The next invoice takes the next invoice number: the credit note took none of them.
    await org.advance("2026-02-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal.billingReason).toBe("subscription_cycle");
    expect(sequenceOf(renewal.number)).toBe(sequenceOf(first.number) + 1);

    // Its PDF, in Spanish: the title, its number, the corrected invoice, the lines and the IVA.
    const { text, title } = await pdfText(`/v1/credit-notes/${credit.id}/pdf`, "credit-note-es");
    const ars = (amount: string) => `${amount}${noBreakSpace}ARS`;
    expect(title).toBe(`Nota de crédito ${credit.number}`);
    expect(text).toContain("Abono Software S.R.L. Nota de crédito Suscripción  ·  Emitida");
    expect(text).toContain(`Número de nota de crédito ${credit.number}`);
    expect(text).toContain(`Corrige la factura ${first.number}`);
    expect(text).not.toContain("Factura ");
    expect(text).toContain(
      `Tiempo no utilizado de Pro 1 ${ars("25.000,00")} 21${noBreakSpace}% ${ars("-12.500,00")}`,
    );
    expect(text).toContain(
      `IVA 21${noBreakSpace}% ${ars("-1575,00")} Total ${ars("-9075,00")} Abonado a su saldo a favor ${ars("9075,00")}`,
    );
    expect(text).not.toContain("Importe a pagar");
  });

  it("the PDF in English says Credit note and names the corrected invoice", async () => {
    const org = await customer({ locale: "en", currency: "USD" });
    const first = await org.subscribe("premium");
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    // Unused Premium −5000, remaining Plus +2000: −3000.
    const credit = change.body.invoices[0];
    expect(credit).toMatchObject({ documentType: "credit_note", total: -3000 });
    const { text, title } = await pdfText(`/v1/credit-notes/${credit.id}/pdf`, "credit-note-en");
    expect(title).toBe(`Credit note ${credit.number}`);
    expect(text).toContain("Credit note Subscription  ·  Issued");
    expect(text).toContain(`Credit note number ${credit.number}`);
    expect(text).toContain(`Corrects invoice ${first.number}`);
    expect(text).toContain("Credited to your balance $30.00");
    const [email] = await org.emails("credit_note");
    expect(email.subject).toBe("A credit of $30.00 was issued");
    expect(email.text).toContain(
      `(credit note ${credit.number}, correcting invoice ${first.number}). It was added to your credit balance`,
    );
    expect(email.attachments).toEqual([{ kind: "invoice_pdf", invoiceId: credit.id }]);
  });
});

describe("refunds", () => {
  it("refunds part of an invoice with 21% IVA to the card, the tax reversed in proportion", async () => {
    const org = await customer({ locale: "es", currency: "ARS", argentine: true });
    const invoice = await org.subscribe("pro"); // 2500000 + 525000 = 3025000
    // 1210000 of 3025000 is 40 %: the line's 2500000 → 1000000 and its IVA 525000 → 210000.
    const refund = await app.request("POST", `/v1/invoices/${invoice.id}/refunds`, {
      body: { amount: 1210000, to: "payment_method", reason: "Outage OPS-1" },
    });
    expect(refund.status).toBe(201);
    const note = refund.body.creditNote;
    expect(column(note.lines, "amount")).toEqual([-1000000]);
    expect(column(note.lines, "taxAmount")).toEqual([-210000]);
    expect(note).toMatchObject({
      documentType: "credit_note",
      status: "issued",
      billingReason: "refund",
      subtotal: -1000000,
      tax: -210000,
      total: -1210000,
      creditedToBalance: 0,
      amountRefunded: 1210000,
      creditedTo: "payment_method",
      reason: "Outage OPS-1",
      correctsInvoiceIds: [invoice.id],
    });
    expect(refund.body.refunds).toEqual([
      expect.objectContaining({ provider: "sandbox", amount: 1210000 }),
    ]);
    expect(refund.body.refundable).toBe(1815000);
    const refreshed = await app.request("GET", `/v1/invoices/${invoice.id}`);
    expect(refreshed.body.amountRefunded).toBe(1210000);
    // The rest: 1815000 = 1500000 + IVA 315000, so the invoice's line and tax are reversed exactly.
    const rest = await app.request("POST", `/v1/invoices/${invoice.id}/refunds`, {
      body: { to: "payment_method", reason: "Outage OPS-1" },
    });
    expect(rest.status).toBe(201);
    expect(column(rest.body.creditNote.lines, "amount")).toEqual([-1500000]);
    expect(column(rest.body.creditNote.lines, "taxAmount")).toEqual([-315000]);
    expect(rest.body.refundable).toBe(0);
    const again = await app.request("POST", `/v1/invoices/${invoice.id}/refunds`, {
      body: { amount: 1, to: "balance", reason: "Outage OPS-1" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("invalid_state");
    const { rows } = await app.database.pool.query(
      "select status, amount_refunded::int as refunded from payments where invoice_id = $1",
      [invoice.id],
    );
    expect(rows).toEqual([{ status: "refunded", refunded: 3025000 }]);
    const { text, title } = await pdfText(
      `/v1/credit-notes/${note.id}/pdf`,
      "refund-credit-note-es",
    );
    expect(title).toBe(`Nota de crédito ${note.number}`);
    expect(text).toContain(`Corrige la factura ${invoice.number}`);
    expect(text).toContain(`Pro (mensual) 21${noBreakSpace}% ${"-10.000,00"}${noBreakSpace}ARS`);
    expect(text).toContain(`Devuelto a su medio de pago 12.100,00${noBreakSpace}ARS`);
  });

  it("refunds to the card and to the balance, never more than was paid, even in parallel; idempotent; audited; published; emailed", async () => {
    const org = await customer({ locale: "en", currency: "USD" });
    const invoice = await org.subscribe("premium"); // 10000 paid by the card
    const refund = (body: Record<string, unknown>, idempotencyKey?: string) =>
      app.request("POST", `/v1/invoices/${invoice.id}/refunds`, {
        body: { reason: "Goodwill T-9", ...body },
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });

    const toCard = await refund({ amount: 2500, to: "payment_method" }, "refund-card-1");
    expect(toCard.status).toBe(201);
    expect(toCard.body.refundable).toBe(7500);
    // The same Idempotency-Key and body: the first answer again, nothing refunded twice.
    const replay = await refund({ amount: 2500, to: "payment_method" }, "refund-card-1");
    expect(replay.status).toBe(201);
    expect(replay.body.creditNote.id).toBe(toCard.body.creditNote.id);

    const toBalance = await refund({ amount: 3000, to: "balance" });
    expect(toBalance.status).toBe(201);
    expect(toBalance.body.creditNote).toMatchObject({
      total: -3000,
      creditedToBalance: 3000,
      amountRefunded: 0,
      creditedTo: "balance",
    });
    const balance = await app.request("GET", org.path("/balance"));
    expect(balance.body.available).toBe(3000);
    expect(balance.body.transactions[0]).toMatchObject({
      type: "refund_to_balance",
      amount: 3000,
      invoiceId: toBalance.body.creditNote.id,
    });

    // 4500 left: more is refused, saying how much is left.
    const over = await refund({ amount: 4501, to: "payment_method" });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: "invalid_state", details: { refundable: 4500 } });
    expect(over.body.error.message).toContain("at most 4500");
    const invalid = await refund({ amount: 0, to: "card" });
    expect(invalid.status).toBe(400);
    // Root only: the organization's own key may not refund nor pay out; it may read its credit notes.
    const organizationKey = (
      await app.request("POST", "/v1/api-keys", {
        body: { scope: "organization", organizationId: org.id, name: "backend" },
      })
    ).body.secret as string;
    const notRoot = await app.request("POST", `/v1/invoices/${invoice.id}/refunds`, {
      body: { amount: 1, to: "balance", reason: "x" },
      auth: organizationKey,
    });
    expect(notRoot.status).toBe(403);
    const payoutNotRoot = await app.request("POST", org.path("/balance/payouts"), {
      body: { reason: "x" },
      auth: organizationKey,
    });
    expect(payoutNotRoot.status).toBe(403);
    const ownNotes = await app.request("GET", org.path("/credit-notes"), { auth: organizationKey });
    expect(ownNotes.status).toBe(200);
    expect(ownNotes.body.data).toHaveLength(2);

    // Six parallel refunds of 1000 against 4500 left: four go through, two are refused.
    const parallel = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        refund({ amount: 1000, to: index % 2 === 0 ? "payment_method" : "balance" }),
      ),
    );
    expect(parallel.map((response) => response.status).sort()).toEqual([
      201, 201, 201, 201, 409, 409,
    ]);
    const last = await refund({ amount: 500, to: "payment_method" });
    expect(last.status).toBe(201);
    expect(last.body.refundable).toBe(0);
    const { rows } = await app.database.pool.query(
      `select coalesce(sum(-total), 0)::int as refunded, count(*)::int as notes from invoices
        where organization_id = $1 and document_type = 'credit_note' and billing_reason = 'refund'`,
      [org.id],
    );
    expect(rows[0]).toEqual({ refunded: 10000, notes: 7 });
    const refreshed = await app.request("GET", `/v1/invoices/${invoice.id}`);
    // What the card got back: 2500, 500 and the parallel round's refunds to the card.
    const toCardTotal = await refundedToCards(org.id);
    expect(toCardTotal).toBeGreaterThanOrEqual(3000);
    expect(refreshed.body.amountRefunded).toBe(toCardTotal);

    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.id}&action=invoice.refunded`,
    );
    expect(audit.body.data).toHaveLength(7);
    expect(audit.body.data[0]).toMatchObject({
      reason: "Goodwill T-9",
      action: "invoice.refunded",
    });
    expect(await eventsOf(org.id, "credit_note.created")).toHaveLength(7);
    const refunded = await eventsOf(org.id, "payment.refunded");
    expect(refunded.reduce((sum, data) => sum + data.refunded, 0)).toBe(toCardTotal);
    expect(refunded[0]).toMatchObject({ creditNoteId: toCard.body.creditNote.id, refunded: 2500 });

    const emails = await org.emails("credit_note", 7);
    const cardEmail = emails.find((email) => email.text.includes(toCard.body.creditNote.number));
    expect(cardEmail.subject).toBe("A credit of $25.00 was issued");
    expect(cardEmail.text).toContain("It was refunded to your payment method");
  });

  it("refuses to refund an invoice paid by nobody, a credit note, and to the card what the balance paid", async () => {
    const org = await customer({ locale: "en", currency: "USD" });
    const invoice = await org.subscribe("premium");
    await org.advance("2026-01-16T12:00:00Z");
    const change = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    const credit = change.body.invoices[0];
    const onCredit = await app.request("POST", `/v1/invoices/${credit.id}/refunds`, {
      body: { to: "balance", reason: "x" },
    });
    expect(onCredit.status).toBe(409);
    expect(onCredit.body.error.message).toContain("is a credit note");
    // 3000 of credit pays part of the 1 Feb renewal (4000): the card pays 1000.
    await org.advance("2026-02-01T00:00:00Z");
    const renewal = (await app.request("GET", org.path("/invoices"))).body.data[0];
    expect(renewal).toMatchObject({ balanceApplied: 3000, amountPaid: 1000 });
    const tooMuch = await app.request("POST", `/v1/invoices/${renewal.id}/refunds`, {
      body: { amount: 1001, to: "payment_method", reason: "x" },
    });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error.details).toMatchObject({
      refundable: 4000,
      refundableToPaymentMethod: 1000,
    });
    const toBalance = await app.request("POST", `/v1/invoices/${renewal.id}/refunds`, {
      body: { to: "balance", reason: "x" },
    });
    expect(toBalance.status).toBe(201);
    expect(toBalance.body.creditNote.total).toBe(-4000);
    expect(invoice.status).toBe("paid");
  });
});

describe("payouts", () => {
  it("pays the credit balance out to the card with a payout ledger entry", async () => {
    const org = await customer({ locale: "es", currency: "USD" });
    const invoice = await org.subscribe("premium"); // 10000
    await org.advance("2026-01-16T12:00:00Z");
    await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    }); // 3000 of credit
    const over = await app.request("POST", org.path("/balance/payouts"), {
      body: { amount: 3001, reason: "Cancelación T-4" },
    });
    expect(over.status).toBe(409);
    expect(over.body.error.details).toMatchObject({ available: 3000 });
    const payout = await app.request("POST", org.path("/balance/payouts"), {
      body: { reason: "Cancelación T-4" },
      idempotencyKey: "payout-1",
    });
    expect(payout.status).toBe(201);
    expect(payout.body).toMatchObject({
      transaction: { type: "payout", amount: -3000 },
      balance: { available: 0, currency: "USD" },
      refunds: [expect.objectContaining({ provider: "sandbox", amount: 3000 })],
    });
    const replay = await app.request("POST", org.path("/balance/payouts"), {
      body: { reason: "Cancelación T-4" },
      idempotencyKey: "payout-1",
    });
    expect(replay.body.transaction.id).toBe(payout.body.transaction.id);
    expect((await app.request("GET", org.path("/balance"))).body.available).toBe(0);
    const paidInvoice = await app.request("GET", `/v1/invoices/${invoice.id}`);
    expect(paidInvoice.body.amountRefunded).toBe(3000);
    const empty = await app.request("POST", org.path("/balance/payouts"), {
      body: { reason: "Cancelación T-4" },
    });
    expect(empty.status).toBe(409);
    const audit = await app.request(
      "GET",
      `/v1/audit-logs?organizationId=${org.id}&action=balance.paid_out`,
    );
    expect(audit.body.data).toHaveLength(1);
    expect(await eventsOf(org.id, "payment.refunded")).toEqual([
      expect.objectContaining({ refunded: 3000, creditNoteId: null }),
    ]);
  });
});

/** What the organization's payments gave back to the card, from the refunds on record. */
async function refundedToCards(organizationId: string): Promise<number> {
  const { rows } = await app.database.pool.query(
    "select coalesce(sum(amount), 0)::int as refunded from refunds where organization_id = $1",
    [organizationId],
  );
  return rows[0].refunded;
}
