// The Ops Agent on a real nats-server: commands take effect through the site's own channels
// (Zenith pauses a queue, a running effect is cancelled, a worker host is restarted), every
// decision is an audit packet, and a restarted agent still refuses a replay.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assign, emit, setup } from 'xstate';
import {
  issueCommand,
  type OpsAction,
  type OpsResult,
  opsResultSchema,
  type SignedOpsCommand,
  siteActions,
  startOpsAgent,
} from '../../ops-agent/index.ts';
import { schemaErrors, validatorOf } from '../../ops-agent/schemas.ts';
import { subjects } from '../../protocols/index.ts';
import {
  type ActorHost,
  createOpsKey,
  defineActorKind,
  type EffectFailedEvent,
  KvNonceStore,
  type MessageEvent,
  type OpsService,
  opsSignerFromSeed,
  type RuntimeEmit,
  SiteClient,
  STREAMS,
  sendOpsCommand,
} from '../../runtime/index.ts';
import { type ControlSite, openControlSite, startZenith } from '../support/control-site.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, sendCommand, silentLog, startHost } from '../support/site.ts';

const HOST = 'host-1';
const admin = opsSignerFromSeed(createOpsKey().seed);
const stranger = opsSignerFromSeed(createOpsKey().seed);
const ROLES: Record<string, OpsAction[]> = {
  admin: [
    'restart_worker',
    'drain_worker',
    'pause_queue',
    'resume_queue',
    'cancel_run',
    'retry_stage',
  ],
  operator: ['pause_queue', 'resume_queue'],
};

let site: ControlSite;
const results: OpsResult[] = [];
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The host process's own worker: restart and drain act on this real ActorHost. */
let editorHost: ActorHost;
const renders: string[] = [];
const retried: string[] = [];

async function startAgent(actionTimeoutMs = 5_000): Promise<OpsService> {
  return startOpsAgent({
    nc: site.nc,
    site_id: SITE,
    host_id: HOST,
    trusted: [{ publicKey: admin.publicKey, roles: ['admin', 'operator'] }],
    roles: ROLES,
    nonces: await KvNonceStore.open(site.nc, SITE, HOST),
    ledger: site.ledger,
    actionTimeoutMs,
    log: silentLog,
    actions: siteActions({
      client: new SiteClient(site.nc, SITE, { actor: 'ops-agent', ledger: site.ledger }),
      cancelTimeoutMs: 1_000,
      restartWorker: async () => {
        await editorHost.drain();
        editorHost = await startHost(site.nc, testEditorKind('a', renders), {
          ledger: site.ledger,
        });
        return { state: editorHost.state };
      },
      drainWorker: async () => {
        await editorHost.drain();
        return { state: editorHost.state };
      },
      retryStage: async (args, ctx) => {
        if (args.stage === 'hang')
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
        retried.push(`${args.run_id}/${args.stage}`);
        return { retried: args.run_id };
      },
    }),
  });
}

function sign(
  action: OpsAction,
  args: Record<string, unknown>,
  over: Record<string, unknown> = {},
) {
  return issueCommand(admin, {
    site_id: SITE,
    host_id: HOST,
    action,
    args,
    role: 'admin',
    ...over,
  } as unknown as Parameters<typeof issueCommand>[1]);
}

async function send(body: unknown, timeout = 10_000): Promise<OpsResult> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const reply = await site.nc.request(subjects.opsCmd(SITE, HOST), enc.encode(text), { timeout });
  const result = JSON.parse(dec.decode(reply.data)) as OpsResult;
  const valid = validatorOf(opsResultSchema);
  assert.ok(valid(result), `the result conforms to OpsResult: ${schemaErrors(valid)}`);
  return result;
}

async function auditOf(r: OpsResult) {
  assert.ok(r.audit_id, 'the result names its audit packet');
  const packet = await site.ledger.get(r.audit_id as string);
  assert.ok(packet, 'the audit packet is in Stardust');
  assert.is(packet?.kind, 'audit');
  assert.is(packet?.actor, 'ops-agent');
  return packet?.payload as Record<string, unknown>;
}

