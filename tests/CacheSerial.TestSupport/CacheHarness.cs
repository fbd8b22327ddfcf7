using CacheSerial.Internal;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CacheSerial.TestSupport;

/// <summary>
/// Builds a real <see cref="ITypedCache"/> through DI over a given store, with a fake logger to assert on logs.
/// Every harness gets its own key prefix, so tests never see each other's entries on a shared server.
/// </summary>
public sealed class CacheHarness : IDisposable
{
    private readonly ServiceProvider _provider;

    public CacheHarness(
        IDistributedCache store,
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        TimeProvider? timeProvider = null)
    {
        Store = store;
        Prefix = "t" + Guid.NewGuid().ToString("N")[..12] + ":";
        var services = new ServiceCollection();
        services.AddSingleton(store);
        services.AddSingleton<ILoggerProvider>(Logs);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        var builder = services.AddCacheSerial(o =>
        {
            o.KeyPrefix = Prefix;
            configure?.Invoke(o);
        });
        build?.Invoke(builder);
        _provider = services.BuildServiceProvider();
        Cache = _provider.GetRequiredService<ITypedCache>();
    }

    public IDistributedCache Store { get; }

    public ITypedCache Cache { get; }

    public string Prefix { get; }

    public FakeLoggerProvider Logs { get; } = new();

    /// <summary>The key the store sees for a caller's key (the cache's own key builder, not a copy of its rules).</summary>
    public string StoreKey(string key) => ((DefaultTypedCache)Cache).StoreKeyOf(key);

    public void Dispose() => _provider.Dispose();
}
