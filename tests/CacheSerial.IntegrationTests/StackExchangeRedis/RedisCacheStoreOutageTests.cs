using CacheSerial.IntegrationTests.Faults;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// The store's own connection through an outage of a private redis-server: an application started while Redis is down
/// gets misses and its factories' values, and the cache stores entries again once Redis is up. Outcomes only; waits are
/// bounded hang guards.
/// </summary>
public sealed class RedisCacheStoreOutageTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Calls_RedisDownAtStartThenUp_MissesThenEntriesStored()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await redis.KillAsync(Ct);
        var services = new ServiceCollection();
        services.AddCacheSerial(o =>
        {
            o.KeyPrefix = CacheHarness.NewPrefix();
            o.DistributedCacheTimeout = TimeSpan.FromMilliseconds(500);
            o.CircuitBreakerDuration = TimeSpan.FromMilliseconds(200);
        }).UseStackExchangeRedis(redis.Endpoint + ",connectTimeout=1000");
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ITypedCache>();

        var whileDown = await cache.TryGetAsync<int>("k", cancellationToken: Ct);
        var made = await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(7), cancellationToken: Ct);
        await redis.RestartAsync(Ct);

        var stored = false;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(Bound);
        while (!stored)
        {
            await Task.Delay(100, bound.Token);
            await cache.SetAsync("k", 8, cancellationToken: bound.Token);
            // 8, not just a hit: the write of 7 given up at the deadline while Redis was down may land late (the
            // client's backlog sends it once connected), before or after the first write of 8 the breaker let through.
            stored = (await cache.TryGetAsync<int>("k", cancellationToken: bound.Token)) is { HasValue: true, Value: 8 };
        }

        Assert.False(whileDown.HasValue);
        Assert.Equal(7, made);
        Assert.Equal(8, (await cache.TryGetAsync<int>("k", cancellationToken: Ct)).Value);
        Assert.Equal(1, (int)await redis.ExecuteAsync("EXISTS", cache.StoreKeyOf("k")));
    }
}
