import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError, parseSubject, subjectMatches, subjects } from '../../protocols/index.ts';

function tokenError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_SUBJECT_TOKEN'), String(e));
    return (e as Error).message;
  }
  throw new Error('expected OMNIVA_ERR_SUBJECT_TOKEN');
}

test('subjects - builders put the site second and follow design §3', () => {
  assert.is(subjects.cmd('site-a', 'scraper'), 'omniva.site-a.cmd.scraper');
  assert.is(
    subjects.evt('site-a', 'scraper', 'video_asset_created'),
    'omniva.site-a.evt.scraper.video_asset_created',
  );
  assert.is(subjects.adv('site-a', 'pantheon', 'votes'), 'omniva.site-a.adv.pantheon.votes');
  assert.is(subjects.stardust('site-a', 'packet'), 'omniva.site-a.stardust.packet');
  assert.is(subjects.dlq('site-a', 'editor'), 'omniva.site-a.dlq.editor');
  assert.is(subjects.rpc('site-a', 'halolux', 'explain'), 'omniva.site-a.rpc.halolux.explain');
  assert.is(subjects.opsCmd('site-a', 'host-1'), 'omniva.site-a.ops.host-1.cmd');
  assert.is(subjects.opsResult('site-a', 'host-1'), 'omniva.site-a.ops.host-1.result');
  assert.is(subjects.hb('site-a', 'host-1'), 'omniva.site-a.hb.host-1');
  assert.is(subjects.alert('site-a', 'actor_escalation'), 'omniva.site-a.alert.actor_escalation');
});

test('subjects - wildcard filters', () => {
  assert.is(subjects.all('s1'), 'omniva.s1.>');
  assert.is(subjects.cmdAll('s1'), 'omniva.s1.cmd.>');
  assert.is(subjects.evtAll('s1'), 'omniva.s1.evt.>');
  assert.is(subjects.advAll('s1'), 'omniva.s1.adv.>');
  assert.is(subjects.stardustAll('s1'), 'omniva.s1.stardust.>');
  assert.is(subjects.dlqAll('s1'), 'omniva.s1.dlq.>');
  assert.is(subjects.rpcAll('s1', 'echo'), 'omniva.s1.rpc.echo.*');
  assert.is(subjects.hbAll('s1'), 'omniva.s1.hb.>');
  assert.is(subjects.alertAll('s1'), 'omniva.s1.alert.>');
});

test('subjects - every bad token kind is refused and named', () => {
  assert.is(
    tokenError(() => subjects.cmd('site-a', '')),
    'invalid worker subject token "": it is empty',
  );
  assert.is(
    tokenError(() => subjects.cmd('site-a', 'a.b')),
    'invalid worker subject token "a.b": it contains ".", the NATS token separator',
  );
  assert.is(
    tokenError(() => subjects.evt('site-a', 'scraper', '*')),
    'invalid event subject token "*": it contains the NATS wildcard "*"',
  );
  assert.is(
    tokenError(() => subjects.rpc('site-a', 'x>', 'status')),
    'invalid actor subject token "x>": it contains the NATS wildcard ">"',
  );
  assert.is(
    tokenError(() => subjects.hb('site-a', 'host 1')),
    'invalid host subject token "host 1": it contains whitespace',
  );
  assert.match(
    tokenError(() => subjects.alert('site-a', 'a\tb')),
    'it contains whitespace',
  );
  assert.is(
    tokenError(() => subjects.dlq('site-a', 'édit/or')),
    'invalid actor subject token "édit/or": only letters, digits, "_" and "-" are allowed',
  );
  assert.match(
    tokenError(() => subjects.adv('site-a', 'pantheon', 'a.>')),
    'kind subject token',
  );
  assert.match(
    tokenError(() => subjects.stardust('site-a', undefined as unknown as string)),
    'not a string',
  );
});

