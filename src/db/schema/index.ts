export * from "./api-keys.ts";
export * from "./billing.ts";
export * from "./catalog.ts";
export * from "./entitlements.ts";
export * from "./idempotency-keys.ts";
export * from "./organizations.ts";
export * from "./payments.ts";
export * from "./test-clocks.ts";
