using System.Diagnostics.Metrics;
using CacheSerial.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CacheSerial.TestSupport;

/// <summary>
/// One simulated process: its own container, cache, logs and meter over an <see cref="ICacheStore"/> that several nodes
/// share, as several processes share one Redis. Nodes given the same key prefix see each other's entries and locks.
/// </summary>
public sealed class CacheNode : IDisposable
{
    private readonly ServiceProvider _provider;

    /// <param name="store">The shared store (its lock, if any, is used for stampede control across nodes).</param>
    /// <param name="time">The node's clock.</param>
    /// <param name="prefix">The key prefix; the same on every node of one test.</param>
    /// <param name="configure">Runs after the node set the prefix and <see cref="CacheHarness.StoreTimeout"/>.</param>
    /// <param name="services">Adds services (for example <c>AddMetrics</c>, for <see cref="Collect{T}"/>).</param>
    /// <param name="build">Configures the cache's builder (for example <c>UseMemoryTier</c>).</param>
    public CacheNode(
        ICacheStore store,
        TimeProvider time,
        string prefix,
        Action<CacheSerialOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        Action<ICacheSerialBuilder>? build = null)
    {
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        collection.AddSingleton(time);
        collection.AddSingleton<ILoggerProvider>(Logs);
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        var builder = collection.AddCacheSerial(o =>
        {
            o.KeyPrefix = prefix;
            o.DistributedCacheTimeout = CacheHarness.StoreTimeout;
            configure?.Invoke(o);
        }).UseStore(_ => store);
        build?.Invoke(builder);
        _provider = collection.BuildServiceProvider();
        Cache = _provider.GetRequiredService<ITypedCache>();
    }

    public ITypedCache Cache { get; }

    public FakeLoggerProvider Logs { get; } = new();

    /// <summary>The key the store sees for a caller's key.</summary>
    public string StoreKey(string key) => Cache.StoreKeyOf(key);

    /// <summary>The records with the given event id.</summary>
    public IReadOnlyList<FakeLogRecord> LogRecords(int eventId) =>
        [.. Logs.Collector.GetSnapshot().Where(r => r.Id.Id == eventId)];

    /// <summary>Completes when a record with the given event id was logged (before or after this call).</summary>
    public async Task WhenLoggedAsync(int eventId, CancellationToken cancellationToken)
    {
        await foreach (var record in Logs.Collector.GetLogsAsync(cancellationToken))
        {
            if (record.Id.Id == eventId)
            {
                return;
            }
        }
    }

    /// <summary>Collects one instrument of this node's meter (the node needs an <see cref="IMeterFactory"/>: <c>AddMetrics</c>).</summary>
    public MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(_provider.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, instrument);

    public void Dispose() => _provider.Dispose();
}
