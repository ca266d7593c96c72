import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES, ERRORS, isErrorCode, OmnivaError } from '../../protocols/index.ts';

test('errors - retryable defaults come from the table', () => {
  assert.is(new OmnivaError('OMNIVA_ERR_TIMEOUT', 'slow').retryable, true);
  assert.is(new OmnivaError('OMNIVA_ERR_SCHEMA_INVALID', 'bad').retryable, false);
  const retryable = ERROR_CODES.filter((c) => ERRORS[c].retryable);
  assert.equal(retryable.sort(), [
    'OMNIVA_ERR_ACTOR_FAILED',
    'OMNIVA_ERR_EFFECT_FAILED',
    'OMNIVA_ERR_FENCING_UNAVAILABLE',
    'OMNIVA_ERR_PUBLISH_FAILED',
    'OMNIVA_ERR_SITE_NOT_PROVISIONED',
    'OMNIVA_ERR_SNAPSHOT_CONFLICT',
    'OMNIVA_ERR_STARDUST_CONFLICT',
    'OMNIVA_ERR_STARDUST_UNAVAILABLE',
    'OMNIVA_ERR_TIMEOUT',
  ]);
});

test('errors - retryable override, info and cause are kept', () => {
  const cause = new Error('socket hang up');
  const e = new OmnivaError(
    'OMNIVA_ERR_EFFECT_FAILED',
    'upload failed',
    { attempt: 3 },
    {
      retryable: false,
      cause,
    },
  );
  assert.is(e.retryable, false);
  assert.equal(e.info, { attempt: 3 });
  assert.is(e.cause, cause);
  assert.is(e.name, 'OmnivaError');
  assert.ok(e instanceof Error);
  assert.is(new OmnivaError('OMNIVA_ERR_TIMEOUT', 'x').info, undefined);
});

test('errors - OmnivaError.is checks the class and optionally the code', () => {
  const e = new OmnivaError('OMNIVA_ERR_DECODE', 'x');
  assert.ok(OmnivaError.is(e));
  assert.ok(OmnivaError.is(e, 'OMNIVA_ERR_DECODE'));
  assert.not.ok(OmnivaError.is(e, 'OMNIVA_ERR_TIMEOUT'));
  assert.not.ok(OmnivaError.is(Object.assign(new Error('x'), { code: 'OMNIVA_ERR_DECODE' })));
});

test('errors - every code is stable, prefixed and described', () => {
  assert.is(new Set(ERROR_CODES).size, ERROR_CODES.length);
  for (const used of [
    'OMNIVA_ERR_DECODE',
    'OMNIVA_ERR_STALE_EPOCH',
    'OMNIVA_ERR_STARDUST_INVALID',
  ]) {
    assert.ok(isErrorCode(used), `${used} is in the table`);
  }
  for (const code of ERROR_CODES) {
    assert.match(code, /^OMNIVA_ERR_[A-Z_]+$/);
    assert.ok(ERRORS[code].description.length > 0);
    assert.ok(isErrorCode(code));
  }
  assert.not.ok(isErrorCode('OMNIVA_ERR_NOPE'));
  assert.not.ok(isErrorCode('toString'));
});

test.run();
