/**
 * FAKE LLM providers for tests, the demo and the bench: loopback HTTP servers that speak the real
 * OpenAI and Anthropic wire protocols, with fault injection. Importable from scripts (no node:test).
 */
export { startFakeOpenAI } from './openai.ts';
export { startFakeAnthropic } from './anthropic.ts';
export type { FakeProvider, FakeProviderOptions, ScriptedReply, ScriptedRequest } from './server.ts';
export type { Fault, FaultScope, FakeRequestRecord } from './faults.ts';
