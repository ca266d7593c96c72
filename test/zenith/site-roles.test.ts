// A deployed site's processes join with their role's user: only zenith may create streams, so
// every other process must start on what zenith provisioned, and say clearly when it is not
// there yet.
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import {
  createLogger,
  MediaStore,
  openSite,
  type SiteConnection,
  startMediaInbox,
} from '../../runtime/index.ts';
import { tempDir } from '../support/nats.ts';
import { PASSWORDS, type SecuredSite, SITE, startSecuredSite } from '../support/zenith-site.ts';

let secured: SecuredSite;
const log = createLogger({ level: 'silent' });

const open = (role: 'zenith' | 'worker'): Promise<SiteConnection> =>
  openSite({
    site: SITE,
    dataDir: tempDir('omniva-role-'),
    nats: {
      url: secured.server.url,
      user: role,
      pass: PASSWORDS[role],
      sync_interval: 'default',
      js_max_mem: '64M',
      js_max_file: '1G',
      connect_timeout_ms: 3_000,
    },
    duplicateWindowMs: 60_000,
    effectsTtlMs: 60_000,
    log,
  });

test.before(async () => {
  secured = await startSecuredSite(); // the site's streams, but no ledger yet
});

test.after(async () => {
  await secured?.cleanup();
});

test('site roles - a worker cannot start before zenith provisioned the site, and says so', async () => {
  const e = await open('worker').then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_SITE_NOT_PROVISIONED'), String(e));
  assert.match(
    (e as Error).message,
    "no STARDUST stream, and this user may not create it: start the site's zenith",
  );
  assert.is((e as OmnivaError).retryable, true);
});

test('site roles - once zenith has provisioned, a worker process starts, records and takes promoted media', async () => {
  const zenith = await open('zenith');
  await zenith.close();
  const worker = await open('worker');
  try {
    const packet = await worker.ledger.append({
      kind: 'note',
      ref: 'worker-start',
      actor: 'test',
      trace_id: randomUUID(),
      payload: { ok: true },
    });
    assert.ok(packet.stardust_id, 'the worker records in the ledger');
    const inbox = await startMediaInbox({
      nc: worker.nc,
      host: 'w1',
      store: new MediaStore({ dataDir: tempDir('omniva-role-media-'), siteId: SITE }),
      ledger: worker.ledger,
      log,
    });
    assert.is(await inbox.sweep(), 0, 'the worker may read the media inbox');
    await inbox.stop();
  } finally {
    await worker.close();
  }
});

test.run();
