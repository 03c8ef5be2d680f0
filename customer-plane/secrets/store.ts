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
  | 'local-nats-logins';

export type SecretStore = {
  get(name: SecretName): Promise<string | undefined>;
  put(name: SecretName, value: string): Promise<void>;
};
