import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentplaneError } from '../../shared/errors.ts';
import { createFaultController, type Fault, type FaultScope } from './faults.ts';
import { checkSigV4 } from './sigv4.ts';

/**
 * FAKE AWS Secrets Manager for tests and the demo: a loopback HTTP server speaking the service's real
 * wire protocol (JSON 1.1: `POST /` with `X-Amz-Target: secretsmanager.<Operation>`, SigV4-signed,
 * errors as `{"__type": …}`), so the real `@aws-sdk/client-secrets-manager` client is what is tested.
 * Operations: GetSecretValue, CreateSecret, PutSecretValue, DeleteSecret, ListSecrets (name filter,
 * pagination). A secret created without a value (as Terraform creates the stack's secrets) has no
 * version: reading it is ResourceNotFoundException, as AWS answers, until a value is put. With
 * `authorize`, a request it refuses is AccessDeniedException (an IAM policy's decision, for tests of the
 * stack's grants). Its request log keeps operation names and statuses, never secret names or values.
 */
/** Not frozen: the SDK marks the credentials object it is given. */
export const FAKE_AWS_CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKE0001', secretAccessKey: 'fake-secret-access-key' };
export const FAKE_AWS_REGION = 'us-east-1';

export type FakeSecretsManager = {
  /** Endpoint to give the SDK client (`endpoint`), with FAKE_AWS_CREDENTIALS and FAKE_AWS_REGION. */
  endpoint: string;
  /** `status` answers every request with that status and `body` (an AWS error body); `hang` never answers. */
  setFault(fault: Extract<Fault, { status: number } | { hang: true }> | null, scope?: FaultScope): void;
  /** Each request's operation and status, and for a refusal its AWS error type. */
  requests: { readonly log: ReadonlyArray<{ op: string; status: number; error?: string }>; reset(): void };
  /** The stored secret names (for assertions about what exists; values are not exposed). */
  names(): string[];
  close(): Promise<void>;
};

/** A secret a request names, for `authorize`: its name as given (SecretId or Name), undefined for ListSecrets. */
export type FakeAuthorize = (op: string, secretName: string | undefined) => boolean;

/** `value` undefined: created without a value, so it has no current version yet. */
type Stored = { arn: string; name: string; value?: string; versionId?: string; created: number; deleted?: number };

/** An error the FAKE answers with, in AWS's shape: its `__type` and HTTP status. */
class AwsError extends AgentplaneError {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super('aws_error', message);
    this.type = type;
    this.status = status;
  }
}

