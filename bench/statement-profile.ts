import pg from "pg";

/**
 * Counts and times the statements this process sends to PostgreSQL (every `pg.Client#query`), grouped
 * by what they do (the first words of their text), and samples what the server's backends of one
 * database wait for. The renewal benchmark prints statements per renewal and, with `--profile`, where
 * a batch spends its time.
 */
const unpatchedQuery = pg.Client.prototype.query;

export function profileStatements(): {
  start(): void;
  stop(): { statements: number; byKind: { kind: string; count: number; ms: number }[] };
} {
  const original = unpatchedQuery;
  const kinds = new Map<string, { count: number; ms: number }>();
  let statements = 0;
  let counting = false;
  const record = (kind: string, ms: number) => {
    const entry = kinds.get(kind) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    kinds.set(kind, entry);
  };
  // biome-ignore lint/suspicious/noExplicitAny: wraps pg's overloaded query
  (pg.Client.prototype as any).query = function query(this: pg.Client, ...args: any[]) {
    if (!counting) return original.apply(this, args as never);
    statements += 1;
    const text: string = typeof args[0] === "string" ? args[0] : (args[0]?.text ?? "");
    const kind = kindOf(text);
    const started = performance.now();
    const result = original.apply(this, args as never) as unknown;
    if (result && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(
        () => record(kind, performance.now() - started),
        () => record(kind, performance.now() - started),
      );
    } else {
      record(kind, 0);
    }
    return result;
  };
  return {
    start() {
      statements = 0;
      kinds.clear();
      counting = true;
    },
    stop() {
      counting = false;
      pg.Client.prototype.query = original;
      return {
        statements,
        byKind: [...kinds.entries()]
          .map(([kind, entry]) => ({ kind, ...entry }))
          .sort((a, b) => b.ms - a.ms),
      };
    },
  };
}

/** A short name for a statement: its verb and the table it reads or writes. */
export function kindOf(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim().toLowerCase();
  const verb = flat.split(" ")[0] ?? "";
  if (verb === "begin" || verb === "commit" || verb === "rollback" || verb === "set")
    return flat.slice(0, 40);
  const table =
    /(?:insert into|update|from|delete from) "?([a-z_.]+)"?/.exec(flat)?.[1] ??
    /select .*?([a-z_]+)\(/.exec(flat)?.[1] ??
    "";
  return `${verb} ${table}`.trim();
}

/**
 * Samples, every `everyMs`, what the active backends of `database` are doing (running, or waiting on
 * a lock and which kind), until `stop()`; answers the share of samples of each state.
 */
export function sampleWaits({ url, everyMs = 20 }: { url: string; everyMs?: number }): {
  stop(): Promise<{ state: string; share: number }[]>;
} {
  const counts = new Map<string, number>();
  let total = 0;
  let running = true;
  const loop = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const database = new URL(url).pathname.slice(1);
    try {
      while (running) {
        const run = unpatchedQuery as (
          this: pg.Client,
          text: string,
          values: unknown[],
        ) => Promise<pg.QueryResult<{ state: string }>>;
        const { rows } = await run.call(
          client,
          `select coalesce(wait_event_type || ':' || wait_event, 'cpu') ||
                  case when wait_event = 'advisory' then '' when wait_event_type = 'Lock' then
                    coalesce(' ' || (select l.relation::regclass::text from pg_locks l
                                      where l.pid = a.pid and not l.granted limit 1), '') else '' end
                  as state
             from pg_stat_activity a
            where datname = $1 and pid <> pg_backend_pid() and state = 'active'
              and backend_type = 'client backend'`,
          [database],
        );
        for (const row of rows) {
          counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
          total += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return [...counts.entries()]
        .map(([state, count]) => ({ state, share: total === 0 ? 0 : count / total }))
        .sort((a, b) => b.share - a.share);
    },
  };
}
