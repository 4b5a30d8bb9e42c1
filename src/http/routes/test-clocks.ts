import { z } from "zod";
import { access } from "../../auth/principal.ts";
import { notFound } from "../../errors.ts";
import { advanceTestClock, createTestClock, getTestClock } from "../../test-clocks/test-clocks.ts";
import type { AppDependencies, RouteModule } from "../app-types.ts";
import { instantInput } from "../schemas/instant-input.ts";

const clockSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  frozenTime: z.date(),
  status: z.enum(["ready", "advancing", "failed"]).meta({
    description:
      "`failed`: the last advance left due work failing (listed in `failures`); the clock can be advanced again.",
  }),
  createdAt: z.date(),
  failures: z
    .array(
      z.object({
        work: z.string().meta({
          description:
            "`renewal` for a renewal on record as failing (retried after a backoff), else the failed job's task",
        }),
        organizationId: z.string().nullable(),
        subscriptionId: z.string().nullable(),
        attempts: z.number().int(),
        error: z.string(),
        nextAttemptAt: z.date().nullable(),
      }),
    )
    .meta({
      description: "Due work of the clock's organizations that failed and waits for a retry.",
    }),
});

function requireTestMode({ config }: AppDependencies) {
  if (!config.testMode) {
    throw notFound("Test clocks", "(test mode is off: set ABONO_TEST_MODE=true to use them)");
  }
}

/** Test clocks (test mode only): simulate time for the organizations attached to a clock. */
export const testClockRoutes: RouteModule = (app, dependencies) => {
  const { db, clock, logger, scheduledTasks } = dependencies;
  app.post(
    "/v1/test-clocks",
    {
      config: { access: access.root },
      schema: {
        tags: ["test clocks"],
        summary: "Create a test clock",
        description:
          "Attach organizations to it at creation (`testClockId`); their time is the clock's.",
        body: z.object({
          frozenTime: instantInput(),
          name: z.string().trim().min(1).max(200).optional(),
        }),
        response: { 201: clockSchema },
      },
    },
    async (request, reply) => {
      requireTestMode(dependencies);
      const created = await createTestClock({
        db,
        frozenTime: new Date(request.body.frozenTime),
        name: request.body.name ?? null,
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/v1/test-clocks/:testClockId",
    {
      config: { access: access.root },
      schema: {
        tags: ["test clocks"],
        summary: "Get a test clock",
        description: "The clock's frozen time and status. Test mode only; root only.",
        params: z.object({ testClockId: z.string() }),
        response: { 200: clockSchema },
      },
    },
    async (request) => {
      requireTestMode(dependencies);
      return getTestClock({ db, clockId: request.params.testClockId });
    },
  );

  app.post(
    "/v1/test-clocks/:testClockId/advance",
    {
      config: { access: access.root, errors: ["invalid_state"] },
      schema: {
        tags: ["test clocks"],
        summary: "Advance a test clock",
        description:
          'Moves the clock forward and answers once every piece of due work for its organizations (renewals, trial ends, dunning retries, scheduled changes, queued jobs) has run. When some of it failed, the clock answers `status: "failed"` with what failed in `failures` (a failed renewal is retried after a backoff, on a later advance); otherwise `ready`.',
        params: z.object({ testClockId: z.string() }),
        body: z.object({ frozenTime: instantInput() }),
        response: { 200: clockSchema },
      },
    },
    async (request) => {
      requireTestMode(dependencies);
      const advanced = await advanceTestClock({
        db,
        clockId: request.params.testClockId,
        frozenTime: new Date(request.body.frozenTime),
        tasks: scheduledTasks,
        logger: logger.child({ testClockId: request.params.testClockId }),
        actor: request.principal?.id ?? "unknown",
        now: clock(),
      });
      return advanced;
    },
  );
};
