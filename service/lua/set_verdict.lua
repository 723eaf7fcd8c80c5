-- Record a verdict if the record is still at the version the caller read (compare and set),
-- then update the indexes, the site's feed and tell waiting api processes.
-- KEYS: record, pending index, review queue, feed stream, claims, then the site's indexes of
--       approved, spam and rejected records, and the author's index.
-- ARGV: verdict json, status, expected version, queue member, record id, ttl seconds, now,
--       feed max length, event json (with a version placeholder), channel, received at,
--       '1' when the comment has a known author.
-- Returns {1, new version, feed id} or {0, current version, ''} when the version moved on.
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return {-1, -1, ''}
end
current = tonumber(current)
if current ~= tonumber(ARGV[3]) then
  return {0, current, ''}
end
local version = current + 1
redis.call('HSET', KEYS[1], 'verdict', ARGV[1], 'status', ARGV[2], 'version', version)
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[5], ARGV[4])
-- the review queue and the status indexes are ordered by when the comment arrived, so
-- "newest" means the newest comment however its scoring was batched
if ARGV[2] == 'held' then
  redis.call('ZADD', KEYS[3], ARGV[11], ARGV[5])
  redis.call('PERSIST', KEYS[1])
else
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
end
-- one index per decided status, so moderators can list what was approved, spam or rejected;
-- entries older than the retention are dropped as the index is written
local decided = {approved = KEYS[6], spam = KEYS[7], rejected = KEYS[8]}
for status, key in pairs(decided) do
  if status == ARGV[2] then
    redis.call('ZADD', key, ARGV[11], ARGV[5])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', tonumber(ARGV[7]) - tonumber(ARGV[6]))
  else
    redis.call('ZREM', key, ARGV[5])
  end
end
if ARGV[12] == '1' then
  redis.call('ZADD', KEYS[9], ARGV[11], ARGV[5])
  redis.call('EXPIRE', KEYS[9], ARGV[6])
end
local feed_id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*', 'r', ARGV[5], 'v', version, 'e', ARGV[9])
redis.call('PUBLISH', ARGV[10], ARGV[4])
return {1, version, feed_id}
