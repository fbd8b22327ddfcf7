using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.IntegrationTests.StackExchangeRedis;
using CacheSerial.MessagePack;
using CacheSerial.TestSupport.Behaviour;
using CacheSerial.TestSupport.Codecs;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.Cluster;

// The shared behaviour suites on the native Redis store over a Redis Cluster (UseStackExchangeRedis over the cluster
// fixture's multiplexer), the same list as StackExchangeRedis/NativeRedisBehaviourTests.cs: each key lands on the
// primary of its hash slot; bulk reads group keys by slot. Store is the raw view of the same strings, through the same
// cluster multiplexer.
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisTypedCacheBehaviourTests(RedisClusterFixture cluster) : TypedCacheBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisFailSafeBehaviourTests(RedisClusterFixture cluster) : FailSafeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisAdaptiveCachingBehaviourTests(RedisClusterFixture cluster) : AdaptiveCachingBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisPlainJsonLayoutBehaviourTests(RedisClusterFixture cluster) : PlainJsonLayoutBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisExpirationBehaviourTests(RedisClusterFixture cluster) : ExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisSlidingExpirationBehaviourTests(RedisClusterFixture cluster) : SlidingExpirationBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override bool StoreKeepsSlidingWindow => false; // renewed by GETEX on reads that name the window

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisEnvelopeTamperingBehaviourTests(RedisClusterFixture cluster) : EnvelopeTamperingBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisKeyBehaviourTests(RedisClusterFixture cluster) : KeyBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisPayloadLimitBehaviourTests(RedisClusterFixture cluster) : PayloadLimitBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisStoreFailureBehaviourTests(RedisClusterFixture cluster) : StoreFailureBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisLogPrivacyBehaviourTests(RedisClusterFixture cluster) : LogPrivacyBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisStampedeBehaviourTests(RedisClusterFixture cluster) : StampedeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisStoreLifetimeBehaviourTests(RedisClusterFixture cluster) : StoreLifetimeBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisHybridCacheBehaviourTests(RedisClusterFixture cluster) : HybridCacheBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

// Every codec's round trip through the cache on the native store over the cluster.
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisSystemTextJsonRoundTripTests(RedisClusterFixture cluster) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => SystemTextJsonCodec.Default;

    protected override IDistributedCache CreateStore() => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisMessagePackRoundTripTests(RedisClusterFixture cluster) : CodecRoundTripTests
{
    protected override ICacheCodec Codec => MessagePackCodec.Default;

    protected override IDistributedCache CreateStore() => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}

[Collection(RedisClusterCollection.Name)]
public sealed class ClusterNativeRedisBulkBehaviourTests(RedisClusterFixture cluster) : BulkBehaviourTests
{
    protected override IDistributedCache Store => new RedisStringView(cluster.Connection);

    protected override void ConfigureStore(ICacheSerialBuilder builder) => builder.UseStackExchangeRedis(cluster.Connection);
}
