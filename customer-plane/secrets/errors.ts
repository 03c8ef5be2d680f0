import { RetryableError } from '../../shared/worker-errors.ts';
import { AgentplaneError } from '../../shared/errors.ts';

/**
 * The secret store could not be reached or refused to answer (a network error, throttling, a 5xx,
 * missing permissions). Retryable: a run that needs the store is put back on the queue, not failed.
 * The message never carries a secret's value.
 */
export class SecretsUnavailableError extends RetryableError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('secrets_unavailable', message, opts);
  }
}

/** A scope prefix or a secret name that is not valid: a caller's mistake, named in the message. */
export class SecretNameError extends AgentplaneError {}
