import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { explainDatabaseFailure } from '../../../../shared/db/first-connect.ts';
import { OperatorError } from '../../../../shared/errors.ts';

const dbError = (code: string) => Object.assign(new pg.DatabaseError('server said no', 0, 'error'), { code });

test('a refused login and a server that wants a password the URL lacks are named, without the password', () => {
  const refused = explainDatabaseFailure(dbError('28P01'), 'postgres://app:s3cret-pw@db.internal:5433/meta');
  assert.ok(refused instanceof OperatorError);
  assert.match(refused.message, /Postgres at db\.internal:5433 refused the login of user app \(DATABASE_URL\)/);
  assert.doesNotMatch(refused.message, /s3cret-pw/);
  // pg reports SCRAM without a password as a plain Error; the URL without a password tells it apart.
  const scram = explainDatabaseFailure(
    new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
    'postgres://app@db.internal/meta',
  );
  assert.ok(scram instanceof OperatorError);
  assert.match(
    scram.message,
    /asks for a password and DATABASE_URL has none: put it in the URL \(postgres:\/\/app:PASSWORD@db\.internal\/meta\)/,
  );
});

test('an unknown failure is passed on as it is, not dressed up as a known one', () => {
  const other = dbError('42P01');
  assert.equal(explainDatabaseFailure(other, 'postgres://app:pw@db/meta'), other);
});
