import { parentPort } from 'node:worker_threads';
import { CountDeadlineError, countTokens } from './token-count-core.ts';

/**
 * The token worker thread: counts the texts of one request at a time, so a slow count never holds
 * the event loop that serves every other request. Texts not counted by the job's deadline come back
 * as null and the caller uses their byte bound; a job whose deadline passed while it waited in the
 * queue is answered at once without counting.
 */
export type CountJob = { id: number; texts: string[]; deadline: number };
export type CountResult = { id: number; counts: (number | null)[] } | { ready: true };

// Loading the encoding's ranks takes a few hundred ms: done once, before the first job's deadline runs.
countTokens('ready');
parentPort?.postMessage({ ready: true } satisfies CountResult);

parentPort?.on('message', (job: CountJob) => {
  const counts: (number | null)[] = job.texts.map(() => null);
  try {
    for (let i = 0; i < job.texts.length; i++) counts[i] = countTokens(job.texts[i], job.deadline);
  } catch (err) {
    // Past the deadline the rest stays null; any other failure too: the byte bound is always safe.
    if (!(err instanceof CountDeadlineError)) counts.fill(null);
  }
  parentPort?.postMessage({ id: job.id, counts } satisfies CountResult);
});
