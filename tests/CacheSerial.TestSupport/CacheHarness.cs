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
    /// <summary>
    /// The store deadline the harness sets before <c>configure</c> runs: generous, because the machines running the tests
    /// are shared and slow at times, and a behaviour test must not turn into a timing test by accident. Tests of the
    /// deadline itself set their own.
    /// </summary>
    public static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long raw entries written by tests live in the store (so a real server is not littered).</summary>
    public static readonly TimeSpan RawEntryLifetime = TimeSpan.FromMinutes(5);

    private readonly ServiceProvider _provider;

    /// <param name="store">The store every cache built here writes to.</param>
    /// <param name="configure">Runs after the harness set <see cref="CacheSerialOptions.KeyPrefix"/>.</param>
    /// <param name="build">Chooses codecs.</param>
    /// <param name="timeProvider">The cache's clock; the system clock when null.</param>
    /// <param name="prefix">A fixed key prefix (for example to share entries between two harnesses); a fresh unique one when null.</param>
    public CacheHarness(
        IDistributedCache store,
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        TimeProvider? timeProvider = null,
        string? prefix = null)
    {
        Store = store;
        Prefix = prefix ?? NewPrefix();
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
            o.DistributedCacheTimeout = StoreTimeout;
            configure?.Invoke(o);
        });
        build?.Invoke(builder);
        _provider = services.BuildServiceProvider();
        Cache = _provider.GetRequiredService<ITypedCache>();
    }

    public IDistributedCache Store { get; }

    public ITypedCache Cache { get; }

    public string Prefix { get; }

    /// <summary>The provider the cache was resolved from (for services an add-on registered, such as HybridCache).</summary>
    public IServiceProvider Services => _provider;

    public FakeLoggerProvider Logs { get; } = new();

    /// <summary>A unique prefix, so tests on a shared server have their own key space.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12] + ":";

    /// <summary>The key the store sees for a caller's key (the cache's own key builder, not a copy of its rules).</summary>
    public string StoreKey(string key) => Cache.StoreKeyOf(key);

    /// <summary>The raw stored bytes for a caller's key, or null.</summary>
    public Task<byte[]?> ReadRawAsync(string key, CancellationToken cancellationToken) =>
        Store.GetAsync(StoreKey(key), cancellationToken);

    /// <summary>Writes raw bytes under a caller's key, bypassing the cache (as a foreign writer or a corruption would).</summary>
    public Task WriteRawAsync(string key, byte[] bytes, CancellationToken cancellationToken) =>
        Store.SetAsync(
            StoreKey(key),
            bytes,
            new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = RawEntryLifetime },
            cancellationToken);

    /// <summary>Everything logged so far.</summary>
    public IReadOnlyList<FakeLogRecord> LogRecords() => Logs.Collector.GetSnapshot();

    /// <summary>The records with the given event id.</summary>
    public IReadOnlyList<FakeLogRecord> LogRecords(int eventId) =>
        [.. Logs.Collector.GetSnapshot().Where(r => r.Id.Id == eventId)];

    public void Dispose() => _provider.Dispose();
}