test.before(async () => {
  site = await openControlSite();
  site.nc.subscribe(subjects.opsResult(SITE, HOST), {
    callback: (_e, m) => {
      results.push(JSON.parse(dec.decode(m.data)) as OpsResult);
    },
  });
  editorHost = await startHost(site.nc, testEditorKind('a', renders), { ledger: site.ledger });
});

test.after(async () => {
  await editorHost.drain();
  await site.close();
});

test('ops agent - pause and resume a queue: Zenith enforces it and the outcome is audited', async () => {
  const agent = await startAgent();
  const zenith = await startZenith(site, { editor: ['a'] });
  const view = () => zenith.view<{ paused: string[] }>();
  try {
    const paused = await send(sign('pause_queue', { queue: 'editor', reason: 'bad encoder' }));
    assert.is(paused.status, 'succeeded', paused.message);
    await waitFor(async () => (await view()).paused.includes('editor'));
    const decision = await auditOf(paused);
    assert.is(decision.decision, 'accepted');
    assert.is(decision.action, 'pause_queue');
    assert.is(decision.issuer, admin.publicKey);
    const outcome = await waitFor(async () =>
      (await site.ledger.lineage.sync()).children(paused.audit_id as string),
    );
    assert.ok(outcome.length >= 1, 'the outcome and the directive cite the decision');

    const resumed = await send(sign('resume_queue', { queue: 'editor' }));
    assert.is(resumed.status, 'succeeded');
    await waitFor(async () => !(await view()).paused.includes('editor'));
    await waitFor(() => results.some((r) => r.nonce === resumed.nonce));
  } finally {
    await zenith.leader.stop();
    await agent.drain();
  }
});

/** A worker whose effect runs until it is cancelled, like a long render. */
function slowKind(aborted: string[]) {
  const machine = setup({
    types: {} as {
      context: { job?: string };
      events: MessageEvent<'EditJob'> | EffectFailedEvent;
      emitted: RuntimeEmit;
    },
  }).createMachine({
    context: {},
    on: {
      EditJob: {
        actions: [
          assign({ job: ({ event }) => event.payload.clip_id }),
          emit(({ event }) => ({
            type: 'omniva.effect' as const,
            id: `slow-${event.meta.msg_id}`,
            name: 'slow',
            input: {},
          })),
        ],
      },
    },
  });
  return defineActorKind({
    name: 'slowcut',
    version: 1,
    machine,
    accepts: ['EditJob'],
    cancellable: true,
    key: (env) => (env.payload as { clip_id: string }).clip_id,
    work: { stream: STREAMS.cmd, filter: (s) => subjects.cmd(s, 'slowcut') },
    effects: {
      slow: (_input, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.push(String(ctx.signal.reason));
            reject(Object.assign(new Error('cancelled'), { code: 'cancelled' }));
          });
        }),
    },
  });
}

test('ops agent - cancel_run stops a running effect through the runtime cancel rpc', async () => {
  const aborted: string[] = [];
  const slow = await startHost(site.nc, slowKind(aborted), {
    ledger: site.ledger,
    hostId: 'worker-9',
  });
  const agent = await startAgent();
  try {
    const run = crypto.randomUUID();
    await sendCommand(site.nc, 'slowcut', 'EditJob', {
      clip_id: run,
      operations: ['cut'],
      ffmpeg_commands: [],
      gpu_required: false,
      estimated_duration: 600,
    });
    // An undecodable cancel request is dropped without harming the connection it came in on.
    site.nc.publish(subjects.rpc(SITE, 'slowcut', 'cancel'), new TextEncoder().encode('not json'));
    // The effect is running once a cancel finds it: retry until the host has it.
    const r = await waitFor(
      async () => {
        const res = await send(
          sign('cancel_run', { worker: 'slowcut', run_id: run, confirm: true }),
        );
        return res.status === 'succeeded' ? res : undefined;
      },
      15_000,
      200,
    );
    assert.equal(r.detail, { cancelled: true, cancelled_on: 'worker-9' });
    await waitFor(() => aborted.length === 1);
    assert.match(aborted[0] ?? '', /cancel/i);

    const none = await send(
      sign('cancel_run', { worker: 'slowcut', run_id: 'no-such-run', confirm: true }),
    );
    assert.is(none.status, 'failed');
    assert.match(none.message ?? '', /no slowcut host is running/);
  } finally {
    await agent.drain();
    await slow.drain();
  }
});

