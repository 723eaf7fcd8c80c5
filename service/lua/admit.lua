-- (follows buckets.lua) Admit one comment in one round trip: rate limits, idempotency on
-- (site, comment id), the pending record, the scoring queue, the intake counters, and whether
-- the caller should kick a scoring drainer.
-- KEYS: record hash, idempotency key, score queue, pending index, kick flag, counters hash,
--       this minute's counters hash, then one key per rate-limit bucket.
-- ARGV: record id, comment json, received_at, site id, request id, ttl seconds, queue member,
--       kick ttl ms, counter fields for rate_limited, duplicate and accepted, minute ttl,
--       bucket count, then per bucket: rate (tokens/s), capacity.
-- Returns {0, retry_after_ms, first empty bucket} when rate limited,
--         {1, record id, kick (1/0)} when created, {2, existing record id, 0} for a repeat.
local buckets = tonumber(ARGV[13])
local function count(field, minute_field)
  redis.call('HINCRBY', KEYS[6], field, 1)
  redis.call('HINCRBY', KEYS[7], minute_field, 1)
  redis.call('EXPIRE', KEYS[7], ARGV[12])
end
local allowed, wait_ms, blocked = charge(8, buckets, 1, 13)
if allowed == 0 then
  count(ARGV[9], 'rate_limited')
  return {0, wait_ms, blocked}
end
local existing = redis.call('GET', KEYS[2])
if existing then
  count(ARGV[10], 'duplicate')
  return {2, existing, 0}
end
redis.call('HSET', KEYS[1], 'comment', ARGV[2], 'received_at', ARGV[3], 'status', 'pending',
  'version', '0', 'site_id', ARGV[4], 'request_id', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[6])
redis.call('RPUSH', KEYS[3], ARGV[7])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[7])
count(ARGV[11], 'accepted')
local kick = redis.call('SET', KEYS[5], '1', 'NX', 'PX', ARGV[8])
return {1, ARGV[1], kick and 1 or 0}
