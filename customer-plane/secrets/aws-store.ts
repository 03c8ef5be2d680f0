import {
  SecretsManagerClient,
  GetSecretValueCommand,
  PutSecretValueCommand,
  CreateSecretCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import type { SecretName, SecretStore } from './store.ts';

/**
 * Production: AWS Secrets Manager in the customer's account, one secret per name under a prefix
 * (the Terraform stack creates them, KMS-encrypted). Read at use; nothing is cached on disk.
 */
export function createAwsSecretStore(opts: {
  prefix: string;
  client?: SecretsManagerClient;
  region?: string;
  endpoint?: string;
  kmsKeyId?: string;
}): SecretStore {
  const client = opts.client ?? new SecretsManagerClient({ region: opts.region, endpoint: opts.endpoint });
  const id = (name: SecretName) => `${opts.prefix}${name}`;
  return {
    async get(name) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: id(name) }));
        return out.SecretString ?? undefined;
      } catch (err) {
        if (err instanceof ResourceNotFoundException) return undefined;
        throw err;
      }
    },
    async put(name, value) {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: id(name), SecretString: value }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        await client.send(new CreateSecretCommand({ Name: id(name), SecretString: value, KmsKeyId: opts.kmsKeyId }));
      }
    },
  };
}
