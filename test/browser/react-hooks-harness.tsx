/**
 * A page for `@abono/react`'s hooks in a real browser (bundled by test/portal/react-hooks.test.ts with
 * esbuild): `window.abonoHooks.mount(spec)` renders providers, each with probes that show a hook's result
 * as JSON in `[data-testid=<id>]`; `refresh(id)` calls a probe's `refresh()`. The client is `@abono/client`
 * with the page's portal session cookie, so every answer is the real server's. Type-checked with the
 * portal's settings (test/browser/tsconfig.json).
 */
import { createAbono } from "@abono/client";
import {
  AbonoProvider,
  type EntitlementStoreOptions,
  useEntitlement,
  useEntitlements,
} from "@abono/react";
import { createRoot, type Root } from "react-dom/client";

export interface HarnessSpec {
  providers: {
    organizationId: string | null;
    options?: EntitlementStoreOptions;
    /** `feature`: a `useEntitlement(feature)` probe; without it, `useEntitlements()`. */
    probes: { id: string; feature?: string }[];
  }[];
}

const client = createAbono({ baseUrl: window.location.origin, maxRetries: 0 });
const refreshers = new Map<string, () => Promise<void>>();
let root: Root | null = null;

function errorOf(error: unknown) {
  if (error === null || error === undefined) return null;
  const { code, status } = error as { code?: string; status?: number };
  return { code: code ?? "unknown", status: status ?? null };
}

function Probe({ id, feature }: { id: string; feature: string }) {
  const { refresh, error, ...state } = useEntitlement(feature);
  refreshers.set(id, refresh);
  return <pre data-testid={id}>{JSON.stringify({ ...state, error: errorOf(error) })}</pre>;
}

function WholeProbe({ id }: { id: string }) {
  const { refresh, error, data, loading } = useEntitlements();
  refreshers.set(id, refresh);
  return (
    <pre data-testid={id}>
      {JSON.stringify({ data: data ?? null, loading, error: errorOf(error) })}
    </pre>
  );
}

function Harness({ spec }: { spec: HarnessSpec }) {
  return spec.providers.map((provider, index) => (
    <AbonoProvider
      // biome-ignore lint/suspicious/noArrayIndexKey: the spec's order is the providers' identity
      key={index}
      client={client}
      organizationId={provider.organizationId}
      locale="en"
      entitlementOptions={provider.options}
    >
      {provider.probes.map((probe) =>
        probe.feature ? (
          <Probe key={probe.id} id={probe.id} feature={probe.feature} />
        ) : (
          <WholeProbe key={probe.id} id={probe.id} />
        ),
      )}
    </AbonoProvider>
  ));
}

Object.assign(window, {
  abonoHooks: {
    mount(spec: HarnessSpec) {
      root?.unmount();
      refreshers.clear();
      root = createRoot(document.getElementById("root") as HTMLElement);
      root.render(<Harness spec={spec} />);
    },
    unmount() {
      root?.unmount();
      root = null;
    },
    refresh(id: string) {
      return refreshers.get(id)?.();
    },
  },
});
