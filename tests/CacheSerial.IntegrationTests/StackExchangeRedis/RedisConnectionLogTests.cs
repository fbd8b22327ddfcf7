using CacheSerial.IntegrationTests.Faults;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>
/// Issue 13: the native store logs its connection's failures and restorations (6001, 6002) and a first connection that
/// did not succeed (6004), naming the endpoint and the failure type, never a key; before, a wrong port or a Redis outage
/// showed only as the cache's store timeouts. Outcomes only; waits are bounded hang guards.
/// </summary>
public sealed class RedisConnectionLogTests
{
    private const string Key = "customer:secret-key-42";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OwnConnection_RedisKilledThenRestarted_LogsFailureThenRestorationWithEndpointAndNoKey()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        var logs = new FakeLoggerProvider();
        await using var provider = Build(logs, b => b.UseStackExchangeRedis(redis.Endpoint + ",connectTimeout=1000"));
        var cache = provider.GetRequiredService<ITypedCache>();
        await cache.SetAsync(Key, 1, cancellationToken: Ct); // connects

        await redis.KillAsync(Ct);
        var failed = await WaitForAsync(logs, 6001);
        await redis.RestartAsync(Ct);
        var restored = await WaitForAsync(logs, 6002);

        Assert.Equal(LogLevel.Warning, failed.Level);
        Assert.Contains(redis.Endpoint, failed.Message, StringComparison.Ordinal);
        Assert.Contains("Cache 'default'", failed.Message, StringComparison.Ordinal);
        Assert.Contains(Enum.GetNames<ConnectionFailureType>(), name => failed.Message.Contains($"({name},", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, restored.Level);
        Assert.Contains(redis.Endpoint, restored.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Collector.GetSnapshot(), r => r.Id.Id is >= 6001 and <= 6099 && r.Message.Contains("secret-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SharedConnection_RedisKilled_LogsFailureUnderTheCachesName()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",abortConnect=false,connectTimeout=1000");
        var logs = new FakeLoggerProvider();
        await using var provider = Build(logs, b => b.UseStackExchangeRedis(multiplexer), keyed: "orders");
        var cache = provider.GetRequiredKeyedService<ITypedCache>("orders");
        await cache.SetAsync(Key, 1, cancellationToken: Ct);

        await redis.KillAsync(Ct);
        var failed = await WaitForAsync(logs, 6001);

        Assert.Contains("Cache 'orders'", failed.Message, StringComparison.Ordinal);
        Assert.Contains(redis.Endpoint, failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnConnection_RedisDownAtFirstUse_LogsNotConnectedWithEndpoint()
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken: Ct);
        await redis.KillAsync(Ct); // a port where nothing answers
        var logs = new FakeLoggerProvider();
        await using var provider = Build(logs, b => b.UseStackExchangeRedis(redis.Endpoint + ",connectTimeout=500"));
        var cache = provider.GetRequiredService<ITypedCache>();

        var result = await cache.TryGetAsync<int>(Key, cancellationToken: Ct);
        var notConnected = await WaitForAsync(logs, 6004);

        Assert.False(result.HasValue);
        Assert.Equal(LogLevel.Warning, notConnected.Level);
        Assert.Contains(redis.Endpoint, notConnected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-key", notConnected.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(FakeLoggerProvider logs, Action<ICacheSerialBuilder> store, string? keyed = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        void Configure(CacheSerialOptions o)
        {
            o.KeyPrefix = CacheHarness.NewPrefix();
            o.DistributedCacheTimeout = TimeSpan.FromSeconds(2);
        }

        store(keyed is null ? services.AddCacheSerial(Configure) : services.AddKeyedCacheSerial(keyed, Configure));
        return services.BuildServiceProvider();
    }

    private static async Task<FakeLogRecord> WaitForAsync(FakeLoggerProvider logs, int eventId)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(Bound);
        while (true)
        {
            if (logs.Collector.GetSnapshot().FirstOrDefault(r => r.Id.Id == eventId) is { } record)
            {
                return record;
            }

            await Task.Delay(50, bound.Token);
        }
    }
}
