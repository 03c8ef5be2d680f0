import { join } from 'node:path';
import type { Logger } from '../../shared/log.ts';
import type { CustomerPlaneEnv } from '../config.ts';
import { createAwsSecretStore } from './aws-store.ts';
import { createFileSecretStore } from './file-store.ts';
import type { SecretBackend } from './store.ts';

export type SecretBackendEnv = Pick<CustomerPlaneEnv, 'SECRETS_BACKEND' | 'AWS_SECRETS_PREFIX' | 'AWS_REGION' | 'AWS_SECRETS_ENDPOINT'>;

/** The configured secret store: AWS Secrets Manager (`SECRETS_BACKEND=aws`) or the 0600 file under the state dir. */
export function selectSecretBackend(env: SecretBackendEnv, stateDir: string, log?: Logger): SecretBackend {
  if (env.SECRETS_BACKEND === 'aws') {
    return createAwsSecretStore({ prefix: env.AWS_SECRETS_PREFIX, region: env.AWS_REGION, endpoint: env.AWS_SECRETS_ENDPOINT });
  }
  const path = join(stateDir, 'secrets.json');
  log?.info({ path }, 'SECRETS_BACKEND=file: secrets kept in a 0600 file under the state dir');
  return createFileSecretStore(path);
}