export async function startFakeSecretsManager(opts: { clock?: () => number; authorize?: FakeAuthorize } = {}): Promise<FakeSecretsManager> {
  const clock = opts.clock ?? Date.now;
  const faults = createFaultController(clock);
  const secrets = new Map<string, Stored>();
  let log: Array<{ op: string; status: number; error?: string }> = [];

  const find = (id: unknown): Stored => {
    if (typeof id !== 'string' || !id) throw new AwsError('InvalidParameterException', 'SecretId is required');
    const s = secrets.get(id) ?? [...secrets.values()].find((x) => x.arn === id);
    if (!s) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  };
  const live = (id: unknown): Stored => {
    const s = find(id);
    if (s.deleted !== undefined)
      throw new AwsError('InvalidRequestException', 'You tried to perform the operation on a secret that is currently marked deleted.');
    return s;
  };
  const value = (v: unknown): string => {
    if (typeof v !== 'string')
      throw new AwsError('InvalidParameterException', 'SecretString is required (SecretBinary is not supported by this fake)');
    if (Buffer.byteLength(v) > 65_536) throw new AwsError('InvalidParameterException', 'SecretString exceeds 65536 bytes');
    return v;
  };

  const operations: Record<string, (b: Record<string, unknown>) => unknown> = {
    GetSecretValue(b) {
      const s = live(b.SecretId);
      if (s.value === undefined)
        throw new AwsError(
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
      return {
        ARN: s.arn,
        Name: s.name,
        VersionId: s.versionId,
        SecretString: s.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: s.created / 1000,
      };
    },
    CreateSecret(b) {
      if (typeof b.Name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(b.Name))
        throw new AwsError('ValidationException', 'invalid Name');
      if (secrets.has(b.Name)) throw new AwsError('ResourceExistsException', 'The operation failed because the secret already exists.');
      const empty = b.SecretString === undefined;
      const s: Stored = {
        arn: `arn:aws:secretsmanager:${FAKE_AWS_REGION}:000000000000:secret:${b.Name}-${randomUUID().slice(0, 6)}`,
        name: b.Name,
        value: empty ? undefined : value(b.SecretString),
        versionId: empty ? undefined : randomUUID(),
        created: clock(),
      };
      secrets.set(s.name, s);
      return { ARN: s.arn, Name: s.name, ...(s.versionId ? { VersionId: s.versionId } : {}) };
    },
    PutSecretValue(b) {
      const s = live(b.SecretId);
      s.value = value(b.SecretString);
      s.versionId = randomUUID();
      return { ARN: s.arn, Name: s.name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
    },
    DeleteSecret(b) {
      const s = find(b.SecretId);
      if (b.ForceDeleteWithoutRecovery === true) secrets.delete(s.name);
      else s.deleted = clock();
      return { ARN: s.arn, Name: s.name, DeletionDate: clock() / 1000 };
    },
    ListSecrets(b) {
      const filters = (Array.isArray(b.Filters) ? b.Filters : []) as Array<{ Key?: string; Values?: string[] }>;
      const prefixes = filters.filter((f) => f.Key === 'name').flatMap((f) => f.Values ?? []);
      // AWS: the name filter is a case-insensitive prefix match; deleted secrets are left out.
      const all = [...secrets.values()]
        .filter((s) => s.deleted === undefined)
        .filter((s) => prefixes.length === 0 || prefixes.some((p) => s.name.toLowerCase().startsWith(p.toLowerCase())))
        .sort((a, c) => a.name.localeCompare(c.name));
      const max = typeof b.MaxResults === 'number' ? Math.min(Math.max(1, b.MaxResults), 100) : 100;
      const start = typeof b.NextToken === 'string' ? Number(Buffer.from(b.NextToken, 'base64').toString()) : 0;
      const page = all.slice(start, start + max);
      const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return {
        SecretList: page.map((s) => ({ ARN: s.arn, Name: s.name, CreatedDate: s.created / 1000 })),
        ...(next ? { NextToken: next } : {}),
      };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown, type?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() };
    if (type) headers['x-amzn-errortype'] = type;
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    const record = (status: number, error?: string) => log.push({ op: op || 'unknown', status, ...(error ? { error } : {}) });
    const fault = faults.take();
    if (fault && 'hang' in fault) return;
    if (fault && 'status' in fault) {
      record(fault.status);
      const body = (fault.body ?? { __type: 'InternalServiceError', message: 'injected fault' }) as { __type?: string };
      return send(res, fault.status, body, body.__type);
    }
    const authProblem = checkSigV4(req, raw, { ...FAKE_AWS_CREDENTIALS, region: FAKE_AWS_REGION, service: 'secretsmanager' });
    if (authProblem) {
      record(400);
      const type = authProblem === 'unknown_key' ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      return send(res, 400, { __type: type, message: `request signature problem: ${authProblem}` }, type);
    }
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-amz-json-1.1') || !operations[op]) {
      record(400);
      return send(res, 400, { __type: 'UnknownOperationException', message: 'unknown operation' }, 'UnknownOperationException');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      record(400);
      return send(res, 400, { __type: 'SerializationException', message: 'body is not JSON' }, 'SerializationException');
    }
    if (opts.authorize) {
      const named = op === 'CreateSecret' ? body.Name : body.SecretId;
      const target =
        typeof named === 'string' ? ((secrets.get(named) ?? [...secrets.values()].find((x) => x.arn === named))?.name ?? named) : undefined;
      if (!opts.authorize(op, target)) {
        record(400, 'AccessDeniedException');
        return send(
          res,
          400,
          { __type: 'AccessDeniedException', message: `not authorized to perform secretsmanager:${op}` },
          'AccessDeniedException',
        );
      }
    }
    try {
      const out = operations[op](body);
      record(200);
      send(res, 200, out);
    } catch (err) {
      if (!(err instanceof AwsError)) throw err;
      record(err.status, err.type);
      send(res, err.status, { __type: err.type, message: err.message }, err.type);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFault: (fault, scope) => faults.set(fault, scope),
    requests: {
      get log() {
        return log;
      },
      reset() {
        log = [];
      },
    },
    names: () => [...secrets.keys()].sort(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
