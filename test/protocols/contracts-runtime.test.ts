import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTRACTS,
  ERROR_CODES,
  listContracts,
  validateContract,
  WORKER_ERROR_CODES,
} from '../../protocols/index.ts';
import { example, loose } from './examples.ts';
import { accepts, rejectsWith } from './helpers.ts';

test('contracts - every contract accepts its example and rejects an extra property', () => {
  for (const name of listContracts()) {
    accepts(name, example(name));
    rejectsWith(
      name,
      { ...loose(name), zz_extra: 1 },
      '/zz_extra',
      'unexpected property "zz_extra"',
    );
  }
});

test('contracts - a non-object document is rejected at the root', () => {
  for (const doc of [null, 42, 'text', []]) {
    rejectsWith('SampleTask', doc, '', 'must be an object');
  }
});

test('contracts - every schema is draft 2020-12, closed, with an $id named after its title', () => {
  for (const name of listContracts()) {
    const { schema, version, acceptedMajors } = CONTRACTS[name];
    assert.is(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.is(schema.$id, `https://omniva.dev/schemas/${name}.json`);
    assert.is(schema.title, name);
    assert.is(schema.additionalProperties, false);
    assert.is(version, '1.0.0');
    assert.equal(acceptedMajors, [1]);
  }
});

test('contracts - an unknown contract name throws OMNIVA_ERR_UNKNOWN_TYPE', () => {
  assert.throws(
    () => validateContract('Nope' as 'EchoRequest', {}),
    (e: unknown) => (e as { code?: string }).code === 'OMNIVA_ERR_UNKNOWN_TYPE',
  );
});

test('WorkerStatus - every status, and ERROR with its error', () => {
  for (const status of ['PENDING', 'RUNNING', 'DONE', 'CANCELLED', 'SKIPPED'] as const) {
    accepts('WorkerStatus', { ...example('WorkerStatus'), status });
  }
  for (const code of WORKER_ERROR_CODES) {
    accepts('WorkerStatus', {
      ...example('WorkerStatus'),
      status: 'ERROR',
      error: { code, message: 'upstream answered 429', retryable: true },
    });
  }
});

test('WorkerStatus - ERROR without error reports only the missing property', () => {
  rejectsWith(
    'WorkerStatus',
    { ...example('WorkerStatus'), status: 'ERROR' },
    '/error',
    'missing required property "error"',
  );
});

test('WorkerStatus - unknown error code, progress range, detail length, bad worker token', () => {
  const base = loose('WorkerStatus');
  rejectsWith(
    'WorkerStatus',
    { ...base, status: 'ERROR', error: { code: 'disk_full', message: 'x', retryable: false } },
    '/error/code',
    `must be one of: ${WORKER_ERROR_CODES.join(', ')}`,
  );
  rejectsWith('WorkerStatus', { ...base, progress: 1.5 }, '/progress', 'must be <= 1');
  rejectsWith(
    'WorkerStatus',
    { ...base, detail: 'd'.repeat(2001) },
    '/detail',
    'must be at most 2000 characters',
  );
  rejectsWith(
    'WorkerStatus',
    { ...base, worker: 'scraper.1' },
    '/worker',
    'must match the pattern ^[A-Za-z0-9_-]+$',
  );
  rejectsWith(
    'WorkerStatus',
    { ...base, status: 'FAILED' },
    '/status',
    'must be one of: PENDING, RUNNING, DONE, ERROR, CANCELLED, SKIPPED',
  );
});

test('Heartbeat - state enum, counters and timestamps', () => {
  const base = loose('Heartbeat');
  for (const state of ['healthy', 'degraded', 'offline']) accepts('Heartbeat', { ...base, state });
  rejectsWith(
    'Heartbeat',
    { ...base, state: 'sick' },
    '/state',
    'must be one of: healthy, degraded, offline',
  );
  rejectsWith('Heartbeat', { ...base, in_flight: -1 }, '/in_flight', 'must be >= 0');
  rejectsWith('Heartbeat', { ...base, in_flight: 0.5 }, '/in_flight', 'must be an integer');
  rejectsWith('Heartbeat', { ...base, uptime_s: -3 }, '/uptime_s', 'must be >= 0');
  rejectsWith(
    'Heartbeat',
    { ...base, sent_at: '2026-02-29T00:00:00Z' },
    '/sent_at',
    'must be a UTC date-time like 2026-01-02T03:04:05Z',
  );
});

test('DeadLetter - reason codes, delivery count, original bytes, violation shape', () => {
  const base = loose('DeadLetter');
  for (const reason_code of ERROR_CODES) accepts('DeadLetter', { ...base, reason_code });
  rejectsWith(
    'DeadLetter',
    { ...base, reason_code: 'OMNIVA_ERR_NOPE' },
    '/reason_code',
    `must be one of: ${ERROR_CODES.join(', ')}`,
  );
  rejectsWith('DeadLetter', { ...base, delivery_count: 0 }, '/delivery_count', 'must be >= 1');
  rejectsWith(
    'DeadLetter',
    { ...base, original_data_b64: 'not base64!' },
    '/original_data_b64',
    'must match the pattern ^[A-Za-z0-9+/]*={0,2}$',
  );
  rejectsWith(
    'DeadLetter',
    { ...base, violations: [{ pointer: '/x', reason: 'y', hint: 'z' }] },
    '/violations/0/hint',
    'unexpected property "hint"',
  );
  const { original_data_b64: _, ...missing } = example('DeadLetter');
  rejectsWith(
    'DeadLetter',
    missing,
    '/original_data_b64',
    'missing required property "original_data_b64"',
  );
});

test('ActorEscalation - last_error shape and integer counters', () => {
  const base = loose('ActorEscalation');
  rejectsWith(
    'ActorEscalation',
    { ...base, last_error: { message: 'boom' } },
    '/last_error/code',
    'missing required property "code"',
  );
  rejectsWith('ActorEscalation', { ...base, restarts: 2.5 }, '/restarts', 'must be an integer');
  rejectsWith(
    'ActorEscalation',
    { ...base, host_id: 'host a' },
    '/host_id',
    'must match the pattern ^[A-Za-z0-9_-]+$',
  );
});

test('SampleTask and SampleTaskDone - text length and counters', () => {
  const task = loose('SampleTask');
  rejectsWith('SampleTask', { ...task, text: '' }, '/text', 'must be at least 1 character');
  rejectsWith(
    'SampleTask',
    { ...task, text: 'w'.repeat(501) },
    '/text',
    'must be at most 500 characters',
  );
  rejectsWith('SampleTask', { ...task, task_id: 'task-1' }, '/task_id', 'must be a uuid');
  const done = loose('SampleTaskDone');
  rejectsWith('SampleTaskDone', { ...done, total_tasks: 0 }, '/total_tasks', 'must be >= 1');
  rejectsWith('SampleTaskDone', { ...done, word_count: 1.5 }, '/word_count', 'must be an integer');
});

test('StatusQuery and StatusReply - optional key and object context', () => {
  accepts('StatusQuery', {});
  rejectsWith('StatusQuery', { instance_key: '' }, '/instance_key', 'must be at least 1 character');
  rejectsWith(
    'StatusReply',
    { ...loose('StatusReply'), context: [] },
    '/context',
    'must be an object',
  );
  accepts('StatusReply', { ...example('StatusReply'), context: { nested: { any: [1, 'x'] } } });
});

test('EchoRequest and EchoReply - text limit and integer n', () => {
  for (const name of ['EchoRequest', 'EchoReply'] as const) {
    accepts(name, { text: '' });
    rejectsWith(name, { text: 't'.repeat(4097) }, '/text', 'must be at most 4096 characters');
    rejectsWith(name, { text: 'x', n: 1.5 }, '/n', 'must be an integer');
  }
});

test.run();
