import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OmnivaError } from '../../protocols/index.ts';
import {
  formatMediaUri,
  isMediaUri,
  mediaWorkerCode,
  parseMediaUri,
} from '../../runtime/media/index.ts';

const HEX = 'ab'.repeat(32);

function refused(uri: unknown, why: string): void {
  try {
    parseMediaUri(uri as string);
  } catch (error) {
    assert.ok(OmnivaError.is(error, 'OMNIVA_ERR_MEDIA_URI'), String(error));
    assert.match((error as Error).message, why);
    assert.is(mediaWorkerCode(error), 'bad_command');
    assert.not.ok(isMediaUri(uri));
    return;
  }
  assert.unreachable(`accepted ${String(uri)}`);
}

test('media uri - format and parse round-trip', () => {
  const uri = formatMediaUri({ site: 'site-a', sha256: HEX });
  assert.is(uri, `media://site-a/sha256/${HEX}`);
  assert.equal(parseMediaUri(uri), { site: 'site-a', sha256: HEX });
  assert.ok(isMediaUri(uri));
});

test('media uri - anything but the canonical form is refused, with the reason', () => {
  refused(`http://site-a/sha256/${HEX}`, 'does not start with');
  refused(`media://site-a/md5/${HEX}`, 'unsupported digest');
  refused(`media://site-a/sha256/${HEX.toUpperCase()}`, '64 lowercase hex');
  refused(`media://site-a/sha256/${HEX.slice(1)}`, '64 lowercase hex');
  refused(`media://site-a/sha256/${HEX}/x`, 'expected media://');
  refused(`media://Site_A/sha256/${HEX}`, 'not a valid site id');
  refused(`media:///sha256/${HEX}`, 'not a valid site id');
  refused(42, 'not a string');
  assert.throws(() => formatMediaUri({ site: 'a.b', sha256: HEX }), /not a valid site id/);
  assert.throws(() => formatMediaUri({ site: 'a', sha256: 'zz' }), /64 lowercase hex/);
});

test.run();
