import { expect } from "vitest";
import type { TestApp } from "./app.ts";

/** An email as `GET /v1/mailbox` shows it (test mode). */
export interface MailboxEmail {
  template: string;
  locale: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  status: string;
  attachments: { kind: string; invoiceId: string }[] | null;
}

/** An in-app notification as the notification lists show it. */
export interface ListedNotice {
  kind: string;
  organizationId: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

let counter = 0;

/**
 * An organization with an owner to email, on its own test clock, with a sandbox card; and ways to wait
 * for the messages its events send (the owner's emails, its users' and the operators' notifications).
 */
export async function createMessageCustomer({
  app,
  locale,
  start,
}: {
  app: TestApp;
  locale: "en" | "es";
  start: string;
}) {
  counter += 1;
  const clock = await app.request("POST", "/v1/test-clocks", { body: { frozenTime: start } });
  const id = `messages-${process.pid}-${counter}`;
  const created = await app.request("POST", "/v1/organizations", {
    body: {
      id,
      name: `Constructora ${counter}`,
      currency: "USD",
      locale,
      testClockId: clock.body.id,
      owner: { userId: `owner-${counter}`, email: `owner-${counter}@example.com` },
    },
  });
  expect(created.status).toBe(201);
  const path = (suffix = "") => `/v1/organizations/${id}${suffix}`;
  const card = (token: string) =>
    app.request("POST", path("/payment-methods"), {
      body: { provider: "sandbox", token, default: true },
    });
  await card("pm_sandbox_ok");
  return {
    id,
    name: `Constructora ${counter}`,
    ownerEmail: `owner-${counter}@example.com`,
    path,
    card,
    advance: async (frozenTime: string) => {
      const response = await app.request("POST", `/v1/test-clocks/${clock.body.id}/advance`, {
        body: { frozenTime },
      });
      expect(response.status).toBe(200);
    },
    /** The sent emails of a template, oldest first, once there are at least `count`. */
    async emails(template: string, count = 1): Promise<MailboxEmail[]> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const box = await app.request("GET", `/v1/mailbox?organizationId=${id}&limit=100`);
        const found = (box.body.data as MailboxEmail[]).filter(
          (email) => email.template === template && email.status === "sent",
        );
        if (found.length >= count) return found.reverse();
        if (Date.now() > deadline) {
          throw new Error(
            `${count} ${template} emails expected for ${id}; mailbox: ${JSON.stringify(box.body.data.map((email: MailboxEmail) => [email.template, email.status]))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** The notifications of a kind for its users, or for the operators about it, once there is one. */
    async notices(kind: string, audience: "user" | "admin" = "user"): Promise<ListedNotice[]> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const list =
          audience === "user"
            ? await app.request("GET", path("/notifications?limit=100"))
            : await app.request("GET", "/v1/notifications?limit=100");
        const found = (list.body.data as ListedNotice[]).filter(
          (notice) => notice.kind === kind && notice.organizationId === id,
        );
        if (found.length > 0) return found;
        if (Date.now() > deadline) throw new Error(`no ${audience} ${kind} notification for ${id}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
