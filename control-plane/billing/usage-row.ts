/** One line of a tenant's usage report: a day, a route, a provider model, and its counts. */
export type UsageRow = {
  day: string;
  /**
   * `routed`: calls through the control plane's proxy, on the vendor's keys. `direct`: calls the
   * customer plane made with the customer's own keys and reported as signed usage counters.
   */
  route: 'routed' | 'direct';
  provider: string;
  /** null for direct rows: the customer's model map stays in the customer plane. */
  model: string | null;
  tier: string;
  requests: number;
  /** Requests the caller left before they finished; billed with what the provider produced. */
  cancelled_requests: number;
  /** Requests whose token counts are partly our estimate (no usage report from the provider). */
  estimated_requests: number;
  input_tokens: number;
  cached_input_tokens: number;
  cache_creation_tokens: number;
  output_tokens: number;
  failovers: number;
};

/** Where usage rows come from: the proxy's counters, the direct-mode counters that came up. */
export type UsageSource = (tenant: string, fromDay: string, toDay: string) => Promise<UsageRow[]>;
