using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// What happens between the facade and the tiers, one file per concern: the memory tier in front of the store
/// (<c>.Memory.cs</c>); reads, shared among concurrent readers of a key (<c>.Read.cs</c>); writes, removes and refreshes (<c>.Write.cs</c>); get-or-create, where concurrent misses of a key
/// share one factory run (<c>.GetOrCreate.cs</c>, and <c>.Batch.cs</c> for many keys at once); the cross-process lock
/// around a factory run (<c>.Lock.cs</c>); removal by tag and clear (<c>.Tags.cs</c>). Store calls go through <see cref="DistributedTier"/> only; bytes become
/// entries through <see cref="EntryCodec"/> only.
/// </summary>
internal sealed partial class CachePipeline
{
    private readonly string _name;
    private readonly DistributedTier _tier;
    private readonly MemoryTier? _memory;
    private readonly InvalidationHub _hub;
    private readonly TagMarkers _markers;
    private readonly EntryCodec _entries;
    private readonly KeyBuilder _keys;
    private readonly FailSafeThrottles _throttles;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CacheMetrics _metrics;
    private readonly ConcurrentDictionary<FlightKey, Flight> _flights = new();

    public CachePipeline(
        string name,
        MemoryTier? memory,
        InvalidationHub hub,
        TagMarkers markers,
        DistributedTier tier,
        EntryCodec entries,
        KeyBuilder keys,
        TimeProvider time,
        ILogger logger,
        CacheMetrics metrics)
    {
        _name = name;
        _markers = markers;
        _memory = memory;
        _hub = hub;
        _tier = tier;
        _entries = entries;
        _keys = keys;
        _throttles = new FailSafeThrottles(time);
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    private static bool IsCallerCancellation(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && cancellationToken.IsCancellationRequested;
}
