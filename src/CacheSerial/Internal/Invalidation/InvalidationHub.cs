using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The one place that evicts keys from the memory tier, and the one place that tells other processes what this one
/// changed. Its sources: this process's own removes; a backplane (<c>.Backplane.cs</c>: messages with a sender id and
/// a per-sender sequence, so a lost message is noticed and memory flushed); the store's server-assisted invalidation
/// (<c>.Tracking.cs</c>). Memory is trusted only while every source it relies on delivers: until a source is proven to
/// deliver (at start, after a reconnect) memory passes reads through to the store; after a source is lost it serves for
/// <see cref="MemoryTierOptions.DisconnectedTolerance"/> at most. Without a memory tier it only publishes.
/// </summary>
internal sealed partial class InvalidationHub : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly string _name;
    private readonly MemoryTier? _memory;
    private readonly TagMarkers _markers;
    private readonly KeyBuilder _keys;
    private readonly TimeSpan _tolerance;
    private readonly bool _localExpirationSet;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _loops = [];

    // The sources memory relies on, and which of them deliver now (under _gate).
    private readonly bool _backplaneActive;
    private bool _backplaneLive;
    private bool _trackingActive;
    private bool _trackingLive;

    public InvalidationHub(
        string name,
        MemoryTier? memory,
        TagMarkers markers,
        KeyBuilder keys,
        ICacheBackplane? backplane,
        ICacheStoreInvalidation? tracking,
        MemoryTierOptions? memoryOptions,
        TimeProvider time,
        ILogger logger,
        CacheMetrics metrics)
    {
        _name = name;
        _memory = memory;
        _markers = markers;
        _keys = keys;
        _backplane = backplane;
        _tracking = memory is null ? null : tracking; // server reports only matter to a memory tier
        _tolerance = memoryOptions?.DisconnectedTolerance ?? MemoryTierOptions.DefaultDisconnectedTolerance;
        _localExpirationSet = memoryOptions?.LocalExpiration is not null;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _channel = "cacheserial:invalidation:" + keys.StoredKeyPrefix;
        _backplaneActive = memory is not null && backplane is not null;
        _trackingActive = _tracking is not null;
        if (memory is null)
        {
            return;
        }

        if (!_backplaneActive && !_trackingActive)
        {
            Log.MemoryTierLocalOnly(logger, name, memory.LocalExpiration);
            return;
        }

        if (!_localExpirationSet)
        {
            memory.LocalExpiration = MemoryTierOptions.DefaultCoherentLocalExpiration;
        }

        memory.TrustFor(TimeSpan.Zero); // nothing is served from memory before a source is proven to deliver

        // While memory is trusted, removals reach this process as they happen: markers read since the last flush hold.
        markers.Coherent = memory.IsTrustedNow;
        markers.Forgotten = () => Flush(CacheTags.FlushTagMarkers);
    }

    /// <summary>Starts the sources (subscriptions, the publisher, pings) in the background.</summary>
    public void Start()
    {
        if (_backplane is not null)
        {
            _loops.Add(Task.Run(() => PublishLoopAsync(_stopping.Token)));
            _loops.Add(Task.Run(() => BackplaneLoopAsync(_stopping.Token)));
        }

        if (_tracking is not null)
        {
            _loops.Add(Task.Run(() => TrackingLoopAsync(_stopping.Token)));
        }
    }

    /// <summary>This process removed a key: memory must not serve what it holds for it.</summary>
    public void Evict(string key) => _memory?.Remove(key);

    /// <summary>This process wrote or removed a key in the store: other processes are told (with a backplane).</summary>
    public void Changed(CacheKey key)
    {
        if (_backplane is not null)
        {
            Enqueue(key.Key);
        }
    }

    /// <summary>This process removed tags: other processes are told (with a backplane).</summary>
    public void TagsRemoved(string[] tags, long removedAtMs)
    {
        if (_backplane is not null)
        {
            foreach (var tag in tags)
            {
                Enqueue(new Outgoing(OutgoingKind.Tag, tag, removedAtMs));
            }
        }
    }

    /// <summary>This process cleared the cache: its memory is emptied at once.</summary>
    public void ClearLocal() => Flush(CacheTags.FlushClear);

    /// <summary>This process's clear is stored: other processes are told (with a backplane).</summary>
    public void Cleared(long clearedAtMs)
    {
        if (_backplane is not null)
        {
            Enqueue(new Outgoing(OutgoingKind.Clear, null, clearedAtMs));
        }
    }

    /// <summary>
    /// Forgets everything memory holds; the count goes to the flush counter under <paramref name="reason"/>. Tag markers
    /// read before are read again at their next use (whatever made memory unsure may have hidden a removal too), except
    /// after a clear, which loses nothing.
    /// </summary>
    private int Flush(string reason)
    {
        if (reason != CacheTags.FlushClear)
        {
            _markers.Forget();
        }

        if (_memory is null)
        {
            return 0;
        }

        var flushed = _memory.Flush();
        _metrics.InvalidationFlush(_name, reason);
        return flushed;
    }

    /// <summary>A source delivers (again): memory is flushed (it may hold what changed while it did not) and trusted
    /// once every active source delivers.</summary>
    private void SourceLive(ref bool live, string source)
    {
        lock (_gate)
        {
            if (live)
            {
                return;
            }

            live = true;
            var flushed = Flush(CacheTags.FlushReconnect);
            Log.InvalidationSourceLive(_logger, _name, source, flushed);
            TrustIfAllLive();
        }
    }

    /// <summary>A source stopped delivering: memory serves for the tolerance at most.</summary>
    private void SourceLost(ref bool live, string source, string why)
    {
        lock (_gate)
        {
            if (!live)
            {
                return;
            }

            live = false;
            _memory?.TrustFor(_tolerance);
            Log.InvalidationSourceLost(_logger, _name, source, why, _tolerance);
        }
    }

    /// <summary>The server cannot report changes: memory relies on the other source, or is local-only.</summary>
    private void TrackingUnsupported()
    {
        lock (_gate)
        {
            _trackingActive = false;
            _trackingLive = false;
            if (!_backplaneActive)
            {
                if (!_localExpirationSet)
                {
                    _memory!.LocalExpiration = MemoryTierOptions.DefaultLocalExpiration;
                }

                Flush(CacheTags.FlushReconnect); // entries kept meanwhile have the coherent lifetime
                _markers.Coherent = null;
                Log.TrackingUnsupported(_logger, _name, "memory is local-only");
                Log.MemoryTierLocalOnly(_logger, _name, _memory!.LocalExpiration);
            }
            else
            {
                Log.TrackingUnsupported(_logger, _name, "the backplane alone keeps memory coherent");
            }

            TrustIfAllLive();
        }
    }

    private void TrustIfAllLive()
    {
        if ((!_backplaneActive || _backplaneLive) && (!_trackingActive || _trackingLive))
        {
            _memory?.Trust();
        }
    }

    private long NowUnixMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _publishQueue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops end by cancellation; any other ending was already logged where it happened.
        }

        await DisposeSubscriptionsAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