test('subjects - site ids are lowercase DNS-label style', () => {
  assert.is(subjects.cmdAll('a'.repeat(63)), `omniva.${'a'.repeat(63)}.cmd.>`);
  const rule =
    'a site id has lowercase letters, digits and "-", starts with a letter or digit, and is at most 63 characters long';
  for (const bad of ['Site-A', '-site', 'site_a', 'a'.repeat(64)]) {
    assert.is(
      tokenError(() => subjects.cmd(bad, 'scraper')),
      `invalid site subject token "${bad}": ${rule}`,
    );
  }
  assert.match(
    tokenError(() => subjects.all('site.a')),
    'the NATS token separator',
  );
  assert.match(
    tokenError(() => subjects.all('')),
    'it is empty',
  );
});

test('parseSubject - round trips every concrete builder', () => {
  assert.equal(parseSubject(subjects.cmd('site-a', 'scraper')), {
    site: 'site-a',
    kind: 'cmd',
    tokens: ['scraper'],
  });
  assert.equal(parseSubject(subjects.evt('site-a', 'scraper', 'done')), {
    site: 'site-a',
    kind: 'evt',
    tokens: ['scraper', 'done'],
  });
  assert.equal(parseSubject(subjects.opsResult('site-a', 'h1')).tokens, ['h1', 'result']);
  for (const s of [
    subjects.adv('s', 'm', 'k'),
    subjects.stardust('s', 'k'),
    subjects.dlq('s', 'a'),
    subjects.rpc('s', 'a', 'v'),
    subjects.opsCmd('s', 'h'),
    subjects.hb('s', 'h'),
    subjects.alert('s', 't'),
  ]) {
    const { site, kind, tokens } = parseSubject(s);
    assert.is(['omniva', site, kind, ...tokens].join('.'), s);
  }
});

test('parseSubject - refuses foreign, malformed and wildcard subjects', () => {
  assert.match(
    tokenError(() => parseSubject('other.site-a.cmd.x')),
    'subjects start with "omniva."',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.site-a.job.x')),
    'invalid kind subject token "job"',
  );
  assert.is(
    tokenError(() => parseSubject('omniva.site-a.evt.scraper')),
    'subject "omniva.site-a.evt.scraper" has 1 tokens after "evt"; expected 2 (actor.event)',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.site-a.cmd.*')),
    'wildcard "*"',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.SITE.cmd.x')),
    'invalid site subject token',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.site-a.ops.h1.status')),
    'expected cmd or result',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.site-a.cmd.a.b.c')),
    'expected 1 or 2 (worker.instance?)',
  );
  assert.match(
    tokenError(() => parseSubject('omniva.site-a.cmd..x')),
    'invalid worker subject token',
  );
});

test('subjects - directed commands and ledger packets carry an optional last token', () => {
  assert.is(subjects.cmdTo('site-a', 'editor', 'gpu-1'), 'omniva.site-a.cmd.editor.gpu-1');
  assert.equal(parseSubject('omniva.site-a.cmd.editor.gpu-1').tokens, ['editor', 'gpu-1']);
  assert.is(subjects.stardustPacket('site-a', 'event', 'abc'), 'omniva.site-a.stardust.event.abc');
  assert.equal(parseSubject('omniva.site-a.stardust.event.abc').tokens, ['event', 'abc']);
  assert.match(
    tokenError(() => subjects.cmdTo('site-a', 'editor', 'a.b')),
    'invalid instance subject token',
  );
});

test('subjects - wildcard filters match as NATS matches them', () => {
  assert.ok(subjectMatches('omniva.s.evt.*.status', 'omniva.s.evt.editor-a.status'));
  assert.not.ok(subjectMatches('omniva.s.evt.*.status', 'omniva.s.evt.editor.status.x'));
  assert.ok(subjectMatches('omniva.s.>', 'omniva.s.hb.host'));
  assert.not.ok(subjectMatches('omniva.s.>', 'omniva.s'));
  assert.ok(subjectMatches('omniva.s.adv.eclipse.plan', 'omniva.s.adv.eclipse.plan'));
  assert.not.ok(subjectMatches('omniva.s.adv.eclipse.plan', 'omniva.s.adv.eclipse.readiness'));
});

test.run();
