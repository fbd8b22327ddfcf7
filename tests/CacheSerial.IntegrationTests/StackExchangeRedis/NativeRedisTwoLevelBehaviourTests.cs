using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

// The main behaviour suites with a memory tier in front of the native Redis store.

public sealed class NativeRedisTwoLevelTypedCacheBehaviourTests(RedisFixture redis) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelFailSafeBehaviourTests(RedisFixture redis) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelBulkBehaviourTests(RedisFixture redis) : BulkBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelEnvelopeTamperingBehaviourTests(RedisFixture redis) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelStampedeBehaviourTests(RedisFixture redis) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelExpirationBehaviourTests(RedisFixture redis) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelSlidingExpirationBehaviourTests(RedisFixture redis) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override bool StoreKeepsSlidingWindow => false; // reads name the window: memory keeps and slides the entry

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTwoLevelTagBehaviourTests(RedisFixture redis) : TagBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool MemoryTier => true;

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}
