using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Behaviour;

// The shared behaviour suites, run on RedisCache over the fixture's server. One line per suite.
public sealed class RedisTypedCacheBehaviourTests(RedisFixture redis) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}
