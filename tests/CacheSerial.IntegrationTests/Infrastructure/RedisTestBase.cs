using System.Diagnostics;
using CacheSerial.TestSupport;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>Helpers for the Redis-specific tests: a harness over the fixture's RedisCache and raw-key access.</summary>
public abstract class RedisTestBase(RedisFixture redis)
{
    protected RedisFixture Redis { get; } = redis;

    protected IDatabase Database => Redis.Database;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A cache over <paramref name="store"/> (default: the fixture's RedisCache), with its own key prefix.</summary>
    protected CacheHarness CreateHarness(Action<CacheSerialOptions>? configure = null, IDistributedCache? store = null) =>
        new(store ?? Redis.Cache, configure);

    /// <summary>The Redis key RedisCache uses for a caller's key of this harness.</summary>
    protected static RedisKey RawKey(CacheHarness harness, string key, string? instanceName = RedisFixture.DefaultInstanceName) =>
        RedisFixture.RawKey(harness.StoreKey(key), instanceName);

    /// <summary>Waits until <paramref name="clock"/> shows at least <paramref name="elapsed"/> (outcomes are asserted, not durations).</summary>
    protected static Task WaitUntilAsync(Stopwatch clock, TimeSpan elapsed)
    {
        var remaining = elapsed - clock.Elapsed;
        return remaining > TimeSpan.Zero ? Task.Delay(remaining, Ct) : Task.CompletedTask;
    }
}
