import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { decideFailover, parseRetryAfter, retryAfterSecondsFor, UpstreamTimeoutError } from '../../../../shared/llm/failover.ts';
import { UpstreamBadResponseError, UpstreamErrorEvent } from '../../../../shared/llm/errors.ts';
import { OpenAIHttpError } from '../../../../shared/llm/passthrough/openai-http.ts';

const status = (s: number, headers?: Record<string, string>) => Object.assign(new Error('x'), { status: s, headers: new Headers(headers) });

test('429, 5xx, 408 and 409 fail over; 429 carries the Retry-After hint', () => {
  assert.deepEqual(decideFailover(status(429, { 'retry-after': '7' })), {
    failover: true,
    reason: 'rate_limited',
    status: 429,
    retryAfterMs: 7000,
  });
  for (const s of [500, 502, 503, 529, 408, 409]) assert.equal(decideFailover(status(s)).failover, true, String(s));
});

test('400, 413 and 422 are the caller’s request and do not fail over', () => {
  for (const s of [400, 413, 422]) assert.deepEqual(decideFailover(status(s)), { failover: false, reason: 'request_rejected', status: s });
});

test('provider auth and model errors (401, 403, 404) fail over: they are our configuration, not the request', () => {
  for (const s of [401, 403, 404]) assert.equal(decideFailover(status(s)).reason, 'provider_config');
});

test('timeouts, connection errors and malformed replies fail over', () => {
  assert.equal(decideFailover(new UpstreamTimeoutError(10)).reason, 'timeout');
  assert.equal(decideFailover(Object.assign(new Error('t'), { name: 'APIConnectionTimeoutError' })).reason, 'timeout');
  assert.equal(decideFailover(new TypeError('terminated')).reason, 'connection');
  assert.equal(decideFailover(Object.assign(new Error('c'), { name: 'APIConnectionError' })).reason, 'connection');
  assert.equal(decideFailover(new UpstreamBadResponseError('openai')).reason, 'bad_response');
  assert.equal(decideFailover(new SyntaxError('Unexpected token')).reason, 'bad_response');
});

test('an error event inside an accepted stream fails over as a server error, recognised by its type on every transport', () => {
  assert.equal(decideFailover(new UpstreamErrorEvent('openai')).reason, 'server_error');
  // The official clients raise a stream's error event as their plain APIError, without a status.
  const headers = new Headers({ 'x-request-id': 'req_1', 'request-id': 'req_2' });
  assert.equal(decideFailover(new OpenAI.APIError(undefined, { message: 'overloaded' }, undefined, headers)).reason, 'server_error');
  assert.equal(decideFailover(new Anthropic.APIError(undefined, { type: 'error' }, undefined, headers)).reason, 'server_error');
  // Their status-less subclasses are the link, and an error merely named APIError is nothing special.
  assert.equal(decideFailover(new OpenAI.APIConnectionError({ message: 'reset' })).reason, 'connection');
  assert.equal(decideFailover(new Anthropic.APIConnectionError({ message: 'reset' })).reason, 'connection');
  assert.equal(decideFailover(Object.assign(new Error('fake'), { name: 'APIError' })).reason, 'connection');
});

test('the provider’s request id is kept on the decision: the clients’ requestID, or the x-request-id / request-id header', () => {
  assert.equal(decideFailover(OpenAI.APIError.generate(500, {}, 'x', new Headers({ 'x-request-id': 'req_o' }))).providerRequestId, 'req_o');
  assert.equal(
    decideFailover(Anthropic.APIError.generate(529, {}, 'x', new Headers({ 'request-id': 'req_a' }))).providerRequestId,
    'req_a',
  );
  assert.equal(decideFailover(new OpenAIHttpError(400, { 'x-request-id': 'req_h' })).providerRequestId, 'req_h');
  assert.equal(decideFailover(new UpstreamErrorEvent('openai', { providerRequestId: 'req_e' })).providerRequestId, 'req_e');
  assert.equal('providerRequestId' in decideFailover(status(503)), false, 'absent when the provider sent none');
});

test('a caller who went away never fails over', () => {
  const ac = new AbortController();
  ac.abort();
  assert.deepEqual(decideFailover(status(500), ac.signal), { failover: false, reason: 'aborted' });
});

test('Retry-After is read as seconds, as an HTTP date, or from retry-after-ms', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' }), now), 3000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': new Date(now + 5000).toUTCString() }), now), 5000);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250' }), now), 250);
  assert.equal(parseRetryAfter(new Headers({}), now), undefined);
});

test('the caller’s Retry-After is the soonest provider hint, at least 1 s and capped', () => {
  assert.equal(retryAfterSecondsFor([{ failover: true, reason: 'server_error' }]), 1);
  assert.equal(
    retryAfterSecondsFor([
      { failover: true, reason: 'rate_limited', retryAfterMs: 9000 },
      { failover: true, reason: 'rate_limited', retryAfterMs: 4000 },
    ]),
    4,
  );
  assert.equal(retryAfterSecondsFor([{ failover: true, reason: 'rate_limited', retryAfterMs: 3_600_000 }]), 60);
});
