import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventMessages } from "../../src/i18n/event-messages.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createBillingCatalog, createEncounterPack } from "../helpers/billing-scenario.ts";
import { createMessageCustomer, type MailboxEmail } from "../helpers/message-customer.ts";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    environment: { ABONO_PORTAL_URL: "https://billing.example.com/portal" },
  });
  await createBillingCatalog(app);
  await createEncounterPack(app);
});
afterAll(() => app.close());

type Email = MailboxEmail;

const customer = ({ locale, start }: { locale: "en" | "es"; start: string }) =>
  createMessageCustomer({ app, locale, start });

describe("messages to people", () => {
  it("sends a receipt with the invoice PDF for a subscription, an upgrade, a pack and a renewal", async () => {
    const org = await customer({ locale: "es", start: "2026-01-10T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    const changed = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "premium", interval: "month" },
    });
    expect(changed.status).toBe(200);
    const pack = await app.request("POST", org.path("/purchases"), {
      body: { packId: "encounters-100" },
    });
    expect(pack.status).toBe(201);
    await org.advance("2026-02-10T00:00:01Z");

    const receipts = await org.emails("receipt", 4);
    expect(receipts).toHaveLength(4);
    const invoices = (await app.request("GET", org.path("/invoices?limit=100"))).body.data as {
      id: string;
      number: string;
      amountPaid: number;
    }[];
    for (const receipt of receipts) {
      expect(receipt.locale).toBe("es");
      expect(receipt.to).toBe(org.ownerEmail);
      expect(receipt.subject).toMatch(/^Recibo de la factura ABN-\d{6}$/);
      expect(receipt.text).toContain("La factura va adjunta en PDF.");
      expect(receipt.html).toContain("<ul>");
      const number = receipt.subject.replace("Recibo de la factura ", "");
      const invoice = invoices.find((candidate) => candidate.number === number);
      expect(receipt.attachments).toEqual([{ kind: "invoice_pdf", invoiceId: invoice?.id }]);
    }
    expect(receipts.map((receipt) => receipt.text).join("\n")).toContain("100 encounters");
    await org.notices("receipt");
    const operators = await org.notices("receipt", "admin");
    expect(operators[0]?.title).toBe(`Payment received: Constructora ${org.id.split("-").at(-1)}`);
  });

  it("tells the customer a trial ends in three days, then sends the receipt of its first charge", async () => {
    const org = await customer({ locale: "en", start: "2026-03-01T00:00:00Z" });
    const subscribed = await app.request("POST", org.path("/subscription"), {
      body: { planId: "trial-pro", interval: "month" },
    });
    expect(subscribed.status).toBe(201);
    await org.advance("2026-03-11T00:00:00Z");
    await expect(
      app
        .request("GET", `/v1/mailbox?organizationId=${org.id}`)
        .then((box) => box.body.data.filter((email: Email) => email.template === "trial_ending")),
    ).resolves.toHaveLength(0);
    await org.advance("2026-03-12T00:00:01Z");
    const [notice] = await org.emails("trial_ending");
    expect(notice?.subject).toBe("Your Trial Pro trial ends on March 15, 2026");
    await org.advance("2026-03-15T00:00:01Z");
    const [receipt] = await org.emails("receipt");
    expect(receipt?.text).toMatch(/We received Constructora \d+'s payment of \$50\.00/);
    const [operators] = await org.notices("trial_ending", "admin");
    expect(operators?.title).toBe(`Trial ending: ${org.name}`);
    expect(operators?.body).toContain("trial ends on March 15, 2026");
    // Once only, however often the scheduler passes.
    await org.advance("2026-03-15T01:00:00Z");
    expect(await org.emails("trial_ending")).toHaveLength(1);
  });

  it("tells the customer what to do when a renewal's payment fails, and when the subscription ends", async () => {
    const org = await customer({ locale: "es", start: "2026-04-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.card("pm_sandbox_declined");
    await org.advance("2026-05-01T00:00:01Z");
    const [failed] = await org.emails("payment_failed");
    expect(failed?.subject).toMatch(/^Tu pago de .+ no se pudo cobrar$/);
    expect(failed?.text).toContain(
      "actualiza tu medio de pago en https://billing.example.com/portal",
    );
    expect(failed?.text).toContain("Volveremos a intentarlo el 2 de mayo de 2026");
    await org.notices("payment_failed", "admin");
    // The retries fail too: canceled.
    await org.advance("2026-05-07T00:00:00Z");
    const [ended] = await org.emails("subscription_ended");
    expect(ended?.subject).toBe("Tu suscripción a Plus terminó");
    expect(ended?.text).toContain("porque no se pudo cobrar su pago");
    await org.notices("subscription_ended");
    const [operators] = await org.notices("subscription_ended", "admin");
    expect(operators?.title).toBe(`Subscription ended: ${org.name}`);
    expect(operators?.body).toContain(
      "(its payment could not be collected); it is on the free plan",
    );
  });

  it("tells the customer when a subscription is canceled, and when an annual term ends", async () => {
    const canceled = await customer({ locale: "en", start: "2026-09-01T00:00:00Z" });
    await app.request("POST", canceled.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const cancel = await app.request("POST", canceled.path("/subscription/cancel"), { body: {} });
    expect(cancel.body.subscription).toMatchObject({ cancelAtPeriodEnd: true });
    await canceled.advance("2026-10-01T00:00:01Z");
    const [ended] = await canceled.emails("subscription_ended");
    expect(ended?.subject).toBe("Your Plus subscription has ended");
    expect(ended?.text).toContain(
      `The Plus subscription of ${canceled.name} was canceled on October 1, 2026.`,
    );
    expect(ended?.text).toContain("Your organization is now on the free plan.");
    await canceled.notices("subscription_ended");

    const annual = await customer({ locale: "es", start: "2026-09-01T00:00:00Z" });
    await app.request("POST", annual.path("/subscription"), {
      body: { planId: "plus", interval: "year" },
    });
    await annual.advance("2027-09-01T00:00:01Z");
    const [expired] = await annual.emails("subscription_ended");
    expect(expired?.subject).toBe("Tu suscripción a Plus terminó");
    expect(expired?.text).toContain(
      `La suscripción a Plus de ${annual.name} llegó al final de su plazo el 1 de septiembre de 2027.`,
    );
    const [operators] = await annual.notices("subscription_ended", "admin");
    expect(operators?.body).toContain("(its term ended without renewal)");
  });

  it("sends a credit note with its PDF for a downgrade", async () => {
    const org = await customer({ locale: "en", start: "2026-06-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "premium", interval: "month" },
    });
    await org.advance("2026-06-16T00:00:00Z");
    const downgrade = await app.request("POST", org.path("/subscription/change"), {
      body: { planId: "plus", interval: "month" },
    });
    expect(downgrade.status).toBe(200);
    const [credit] = await org.emails("credit_note");
    expect(credit?.subject).toMatch(/^A credit of \$\d+\.\d\d was issued$/);
    expect(credit?.attachments?.[0]?.kind).toBe("invoice_pdf");
  });

  it("emails usage thresholds unless the organization opted out; in-app notices stay", async () => {
    const org = await customer({ locale: "en", start: "2026-07-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    const record = (eventId: string, quantity: number) =>
      app.request("POST", org.path("/usage"), { body: { feature: "seats", quantity, eventId } });
    expect((await record("a", 4)).status).toBe(200);
    const [eighty] = await org.emails("usage_threshold");
    expect(eighty?.subject).toBe("You have used 80 % of your Seats");
    expect(eighty?.text).toContain("has used 4 of 5 Seats (80 %)");
    const [operators] = await org.notices("usage_threshold", "admin");
    expect(operators?.title).toBe(`${org.name} used 80 % of Seats`);

    const opted = await app.request("PUT", org.path("/message-preferences"), {
      body: { nonEssentialEmails: false },
    });
    expect(opted.body).toEqual({ organizationId: org.id, nonEssentialEmails: false });
    expect((await record("b", 1)).status).toBe(200);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const notices = await app.request("GET", org.path("/notifications?limit=100"));
      const thresholds = notices.body.data.filter(
        (notice: { kind: string }) => notice.kind === "usage_threshold",
      );
      if (thresholds.length === 2) break;
      if (Date.now() > deadline) throw new Error("no second usage notice");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await org.emails("usage_threshold")).toHaveLength(1);
  });

  it("sends each message once even when an event is dispatched again", async () => {
    const org = await customer({ locale: "en", start: "2026-08-01T00:00:00Z" });
    await app.request("POST", org.path("/subscription"), {
      body: { planId: "plus", interval: "month" },
    });
    await org.emails("receipt");
    const { rows } = await app.database.pool.query(
      "select id, type from events where organization_id = $1",
      [org.id],
    );
    // Every event's job again, twice, as a duplicate delivery of the outbox would.
    for (let round = 0; round < 2; round++) {
      for (const row of rows) {
        await app.database.pool.query(
          "select graphile_worker.add_job($1, json_build_object('eventIds', json_build_array($2::text)))",
          [row.type, row.id],
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const box = await app.request("GET", `/v1/mailbox?organizationId=${org.id}&limit=100`);
    expect(box.body.data.filter((email: Email) => email.template === "receipt")).toHaveLength(1);
    const notices = await app.request("GET", org.path("/notifications?limit=100"));
    expect(
      notices.body.data.filter((notice: { kind: string }) => notice.kind === "receipt"),
    ).toHaveLength(1);
  });
});

describe("message templates", () => {
  const receipt = {
    organizationName: "Acme",
    invoiceNumber: "ABN-000042",
    amount: "$40.00",
    lines: ["Plus (monthly): $40.00"],
    provider: "Stripe",
  };
  it.each([
    ["en", "Receipt for invoice ABN-000042", "We received Acme's payment of $40.00 through Stripe"],
    [
      "es",
      "Recibo de la factura ABN-000042",
      "Recibimos el pago de $40.00 de Acme a través de Stripe",
    ],
  ] as const)("writes the receipt in %s, as text and HTML", (locale, subject, opening) => {
    const rendered = eventMessages(locale).receiptEmail(receipt);
    expect(rendered.subject).toBe(subject);
    expect(rendered.text.split("\n")[0]).toContain(opening);
    expect(rendered.text).toContain("- Plus (monthly): $40.00");
    expect(rendered.html).toContain("<li>Plus (monthly): $40.00</li>");
    expect(rendered.html).toContain(`<p>${opening.replace("'", "&#39;")}`);
  });

  it.each([
    ["en", "Your payment of $40.00 failed", "update your payment method at https://portal.test"],
    [
      "es",
      "Tu pago de $40.00 no se pudo cobrar",
      "actualiza tu medio de pago en https://portal.test",
    ],
  ] as const)("writes the failed payment in %s with what to do", (locale, subject, action) => {
    const rendered = eventMessages(locale).paymentFailedEmail({
      organizationName: "Acme",
      invoiceNumber: "ABN-000042",
      amount: "$40.00",
      nextAttempt: "May 2, 2026",
      portalUrl: "https://portal.test",
    });
    expect(rendered.subject).toBe(subject);
    expect(rendered.text).toContain(action);
    expect(rendered.html).toContain(action);
  });

  it.each([
    [
      "en",
      "Your Pro trial ends on March 15, 2026",
      "Your Pro subscription has ended",
      "A credit of $10.00 was issued",
      "You have used 80 % of your Encounters",
    ],
    [
      "es",
      "Tu prueba de Pro termina el March 15, 2026",
      "Tu suscripción a Pro terminó",
      "Emitimos un crédito de $10.00",
      "Usaste el 80 % de tus Encounters",
    ],
  ] as const)("writes the other messages in %s", (locale, trial, ended, credit, usage) => {
    const messages = eventMessages(locale);
    expect(
      messages.trialEndingEmail({
        organizationName: "Acme",
        planName: "Pro",
        trialEndsAt: "March 15, 2026",
      }).subject,
    ).toBe(trial);
    const endedEmail = messages.subscriptionEndedEmail({
      organizationName: "Acme",
      planName: "Pro",
      endedAt: "1",
      reason: "expired",
    });
    expect(endedEmail.subject).toBe(ended);
    expect(endedEmail.html).toMatch(/^<p>/);
    expect(
      messages.creditNoteEmail({
        organizationName: "Acme",
        invoiceNumber: "ABN-1",
        amount: "$10.00",
      }).subject,
    ).toBe(credit);
    const usageEmail = messages.usageThresholdEmail({
      organizationName: "Acme",
      featureName: "Encounters",
      threshold: 80,
      used: "400",
      limit: "500",
    });
    expect(usageEmail.subject).toBe(usage);
    expect(usageEmail.text).toContain("400");
    for (const notice of [
      messages.receiptNotice(receipt),
      messages.usageThresholdNotice({
        organizationName: "Acme",
        featureName: "Encounters",
        threshold: 100,
        used: "500",
        limit: "500",
      }),
    ]) {
      expect(notice.title.length).toBeGreaterThan(5);
      expect(notice.body.length).toBeGreaterThan(5);
    }
  });

  it.each([
    [
      "en",
      "The trial of Pro for Acme ends on March 15, 2026.",
      "was canceled on May 7, 2026 because its payment could not be collected.",
      "reached the end of its term on May 7, 2026.",
      "Consider a pack or a larger plan before the limit is reached.",
      "The limit is reached: buy a pack or move to a larger plan to keep going.",
    ],
    [
      "es",
      "La prueba de Pro de Acme termina el 15 de marzo de 2026.",
      "se canceló el 7 de mayo de 2026 porque no se pudo cobrar su pago.",
      "llegó al final de su plazo el 7 de mayo de 2026.",
      "Considera un paquete o un plan mayor antes de llegar al límite.",
      "Llegaste al límite: compra un paquete o pasa a un plan mayor para seguir.",
    ],
  ] as const)(
    "writes the trial, ending and usage texts in %s, as text and HTML",
    (locale, trial, unpaid, expired, nearLimit, atLimit) => {
      const messages = eventMessages(locale);
      const endsAt = locale === "en" ? "March 15, 2026" : "15 de marzo de 2026";
      const endedAt = locale === "en" ? "May 7, 2026" : "7 de mayo de 2026";
      const usage = (threshold: number) =>
        messages.usageThresholdEmail({
          organizationName: "Acme",
          featureName: "Encounters",
          threshold,
          used: threshold === 100 ? "500" : "400",
          limit: "500",
        });
      const rendered: [{ text: string; html: string }, string][] = [
        [
          messages.trialEndingEmail({
            organizationName: "Acme",
            planName: "Pro",
            trialEndsAt: endsAt,
          }),
          trial,
        ],
        [
          messages.subscriptionEndedEmail({
            organizationName: "Acme",
            planName: "Pro",
            endedAt,
            reason: "payment_failed",
          }),
          unpaid,
        ],
        [
          messages.subscriptionEndedEmail({
            organizationName: "Acme",
            planName: "Pro",
            endedAt,
            reason: "expired",
          }),
          expired,
        ],
        [usage(80), nearLimit],
        [usage(100), atLimit],
      ];
      for (const [email, sentence] of rendered) {
        expect(email.text).toContain(sentence);
        expect(email.html).toContain(sentence);
      }
    },
  );
});
