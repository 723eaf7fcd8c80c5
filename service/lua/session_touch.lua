-- A live session's account, its idle timeout started again but never past its absolute end.
-- KEYS[1] session key; ARGV[1] idle seconds, ARGV[2] now (unix seconds).
-- The value is "<account id>|<unix deadline>". Returns the account id, or false when the
-- session is gone or past its deadline (then it is deleted).
local value = redis.call('GET', KEYS[1])
if not value then
  return false
end
local sep = string.find(value, '|', 1, true)
local deadline = sep and tonumber(string.sub(value, sep + 1))
local now = tonumber(ARGV[2])
if not deadline or deadline <= now then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('EXPIRE', KEYS[1], math.max(1, math.floor(math.min(tonumber(ARGV[1]), deadline - now))))
return string.sub(value, 1, sep - 1)
