/**
 * Polls `read` every 50 ms until it gives a value (not `undefined`) and returns it; throws, naming
 * `what`, when `timeoutMs` passes first. For outputs that jobs produce after a request answered.
 */
export async function until<T>({
  what,
  read,
  timeoutMs = 20_000,
}: {
  what: string;
  read: () => Promise<T | undefined> | T | undefined;
  timeoutMs?: number;
}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited in vain for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
