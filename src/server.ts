// nostale/server: the server half of the protocol, for Node (and any runtime with Request/Response).
// Browser bundles never import this subpath.
export { createVersioning } from './server/versioning.js';
export type { MutationHeaders, ReadPlan, ReadRequestInfo, Versioning, VersioningOptions } from './server/versioning.js';
export { webVersioning } from './server/web.js';
export type { MutationContext, WebHandler } from './server/web.js';
export { expressVersioning } from './server/express.js';
export type { ExpressMiddleware, ExpressRequestLike } from './server/express.js';
export { fastifyVersioning } from './server/fastify.js';
export type { FastifyReplyLike, FastifyRequestLike, FastifyRouteHooks } from './server/fastify.js';
export { memoryVersionStore } from './server/memoryStore.js';
export type { MemoryVersionStoreOptions } from './server/memoryStore.js';
export { redisVersionStore } from './server/redisStore.js';
export type { RedisVersionStoreOptions } from './server/redisStore.js';
export { checkRedis } from './server/redisCheck.js';
export type { IoRedisLike, NodeRedisLike, RedisClientLike } from './server/redisCommands.js';
export type { VersionStore } from './server/versionStore.js';
export { feedEtag, matchesIfNoneMatch } from './server/etag.js';
export { formatVersionList, parseVersionList } from './server/versionList.js';
export { fillScope } from './server/scopeTemplate.js';
export type { Params, ScopeSpec } from './server/scopeTemplate.js';
export { TOKEN_SCRIPT } from './server/tokenScript.js';
export { ConfigurationError } from './server/configurationError.js';
export { ScopeError } from './server/scopeError.js';
export { VersionStoreError } from './server/versionStoreError.js';
