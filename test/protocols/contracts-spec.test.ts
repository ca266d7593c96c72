import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSchemaVersion, validateContract } from '../../protocols/index.ts';
import { example, loose } from './examples.ts';
import { accepts, rejectsWith, violationsOf } from './helpers.ts';

const DATE_TIME = 'must be a UTC date-time like 2026-01-02T03:04:05Z';

test('ScraperJob - accepts every platform and a job without schema_version', () => {
  for (const platform of ['tiktok', 'instagram', 'youtube', 'other'] as const) {
    accepts('ScraperJob', { ...example('ScraperJob'), platform });
  }
  const { schema_version: _, ...unversioned } = example('ScraperJob');
  accepts('ScraperJob', unversioned);
});

test('ScraperJob - returns the document itself, unmodified, as the typed value', () => {
  const doc = example('ScraperJob');
  const before = structuredClone(doc);
  const result = validateContract('ScraperJob', doc);
  assert.ok(result.ok);
  assert.is(result.ok && result.value, doc);
  assert.equal(doc, before);
});

test('ScraperJob - missing required field is reported at its own pointer', () => {
  const { job_id: _, ...doc } = example('ScraperJob');
  rejectsWith('ScraperJob', doc, '/job_id', 'missing required property "job_id"');
  const range = { ...example('ScraperJob'), requested_range: { since: '2026-01-01T00:00:00Z' } };
  rejectsWith('ScraperJob', range, '/requested_range/until', 'missing required property "until"');
});

test('ScraperJob - wrong enum lists the allowed values', () => {
  rejectsWith(
    'ScraperJob',
    { ...loose('ScraperJob'), platform: 'vimeo' },
    '/platform',
    'must be one of: tiktok, instagram, youtube, other',
  );
  rejectsWith(
    'ScraperJob',
    { ...loose('ScraperJob'), status: 'done' },
    '/status',
    'must be one of: PENDING, RUNNING, DONE, ERROR, CANCELLED',
  );
});

test('ScraperJob - extra property, bad uuid and bad uri', () => {
  rejectsWith(
    'ScraperJob',
    { ...loose('ScraperJob'), foo: 1 },
    '/foo',
    'unexpected property "foo"',
  );
  rejectsWith(
    'ScraperJob',
    { ...loose('ScraperJob'), creator_id: 'user-42' },
    '/creator_id',
    'must be a uuid',
  );
  rejectsWith(
    'ScraperJob',
    { ...loose('ScraperJob'), target_url: '@sourdough_channel' },
    '/target_url',
    'must be an absolute URI (with a scheme, like https://)',
  );
});

test('ScraperJob - date-times must be UTC and real dates', () => {
  for (const bad of ['2026-02-01T08:00:00+02:00', '2026-02-30T08:00:00Z', '2026-13-01T08:00:00Z']) {
    rejectsWith(
      'ScraperJob',
      { ...loose('ScraperJob'), created_at: bad },
      '/created_at',
      DATE_TIME,
    );
  }
});

