import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StardustPacket } from '../../runtime/stardust/index.ts';
import { input, type Rig, startRig } from './support.ts';

let rig: Rig;
const ids = { video: randomUUID(), clip: randomUUID(), edit: randomUUID(), upload: randomUUID() };
const chain: Record<string, StardustPacket> = {};

test.before(async () => {
  rig = await startRig();
  const L = rig.ledger;
  // The clip pipeline as the ledger sees it, with unrelated traffic in between.
  chain.video = await L.append(
    input({ kind: 'event', actor: 'scraper', entities: { video: [ids.video] } }),
  );
  await L.append(input({ actor: 'noise' }));
  chain.clip = await L.append(
    input({
      kind: 'event',
      actor: 'analyzer',
      _meta_parents: [chain.video.stardust_id],
      entities: { video: [ids.video], clip: [ids.clip] },
    }),
  );
  chain.edit = await L.append(
    input({
      kind: 'event',
      actor: 'editor',
      _meta_parents: [chain.clip.stardust_id],
      entities: { clip: [ids.clip], job: [ids.edit] },
    }),
  );
  chain.upload = await L.append(
    input({
      kind: 'event',
      actor: 'uploader',
      _meta_parents: [chain.edit.stardust_id],
      entities: { clip: [ids.clip], job: [ids.upload] },
    }),
  );
  chain.schedule = await L.append(
    input({
      kind: 'arbitration',
      actor: 'zenith',
      _meta_parents: [chain.upload.stardust_id, chain.clip.stardust_id],
      entities: { clip: [ids.clip], job: [ids.upload] },
    }),
  );
});
test.after(async () => {
  await rig?.close();
});

const idsOf = (xs: { stardust_id: string }[]) => xs.map((x) => x.stardust_id);
const of = (...names: string[]) => names.map((n) => chain[n]!.stardust_id);

test('stardust lineage - parents and children of one packet', async () => {
  const L = rig.ledger.lineage;
  assert.equal(idsOf(await L.parents(chain.schedule!.stardust_id)), of('clip', 'upload'));
  assert.equal(idsOf(await L.children(chain.clip!.stardust_id)), of('edit', 'schedule'));
  assert.equal(await L.parents(chain.video!.stardust_id), []);
});

test('stardust lineage - ancestors of the schedule reach the video, nearest first', async () => {
  const hits = await rig.ledger.lineage.ancestors(chain.schedule!.stardust_id);
  assert.equal(
    hits.map((h) => [h.node.actor, h.depth]),
    [
      ['analyzer', 1],
      ['uploader', 1],
      ['scraper', 2],
      ['editor', 2],
    ],
  );
});

test('stardust lineage - descendants of the video reach the schedule, each once', async () => {
  const hits = await rig.ledger.lineage.descendants(chain.video!.stardust_id);
  assert.equal(
    hits.map((h) => h.node.actor),
    ['analyzer', 'editor', 'zenith', 'uploader'],
  );
  assert.equal(
    hits.map((h) => h.depth),
    [1, 2, 2, 3],
  );
});

test('stardust lineage - byEntity finds every packet naming an entity, in ledger order', async () => {
  const L = rig.ledger.lineage;
  assert.equal(idsOf(await L.byEntity('video', ids.video)), of('video', 'clip'));
  assert.equal(idsOf(await L.byEntity('clip', ids.clip)), of('clip', 'edit', 'upload', 'schedule'));
  assert.equal(idsOf(await L.byEntity('job', ids.upload)), of('upload', 'schedule'));
  assert.equal(await L.byEntity('video', 'nope'), []);
});

test('stardust lineage - a cold index on another connection answers the same, and follows new packets', async () => {
  const other = await rig.another();
  const anc = await other.ledger.lineage.ancestors(chain.schedule!.stardust_id);
  assert.is(anc.length, 4);
  const late = await rig.ledger.append(
    input({ actor: 'halolux', _meta_parents: [chain.schedule!.stardust_id] }),
  );
  const index = await other.ledger.lineage.sync();
  assert.equal(idsOf(index.children(chain.schedule!.stardust_id)), [late.stardust_id]);
  assert.is(index.descendants(chain.video!.stardust_id).length, 5);
});

test.run();
