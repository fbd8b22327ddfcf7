using CacheSerial.TestSupport;
using CacheSerial.Internal;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CacheSerial.Tests.DependencyInjection;

/// <summary>
/// Issue 13: a cache without a store, and a cache registered twice, stop the host at start (before, the first was found
/// at the first request and the second silently merged two configurations).
/// </summary>
public sealed class RegistrationValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostStart_DefaultCacheWithoutStore_FailsNamingTheCacheAndTheFix()
    {
        using var host = BuildHost(services => services.AddCacheSerial());

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains("Cache 'default' has no store", failure, StringComparison.Ordinal);
        Assert.Contains("AddStackExchangeRedisCache", failure, StringComparison.Ordinal);
        Assert.Contains("UseStackExchangeRedis", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_KeyedCacheWithoutStore_FailsNamingTheCache()
    {
        using var host = BuildHost(services =>
        {
            services.AddKeyedSingleton<IDistributedCache>("elsewhere", InMemoryStores.Create());
            services.AddKeyedCacheSerial("orders");
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains("Cache 'orders' has no store", failure, StringComparison.Ordinal);
        Assert.Contains("under the key 'orders'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_KeyedCacheWithoutStoreBesideValidDefault_FailsNamingOnlyTheKeyedCache()
    {
        using var host = BuildHost(services =>
        {
            services.AddCacheSerial().UseStore(_ => new DistributedCacheStore(InMemoryStores.Create()));
            services.AddKeyedCacheSerial("orders");
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("Cache 'orders' has no store", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_KeyedCacheWithStoreUnderItsKeyOnly_Starts()
    {
        using var host = BuildHost(services =>
        {
            services.AddKeyedSingleton<IDistributedCache>("orders", InMemoryStores.Create());
            services.AddKeyedCacheSerial("orders");
        });

        await host.StartAsync(Ct);
        await host.Services.GetRequiredKeyedService<ITypedCache>("orders").SetAsync("k", 1, cancellationToken: Ct);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task HostStart_CacheWithItsOwnStoreAndNoDistributedCache_Starts()
    {
        var storeCreated = false;
        using var host = BuildHost(services => services.AddCacheSerial().UseStore(_ =>
        {
            storeCreated = true;
            return new DistributedCacheStore(InMemoryStores.Create());
        }));

        await host.StartAsync(Ct);

        Assert.False(storeCreated); // the check does not create the store (a native store would connect)
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task Resolve_DefaultCacheWithoutStoreWithoutHost_ThrowsOptionsValidationException()
    {
        var services = new ServiceCollection();
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ITypedCache>());

        Assert.Contains("IDistributedCache", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddDistributedMemoryCache", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_AddCacheSerialCalledTwice_FailsNamingTheCacheAndTheFix()
    {
        using var host = BuildHost(services =>
        {
            services.AddDistributedMemoryCache();
            services.AddCacheSerial(o => o.KeyPrefix = "first").UseMessagePack();
            services.AddCacheSerial(o => o.MaximumKeyLength = 4096);
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        var failure = Assert.Single(ex.Failures);
        Assert.Contains("Cache 'default' was registered 2 times", failure, StringComparison.Ordinal);
        Assert.Contains("AddKeyedCacheSerial", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_AddKeyedCacheSerialCalledTwiceForOneName_FailsNamingTheCache()
    {
        using var host = BuildHost(services =>
        {
            services.AddDistributedMemoryCache();
            services.AddKeyedCacheSerial("orders", o => o.KeyPrefix = "a");
            services.AddKeyedCacheSerial("users");
            services.AddKeyedCacheSerial("orders", o => o.KeyPrefix = "b");
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        Assert.Contains("Cache 'orders' was registered 2 times (AddKeyedCacheSerial(\"orders\")", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_AddCacheSerialCalledTwiceWithoutHost_ThrowsOptionsValidationException()
    {
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddCacheSerial();
        services.AddCacheSerial();
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ITypedCache>());

        Assert.Contains("registered 2 times", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_DefaultAndKeyedCaches_EachRegisteredOnce_Starts()
    {
        using var host = BuildHost(services =>
        {
            services.AddDistributedMemoryCache();
            services.AddCacheSerial();
            services.AddKeyedCacheSerial("orders");
            services.Configure<CacheSerialOptions>(o => o.KeyPrefix = "configured-elsewhere"); // the documented way to add configuration
        });

        await host.StartAsync(Ct);
        var cache = (DefaultTypedCache)host.Services.GetRequiredService<ITypedCache>();

        Assert.StartsWith("configured-elsewhere", cache.StoreKeyOf("k"), StringComparison.Ordinal);
        await host.StopAsync(Ct);
    }

    private static IHost BuildHost(Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        configure(builder.Services);
        return builder.Build();
    }
}
