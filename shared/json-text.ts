const decoder = new TextDecoder();

/**
 * The value of a JSON text, or undefined when it is not JSON: for input that a schema checks next
 * (a message off the wire, a file another start wrote), where "not JSON" and "not the right shape"
 * are the same refusal.
 */
export function parseJsonOrUndefined(text: string | Uint8Array): unknown {
  let value: unknown;
  try {
    value = JSON.parse(typeof text === 'string' ? text : decoder.decode(text));
  } catch {
    // Not JSON: left undefined.
  }
  return value;
}
