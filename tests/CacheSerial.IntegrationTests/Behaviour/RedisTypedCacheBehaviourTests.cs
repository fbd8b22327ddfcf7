using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Codecs;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Behaviour;

// The shared behaviour suites, run on RedisCache over the fixture's server. One line per suite.
public sealed class RedisTypedCacheBehaviourTests(RedisFixture redis) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisFailSafeBehaviourTests(RedisFixture redis) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisBulkBehaviourTests(RedisFixture redis) : BulkBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisAdaptiveCachingBehaviourTests(RedisFixture redis) : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisPlainJsonLayoutBehaviourTests(RedisFixture redis) : PlainJsonLayoutBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisExpirationBehaviourTests(RedisFixture redis) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisSlidingExpirationBehaviourTests(RedisFixture redis) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisEnvelopeTamperingBehaviourTests(RedisFixture redis) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisKeyBehaviourTests(RedisFixture redis) : KeyBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisPayloadLimitBehaviourTests(RedisFixture redis) : PayloadLimitBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisStoreFailureBehaviourTests(RedisFixture redis) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisLogPrivacyBehaviourTests(RedisFixture redis) : LogPrivacyBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisStampedeBehaviourTests(RedisFixture redis) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisStoreLifetimeBehaviourTests(RedisFixture redis) : StoreLifetimeBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisStoreSlidingCapBehaviourTests(RedisFixture redis) : StoreSlidingCapBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisTagBehaviourTests(RedisFixture redis) : TagBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

public sealed class RedisCompressionBehaviourTests(RedisFixture redis) : CompressionBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;
}

// Every codec's round trip through the cache on real Redis.
public sealed class RedisSystemTextJsonRoundTripTests(RedisFixture redis) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override IDistributedCache CreateStore() => redis.Cache;
}

public sealed class RedisMessagePackRoundTripTests(RedisFixture redis) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override IDistributedCache CreateStore() => redis.Cache;
}
