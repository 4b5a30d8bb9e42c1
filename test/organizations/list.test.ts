import { afterAll, beforeAll, expect, it } from "vitest";
import { seedDemo } from "../../src/seeds/seed-demo.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

/** `GET /v1/organizations` (root): pages of organizations, each with its own steps and billing providers. */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ worker: false });
  await seedDemo({ db: app.server.connection.db, now: new Date() });
  for (const id of ["list-a", "list-b", "list-c"]) {
    const created = await app.request("POST", "/v1/organizations", { body: { id, name: id } });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  }
  const traced = await app.request("POST", "/v1/root/organizations/list-b/plan", {
    body: { organizationId: "list-b", planId: "pro", reason: "Sales deal OPS-9" },
  });
  if (traced.status !== 200) throw new Error(JSON.stringify(traced.body));
});

afterAll(async () => {
  await app?.close();
});

it("pages through every organization with its own provisioning steps and billing providers", async () => {
  const seen: { id: string; steps: string[]; providers: string[]; manualReason?: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: any } = await app.request(
      "GET",
      `/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(page.status).toBe(200);
    expect(page.body.data.length).toBeLessThanOrEqual(2);
    for (const organization of page.body.data) {
      seen.push({
        id: organization.id,
        steps: organization.provisioning.steps.map(
          (step: { step: string; status: string }) => `${step.step}:${step.status}`,
        ),
        providers: Object.keys(organization.billingProviders),
        manualReason: organization.billingProviders.manual?.reason,
      });
    }
    cursor = page.body.nextCursor;
  } while (cursor);

  expect(seen.map((organization) => organization.id).sort()).toEqual([
    "list-a",
    "list-b",
    "list-c",
  ]);
  const single = await app.request("GET", "/v1/organizations/list-a");
  const expectedSteps = single.body.provisioning.steps.map(
    (step: { step: string; status: string }) => `${step.step}:${step.status}`,
  );
  expect(expectedSteps.length).toBeGreaterThan(0);
  for (const organization of seen) expect(organization.steps).toEqual(expectedSteps);
  expect(seen.find((organization) => organization.id === "list-b")).toMatchObject({
    providers: ["manual"],
    manualReason: "Sales deal OPS-9",
  });
  for (const id of ["list-a", "list-c"]) {
    expect(seen.find((organization) => organization.id === id)?.providers).toEqual([]);
  }
});
