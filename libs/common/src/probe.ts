/**
 * Health probes' dependency check: true when `check` resolves within `timeoutMs`. A dependency that
 * hangs counts as down, so the probe answers before the orchestrator's own timeout gives up on it.
 */
export async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
