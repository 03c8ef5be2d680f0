/**
 * Waits for a shutdown step, but not forever: with a dependency already gone (hub killed, database
 * down) a drain can wait on something that will never answer, and shutdown must still finish.
 */
export async function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