test('ops agent - restart and drain act on the host process; retry_stage runs; a hung action times out', async () => {
  const agent = await startAgent(500);
  try {
    const before = editorHost;
    const restarted = await send(sign('restart_worker', { worker: 'editor', confirm: true }));
    assert.is(restarted.status, 'succeeded', restarted.message);
    assert.is(before.state, 'stopped');
    assert.is(editorHost.state, 'running');
    assert.ok(editorHost !== before, 'a new worker host runs');

    const drained = await send(sign('drain_worker', { worker: 'editor', confirm: true }));
    assert.is(drained.detail?.state, 'stopped');
    editorHost = await startHost(site.nc, testEditorKind('a', renders), { ledger: site.ledger });

    const retry = await send(sign('retry_stage', { run_id: 'run-7', stage: 'editing' }));
    assert.is(retry.status, 'succeeded');
    assert.equal(retried, ['run-7/editing']);

    const hung = await send(sign('retry_stage', { run_id: 'run-8', stage: 'hang' }));
    assert.is(hung.status, 'timeout');
    assert.ok(await auditOf(hung));
  } finally {
    await agent.drain();
  }
});

test('ops agent - every refusal is answered on the result subject and audited with its reason', async () => {
  const agent = await startAgent();
  try {
    const good = sign('pause_queue', { queue: 'editor' });
    const cases: [string, unknown][] = [
      ['malformed', 'not json {'],
      ['unsigned', { command: good.command }],
      ['bad_signature', { ...good, command: { ...good.command, args: { queue: 'uploader' } } }],
      ['untrusted_issuer', issueCommand(stranger, { ...good.command, role: 'admin' })],
      [
        'expired',
        sign('pause_queue', { queue: 'editor' }, { now: Date.now() - 3_600_000, ttl_s: 60 }),
      ],
      ['not_yet_valid', sign('pause_queue', { queue: 'editor' }, { now: Date.now() + 600_000 })],
      ['wrong_host', sign('pause_queue', { queue: 'editor' }, { host_id: 'host-2' })],
      ['wrong_site', sign('pause_queue', { queue: 'editor' }, { site_id: 'elsewhere' })],
      [
        'not_permitted',
        sign('cancel_run', { worker: 'x', run_id: 'y', confirm: true }, { role: 'operator' }),
      ],
      ['confirmation_required', sign('cancel_run', { worker: 'x', run_id: 'y' })],
    ];
    for (const [reason, body] of cases) {
      const r = await send(body);
      assert.is(r.status, 'refused', reason);
      assert.is(r.reason, reason);
      const payload = await auditOf(r);
      assert.is(payload.decision, 'refused');
      assert.is(payload.reason, reason);
      await waitFor(() => results.some((x) => x.audit_id === r.audit_id), 5_000);
    }
  } finally {
    await agent.drain();
  }
});

test('ops agent - a replay is refused, also by a restarted agent (nonces in KV)', async () => {
  let agent = await startAgent();
  const signed: SignedOpsCommand = sign('retry_stage', { run_id: 'run-9', stage: 'publish' });
  try {
    assert.is((await send(signed)).status, 'succeeded');
    const again = await send(signed);
    assert.is(again.reason, 'replayed');
    await agent.drain();

    agent = await startAgent();
    const url = site.server.url;
    const after = await sendOpsCommand({
      url,
      site: SITE,
      host: HOST,
      body: JSON.stringify(signed),
    });
    assert.is(after.status, 'refused');
    assert.is(after.reason, 'replayed');
    assert.is((await auditOf(after as unknown as OpsResult)).reason, 'replayed');
    assert.equal(
      retried.filter((r) => r === 'run-9/publish'),
      ['run-9/publish'],
      'ran once',
    );
  } finally {
    await agent.drain();
  }
});

test('ops agent - sendOpsCommand times out when no agent listens', async () => {
  const body = JSON.stringify(sign('pause_queue', { queue: 'editor' }, { host_id: 'host-0' }));
  try {
    await sendOpsCommand({
      url: site.server.url,
      site: SITE,
      host: 'host-0',
      body,
      timeoutMs: 300,
    });
    assert.unreachable('no agent should answer');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'OMNIVA_ERR_TIMEOUT');
  }
});

test.run();
