/**
 * The load generator of `bench/plan-change.ts`, in its own process so that its CPU is not the server's:
 * for each phase the parent sends (over IPC), `concurrency` clients send `requests` POSTs in turn, each
 * client on its own organizations (a closed loop: a client sends its next request when the last one is
 * answered), or, with `rate`, `requests` POSTs arrive at that many per second however long the answers
 * take (an open loop, as independent customers arrive), each on an organization with no request in
 * flight. The latencies (ms, in the order they finished) go back to the parent; an open loop's are
 * counted from the time the request was due, so a late send counts against the server. A change flips
 * its organization between Plus and Premium, so the next change goes back.
 */

export interface ClientPhase {
  kind: "bare" | "preview" | "change";
  requests: number;
  concurrency: number;
  /** Requests per second (an open loop); without it, `concurrency` clients in a closed loop. */
  rate?: number | undefined;
  bareUrl: string;
  abonoUrl: string;
  rootKey: string;
  /** The organizations and the plan each is on (the client keeps track across phases). */
  organizations: { id: string; planId: string }[];
}

export interface ClientResult {
  latencies: number[];
  seconds: number;
  organizations: { id: string; planId: string }[];
}

async function runPhase(phase: ClientPhase): Promise<ClientResult> {
  const { kind, requests, concurrency, organizations } = phase;
  const request = async (organization: { id: string; planId: string }, due = performance.now()) => {
    const planId = organization.planId === "plus" ? "premium" : "plus";
    const url =
      kind === "bare"
        ? `${phase.bareUrl}/change`
        : `${phase.abonoUrl}/v1/organizations/${organization.id}/subscription/${kind === "preview" ? "preview-change" : "change"}`;
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${phase.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({ planId, interval: "month" }),
    });
    const text = await response.text();
    const elapsed = performance.now() - due;
    if (response.status !== 200) throw new Error(`${kind}: ${response.status} ${text}`);
    if (kind === "change") organization.planId = planId;
    return elapsed;
  };
  const latencies: number[] = [];
  const started = performance.now();
  if (phase.rate !== undefined) {
    const rate = phase.rate;
    const busy = new Set<string>();
    let next = 0;
    const sent: Promise<void>[] = [];
    let failure: unknown = null;
    for (let index = 0; index < requests; index++) {
      const due = started + (index * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // The next organization with no request in flight.
      let organization: { id: string; planId: string } | undefined;
      for (let tried = 0; tried < organizations.length && !organization; tried++) {
        const candidate = organizations[next++ % organizations.length];
        if (candidate && !busy.has(candidate.id)) organization = candidate;
      }
      if (!organization) {
        throw new Error(
          `every organization has a request in flight at ${rate}/s: use more organizations`,
        );
      }
      const mine = organization;
      busy.add(mine.id);
      sent.push(
        request(mine, due).then(
          (elapsed) => {
            busy.delete(mine.id);
            latencies.push(elapsed);
          },
          (error: unknown) => {
            failure ??= error;
          },
        ),
      );
    }
    await Promise.all(sent);
    if (failure) throw failure;
    return { latencies, seconds: (performance.now() - started) / 1000, organizations };
  }
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      const mine = organizations.filter((_, index) => index % concurrency === client);
      for (let index = client; index < requests; index += concurrency) {
        const organization = mine[Math.floor(index / concurrency) % mine.length];
        if (organization) latencies.push(await request(organization));
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000, organizations };
}

process.on("message", (phase: ClientPhase) => {
  runPhase(phase).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, error: String(error) }),
  );
});
