export {
  type RoleCredentials,
  renderAuthorization,
  renderSiteConfig,
  type SiteConfigOptions,
  type SiteRoles,
} from './nats-config.ts';
export {
  type RolePermissions,
  rolePermissions,
  SITE_ROLES,
  type SiteRole,
  STARDUST_STREAM,
  type SubjectRules,
} from './permissions.ts';
