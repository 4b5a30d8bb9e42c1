import type { EventConsumer } from "../events/dispatch-events.ts";

/** Messages to people that follow published events (receipts, notices); see `dispatchEvents`. */
export const eventMessageConsumers: readonly EventConsumer[] = [];
