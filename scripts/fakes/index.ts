/**
 * FAKE providers for tests, the demo and the bench: loopback HTTP servers that speak the real OpenAI,
 * Anthropic and AWS Secrets Manager wire protocols, with fault injection. Importable from scripts
 * (no node:test).
 */
export { startFakeOpenAI } from './openai.ts';
export { startFakeAnthropic } from './anthropic.ts';
export type { FakeProvider, FakeProviderOptions, ScriptedReply, ScriptedRequest } from './server.ts';
export type { Fault, FaultScope, FakeRequestRecord } from './faults.ts';
export { FAKE_AWS_CREDENTIALS, FAKE_AWS_REGION, type FakeSecretsManager, startFakeSecretsManager } from './secrets-manager.ts';
