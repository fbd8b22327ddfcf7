using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Testing;

/// <summary>
/// The real CacheSerial cache (registered with <c>AddCacheSerial</c>) over an in-memory store and a fake clock, behind a
/// <see cref="RecordingTypedCache"/>: hand <see cref="Cache"/> to the code under test, then assert on
/// <see cref="Hits"/>, <see cref="Misses"/>, <see cref="FactoryRuns"/> and <see cref="Calls"/>, and move time with
/// <see cref="AdvanceTime"/>.
/// </summary>
/// <example>
/// <code>
/// using var cache = new CacheSerialTestHarness();
/// var service = new ProductService(cache.Cache, repository);
/// await service.GetAsync(1, ct); await service.GetAsync(1, ct);
/// Assert.Equal(1, cache.FactoryRuns("product:1"));
/// </code>
/// </example>
public sealed class CacheSerialTestHarness : IDisposable, IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    /// <summary>Builds the harness.</summary>
    /// <param name="configure">Configures the cache's options, as <c>AddCacheSerial(configure)</c> would.</param>
    /// <param name="build">Chooses codecs or add-ons on the builder (for example <c>b =&gt; b.AsHybridCache()</c>).</param>
    /// <param name="services">Registers the code under test, to resolve it from <see cref="Services"/> with the recorded cache injected.</param>
    public CacheSerialTestHarness(
        Action<CacheSerialOptions>? configure = null,
        Action<ICacheSerialBuilder>? build = null,
        Action<IServiceCollection>? services = null)
    {
        // The store expires sliding entries on the same fake clock the cache reads its envelopes with.
        Store = new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { Clock = new FakeClock(Time) }));
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        collection.AddSingleton(Store);
        var builder = collection.AddCacheSerial(configure);
        build?.Invoke(builder);

        // Wrap the ITypedCache AddCacheSerial registered, so everything resolved here (HybridCache too) is recorded.
        var registered = collection.Single(d => d.ServiceType == typeof(ITypedCache) && !d.IsKeyedService);
        collection.Remove(registered);
        collection.AddSingleton<ITypedCache>(sp => new RecordingTypedCache((ITypedCache)registered.ImplementationFactory!(sp)));
        services?.Invoke(collection);
        _provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Recorder = (RecordingTypedCache)_provider.GetRequiredService<ITypedCache>();
    }

    /// <summary>The cache to hand to the code under test: the real cache, recorded.</summary>
    public ITypedCache Cache => Recorder;

    /// <summary>The recorder behind <see cref="Cache"/>.</summary>
    public RecordingTypedCache Recorder { get; }

    /// <summary>The cache's clock; starts at the current time and moves only when told.</summary>
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The in-memory store the cache writes its envelopes to.</summary>
    public IDistributedCache Store { get; }

    /// <summary>The provider the cache (and anything registered through the constructor's <c>services</c>) is resolved from.</summary>
    public IServiceProvider Services => _provider;

    /// <summary>Every call so far.</summary>
    public IReadOnlyList<CacheCall> Calls => Recorder.Calls;

    /// <summary>Reads (try-get or get-or-create) that found a fresh value, a cached negative result included.</summary>
    public int Hits => Calls.Count(c => c.Outcome is CacheOutcome.Hit or CacheOutcome.Negative);

    /// <summary>Reads that found nothing usable.</summary>
    public int Misses => Calls.Count(c => c.Outcome == CacheOutcome.Miss);

    /// <summary>How many times a factory ran for <paramref name="key"/>.</summary>
    /// <param name="key">The caller's key.</param>
    /// <returns>The number of runs.</returns>
    public int FactoryRuns(string key) => Calls.Count(c => c.FactoryRan && c.Key == key);

    /// <summary>Moves the cache's clock forward (entries expire on it; timers due by then fire).</summary>
    /// <param name="by">How far.</param>
    public void AdvanceTime(TimeSpan by) => Time.Advance(by);

    /// <summary>Forgets the calls recorded so far.</summary>
    public void ClearCalls() => Recorder.Clear();

    /// <inheritdoc />
    public void Dispose() => _provider.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _provider.DisposeAsync();

    private sealed class FakeClock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
