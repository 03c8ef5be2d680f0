import { MODEL_TIERS, type PROVIDERS } from '../boundary.ts';
import { UnknownModelError } from './errors.ts';

export type Tier = (typeof MODEL_TIERS)[number];
export type ProviderName = (typeof PROVIDERS)[number];

export type ModelSpec = {
  /** The provider's model id. */
  model: string;
  /** Total tokens the model accepts (input + output). */
  contextWindow: number;
  /** Largest `max_tokens` the model allows. */
  maxOutputTokens: number;
};

export type ModelMap = Record<Tier, Record<ProviderName, ModelSpec>>;

/**
 * Tiers are product vocabulary; the provider models behind them change with price and quality.
 * core: a small, fast model on each provider; ultra: each provider's frontier model.
 */
export const DEFAULT_MODEL_MAP: ModelMap = {
  core: {
    openai: { model: 'gpt-4.1-mini', contextWindow: 1_047_576, maxOutputTokens: 32_768 },
    anthropic: { model: 'claude-haiku-4-5', contextWindow: 200_000, maxOutputTokens: 64_000 },
  },
  ultra: {
    openai: { model: 'gpt-5', contextWindow: 400_000, maxOutputTokens: 128_000 },
    anthropic: { model: 'claude-opus-4-1', contextWindow: 200_000, maxOutputTokens: 32_000 },
  },
};

/** Output reserved when the caller sets no max_tokens: enough for a long answer, not the model's maximum. */
export const DEFAULT_OUTPUT_RESERVE = 4096;

export function resolveTier(model: unknown): Tier {
  if (typeof model === 'string' && (MODEL_TIERS as readonly string[]).includes(model)) return model as Tier;
  throw new UnknownModelError(typeof model === 'string' ? model : String(model));
}
