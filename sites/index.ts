export { FLEET_ACCOUNT, renderHubConfig } from './hub-config.ts';
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
export {
  type Fleet,
  type FleetHost,
  type FleetResult,
  type FleetSite,
  type FleetViolation,
  fleetSchema,
  formatFleetErrors,
  HOST_ROLES,
  type HostRole,
  HUB_ADMIN_ENV,
  HUB_ADMIN_USER,
  hubSiteAdminUser,
  LAYOUT,
  leafPasswordEnv,
  leafUser,
  parseFleet,
  type RenderedFile,
  type RenderedHost,
  renderFleet,
  validateFleet,
} from './render.ts';
