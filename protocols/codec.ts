import { C1, type Options, Packr } from 'msgpackr';
import { OmnivaError } from './errors.ts';

export type Codec = 'msgpack' | 'json';

export const CONTENT_TYPES = {
  msgpack: 'application/msgpack',
  json: 'application/json',
} as const satisfies Record<Codec, string>;

// Other names msgpack goes by in the wild, accepted on input only.
const MSGPACK_ALIASES = new Set(['application/vnd.msgpack', 'application/x-msgpack']);

// Plain maps, no msgpackr records, so any MessagePack library can read what we write.
// `skipValues` drops undefined-valued properties as JSON.stringify does, instead of writing
// msgpackr's private "undefined" extension; its type declarations do not list the option yet.
const packr = new Packr({ useRecords: false, skipValues: [undefined] } as Options);

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encode(value: unknown, codec: Codec): Uint8Array {
  return codec === 'msgpack' ? packr.pack(value) : textEncoder.encode(JSON.stringify(value));
}

function decodeError(message: string, contentType: string | undefined, cause?: unknown) {
  return new OmnivaError(
    'OMNIVA_ERR_DECODE',
    message,
    { content_type: contentType ?? null },
    { cause },
  );
}

/**
 * Decodes by the message's Content-Type header, not by this process's codec setting, so a
 * fleet mid-way through a codec change still reads everything. No header means JSON: that is
 * what `nats pub` sends.
 */
export function decode(data: Uint8Array, contentType: string | undefined): unknown {
  const media = contentType?.split(';')[0]?.trim().toLowerCase() || CONTENT_TYPES.json;
  if (data.byteLength === 0) throw decodeError('message body is empty', contentType);
  if (media === CONTENT_TYPES.json) {
    try {
      return JSON.parse(textDecoder.decode(data));
    } catch (e) {
      throw decodeError(`body is not valid JSON: ${(e as Error).message}`, contentType, e);
    }
  }
  if (media === CONTENT_TYPES.msgpack || MSGPACK_ALIASES.has(media)) {
    let value: unknown;
    try {
      value = packr.unpack(data);
    } catch (e) {
      throw decodeError(`body is not valid MessagePack: ${(e as Error).message}`, contentType, e);
    }
    // 0xc1 is the one byte MessagePack never uses; msgpackr returns a marker instead of failing.
    if (value === C1) throw decodeError('body is not valid MessagePack: byte 0xc1', contentType);
    return value;
  }
  throw decodeError(
    `unsupported Content-Type "${contentType}"; expected ${CONTENT_TYPES.msgpack} or ${CONTENT_TYPES.json}`,
    contentType,
  );
}
