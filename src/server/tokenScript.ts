/**
 * The one atomic step every version token comes from, run inside Redis so that its clock and its
 * previous value are read in the same instant no other client can interleave with.
 *
 * `bump` stores `max(previous + 1, now in µs)`; `read` seeds a missing key with `now`. Either way a
 * token lost to FLUSHDB, eviction or a restart comes back above every token already handed out,
 * and a token seeded by a clock that ran ahead is still never undercut (`previous + 1`). Tokens
 * are decimal strings: µs since 1970 stay below 2^53 (exact in Lua's doubles) until the year 2255.
 *
 * A bump with `ARGV[2]` also publishes `<token> <key>` on that channel, for push endpoints
 * (`redisVersionFeed`) in any process, Node or Django.
 *
 * django-nostale runs the very same text (`python/django_nostale/token.lua`; a test keeps the two
 * identical), so Node and Django services may share scopes.
 */
export const TOKEN_SCRIPT = `-- nostale version token: KEYS[1] the scope's key, ARGV[1] 'bump' or 'read', ARGV[2] a channel to publish bumps on
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local previous = tonumber(redis.call('GET', KEYS[1]))
local token
if ARGV[1] == 'bump' then
  if previous == nil or previous < now then token = now else token = previous + 1 end
elseif previous == nil then
  token = now
else
  return string.format('%.0f', previous)
end
token = string.format('%.0f', token)
redis.call('SET', KEYS[1], token)
if ARGV[1] == 'bump' and ARGV[2] then redis.call('PUBLISH', ARGV[2], token .. ' ' .. KEYS[1]) end
return token
`;
