using CacheSerial.Internal;
using CacheSerial.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace CacheSerial.IntegrationTests.Coherence;

/// <summary>
/// One simulated process of a coherence test: its own service provider, cache, memory tier, Redis connections and logs.
/// </summary>
internal sealed class CoherenceNode : IAsyncDisposable
{
    /// <summary>The hub's "a source delivers again; memory flushed" line.</summary>
    public const int SourceLiveEvent = 7006;

    /// <summary>The hub's "a source stopped delivering" line.</summary>
    public const int SourceLostEvent = 7005;

    /// <summary>The hub's "messages from another process were lost; memory flushed" line.</summary>
    public const int GapEvent = 7004;

    private readonly ServiceProvider _provider;

    public CoherenceNode(string name, string prefix, Action<IServiceCollection, ICacheSerialBuilder> configure, bool memoryTier = true, CoherenceNodeShape? shape = null)
    {
        Name = name;
        shape ??= CoherenceNodeShape.Default;
        memoryTier &= shape.MemoryTier;
        HasMemory = memoryTier;
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerProvider>(Logs);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        var builder = services.AddCacheSerial(o =>
        {
            o.KeyPrefix = prefix;
            o.DistributedCacheTimeout = CacheHarness.StoreTimeout;
            shape.Options?.Invoke(o);
        });
        if (memoryTier)
        {
            // By default far longer than any wait here: a value is only ever dropped by an invalidation, never by time.
            builder.UseMemoryTier(o => o.LocalExpiration = shape.LocalExpiration ?? TimeSpan.FromMinutes(30));
        }

        configure(services, builder);
        _provider = services.BuildServiceProvider();
        Cache = _provider.GetRequiredService<ITypedCache>();
    }

    public string Name { get; }

    public ITypedCache Cache { get; }

    /// <summary>The node's own services.</summary>
    public IServiceProvider Services => _provider;

    public FakeLoggerProvider Logs { get; } = new();

    /// <summary>Whether the node has a memory tier (every node has one unless its <see cref="CoherenceNodeShape"/> says not).</summary>
    public bool HasMemory { get; }

    /// <summary>The node's memory tier.</summary>
    public MemoryTier Memory => CacheInternals.MemoryOf(Cache) ?? throw new InvalidOperationException($"{Name} has no memory tier.");

    /// <summary>How many lines with <paramref name="eventId"/> the node logged so far.</summary>
    public int Logged(int eventId) => Logs.Collector.GetSnapshot().Count(r => r.Id.Id == eventId);

    /// <summary>The node's lines with <paramref name="eventId"/>, for assertion messages.</summary>
    public string LogLines(int eventId) =>
        string.Join(" | ", Logs.Collector.GetSnapshot().Where(r => r.Id.Id == eventId).Select(r => r.Message));

    public async Task<string?> ReadAsync(string key, CancellationToken cancellationToken) =>
        await Cache.GetAsync<string>(key, cancellationToken: cancellationToken);

    public async Task WriteAsync(string key, string value, CancellationToken cancellationToken) =>
        await Cache.SetAsync(key, value, cancellationToken: cancellationToken);

    public override string ToString() => Name;

    /// <summary>Disposes the node; with COHERENCE_LOG_DIR set, first appends its log lines to a file named after the test
    /// there (how a failing run is diagnosed: the hub's and the store's lines, in order, per node).</summary>
    public async ValueTask DisposeAsync()
    {
        var dump = Environment.GetEnvironmentVariable("COHERENCE_LOG_DIR");
        if (dump is not null)
        {
            await File.AppendAllLinesAsync(
                Path.Combine(dump, TestContext.Current.Test?.TestDisplayName.Replace('/', '_') ?? "test"),
                Logs.Collector.GetSnapshot().Select(r => $"{r.Timestamp:HH:mm:ss.fff} {Name} {r.Id.Id} {r.Message}"));
        }

        await _provider.DisposeAsync();
    }
}

/// <summary>
/// What a node is made of besides its store and sources. The default is what most coherence tests use: a memory tier
/// whose entries only an invalidation drops.
/// </summary>
/// <param name="MemoryTier">False: the node reads the store on every call.</param>
/// <param name="LocalExpiration">The memory tier's local lifetime (default 30 minutes).</param>
/// <param name="Options">Applied to the cache's options after the node's own (key prefix, store deadline).</param>
internal sealed record CoherenceNodeShape(bool MemoryTier = true, TimeSpan? LocalExpiration = null, Action<CacheSerialOptions>? Options = null)
{
    public static readonly CoherenceNodeShape Default = new();
}
