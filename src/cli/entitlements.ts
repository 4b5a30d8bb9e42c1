import { type Command, Option } from "commander";
import { AbonoError, createAbono } from "../../packages/client/src/index.ts";
import { exitCodes } from "./command-context.ts";

/** `check`'s exit code when the service answers that the organization may not use the feature. */
export const refusedExitCode = 3;

/**
 * `abono entitlements check <orgId> <feature>`: asks a running service, through `@abono/client`, what an
 * application would ask (`GET /v1/organizations/{orgId}/entitlements/{feature}`). The key comes from
 * `ABONO_API_KEY`, read by commander like `ABONO_URL`; the option it fills is hidden from the help, so
 * the key is not typed on the command line (it would stay in the shell history and the process list).
 */
export function registerEntitlements(program: Command) {
  const entitlements = program
    .command("entitlements")
    .description("Ask a running service about entitlements (through the HTTP API)");
  entitlements
    .command("check")
    .description(
      `May the organization use the feature, and how much is left? Exit 0 allowed, ${refusedExitCode} refused, 1 failed. The key is read from ABONO_API_KEY.`,
    )
    .argument("<orgId>", "the organization")
    .argument("<feature>", "the feature key")
    .addOption(
      new Option("--url <url>", "the service's base URL")
        .env("ABONO_URL")
        .default("http://127.0.0.1:8080"),
    )
    .addOption(new Option("--json", "print the API's answer as JSON"))
    .addOption(new Option("--api-key <key>").env("ABONO_API_KEY").hideHelp())
    .action(
      async (
        orgId: string,
        feature: string,
        options: { url: string; json?: boolean; apiKey?: string },
        command: Command,
      ) => {
        const apiKey = options.apiKey;
        if (!apiKey) {
          command.error("Set ABONO_API_KEY to a root key or the organization's key.", {
            exitCode: exitCodes.usage,
            code: "abono.usage",
          });
        }
        const abono = createAbono({
          baseUrl: options.url,
          apiKey,
          maxRetries: 1,
          timeoutMs: 10_000,
        });
        try {
          const check = await abono.entitlements.check(orgId, feature);
          if (options.json) console.log(JSON.stringify(check));
          else {
            const amounts =
              check.limit === null && check.remaining === null
                ? ""
                : ` (limit ${check.limit ?? "unlimited"}, used ${check.used}, remaining ${check.remaining ?? "unlimited"})`;
            const reason = "reason" in check && check.reason ? `: ${check.reason}` : "";
            console.log(
              `${orgId} ${check.allowed ? "may" : "may not"} use ${feature}${reason}${amounts}`,
            );
          }
          process.exitCode = check.allowed ? exitCodes.ok : refusedExitCode;
        } catch (error) {
          if (!(error instanceof AbonoError)) throw error;
          console.error(`${error.code}: ${error.message}`);
          process.exitCode = exitCodes.failed;
        }
      },
    );
}
