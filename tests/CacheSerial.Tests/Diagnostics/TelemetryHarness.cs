using CacheSerial.TestSupport;
using System.Diagnostics.Metrics;
using CacheSerial.Internal;
using CacheSerial.TestSupport.Fakes;
using CacheSerial.Tests.Behaviour;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Diagnostics;

/// <summary>
/// One keyed cache with a unique name over a chaos-wrapped in-memory store and a fake clock, in its own provider with
/// its own <see cref="IMeterFactory"/>: collectors see only this cache's measurements, and activities are told apart by
/// the cache's name, so tests running in parallel never count each other's calls.
/// </summary>
internal sealed class TelemetryHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    public TelemetryHarness(Action<CacheSerialOptions>? configure = null)
    {
        Name = "t" + Guid.NewGuid().ToString("N")[..12];
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<Microsoft.Extensions.Caching.Distributed.IDistributedCache>(Store);
        services.AddKeyedCacheSerial(Name, o =>
        {
            o.DistributedCacheTimeout = Timeout.InfiniteTimeSpan;
            configure?.Invoke(o);
        });
        _provider = services.BuildServiceProvider();
        Cache = _provider.GetRequiredKeyedService<ITypedCache>(Name);
        Health = _provider.GetRequiredKeyedService<ICacheStoreHealth>(Name);
    }

    public string Name { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public ChaosDistributedCache Store { get; } = ChaosDistributedCache.Wrap(InMemoryStores.Create());

    public ITypedCache Cache { get; }

    public ICacheStoreHealth Health { get; }

    public string StoreKey(string key) => Cache.StoreKeyOf(key);

    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(_provider.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, instrument);

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
