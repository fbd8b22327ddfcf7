using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The one <see cref="ITypedCache"/> implementation. Split by concern: reads (<c>.Read.cs</c>), writes
/// (<c>.Write.cs</c>) and get-or-create with stampede control (<c>.GetOrCreate.cs</c>).
/// </summary>
internal sealed partial class DefaultTypedCache : ITypedCache
{
    private readonly IDistributedCache _store;
    private readonly IBufferDistributedCache? _bufferStore;
    private readonly KeyBuilder _keys;
    private readonly CodecRegistry _codecs;
    private readonly CacheEntryOptions _defaults;
    private readonly int _maximumPayloadBytes;
    private readonly DeserializationFailureBehavior _onDeserializationFailure;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<FlightKey, Flight> _flights = new();

    public DefaultTypedCache(
        string name,
        IDistributedCache store,
        CacheSerialOptions options,
        CodecRegistry codecs,
        TimeProvider timeProvider,
        ILogger logger)
    {
        Name = name;
        _store = store;
        _bufferStore = store as IBufferDistributedCache; // RedisCache: reads into pooled buffers, writes without a copy
        _keys = new KeyBuilder(options.KeyPrefix, options.MaximumKeyLength);
        _codecs = codecs;
        _defaults = options.DefaultEntryOptions;
        _maximumPayloadBytes = options.MaximumPayloadBytes;
        _onDeserializationFailure = options.OnDeserializationFailure;
        _time = timeProvider;
        _logger = logger;
    }

    public string Name { get; }

    /// <summary>The stored key for a caller's key; for tests and diagnostics.</summary>
    public string StoreKeyOf(string key) => _keys.Build(key).StoreKey;

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        return RemoveCoreAsync(k, cancellationToken);
    }

    public ValueTask RefreshAsync(string key, CancellationToken cancellationToken = default)
    {
        var k = _keys.Build(key);
        return RefreshCoreAsync(k, cancellationToken);
    }

    private static bool IsCallerCancellation(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && cancellationToken.IsCancellationRequested;

    private async ValueTask RemoveCoreAsync(CacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            await _store.RemoveAsync(key.StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            Log.StoreFailed(_logger, Name, StoreOperation.Remove, key.Key, ex);
        }
    }

    private async ValueTask RefreshCoreAsync(CacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            await _store.RefreshAsync(key.StoreKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCallerCancellation(ex, cancellationToken))
        {
            Log.StoreFailed(_logger, Name, StoreOperation.Refresh, key.Key, ex);
        }
    }
}
