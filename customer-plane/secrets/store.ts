/**
 * Where the customer plane keeps what must never leave it: the tenant signing key, the leaf login,
 * BYOK LLM keys. Values are read at use, not copied into config or logs.
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

export type SecretStore = {
  get(name: SecretName): Promise<string | undefined>;
  put(name: SecretName, value: string): Promise<void>;
};
