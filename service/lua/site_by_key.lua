-- The site an API key hash belongs to, in one round trip instead of two.
-- KEYS: the api-key entry (holds the site id). ARGV: the site key's text before and after the id.
-- The site key is built here because it is only known once the id is read.
local site_id = redis.call('GET', KEYS[1])
if not site_id then
  return false
end
return redis.call('GET', ARGV[1] .. site_id .. ARGV[2])
