export { FLEET_ACCOUNT, renderHubConfig } from './hub-config.ts';
export {
  HUB_ADMIN_ENV,
  HUB_ADMIN_USER,
  hostPort,
  hubSiteAdminUser,
  LAYOUT,
  leafPasswordEnv,
  leafUser,
} from './layout.ts';
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
  parseFleet,
  type RenderedFile,
  type RenderedHost,
  renderFleet,
  validateFleet,
} from './render.ts';
