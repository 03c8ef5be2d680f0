/**
 * Renders nats-server configuration. Values are always emitted as quoted JSON strings or numbers, so
 * a tenant id or password can never break out of its place in the file.
 */
export type ConfValue = string | number | boolean | ConfValue[] | { [key: string]: ConfValue | undefined };

export function renderNatsConf(value: Record<string, ConfValue | undefined>, indent = ''): string {
  const lines: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    lines.push(`${indent}${key}: ${renderValue(v, indent)}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderValue(v: ConfValue, indent: string): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const inner = `${indent}  `;
    return `[\n${v.map((x) => `${inner}${renderValue(x, inner)}`).join('\n')}\n${indent}]`;
  }
  const inner = `${indent}  `;
  return `{\n${renderNatsConf(v, inner)}${indent}}`;
}
