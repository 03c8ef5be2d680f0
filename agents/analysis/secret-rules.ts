import type { FindingSeverity } from '../../shared/boundary.ts';

/**
 * Known credential formats and the entropy rule of the secret scanner. A rule's `pattern` finds a
 * candidate; `accept` decides whether the matched value is a credential rather than a placeholder.
 * Nothing here ever returns the value: callers get the rule and the position only.
 */
export type SecretRule = {
  id: string;
  /** What the finding names (never the value). */
  kind: string;
  severity: FindingSeverity;
  /** Global; the named group `v` (or the whole match) is the credential. */
  pattern: RegExp;
  accept?: (value: string, line: string) => boolean;
  /** Only in files that are not source code (e.g. `.env`, YAML, properties), where values go unquoted. */
  configOnly?: boolean;
};

/** Bits per character (Shannon) of a string. */
export function entropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER_WORDS = /example|sample|dummy|placeholder|change_?me|your[_-]?|redacted|xxxx|\*\*\*\*|<[^>]*>|\$\{|\{\{|%\(|%s|\.\.\./i;

/** True for values that are obviously not credentials: documentation placeholders, templating, repeated characters. */
export function looksPlaceholder(value: string): boolean {
  if (PLACEHOLDER_WORDS.test(value)) return true;
  if (new Set(value).size < 6) return true;
  return /(.)\1{7,}/.test(value);
}

const notPlaceholder = (v: string) => !looksPlaceholder(v);

/** The words that make an assignment's value a credential, e.g. `DB_PASSWORD=…`, `apiKey: '…'`. */
const SECRET_KEY =
  '[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*';

function genericAccept(value: string): boolean {
  if (value.length < 12 || value.length > 200) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  if (value.includes('://') || /^[./~]|\.(json|pem|key|crt|txt|ya?ml|env)$/i.test(value)) return false;
  if (/^(process\.env|os\.environ|env\.|getenv)/.test(value)) return false;
  // Patterns and code (character classes, groups, alternations) are not credentials.
  if ((value.match(/[[\]()|*?\\{}]/g) ?? []).length >= 3) return false;
  // Words joined by separators are names (header names, setting keys, slugs), not generated secrets.
  if (/^[a-z]+([-_.][a-z0-9]+)+$/.test(value)) return false;
  return notPlaceholder(value) && entropy(value) >= 3.0;
}

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'secret/private-key',
    kind: 'private key (PEM block)',
    severity: 'critical',
    // The header alone is not a key (parsers compare against it): a base64 body line must follow.
    pattern: /-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----(?:\\n|\r?\n)(?<v>[A-Za-z0-9+/=]{40,})/g,
  },
  {
    id: 'secret/aws-access-key',
    kind: 'AWS access key ID',
    severity: 'critical',
    pattern: /\b(?<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/aws-secret-key',
    kind: 'AWS secret access key',
    severity: 'critical',
    pattern: /aws_?secret_?(?:access_?)?key['"]?\s*(?:=|:|=>)\s*['"]?(?<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    accept: (v) => notPlaceholder(v) && entropy(v) >= 4,
  },
  {
    id: 'secret/github-token',
    kind: 'GitHub token',
    severity: 'high',
    pattern: /\b(?<v>gh[pousr]_[A-Za-z0-9]{36})\b/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/github-token',
    kind: 'GitHub fine-grained token',
    severity: 'high',
    pattern: /\b(?<v>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/gitlab-token',
    kind: 'GitLab token',
    severity: 'high',
    pattern: /\b(?<v>glpat-[A-Za-z0-9_-]{20})\b/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/slack-webhook',
    kind: 'Slack incoming webhook URL',
    severity: 'high',
    pattern: /https:\/\/hooks\.slack\.com\/services\/(?<v>T[A-Z0-9]{8,12}\/B[A-Z0-9]{8,12}\/[A-Za-z0-9]{24})/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/slack-token',
    kind: 'Slack token',
    severity: 'high',
    pattern: /\b(?<v>xox[abposr]-\d{8,13}-[0-9A-Za-z-]{16,})/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/stripe-key',
    kind: 'Stripe live key',
    severity: 'high',
    pattern: /\b(?<v>(?:sk|rk)_live_[0-9A-Za-z]{24,99})\b/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/google-api-key',
    kind: 'Google API key',
    severity: 'high',
    pattern: /\b(?<v>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g,
    accept: notPlaceholder,
  },
  { id: 'secret/npm-token', kind: 'npm access token', severity: 'high', pattern: /\b(?<v>npm_[A-Za-z0-9]{36})\b/g, accept: notPlaceholder },
  {
    id: 'secret/anthropic-key',
    kind: 'Anthropic API key',
    severity: 'high',
    pattern: /\b(?<v>sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,})/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/openai-key',
    kind: 'OpenAI API key',
    severity: 'high',
    // Current keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle; legacy ones are sk- and 48 characters.
    pattern: /\b(?<v>sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/sendgrid-key',
    kind: 'SendGrid API key',
    severity: 'high',
    pattern: /\b(?<v>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g,
    accept: notPlaceholder,
  },
  {
    id: 'secret/url-credentials',
    kind: 'password in a connection URL',
    severity: 'high',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@'"`]{1,64}:(?<v>[^\s@/'"`]{4,128})@[A-Za-z0-9.-]+/g,
    accept: (v) => notPlaceholder(v) && !/^(pass(word)?|pwd|secret|\$.*|:.*)$/i.test(v) && new Set(v).size >= 4,
  },
  {
    id: 'secret/jwt',
    kind: 'JSON Web Token',
    severity: 'medium',
    pattern: /\b(?<v>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,})/g,
  },
  // Last: a value assigned to a credential-named key, judged by its shape and entropy.
  {
    id: 'secret/generic-assignment',
    kind: 'credential-like value assigned to a secret-named key',
    severity: 'medium',
    pattern: new RegExp(String.raw`${SECRET_KEY}['"]?\s*(?:=|:|:=|=>)\s*(['"\x60])(?<v>[^\s'"\x60]+)\1`, 'gi'),
    accept: genericAccept,
  },
  {
    id: 'secret/generic-assignment',
    kind: 'credential-like value assigned to a secret-named key',
    severity: 'medium',
    pattern: new RegExp(String.raw`^\s*(?:export\s+)?${SECRET_KEY}\s*(?:=|:)\s*(?<v>[^\s'"\x60#]+)\s*(?:#.*)?$`, 'gim'),
    accept: genericAccept,
    configOnly: true,
  },
];
