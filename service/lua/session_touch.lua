-- A live session's account, its idle timeout started again but never past its absolute end.
-- KEYS[1] session key; ARGV[1] idle seconds, ARGV[2] now (unix seconds).
-- The value is "<account id>|<unix deadline>". Returns the account id, or false when the
-- session is gone or past its deadline (then it is deleted).
local value = redis.call('GET', KEYS[1])
if not value then
  return false
end
local account, deadline = string.match(value, '^(.*)|(%d+)$')
local now = tonumber(ARGV[2])
if not account or tonumber(deadline) <= now then
  redis.call('DEL', KEYS[1])
  return false
end
local idle = math.min(tonumber(ARGV[1]), tonumber(deadline) - now)
redis.call('EXPIRE', KEYS[1], math.max(1, math.floor(idle)))
return account
