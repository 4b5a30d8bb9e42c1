/**
 * Text PostgreSQL cannot store: a NUL character (text and jsonb refuse it) or an unpaired UTF-16 surrogate
 * (jsonb refuses its `\ud800` escape; text would silently turn it into U+FFFD).
 */
const nul = "\u0000";
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL cannot store `value`, or null when it can. */
export function unstorableTextProblem(value: string): string | null {
  if (value.includes(nul)) return "contains a NUL character (\\u0000)";
  if (loneSurrogate.test(value)) return "contains an unpaired UTF-16 surrogate (e.g. \\ud800)";
  return null;
}

/**
 * The first string (or object key) in a parsed JSON value that PostgreSQL cannot store: its path
 * (`events.3.eventId`, `` for the value itself) and the problem. Iterative: nesting depth is the sender's.
 */
export function findUnstorableText(value: unknown): { path: string; problem: string } | null {
  const pending: { value: unknown; path: string }[] = [{ value, path: "" }];
  const join = (path: string, key: string | number) => (path === "" ? `${key}` : `${path}.${key}`);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value === "string") {
      const problem = unstorableTextProblem(next.value);
      if (problem !== null) return { path: next.path, problem };
    } else if (Array.isArray(next.value)) {
      for (let index = next.value.length - 1; index >= 0; index--) {
        pending.push({ value: next.value[index], path: join(next.path, index) });
      }
    } else if (typeof next.value === "object" && next.value !== null) {
      const entries = Object.entries(next.value);
      for (let index = entries.length - 1; index >= 0; index--) {
        const [key, item] = entries[index] as [string, unknown];
        const problem = unstorableTextProblem(key);
        if (problem !== null) return { path: next.path, problem: `has a key that ${problem}` };
        pending.push({ value: item, path: join(next.path, key) });
      }
    }
  }
  return null;
}
