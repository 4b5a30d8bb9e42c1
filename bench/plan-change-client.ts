/**
 * The load generator of `bench/plan-change.ts`, in its own process so that its CPU is not the server's:
 * for each phase the parent sends (over IPC), `concurrency` clients send `requests` POSTs in turn, each
 * client on its own organizations, and the latencies (ms, in the order they finished) go back to the
 * parent. A change flips its organization between Plus and Premium, so the next change goes back.
 */

export interface ClientPhase {
  kind: "bare" | "preview" | "change";
  requests: number;
  concurrency: number;
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
  const request = async (organization: { id: string; planId: string }) => {
    const planId = organization.planId === "plus" ? "premium" : "plus";
    const url =
      kind === "bare"
        ? `${phase.bareUrl}/change`
        : `${phase.abonoUrl}/v1/organizations/${organization.id}/subscription/${kind === "preview" ? "preview-change" : "change"}`;
    const started = performance.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${phase.rootKey}`, "content-type": "application/json" },
      body: JSON.stringify({ planId, interval: "month" }),
    });
    const text = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${kind}: ${response.status} ${text}`);
    if (kind === "change") organization.planId = planId;
    return elapsed;
  };
  const latencies: number[] = [];
  const started = performance.now();
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
