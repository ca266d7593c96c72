import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { DEFAULT_ECLIPSE, eclipseMachine } from '../../actors/cognitive/index.ts';
import { type ConflictReport, validateContract } from '../../protocols/index.ts';
import type { RuntimeEmit } from '../../runtime/index.ts';

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const EVIDENCE = '0b8e6c1d-2f3a-8b5c-8d7e-9f0a1b2c3d4e';

function escalate(report: Partial<ConflictReport>) {
  const actor = createActor(eclipseMachine(DEFAULT_ECLIPSE));
  const out: RuntimeEmit[] = [];
  actor.on('*', (e) => out.push(e as RuntimeEmit));
  actor.start();
  const payload: ConflictReport = {
    report_id: '8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e',
    conflict: 'duplicate_media',
    severity: 'high',
    action: 'quarantine',
    affected: [{ type: 'instance', id: 'scraper/host-a' }],
    evidence: [EVIDENCE],
    ...report,
  };
  assert.ok(validateContract('ConflictReport', payload).ok, 'a valid report');
  actor.send({
    type: 'ConflictReport',
    payload,
    meta: {
      msg_id: '5d1c2b3a-4f5e-4a6b-8c7d-9e0f1a2b3c4d',
      trace_id: '3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f',
      site_id: 'test',
      _meta_parents: [],
      emitted_at: new Date(NOW).toISOString(),
      stardust_id: EVIDENCE,
    },
    now: NOW,
  } as never);
  return { out, context: actor.getSnapshot().context as { quarantined: string[] } };
}

const publishes = (out: RuntimeEmit[]) =>
  out.filter(
    (e): e is Extract<RuntimeEmit, { type: 'omniva.publish' }> => e.type === 'omniva.publish',
  );

test('eclipse - a Paradox escalation to quarantine an instance becomes a quarantine signal', () => {
  const { out, context } = escalate({});
  const [signal] = publishes(out);
  assert.equal(signal?.contract, 'InstanceReadiness');
  assert.equal((signal!.payload as { instance: string }).instance, 'host-a');
  assert.match((signal!.payload as { reason: string }).reason, /paradox duplicate_media \(high\)/);
  assert.equal(signal?.parents, [EVIDENCE], 'cites the report');
  assert.ok(validateContract('InstanceReadiness', signal?.payload).ok);
  assert.equal(context.quarantined, ['scraper/host-a']);
});

test('eclipse - a Paradox block of a worker becomes a pause directive; ignore and low severity do nothing', () => {
  const blocked = publishes(
    escalate({ action: 'block', affected: [{ type: 'worker', id: 'uploader' }] }).out,
  );
  assert.equal(
    blocked.map((p) => p.contract),
    ['QueueDirective'],
  );
  assert.equal((blocked[0]!.payload as { state: string }).state, 'paused');
  assert.ok(validateContract('QueueDirective', blocked[0]?.payload).ok);
  assert.equal(publishes(escalate({ action: 'ignore' }).out), []);
  assert.equal(publishes(escalate({ severity: 'low' }).out), []);
  assert.equal(
    publishes(escalate({ affected: [{ type: 'instance', id: 'not a.token/x' }] }).out),
    [],
    'bad ids are skipped',
  );
});

test.run();
