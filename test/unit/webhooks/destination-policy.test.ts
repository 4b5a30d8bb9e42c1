import { describe, expect, it } from "vitest";
import {
  guardedLookup,
  isPrivateAddress,
  refuseDestination,
} from "../../../src/webhooks/destination-policy.ts";
import { retryDelay } from "../../../src/webhooks/retry-delay.ts";

const production = { allowPrivateUrls: false, allowedHosts: [] };

describe("outbound destinations (SSRF)", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "not an address",
  ])("refuses %s", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])(
    "allows %s",
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it("refuses private, loopback and link-local destinations, plain http and credentials", async () => {
    const refuse = (url: string, resolved: string[] = ["93.184.216.34"]) =>
      refuseDestination({ url: new URL(url), policy: production, resolve: async () => resolved });
    expect(await refuse("https://hooks.example.com/abono")).toBeNull();
    expect(await refuse("http://hooks.example.com/abono")).toMatch(/must be an https:\/\/ URL/);
    expect(await refuse("ftp://hooks.example.com/abono")).toMatch(/must be an https:\/\/ URL/);
    expect(await refuse("https://user:pass@hooks.example.com/")).toMatch(/user name or password/);
    expect(await refuse("https://127.0.0.1/hook")).toMatch(/private, loopback or link-local/);
    expect(await refuse("https://[::1]/hook")).toMatch(/private/);
    expect(await refuse("https://169.254.169.254/latest/meta-data")).toMatch(/private/);
    // A public name that resolves to a private address (or to one of several) is refused too.
    expect(await refuse("https://internal.example.com/", ["93.184.216.34", "10.0.0.5"])).toMatch(
      /10\.0\.0\.5/,
    );
    expect(
      await refuseDestination({
        url: new URL("https://nowhere.example/"),
        policy: production,
        resolve: async () => {
          throw new Error("ENOTFOUND");
        },
      }),
    ).toMatch(/does not resolve/);
  });

  it("allows private destinations in test mode, or for a listed host", async () => {
    const url = new URL("http://127.0.0.1:9999/hook");
    expect(
      await refuseDestination({ url, policy: { allowPrivateUrls: true, allowedHosts: [] } }),
    ).toBeNull();
    expect(
      await refuseDestination({
        url,
        policy: { allowPrivateUrls: false, allowedHosts: ["127.0.0.1"] },
      }),
    ).toBeNull();
  });

  it("refuses at connection time a name that resolves to a private address", async () => {
    const lookup = guardedLookup(production, "localhost");
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup("localhost", {}, (failure) => resolve(failure)),
    );
    expect(error?.code).toBe("EDESTINATIONREFUSED");
    const trusted = guardedLookup(
      { allowPrivateUrls: false, allowedHosts: ["localhost"] },
      "localhost",
    );
    const address = await new Promise<string>((resolve, reject) =>
      trusted("localhost", {}, (failure, found) =>
        failure ? reject(failure) : resolve(String(found)),
      ),
    );
    expect(isPrivateAddress(address)).toBe(true);
  });
});

describe("retry delays", () => {
  const schedule = [5_000, 300_000, 1_800_000];
  it("follows the schedule within ±20 % and stops after it", () => {
    expect(retryDelay({ attempts: 1, schedule, random: 0.5 })).toBe(5_000);
    expect(retryDelay({ attempts: 1, schedule, random: 0 })).toBe(4_000);
    expect(retryDelay({ attempts: 2, schedule, random: 0.999999 })).toBeCloseTo(360_000, -1);
    expect(retryDelay({ attempts: 3, schedule, random: 0.5 })).toBe(1_800_000);
    expect(retryDelay({ attempts: 4, schedule, random: 0.5 })).toBeNull();
  });
  it("spans about three days with the default schedule", () => {
    const defaults = [5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000].map(
      (seconds) => seconds * 1000,
    );
    const total = defaults.reduce((sum, delay) => sum + delay, 0);
    expect(total / 86_400_000).toBeGreaterThan(2.5);
    expect(total / 86_400_000).toBeLessThan(3.5);
  });
});
