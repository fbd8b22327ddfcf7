using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The one <see cref="ITypedCache"/> implementation. Split by concern: reads (<c>.Read.cs</c>), writes
/// (<c>.Write.cs</c>), get-or-create with stampede control (<c>.GetOrCreate.cs</c>) and bulk operations (<c>.Bulk.cs</c>).
/// </summary>
internal sealed partial class DefaultTypedCache : ITypedCache, ICacheStoreHealth
{
    private readonly ICacheStore _store;

    // An IDistributedCache without the buffer interface hands out an array per read: taken as is, not copied.
    private readonly IDistributedCache? _arrayStore;
    private readonly TimeSpan? _defaultSliding;
    private readonly KeyBuilder _keys;
    private readonly CodecRegistry _codecs;
    private readonly EntryPolicyResolver _policies;
    private readonly CircuitBreaker _breaker;
    private readonly TimeSpan _storeTimeout;
    private readonly StoreCallDeadline _deadline;
    private readonly int _maximumPayloadBytes;
    private readonly bool _plainJson;
    private readonly DeserializationFailureBehavior _onDeserializationFailure;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;
    private readonly ConcurrentDictionary<FlightKey, Flight> _flights = new();

    // Store reads waiting on the store, for readers of the same key to join, one slot per key hash (a power of two):
    // a fixed array, so offering a read costs no allocation (DefaultTypedCache.Store.cs).
    private readonly SharedRead?[] _sharedReads = new SharedRead?[64];

    // Bumped when a write or remove of this process ends: a read joins only a shared read started at the current value,
    // so it never gets bytes read before this process's own write completed.
    private long _readGeneration;

    // Fail-safe throttles: until when (unix ms) a key's failing factory is not called again while a stale value exists.
    private readonly ConcurrentDictionary<FlightKey, long> _throttles = new();
    private const int MaximumThrottles = 10_000;

    public DefaultTypedCache(
        string name,
        ICacheStore store,
        CacheSerialOptions options,
        CodecRegistry codecs,
        TimeProvider timeProvider,
        ILogger logger,
        CacheMetrics metrics)
    {
        Name = name;
        _store = store;
        _lock = store.DistributedLock;
        _arrayStore = store is DistributedCacheStore { Cache: var cache } && cache is not IBufferDistributedCache ? cache : null;
        _defaultSliding = options.DefaultEntryOptions.SlidingExpiration;
        _keys = new KeyBuilder(options.KeyPrefix, options.MaximumKeyLength);
        _codecs = codecs;
        _policies = new EntryPolicyResolver(options.DefaultEntryOptions);
        _storeTimeout = options.DistributedCacheTimeout;
        _deadline = new StoreCallDeadline(_storeTimeout, timeProvider);
        _breaker = new CircuitBreaker(name, options.CircuitBreakerDuration, options.CircuitBreakerFailureThreshold, timeProvider, logger, metrics);
        _maximumPayloadBytes = options.MaximumPayloadBytes;
        _plainJson = options.EntryLayout == CacheEntryLayout.PlainJson;
        if (_plainJson && codecs.All.FirstOrDefault(c => c.Codec is not SystemTextJsonCodec) is { } notJson)
        {
            throw new InvalidOperationException(
                $"Cache '{name}' uses EntryLayout PlainJson, which stores JSON text, but codec '{notJson.Name}' ({notJson.Codec.GetType().Name}) is not a System.Text.Json codec: use UseSystemTextJson, or EntryLayout Envelope.");
        }

        _onDeserializationFailure = options.OnDeserializationFailure;
        _time = timeProvider;
        _logger = logger;
        _metrics = metrics;
    }

    public string Name { get; }

    string ICacheStoreHealth.CacheName => Name;

    CacheStoreState ICacheStoreHealth.State => _breaker.State;

    /// <summary>The circuit breaker in front of the store; for health checks, tests and diagnostics.</summary>
    public CircuitBreaker Breaker => _breaker;

    /// <summary>The store under this cache; for tests and diagnostics.</summary>
    public ICacheStore Store => _store;

    /// <summary>The deadline on store calls; for tests.</summary>
    public StoreCallDeadline Deadline => _deadline;

    /// <summary>The stored key for a caller's key; for tests and diagnostics.</summary>
    public string StoreKeyOf(string key) => _keys.Build(key).StoreKey;

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        return ObservedOperation.IsObserved(_metrics)
            ? ObserveAsync(CacheOperation.Remove, StoreOperation.Remove, k, cancellationToken)
            : IgnoreOutcome(StoreCallAsync(StoreOperation.Remove, k, cancellationToken));
    }

    public ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        return ObservedOperation.IsObserved(_metrics)
            ? ObserveAsync(CacheOperation.Refresh, StoreOperation.Refresh, k, cancellationToken)
            : IgnoreOutcome(StoreCallAsync(StoreOperation.Refresh, k, cancellationToken));
    }

    private async ValueTask ObserveAsync(CacheOperation operation, StoreOperation call, CacheKey key, CancellationToken cancellationToken)
    {
        var observed = ObservedOperation.Start(_metrics, Name, codec: null, operation);
        try
        {
            await StoreCallAsync(call, key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            observed?.Fail(ex, cancellationToken);
            throw;
        }

        observed?.Complete();
    }

    private static ValueTask IgnoreOutcome(ValueTask<bool> call)
    {
        if (call.IsCompletedSuccessfully)
        {
            return default;
        }

        return AwaitAsync(call);

        static async ValueTask AwaitAsync(ValueTask<bool> pending) => await pending.ConfigureAwait(false);
    }

    private static bool IsCallerCancellation(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && cancellationToken.IsCancellationRequested;
}
