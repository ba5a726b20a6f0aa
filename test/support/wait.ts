// Waiting for a condition instead of sleeping: the worker to have recorded an event, a delivery
// to have arrived. Never used to prove that something does not happen.

type Falsy = false | 0 | "" | null | undefined;

/** Polls `probe` until it returns a truthy value, and returns that value; fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | Falsy> | T | Falsy, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
