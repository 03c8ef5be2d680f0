import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretsUnavailableError } from './errors.ts';
import type { SecretBackend } from './store.ts';

/**
 * Production: AWS Secrets Manager in the customer's account, one secret per id under a name prefix
 * (the stack's own secrets are created by Terraform, KMS-encrypted). Every call goes to the service:
 * nothing is cached in memory or on disk. Failures other than "no such secret" become
 * SecretsUnavailableError (retryable; its message names the operation, never a value).
 */
export function createAwsSecretStore(opts: {
  prefix: string;
  client?: SecretsManagerClient;
  region?: string;
  endpoint?: string;
  kmsKeyId?: string;
}): SecretBackend {
  const client = opts.client ?? new SecretsManagerClient({ region: opts.region, endpoint: opts.endpoint });
  const awsName = (id: string) => `${opts.prefix}${id}`;
  const unavailable = (op: string, err: unknown) => new SecretsUnavailableError(`AWS Secrets Manager ${op} failed`, { cause: err });
  return {
    async get(id) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: awsName(id) }));
        return out.SecretString ?? undefined;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw unavailable('GetSecretValue', err);
      }
    },
    async put(id, value) {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: awsName(id), SecretString: value }));
        return;
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw unavailable('PutSecretValue', err);
      }
      try {
        await client.send(new CreateSecretCommand({ Name: awsName(id), SecretString: value, KmsKeyId: opts.kmsKeyId }));
      } catch (err) {
        throw unavailable('CreateSecret', err);
      }
    },
    async delete(id) {
      try {
        // Run inputs are single-use: no recovery window, so the value is gone when the run is.
        await client.send(new DeleteSecretCommand({ SecretId: awsName(id), ForceDeleteWithoutRecovery: true }));
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return;
        throw unavailable('DeleteSecret', err);
      }
    },
    async list(prefix) {
      const full = awsName(prefix);
      const ids: string[] = [];
      let NextToken: string | undefined;
      try {
        do {
          // The service's name filter is a case-insensitive prefix match: the exact prefix is checked below.
          const page = await client.send(
            new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [full] }], MaxResults: 100, NextToken }),
          );
          for (const s of page.SecretList ?? []) if (s.Name?.startsWith(full)) ids.push(s.Name.slice(opts.prefix.length));
          NextToken = page.NextToken;
        } while (NextToken);
      } catch (err) {
        throw unavailable('ListSecrets', err);
      }
      return ids;
    },
  };
}
