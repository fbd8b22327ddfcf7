using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Codecs;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

// The shared behaviour suites on the native Redis store (UseStackExchangeRedis over the fixture's connection). Store is
// the raw view of the same Redis strings; the suites' store-failure tests wrap that view in a chaos decorator, which
// goes through the IDistributedCache adapter (the facade's failure handling is the same for every store).
// StoreSlidingCapBehaviourTests is not run: it slides entries with raw reads, which on the native store do not slide
// (only the cache's sliding reads renew, with GETEX), and GETEX cannot cap a renewal at the absolute expiry (see
// docs/backends.md).
public sealed class NativeRedisTypedCacheBehaviourTests(RedisFixture redis) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisFailSafeBehaviourTests(RedisFixture redis) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisAdaptiveCachingBehaviourTests(RedisFixture redis) : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisPlainJsonLayoutBehaviourTests(RedisFixture redis) : PlainJsonLayoutBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisExpirationBehaviourTests(RedisFixture redis) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisSlidingExpirationBehaviourTests(RedisFixture redis) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override bool StoreKeepsSlidingWindow => false; // renewed by GETEX on reads that name the window

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisEnvelopeTamperingBehaviourTests(RedisFixture redis) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisKeyBehaviourTests(RedisFixture redis) : KeyBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisPayloadLimitBehaviourTests(RedisFixture redis) : PayloadLimitBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisStoreFailureBehaviourTests(RedisFixture redis) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisLogPrivacyBehaviourTests(RedisFixture redis) : LogPrivacyBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisStampedeBehaviourTests(RedisFixture redis) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisStoreLifetimeBehaviourTests(RedisFixture redis) : StoreLifetimeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisHybridCacheBehaviourTests(RedisFixture redis) : HybridCacheBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisTagBehaviourTests(RedisFixture redis) : TagBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

// Every codec's round trip through the cache on the native store.
public sealed class NativeRedisSystemTextJsonRoundTripTests(RedisFixture redis) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override IDistributedCache CreateStore() => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisMessagePackRoundTripTests(RedisFixture redis) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override IDistributedCache CreateStore() => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}

public sealed class NativeRedisBulkBehaviourTests(RedisFixture redis) : BulkBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(redis.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(redis.Connection);
}
