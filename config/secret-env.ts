/**
 * Variables that carry passwords and URLs to other readers than the config loader: the rendered
 * nats-server configs (`$OMNIVA_NATS_PASS_<ROLE>`, `$OMNIVA_LEAF_PASS_<SITE>`, `$OMNIVA_LEAF_URL`),
 * the fleet commands (`OMNIVA_HUB_ADMIN_PASS`) and `omniva media promote --to-user`
 * (`OMNIVA_PROMOTE_PASS`). They share the `OMNIVA_` prefix but are not config keys, so the loader
 * leaves them alone: a host's environment file can hold them next to its config variables.
 */
export const SECRET_ENV = {
  natsPass: 'OMNIVA_NATS_PASS',
  leafPass: 'OMNIVA_LEAF_PASS',
  leafUrl: 'OMNIVA_LEAF_URL',
  hubAdminPass: 'OMNIVA_HUB_ADMIN_PASS',
  promotePass: 'OMNIVA_PROMOTE_PASS',
} as const;

/** True for one of {@link SECRET_ENV}, alone or with a suffix (`OMNIVA_NATS_PASS_ZENITH`). */
export function isSecretEnv(variable: string): boolean {
  return Object.values(SECRET_ENV).some((n) => variable === n || variable.startsWith(`${n}_`));
}
