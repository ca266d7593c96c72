import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUtcDateTime, isUuidV4 } from '../../protocols/index.ts';
import { example } from './examples.ts';
import { accepts, rejectsWith } from './helpers.ts';

test('date-time - accepts UTC with Z, with or without a fraction, and leap days', () => {
  for (const ok of [
    '2026-01-02T03:04:05Z',
    '2026-01-02T03:04:05.123Z',
    '2026-12-31T23:59:59.999999999Z',
    '2024-02-29T00:00:00Z',
    '2000-02-29T12:00:00Z',
  ]) {
    assert.ok(isUtcDateTime(ok), ok);
  }
});

test('date-time - rejects offsets, missing Z, impossible dates and times', () => {
  for (const bad of [
    '2026-01-02T03:04:05+00:00',
    '2026-01-02T03:04:05-05:00',
    '2026-01-02T03:04:05',
    '2026-01-02t03:04:05z',
    '2026-01-02 03:04:05Z',
    '2026-01-02',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-02T24:00:00Z',
    '2026-01-02T23:60:00Z',
    '2016-12-31T23:59:60Z',
    '2026-01-02T03:04:05.Z',
  ]) {
    assert.not.ok(isUtcDateTime(bad), bad);
  }
});

test('uuid - any RFC version is accepted where the spec says uuid', () => {
  const parents = [
    '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    '6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c6',
    '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    '9a1d7c3e-5b2f-8e4a-9c6d-1f2e3d4c5b6a',
  ];
  accepts('ScheduleTask', { ...example('ScheduleTask'), _meta_parents: parents });
  rejectsWith(
    'ScheduleTask',
    { ...example('ScheduleTask'), clip_id: '6f1c2e7a3b4d4c5e9f60718293a4b5c6' },
    '/clip_id',
    'must be a uuid',
  );
});

test('uuid-v4 - requires version nibble 4 and variant 10xx', () => {
  assert.ok(isUuidV4(crypto.randomUUID()));
  assert.ok(isUuidV4('6F1C2E7A-3B4D-4C5E-9F60-718293A4B5C6'));
  assert.not.ok(isUuidV4('1b4e28ba-2fa1-11d2-883f-0016d3cca427'));
  assert.not.ok(isUuidV4('6f1c2e7a-3b4d-4c5e-7f60-718293a4b5c6'));
  assert.not.ok(isUuidV4('6f1c2e7a-3b4d-4c5e-9f60-718293a4b5c'));
});

test.run();
