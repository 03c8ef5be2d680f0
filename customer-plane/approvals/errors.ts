import { AppError } from '../../shared/errors.ts';
import { RetryableError } from '../../shared/worker-errors.ts';

/**
 * A decision that cannot be taken, with a stable code (the local API's status comes with it; the CLI
 * prints the code): unknown, expired, already decided, superseded, or closed because its run ended. Nothing was changed.
 */
export class ApprovalError extends AppError {
  constructor(
    code: 'approval_not_found' | 'approval_expired' | 'approval_already_decided' | 'approval_superseded' | 'approval_closed',
    message: string,
    opts: { details?: Record<string, unknown> } = {},
  ) {
    super(code, code === 'approval_not_found' ? 404 : 409, message, opts);
  }
}

/**
 * The wait for a decision was cut short because this runner is stopping. The approval stays pending in
 * the database; the run is given back to the work queue and resumed by the next runner, which waits on
 * the same approval. Retryable: never a failure of the run.
 */
export class ApprovalInterrupted extends RetryableError {
  constructor() {
    super('approval_interrupted', 'the runner stopped while an approval was pending; the run resumes on the next runner');
  }
}
