export * from "./api-keys.ts";
export * from "./idempotency-keys.ts";
