using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.IntegrationTests.Behaviour;

// The shared behaviour suites with a memory tier in front of RedisCache (UseMemoryTier): the same behaviour, with
// this process's memory answering what it holds. One line per suite.

public sealed class RedisTwoLevelTypedCacheBehaviourTests(RedisFixture redis) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelFailSafeBehaviourTests(RedisFixture redis) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelBulkBehaviourTests(RedisFixture redis) : BulkBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelAdaptiveCachingBehaviourTests(RedisFixture redis) : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelPlainJsonLayoutBehaviourTests(RedisFixture redis) : PlainJsonLayoutBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelExpirationBehaviourTests(RedisFixture redis) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelSlidingExpirationBehaviourTests(RedisFixture redis) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelEnvelopeTamperingBehaviourTests(RedisFixture redis) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelKeyBehaviourTests(RedisFixture redis) : KeyBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelPayloadLimitBehaviourTests(RedisFixture redis) : PayloadLimitBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelStoreFailureBehaviourTests(RedisFixture redis) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelLogPrivacyBehaviourTests(RedisFixture redis) : LogPrivacyBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelStampedeBehaviourTests(RedisFixture redis) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}

public sealed class RedisTwoLevelTagBehaviourTests(RedisFixture redis) : TagBehaviourTests
{
    protected override IDistributedCache Store => redis.Cache;

    protected override bool MemoryTier => true;
}
