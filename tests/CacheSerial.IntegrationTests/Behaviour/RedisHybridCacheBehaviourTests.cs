using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Behaviour;

// The HybridCache adapter suite on RedisCache over the fixture's server.
public sealed class RedisHybridCacheBehaviourTests(RedisFixture redis) : HybridCacheBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}
