-- nostale version token: KEYS[1] the scope's key, ARGV[1] 'bump' or 'read', ARGV[2] a channel to publish bumps on
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
