const UTC_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The spec (§2) wants every timestamp in UTC with the `Z` suffix, which RFC 3339's
 * `date-time` (numeric offsets allowed) is looser than. Leap seconds (`:60`) are refused too:
 * `Date.parse` cannot represent them, and the semantic rules compare timestamps with it.
 */
export function isUtcDateTime(value: string): boolean {
  const m = UTC_DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/** RFC 4122 version 4: version nibble 4, variant bits 10xx. */
export function isUuidV4(value: string): boolean {
  return UUID_V4.test(value);
}
