using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSerial.Tests.Diagnostics;

public sealed class CacheStoreHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task State_FailuresBelowThresholdThenAtThresholdThenProbeSuccess_GoesDegradedUnavailableHealthy()
    {
        await using var h = new TelemetryHarness(o =>
        {
            o.CircuitBreakerFailureThreshold = 2;
            o.CircuitBreakerDuration = TimeSpan.FromSeconds(5);
        });
        Assert.Equal(CacheStoreState.Healthy, h.Health.State);
        Assert.Equal(h.Name, h.Health.CacheName);
        h.Store.ReadFault = StoreFault.Faulted;

        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        Assert.Equal(CacheStoreState.Degraded, h.Health.State);

        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        Assert.Equal(CacheStoreState.Unavailable, h.Health.State);

        h.Store.ReadFault = StoreFault.None;
        h.Time.Advance(TimeSpan.FromSeconds(6));
        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        Assert.Equal(CacheStoreState.Healthy, h.Health.State);
    }

    [Fact]
    public async Task State_BreakerTurnedOff_StillReportsDegradedUntilASuccess()
    {
        await using var h = new TelemetryHarness(o => o.CircuitBreakerDuration = TimeSpan.Zero);
        h.Store.ReadFault = StoreFault.Faulted;

        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        Assert.Equal(CacheStoreState.Degraded, h.Health.State);

        h.Store.ReadFault = StoreFault.None;
        await h.Cache.TryGetAsync<int>("k", cancellationToken: Ct);
        Assert.Equal(CacheStoreState.Healthy, h.Health.State);
    }

    [Fact]
    public async Task Registration_DefaultAndKeyedCaches_ResolveOneHealthEachMatchingTheirCache()
    {
        var services = new ServiceCollection();
        services.AddSingleton(InMemoryStores.Create());
        services.AddCacheSerial();
        services.AddKeyedCacheSerial("orders");
        await using var provider = services.BuildServiceProvider();

        var health = Assert.Single(provider.GetServices<ICacheStoreHealth>());
        Assert.Equal("default", health.CacheName);
        Assert.Same(provider.GetRequiredService<ITypedCache>(), health);
        Assert.Equal("orders", provider.GetRequiredKeyedService<ICacheStoreHealth>("orders").CacheName);
    }
}