test('ScraperJob - requested_range.until before since is rejected', () => {
  const doc = example('ScraperJob');
  doc.requested_range = { since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' };
  rejectsWith(
    'ScraperJob',
    doc,
    '/requested_range/until',
    'until (2026-01-01T00:00:00Z) must not be before since (2026-02-01T00:00:00Z)',
  );
  doc.requested_range = { since: '2026-02-01T00:00:00Z', until: '2026-02-01T00:00:00Z' };
  accepts('ScraperJob', doc);
});

test('ScraperJob - an unknown schema_version major names the accepted versions', () => {
  rejectsWith(
    'ScraperJob',
    { ...example('ScraperJob'), schema_version: '2.0.0' },
    '/schema_version',
    'ScraperJob schema_version 2.0.0 is not supported; accepted majors: 1.x',
  );
  accepts('ScraperJob', { ...example('ScraperJob'), schema_version: '1.4.2' });
  const error = checkSchemaVersion('ScraperJob', '2.0.0');
  assert.is(error?.code, 'OMNIVA_ERR_VERSION_UNSUPPORTED');
  assert.is(
    error?.message,
    'ScraperJob schema_version 2.0.0 is not supported; accepted majors: 1.x',
  );
  assert.is(checkSchemaVersion('ScraperJob', '1.9.0'), null);
  assert.match(checkSchemaVersion('EditJob', 'v1')?.message ?? '', 'accepted majors: 1.x');
});

test('AnalysisResult - accepts candidates and an empty candidate list', () => {
  accepts('AnalysisResult', example('AnalysisResult'));
  accepts('AnalysisResult', { ...example('AnalysisResult'), clip_candidates: [] });
});

test('AnalysisResult - scores out of range', () => {
  rejectsWith(
    'AnalysisResult',
    { ...example('AnalysisResult'), virality_score: 1.5 },
    '/virality_score',
    'must be <= 1',
  );
  rejectsWith(
    'AnalysisResult',
    { ...example('AnalysisResult'), relevance_score: -0.1 },
    '/relevance_score',
    'must be >= 0',
  );
});

test('AnalysisResult - candidate end before start is located inside the list', () => {
  const doc = example('AnalysisResult');
  const second = doc.clip_candidates[1];
  assert.ok(second);
  Object.assign(second, { start_time: 5, end_time: 3 });
  rejectsWith(
    'AnalysisResult',
    doc,
    '/clip_candidates/1/end_time',
    'end_time (3) must be greater than start_time (5)',
  );
});

test('AnalysisResult - candidate schema errors go through the $ref with full pointers', () => {
  const doc = loose('AnalysisResult');
  doc.clip_candidates = [{ ...example('ClipCandidate'), confidence: 2, foo: true }];
  assert.equal(violationsOf('AnalysisResult', doc), [
    { pointer: '/clip_candidates/0/foo', reason: 'unexpected property "foo"' },
    { pointer: '/clip_candidates/0/confidence', reason: 'must be <= 1' },
  ]);
});

test('AnalysisResult - missing field, bad lineage uuid, non-UTC generated_at', () => {
  const { clip_candidates: _, ...doc } = example('AnalysisResult');
  rejectsWith(
    'AnalysisResult',
    doc,
    '/clip_candidates',
    'missing required property "clip_candidates"',
  );
  rejectsWith(
    'AnalysisResult',
    { ...example('AnalysisResult'), _meta_parents: ['not-a-uuid'] },
    '/_meta_parents/0',
    'must be a uuid',
  );
  rejectsWith(
    'AnalysisResult',
    { ...example('AnalysisResult'), generated_at: '2026-02-01T08:05:12' },
    '/generated_at',
    DATE_TIME,
  );
});

test('ClipCandidate - end before or at start is rejected', () => {
  accepts('ClipCandidate', example('ClipCandidate'));
  rejectsWith(
    'ClipCandidate',
    { ...example('ClipCandidate'), start_time: 5, end_time: 3 },
    '/end_time',
    'end_time (3) must be greater than start_time (5)',
  );
  rejectsWith(
    'ClipCandidate',
    { ...example('ClipCandidate'), start_time: 7, end_time: 7 },
    '/end_time',
    'end_time (7) must be greater than start_time (7)',
  );
});

test('ClipCandidate - ranges, integers, unique tags and vote weights', () => {
  const base = loose('ClipCandidate');
  rejectsWith('ClipCandidate', { ...base, end_time: 0 }, '/end_time', 'must be > 0');
  rejectsWith('ClipCandidate', { ...base, start_time: -1 }, '/start_time', 'must be >= 0');
  rejectsWith(
    'ClipCandidate',
    { ...base, faces_detected: 1.5 },
    '/faces_detected',
    'must be an integer',
  );
  rejectsWith(
    'ClipCandidate',
    { ...base, semantic_tags: ['a', 'b', 'a'] },
    '/semantic_tags',
    'must not repeat items (items 0 and 2 are equal)',
  );
  rejectsWith(
    'ClipCandidate',
    { ...base, pantheon_votes: { risk_guard: 1.2 } },
    '/pantheon_votes/risk_guard',
    'must be <= 1',
  );
  rejectsWith('ClipCandidate', { ...base, clip_id: '1234' }, '/clip_id', 'must be a uuid');
  rejectsWith('ClipCandidate', { ...base, subject_focus: 3 }, '/subject_focus', 'must be a string');
});

test('EditJob - valid, then each violation kind', () => {
  accepts('EditJob', example('EditJob'));
  const base = loose('EditJob');
  rejectsWith('EditJob', { ...base, estimated_duration: 0 }, '/estimated_duration', 'must be >= 1');
  rejectsWith('EditJob', { ...base, gpu_required: 'yes' }, '/gpu_required', 'must be a boolean');
  rejectsWith(
    'EditJob',
    { ...base, expected_outputs: ['clips/out.mp4'] },
    '/expected_outputs/0',
    'must be an absolute URI (with a scheme, like https://)',
  );
  const { ffmpeg_commands: _, ...missing } = example('EditJob');
  rejectsWith(
    'EditJob',
    missing,
    '/ffmpeg_commands',
    'missing required property "ffmpeg_commands"',
  );
  rejectsWith(
    'EditJob',
    { ...base, editing_context_id: 'x' },
    '/editing_context_id',
    'unexpected property "editing_context_id"',
  );
});

test('UploadJob - title, keywords, yt_video_id and privacy limits', () => {
  accepts('UploadJob', example('UploadJob'));
  accepts('UploadJob', { ...example('UploadJob'), title: 't'.repeat(120) });
  const base = loose('UploadJob');
  rejectsWith(
    'UploadJob',
    { ...base, title: 't'.repeat(121) },
    '/title',
    'must be at most 120 characters',
  );
  rejectsWith(
    'UploadJob',
    { ...base, keywords: Array.from({ length: 16 }, (_, i) => `k${i}`) },
    '/keywords',
    'must have at most 15 items',
  );
  rejectsWith(
    'UploadJob',
    { ...base, yt_video_id: 'dQw4w9WgXc' },
    '/yt_video_id',
    'must match the pattern ^[A-Za-z0-9_-]{11}$',
  );
  rejectsWith(
    'UploadJob',
    { ...base, privacy_status: 'friends' },
    '/privacy_status',
    'must be one of: public, unlisted, private',
  );
  rejectsWith(
    'UploadJob',
    { ...base, description: 'd'.repeat(5001) },
    '/description',
    'must be at most 5000 characters',
  );
  rejectsWith(
    'UploadJob',
    { ...base, scheduled_time: '2026-02-03T17:30:00-05:00' },
    '/scheduled_time',
    DATE_TIME,
  );
});

test('ScheduleTask - valid, then ranges, enum, notes and missing field', () => {
  accepts('ScheduleTask', example('ScheduleTask'));
  const base = loose('ScheduleTask');
  rejectsWith('ScheduleTask', { ...base, priority: 1.2 }, '/priority', 'must be <= 1');
  rejectsWith(
    'ScheduleTask',
    { ...base, horizon_adjustment: -1.5 },
    '/horizon_adjustment',
    'must be >= -1',
  );
  rejectsWith(
    'ScheduleTask',
    { ...base, final_decision_source: 'pantheon' },
    '/final_decision_source',
    'must be one of: zenith, operator_override, automation',
  );
  rejectsWith(
    'ScheduleTask',
    { ...base, notes: 'n'.repeat(513) },
    '/notes',
    'must be at most 512 characters',
  );
  const { clip_id: _, ...missing } = example('ScheduleTask');
  rejectsWith('ScheduleTask', missing, '/clip_id', 'missing required property "clip_id"');
});

test('contracts - all violations are listed at once', () => {
  const doc = { ...loose('ScraperJob'), platform: 'vimeo', job_id: 'x', extra: 1 };
  assert.is(violationsOf('ScraperJob', doc).length, 3);
});

test.run();
