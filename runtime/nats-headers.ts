import { type MsgHdrs, MsgHdrsImpl } from '@nats-io/transport-node';
import { OmnivaError } from '../protocols/index.ts';

/**
 * NATS headers from name → value pairs, built in one step. `headers().append` canonicalises the
 * name, searches the names already set and tests the value with a regular expression on every
 * call; for the eight headers of every message that was the largest allocation on the hot
 * path. The names here are the runtime's own constants, so only values are checked: a value
 * with CR or LF would break the header block.
 */
export function headersOf(pairs: Readonly<Record<string, string>>): MsgHdrs {
  const lists: Record<string, string[]> = {};
  for (const k in pairs) {
    const v = pairs[k] as string;
    if (v.includes('\n') || v.includes('\r')) {
      const reason = `header ${k} may not contain CR or LF`;
      throw new OmnivaError('OMNIVA_ERR_PUBLISH_FAILED', reason, undefined, { retryable: false });
    }
    lists[k] = [v];
  }
  return MsgHdrsImpl.fromRecord(lists);
}
