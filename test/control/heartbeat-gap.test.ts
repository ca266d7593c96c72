// A worker instance that dies silently: its heartbeats stop, Eclipse takes it for dead after
// the gap, Zenith moves the job that was waiting for it to a live instance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ECLIPSE, eclipseKind } from '../../actors/cognitive/index.ts';
import { SiteClient } from '../../runtime/index.ts';
import { type ControlSite, openControlSite, startZenith } from '../support/control-site.ts';
import { testEditorKind } from '../support/editor-kind.ts';
import { waitFor } from '../support/nats.ts';
import { SITE, startHost } from '../support/site.ts';

let site: ControlSite;
const renders: string[] = [];
const HB = { heartbeat_ms: 200 };

test.before(async () => {
  site = await openControlSite();
});

test.after(async () => {
  await site.close();
});

test('heartbeat gap - a silent instance is quarantined and its job rerouted', async () => {
  const editorKind = (i: string) => ({
    ...testEditorKind(i, renders),
    placement: { worker: 'editor', instance: i },
  });
  const editorA = await startHost(site.nc, editorKind('a'), {
    ledger: site.ledger,
    options: HB,
    hostId: 'host-a',
  });
  const editorB = await startHost(site.nc, editorKind('b'), {
    ledger: site.ledger,
    options: HB,
    hostId: 'host-b',
  });
  const eclipse = await startHost(
    site.nc,
    eclipseKind({ ...DEFAULT_ECLIPSE, heartbeatGapMs: 1_200 }),
    {
      ledger: site.ledger,
    },
  );
  const zenith = await startZenith(site, { editor: ['a', 'b'] });
  const { leader } = zenith;
  try {
    await new Promise((r) => setTimeout(r, 500)); // Eclipse has heard both instances
    editorA.stop(); // dies without a word: no drain, no more heartbeats

    const clip = crypto.randomUUID();
    const operator = new SiteClient(site.nc, SITE, { actor: 'operator', ledger: site.ledger });
    await operator.advise('operator', 'work_request', 'WorkRequest', {
      request_id: crypto.randomUUID(),
      job_key: clip,
      worker: 'editor',
      contract: 'EditJob',
      payload: {
        clip_id: clip,
        operations: ['cut'],
        ffmpeg_commands: [],
        gpu_required: false,
        estimated_duration: 5,
      },
      requested_by: 'operator',
    });
    type View = {
      jobs: Record<string, { status: string; instance: string }>;
      quarantined: string[];
    };
    const view = () => zenith.view<View>();
    await waitFor(async () => (await view()).jobs[clip]?.instance === 'a', 5_000);
    const done = await waitFor(async () => {
      const v = await view();
      return v.jobs[clip]?.status === 'done' ? v : undefined;
    }, 10_000);
    assert.equal(done.jobs[clip]?.instance, 'b', 'the job finished on the live instance');
    assert.ok(done.quarantined.includes('editor/a'), 'the silent instance is quarantined');
    assert.not.ok(done.quarantined.includes('editor/b'), 'the live one is not');
    assert.equal(renders, ['b'], 'the dead instance never rendered');
    const eclipseView = (await eclipse.inspect()).context as { silent: string[] };
    assert.ok(eclipseView.silent.includes('editor/a'));
  } finally {
    await leader.stop();
    await Promise.all([editorB.drain(), eclipse.drain()]);
  }
});

test.run();
