-- Take a delivery out of the dead letters and make it pending again with a fresh retry budget;
-- its attempts so far stay in its history.
-- KEYS: dead letters zset, delivery hash, attempts list. ARGV: member, ttl seconds.
-- Returns 1 when re-driven, 0 when it was not a dead letter.
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
local attempts = redis.call('HGET', KEYS[2], 'attempts') or '0'
redis.call('HSET', KEYS[2], 'status', 'pending', 'retry_base', attempts)
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
