import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sharedFixtures, timeBound } from '../media/support.ts';
import { tempDir, waitFor } from '../support/nats.ts';

timeBound(170_000);

test('cli - run watches a configured folder and publishes a clip from it without being asked', async () => {
  const fx = await sharedFixtures();
  const dir = tempDir();
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox);
  copyFileSync(fx.files.talk, join(inbox, 'episode.mp4'));
  copyFileSync(fx.files.talkSrt, join(inbox, 'episode.srt'));
  const config = join(dir, 'omniva.json');
  writeFileSync(config, JSON.stringify({ sources: [{ url: inbox, poll_minutes: 60 }] }));
  const child = spawn(
    process.execPath,
    ['cli/omniva.mjs', 'run', '--data-dir', join(dir, 'site'), '-c', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => out.includes('running on'), 30_000);
    assert.match(out, /1 source\(s\)/);
    const published = join(dir, 'site', 'published');
    const clip = await waitFor(
      () => {
        if (!existsSync(published)) return undefined;
        return readdirSync(published).find(
          (d) =>
            existsSync(join(published, d, 'clip.mp4')) &&
            existsSync(join(published, d, 'metadata.json')),
        );
      },
      120_000,
      500,
    );
    assert.match(readFileSync(join(published, 'index.html'), 'utf8'), new RegExp(clip));
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});

test.run();
