using CacheSerial.TestSupport;
using CacheSerial.Internal;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.DependencyInjection;

public sealed class AddCacheSerialTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddCacheSerial_ResolvesWorkingSingletonTypedCache()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<ITypedCache>();
        await cache.SetAsync("k", 5, cancellationToken: Ct);

        Assert.Same(cache, provider.GetRequiredService<ITypedCache>());
        Assert.Equal(5, await provider.GetRequiredService<ITypedCache>().GetAsync<int>("k", cancellationToken: Ct));
    }

    [Fact]
    public void AddCacheSerial_ReturnsBuilderForDefaultCache()
    {
        var services = new ServiceCollection();

        var builder = services.AddCacheSerial();

        Assert.Same(services, builder.Services);
        Assert.Equal("default", builder.Name);
        Assert.Equal(CacheSerialServiceCollectionExtensions.DefaultCacheName, builder.Name);
    }

    [Fact]
    public void AddCacheSerial_NeverRegistersADistributedCache()
    {
        var services = new ServiceCollection();

        services.AddCacheSerial().UseMessagePack();
        services.AddKeyedCacheSerial("other");

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IDistributedCache));
    }

    [Fact]
    public void AddCacheSerial_NullServices_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => CacheSerialServiceCollectionExtensions.AddCacheSerial(null!));
    }

    [Fact]
    public async Task AddCacheSerial_UsesRegisteredTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddDistributedMemoryCache();
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ITypedCache>();

        await cache.SetAsync("k", 1, new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(10) }, Ct);
        var before = await cache.TryGetAsync<int>("k", cancellationToken: Ct);
        time.Advance(TimeSpan.FromSeconds(10));
        var after = await cache.TryGetAsync<int>("k", cancellationToken: Ct);

        Assert.True(before.HasValue);
        Assert.False(after.HasValue);
    }

    [Fact]
    public void AddCacheSerial_RegistersSystemTimeProviderOnlyWhenMissing()
    {
        var withNone = new ServiceCollection();
        withNone.AddCacheSerial();
        var withOwn = new ServiceCollection();
        var own = new FakeTimeProvider();
        withOwn.AddSingleton<TimeProvider>(own);
        withOwn.AddCacheSerial();

        using var first = withNone.BuildServiceProvider();
        using var second = withOwn.BuildServiceProvider();

        Assert.Same(TimeProvider.System, first.GetRequiredService<TimeProvider>());
        Assert.Same(own, second.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public async Task Logs_UseTheCacheSerialCategoryAndNameTheCache()
    {
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddSingleton(InMemoryStores.Create());
        services.AddKeyedCacheSerial("orders", o => o.MaximumPayloadBytes = 10);
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredKeyedService<ITypedCache>("orders").SetAsync("k", new string('x', 100), cancellationToken: Ct);

        var record = Assert.Single(logs.Collector.GetSnapshot(), r => r.Id.Id == 3001);
        Assert.Equal("CacheSerial", record.Category);
        Assert.Equal("PayloadTooLarge", record.Id.Name);
        Assert.Contains("'orders'", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_WithoutLogging_Works()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<ITypedCache>();
        await cache.SetAsync("k", 1, cancellationToken: Ct);

        Assert.Equal(1, await cache.GetAsync<int>("k", cancellationToken: Ct));
    }
}
