/**
 * Where the customer plane keeps what must never leave it: the tenant signing key, the leaf login,
 * BYOK LLM keys (the plane's own secrets, by fixed name), and the secrets runs use by reference (by
 * scope and name, see provider.ts). Values are read at use, not copied into config or logs.
 */
export type SecretName =
  | 'tenant-signing-key'
  | 'leaf-credentials'
  | 'openai-api-key'
  | 'anthropic-api-key'
  | 'agent-token'
  | 'local-nats-logins'
  /** The local API's admin secret (approvals); generated at the first start that enables the local API. */
  | 'local-admin-secret';

/** The plane's own secrets, by fixed name. */
export type SecretStore = {
  get(name: SecretName): Promise<string | undefined>;
  put(name: SecretName, value: string): Promise<void>;
};

/**
 * A storage backend (the 0600 file, AWS Secrets Manager) addressed by id: the plane's own secrets use
 * their fixed name as id, run secrets `<scope prefix><NAME>`, a run's secret inputs
 * `run-inputs/<inputs id>/<NAME>`. Every call goes to the backend: nothing is cached here.
 */
export type SecretBackend = {
  get(id: string): Promise<string | undefined>;
  put(id: string, value: string): Promise<void>;
  /** Removes the secret; an id that does not exist is not an error. */
  delete(id: string): Promise<void>;
  /** Ids that start with `prefix` (case-sensitive), in no particular order. */
  list(prefix: string): Promise<string[]>;
};
