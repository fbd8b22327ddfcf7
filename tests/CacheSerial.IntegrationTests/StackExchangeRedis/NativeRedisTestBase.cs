using CacheSerial.Internal;
using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.StackExchangeRedis;
using CacheSerial.StackExchangeRedis.Internal;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// Helpers for the native store's own tests: caches whose store owns its own connection (from the fixture's endpoint),
/// inspected through the fixture's connection (<see cref="RedisTestBase.Database"/>), a second multiplexer.
/// </summary>
public abstract class NativeRedisTestBase(RedisFixture redis) : RedisTestBase(redis)
{
    /// <summary>A cache on the native store over a connection of its own to the fixture's server.</summary>
    protected CacheHarness CreateNativeHarness(Action<CacheSerialOptions>? configure = null, Action<RedisCacheStoreOptions>? store = null) =>
        new(new RedisStringView(Redis.Connection), configure, b => b.UseStackExchangeRedis(Redis.Endpoint, store));

    /// <summary>The native store under a harness's cache.</summary>
    private protected static RedisCacheStore StoreOf(CacheHarness harness) => StoreOf(harness.Cache);

    private protected static RedisCacheStore StoreOf(ITypedCache cache) =>
        Assert.IsType<RedisCacheStore>(CacheInternals.StoreOf(cache));

    /// <summary>The Redis key of a caller's key: the stored key itself (the native store adds no instance name).</summary>
    protected static RedisKey NativeKey(CacheHarness harness, string key) => harness.StoreKey(key);
}
