// Value patterns shared by the config sections.

/** A secret reference, never the secret: `env:NAME` or `file:/absolute/path`. */
export const SECRET_REF = '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$';

/** A UTC time of day, `HH:MM`. */
export const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
