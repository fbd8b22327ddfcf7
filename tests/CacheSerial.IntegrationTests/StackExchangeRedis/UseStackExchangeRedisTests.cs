using CacheSerial.IntegrationTests.Infrastructure;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.StackExchangeRedis;

/// <summary>The four UseStackExchangeRedis registrations through DI, keyed caches, connection ownership and a Redis outage at start.</summary>
public sealed class UseStackExchangeRedisTests(RedisFixture redis) : NativeRedisTestBase(redis)
{
    public static TheoryData<string> Overloads => new() { "string", "ConfigurationOptions", "IConnectionMultiplexer", "factory" };

    [Theory]
    [MemberData(nameof(Overloads))]
    public async Task UseStackExchangeRedis_EachOverload_CacheWritesPlainStringsToRedis(string overload)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Redis.Connection);
        var prefix = CacheHarness.NewPrefix();
        var builder = services.AddCacheSerial(o => o.KeyPrefix = prefix);
        _ = overload switch
        {
            "string" => builder.UseStackExchangeRedis(Redis.Endpoint),
            "ConfigurationOptions" => builder.UseStackExchangeRedis(ConfigurationOptions.Parse(Redis.Endpoint)),
            "IConnectionMultiplexer" => builder.UseStackExchangeRedis(Redis.Connection),
            _ => builder.UseStackExchangeRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>()),
        };
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ITypedCache>();

        await cache.SetAsync("k", 42, cancellationToken: Ct);
        var read = await cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.Equal(42, read.Value);
        Assert.Equal(RedisType.String, await Database.KeyTypeAsync(StoreKeyOf(cache, "k")));
        Assert.Equal(overload is "string" or "ConfigurationOptions", StoreOf(cache).Connection.OwnsMultiplexer);
    }

    [Fact]
    public async Task AddKeyedCacheSerial_DifferentStores_KeepSeparateEntries()
    {
        var services = new ServiceCollection();
        var prefix = CacheHarness.NewPrefix();
        services.AddKeyedCacheSerial("zero", o => o.KeyPrefix = prefix).UseStackExchangeRedis(Redis.Connection);
        services.AddKeyedCacheSerial("one", o => o.KeyPrefix = prefix).UseStackExchangeRedis(Redis.Endpoint, o => o.Database = 1);
        await using var provider = services.BuildServiceProvider();
        var zero = provider.GetRequiredKeyedService<ITypedCache>("zero");
        var one = provider.GetRequiredKeyedService<ITypedCache>("one");

        await zero.SetAsync("k", "in db 0", cancellationToken: Ct);
        await one.SetAsync("k", "in db 1", cancellationToken: Ct);

        Assert.NotSame(StoreOf(zero), StoreOf(one));
        Assert.Equal("in db 0", (await zero.TryGetAsync<string>("k", cancellationToken: Ct)).Value);
        Assert.Equal("in db 1", (await one.TryGetAsync<string>("k", cancellationToken: Ct)).Value);
        Assert.True(await Redis.Connection.GetDatabase(1).KeyExistsAsync(StoreKeyOf(one, "k")));
        await Redis.Connection.GetDatabase(1).KeyDeleteAsync(StoreKeyOf(one, "k"));
    }

    [Fact]
    public async Task DisposeProvider_GivenMultiplexer_StaysOpen()
    {
        await using var given = await ConnectionMultiplexer.ConnectAsync(Redis.Endpoint);
        var services = new ServiceCollection();
        services.AddCacheSerial(o => o.KeyPrefix = CacheHarness.NewPrefix()).UseStackExchangeRedis(given);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<ITypedCache>().SetAsync("k", 1, cancellationToken: Ct);

        await provider.DisposeAsync();

        Assert.True(given.IsConnected);
        await given.GetDatabase().PingAsync();
    }

    [Fact]
    public async Task DisposeProvider_OwnedMultiplexer_IsDisposed()
    {
        var services = new ServiceCollection();
        services.AddCacheSerial(o => o.KeyPrefix = CacheHarness.NewPrefix()).UseStackExchangeRedis(Redis.Endpoint);
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ITypedCache>();
        await cache.SetAsync("k", 1, cancellationToken: Ct);
        var owned = StoreOf(cache).Connection.OwnedMultiplexer;
        Assert.NotNull(owned);
        Assert.True(owned.IsConnected);

        await provider.DisposeAsync();

        Assert.False(owned.IsConnected);
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => owned.GetDatabase().PingAsync());
    }

    [Fact]
    public async Task ResolveCache_RedisDown_StartsAndReadsAreMisses()
    {
        // Loopback port 1: nothing listens, the connection is refused.
        var services = new ServiceCollection();
        services.AddCacheSerial(o =>
        {
            o.KeyPrefix = CacheHarness.NewPrefix();
            o.DistributedCacheTimeout = TimeSpan.FromMilliseconds(200);
        }).UseStackExchangeRedis("127.0.0.1:1,connectTimeout=500");
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<ITypedCache>();
        var read = await cache.TryGetAsync<int>("k", cancellationToken: Ct);
        await cache.SetAsync("k", 1, cancellationToken: Ct);
        var made = await cache.GetOrCreateAsync("k", _ => ValueTask.FromResult(7), cancellationToken: Ct);

        Assert.False(read.HasValue);
        Assert.Equal(7, made);
        Assert.NotEqual(CacheStoreState.Healthy, provider.GetRequiredService<ICacheStoreHealth>().State);
    }

    private static RedisKey StoreKeyOf(ITypedCache cache, string key) => cache.StoreKeyOf(key);
}
