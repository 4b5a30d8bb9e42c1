import { describe, expect, it } from "vitest";
import { storeChange } from "../../src/notifications/event-messages.ts";

/** What a store subscription's status change tells the customer (pure: the event's data in, the change out). */
describe("storeChange", () => {
  const change = (previousStatus: string | null, status: string, notificationType = "x") =>
    storeChange({ previousStatus, status, notificationType });

  it("a first purchase, a resubscription or a new purchase after the end is a subscription", () => {
    expect(change(null, "active", "SUBSCRIBED.INITIAL_BUY")).toBe("subscribed");
    expect(change(null, "trialing", "SUBSCRIPTION_PURCHASED")).toBe("subscribed");
    expect(change("expired", "active", "SUBSCRIBED.RESUBSCRIBE")).toBe("subscribed");
    expect(change("revoked", "active", "reconciliation")).toBe("subscribed");
  });

  it("a failed payment collected after all, or a pause resumed, is a recovery, not a second welcome", () => {
    expect(change("past_due", "active", "DID_RENEW.BILLING_RECOVERY")).toBe("recovered");
    expect(change("past_due", "active", "reconciliation")).toBe("recovered");
    expect(change("expired", "active", "DID_RENEW.BILLING_RECOVERY")).toBe("recovered");
    expect(change("expired", "active", "SUBSCRIPTION_RECOVERED")).toBe("recovered");
    expect(change("paused", "active", "SUBSCRIPTION_RECOVERED")).toBe("recovered");
  });

  it("a renewal, a trial converting or a repeated state says nothing", () => {
    expect(change("active", "active", "DID_RENEW")).toBeNull();
    expect(change("trialing", "active", "DID_RENEW")).toBeNull();
    expect(change("past_due", "past_due", "GRACE_PERIOD_EXPIRED")).toBeNull();
    expect(change("expired", "expired", "EXPIRED")).toBeNull();
    expect(change("active", "paused", "SUBSCRIPTION_PAUSED")).toBeNull();
  });

  it("failures, ends and refunds", () => {
    expect(change("active", "past_due")).toBe("renewal_failed");
    expect(change("active", "expired")).toBe("expired");
    expect(change("past_due", "expired")).toBe("expired");
    expect(change("active", "revoked")).toBe("refunded");
    expect(change(null, "expired")).toBeNull();
  });
});
