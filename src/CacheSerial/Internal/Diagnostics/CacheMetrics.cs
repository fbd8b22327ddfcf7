using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>
/// Every instrument of the meter <c>CacheSerial</c> (names and tags follow the OpenTelemetry conventions; listed in
/// docs/observability.md). One instance per meter: from <see cref="IMeterFactory"/> when the container has one (so a
/// test's provider sees only its own caches), else <see cref="Shared"/>. Tags are the cache's name, the codec and a
/// low-cardinality reason; never a key. Every recording first checks <see cref="Instrument.Enabled"/>, so with no
/// listener a recording costs a field read.
/// </summary>
internal sealed class CacheMetrics
{
    public const string MeterName = "CacheSerial";

    private static readonly string? Version = typeof(CacheMetrics).Assembly.GetName().Version?.ToString();

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _staleHits;
    private readonly Counter<long> _negativeHits;
    private readonly Counter<long> _factoryRuns;
    private readonly Counter<long> _factoryFailures;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _entriesRejected;
    private readonly Counter<long> _writesSkipped;
    private readonly Counter<long> _breakerTransitions;
    private readonly Counter<long> _lockOutcomes;
    private readonly Histogram<double> _operationDuration;
    private readonly Histogram<long> _payloadSize;
    private readonly Histogram<double> _codecDuration;
    private readonly Counter<long> _invalidationsReceived;
    private readonly Counter<long> _invalidationsPublished;
    private readonly Counter<long> _invalidationPublishFailures;
    private readonly Counter<long> _invalidationFlushes;
    private readonly Counter<long> _invalidationGaps;
    private readonly Histogram<double> _invalidationLag;
    private readonly Histogram<double> _compressionDuration;
    private readonly Counter<long> _compressionSaved;
    private readonly Counter<long> _tagMarkerReads;
    private readonly Counter<long> _entriesInvalidated;

    // The memory tiers of the caches on this meter, for the size gauges; weak, so a cache that is gone is not kept.
    private readonly ConditionalWeakTable<MemoryTier, string> _memoryTiers = new();

    private CacheMetrics(Meter meter)
    {
        _hits = meter.CreateCounter<long>("cacheserial.hits", "{hit}", "Lookups that found a fresh entry.");
        _misses = meter.CreateCounter<long>("cacheserial.misses", "{miss}", "Lookups that found no usable entry (absent, expired, rejected, store failure or open breaker).");
        _staleHits = meter.CreateCounter<long>("cacheserial.stale_hits", "{hit}", "Lookups that found an entry past its logical expiry, kept by fail-safe.");
        _negativeHits = meter.CreateCounter<long>("cacheserial.negative_hits", "{hit}", "Lookups (fresh or stale) that found a cached negative result.");
        _factoryRuns = meter.CreateCounter<long>("cacheserial.factory.runs", "{run}", "Get-or-create factory runs started.");
        _factoryFailures = meter.CreateCounter<long>("cacheserial.factory.failures", "{failure}", "Get-or-create factory runs that threw or called Fail.");
        _storeErrors = meter.CreateCounter<long>("cacheserial.store.errors", "{error}", "Store calls that failed or passed DistributedCacheTimeout.");
        _entriesRejected = meter.CreateCounter<long>("cacheserial.entries.rejected", "{entry}", "Stored entries rejected by a read.");
        _writesSkipped = meter.CreateCounter<long>("cacheserial.writes.skipped", "{write}", "Values not written to the store.");
        _breakerTransitions = meter.CreateCounter<long>("cacheserial.breaker.transitions", "{transition}", "Circuit breaker openings and closings.");
        _lockOutcomes = meter.CreateCounter<long>("cacheserial.lock.outcomes", "{flight}", "How factory runs over a store with a distributed lock went through the lock.");
        _operationDuration = meter.CreateHistogram<double>("cacheserial.operation.duration", "s", "Duration of public cache operations.");
        _payloadSize = meter.CreateHistogram<long>("cacheserial.payload.size", "By", "Size of the codec's payload read or written (without the envelope).");
        _codecDuration = meter.CreateHistogram<double>("cacheserial.codec.duration", "s", "Time spent in the codec per value.");
        _invalidationsReceived = meter.CreateCounter<long>("cacheserial.invalidations.received", "{key}", "Keys other processes (backplane) or the store's server (tracking) reported changed.");
        _invalidationsPublished = meter.CreateCounter<long>("cacheserial.invalidations.published", "{key}", "Keys this process told other processes it changed.");
        _invalidationPublishFailures = meter.CreateCounter<long>("cacheserial.invalidation.publish_failures", "{message}", "Backplane messages that could not be published.");
        _invalidationFlushes = meter.CreateCounter<long>("cacheserial.invalidation.flushes", "{flush}", "Times the memory tier was flushed because it could have missed a change.");
        _invalidationGaps = meter.CreateCounter<long>("cacheserial.invalidation.gaps", "{gap}", "Lost invalidation messages detected from a sender's sequence numbers.");
        _invalidationLag = meter.CreateHistogram<double>("cacheserial.invalidation.lag", "s", "Time from publishing an invalidation to its arrival here (sender's clock to receiver's).");
        _compressionDuration = meter.CreateHistogram<double>("cacheserial.compression.duration", "s", "Time spent compressing or decompressing one payload.");
        _compressionSaved = meter.CreateCounter<long>("cacheserial.compression.saved", "By", "Bytes compression saved (written: payloads stored smaller; read: payloads that were stored smaller).");
        _tagMarkerReads = meter.CreateCounter<long>("cacheserial.tag_markers.reads", "{marker}", "Tag markers (and clear markers) read from the store.");
        _entriesInvalidated = meter.CreateCounter<long>("cacheserial.entries.invalidated", "{entry}", "Stored entries read as misses because a tag removal or a clear came after them.");
        meter.CreateObservableGauge("cacheserial.memory.entries", () => ObserveMemory(static m => m.Count), "{entry}", "Entries the memory tier holds.");
        meter.CreateObservableGauge("cacheserial.memory.bytes", () => ObserveMemory(static m => m.Bytes), "By", "Bytes the memory tier counts against MaximumBytes.");
    }

    public void InvalidationsReceived(string cacheName, string source, int keys, double? lagSeconds)
    {
        if (_invalidationsReceived.Enabled)
        {
            _invalidationsReceived.Add(keys, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName), new KeyValuePair<string, object?>(CacheTags.Source, source));
        }

        if (lagSeconds is { } lag && _invalidationLag.Enabled)
        {
            _invalidationLag.Record(Math.Max(0, lag), new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName), new KeyValuePair<string, object?>(CacheTags.Source, source));
        }
    }

    public void InvalidationsPublished(string cacheName, int keys)
    {
        if (_invalidationsPublished.Enabled)
        {
            _invalidationsPublished.Add(keys, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName));
        }
    }

    public void InvalidationPublishFailed(string cacheName)
    {
        if (_invalidationPublishFailures.Enabled)
        {
            _invalidationPublishFailures.Add(1, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName));
        }
    }

    public void InvalidationFlush(string cacheName, string reason)
    {
        if (_invalidationFlushes.Enabled)
        {
            _invalidationFlushes.Add(1, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName), new KeyValuePair<string, object?>(CacheTags.Reason, reason));
        }
    }

    public void InvalidationGap(string cacheName, string source)
    {
        if (_invalidationGaps.Enabled)
        {
            _invalidationGaps.Add(1, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName), new KeyValuePair<string, object?>(CacheTags.Source, source));
        }
    }

    /// <summary>Records one compression or decompression: its duration (when started) and the bytes saved (0 written: not kept).</summary>
    public void Compression(string cacheName, CacheCompressionAlgorithm algorithm, string direction, int plainBytes, int compressedBytes, long startedTimestamp)
    {
        if (startedTimestamp != 0 && _compressionDuration.Enabled)
        {
            _compressionDuration.Record(
                Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
                new(CacheTags.CacheName, cacheName), new(CacheTags.Algorithm, CacheTags.Of(algorithm)), new(CacheTags.Direction, direction));
        }

        if (compressedBytes > 0 && _compressionSaved.Enabled)
        {
            _compressionSaved.Add(
                plainBytes - compressedBytes,
                new(CacheTags.CacheName, cacheName), new(CacheTags.Algorithm, CacheTags.Of(algorithm)), new(CacheTags.Direction, direction));
        }
    }

    public void TagMarkersRead(string cacheName, int markers)
    {
        if (_tagMarkerReads.Enabled)
        {
            _tagMarkerReads.Add(markers, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName));
        }
    }

    public void EntryInvalidated(string cacheName, string level)
    {
        if (_entriesInvalidated.Enabled)
        {
            _entriesInvalidated.Add(1, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName), new KeyValuePair<string, object?>(CacheTags.Level, level));
        }
    }

    /// <summary>Reports a cache's memory tier in the size gauges.</summary>
    public void Track(string cacheName, MemoryTier memory) => _memoryTiers.AddOrUpdate(memory, cacheName);

    private List<Measurement<long>> ObserveMemory(Func<MemoryTier, long> size)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (memory, cacheName) in (IEnumerable<KeyValuePair<MemoryTier, string>>)_memoryTiers)
        {
            measurements.Add(new Measurement<long>(size(memory), new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName)));
        }

        return measurements;
    }

    /// <summary>The instruments on a process-wide meter, for containers without an <see cref="IMeterFactory"/>.</summary>
    public static CacheMetrics Shared { get; } = new(new Meter(MeterName, Version));

    public static CacheMetrics Create(IMeterFactory? factory) =>
        factory is null ? Shared : new CacheMetrics(factory.Create(new MeterOptions(MeterName) { Version = Version }));

    /// <summary>True when an operation's duration is recorded: then (only then) callers take timestamps.</summary>
    public bool OperationDurationEnabled => _operationDuration.Enabled;

    public bool CodecDurationEnabled => _codecDuration.Enabled;

    /// <summary>True when any lookup counter listens: a memory hit checks this before it names its codec.</summary>
    public bool LookupsEnabled => _hits.Enabled || _misses.Enabled || _staleHits.Enabled || _negativeHits.Enabled;

    /// <summary>
    /// Counts one lookup's outcome at one level (<see cref="CacheTags.Memory"/> or <see cref="CacheTags.Distributed"/>):
    /// exactly one of hits, stale hits and misses; negative hits on top. A lookup memory does not answer counts a miss
    /// there and its outcome at the store.
    /// </summary>
    public void Lookup(string cacheName, string codec, string level, ReadState state, bool isNegative)
    {
        var counter = state switch
        {
            ReadState.Fresh => _hits,
            ReadState.Stale => _staleHits,
            _ => _misses,
        };
        if (counter.Enabled)
        {
            var tags = Tags(cacheName, codec);
            tags.Add(CacheTags.Level, level);
            counter.Add(1, tags);
        }

        if (isNegative && state != ReadState.Miss && _negativeHits.Enabled)
        {
            var tags = Tags(cacheName, codec);
            tags.Add(CacheTags.Level, level);
            _negativeHits.Add(1, tags);
        }
    }

    public void FactoryRun(string cacheName)
    {
        if (_factoryRuns.Enabled)
        {
            _factoryRuns.Add(1, new KeyValuePair<string, object?>(CacheTags.CacheName, cacheName));
        }
    }

    public void FactoryFailure(string cacheName, Exception exception)
    {
        if (_factoryFailures.Enabled)
        {
            _factoryFailures.Add(1, new(CacheTags.CacheName, cacheName), new(CacheTags.ErrorType, exception.GetType().FullName));
        }
    }

    public void StoreError(string cacheName, StoreOperation operation, Exception exception)
    {
        if (_storeErrors.Enabled)
        {
            _storeErrors.Add(
                1,
                new(CacheTags.CacheName, cacheName),
                new(CacheTags.Operation, CacheTags.Of(operation)),
                new(CacheTags.ErrorType, exception.GetType().FullName));
        }
    }

    public void EntryRejected(string cacheName, string codec, CacheEntryRejectReason reason)
    {
        if (_entriesRejected.Enabled)
        {
            var tags = Tags(cacheName, codec);
            tags.Add(CacheTags.Reason, CacheTags.Of(reason));
            _entriesRejected.Add(1, tags);
        }
    }

    /// <summary>Counts a value not written, for a reason among <see cref="CacheTags.TooLarge"/>, <see cref="CacheTags.Expired"/> and <see cref="CacheTags.BreakerOpen"/>.</summary>
    public void WriteSkipped(string cacheName, string reason)
    {
        if (_writesSkipped.Enabled)
        {
            _writesSkipped.Add(1, new(CacheTags.CacheName, cacheName), new(CacheTags.Reason, reason));
        }
    }

    public void BreakerTransition(string cacheName, bool opened)
    {
        if (_breakerTransitions.Enabled)
        {
            _breakerTransitions.Add(1, new(CacheTags.CacheName, cacheName), new(CacheTags.State, opened ? "open" : "closed"));
        }
    }

    /// <summary>Counts how one flight went through the distributed lock; the outcome is one of the <c>Lock*</c> values of <see cref="CacheTags"/>.</summary>
    public void LockOutcome(string cacheName, string outcome)
    {
        if (_lockOutcomes.Enabled)
        {
            _lockOutcomes.Add(1, new(CacheTags.CacheName, cacheName), new(CacheTags.Outcome, outcome));
        }
    }

    public void OperationDuration(string cacheName, string? codec, string operation, string outcome, long startedTimestamp)
    {
        if (startedTimestamp == 0 || !_operationDuration.Enabled)
        {
            return;
        }

        var tags = new TagList { { CacheTags.CacheName, cacheName }, { CacheTags.Operation, operation }, { CacheTags.Outcome, outcome } };
        if (codec is not null)
        {
            tags.Add(CacheTags.Codec, codec);
        }

        _operationDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tags);
    }

    /// <summary>Records one codec call: the payload size, and its duration when started (a timestamp taken only when <see cref="CodecDurationEnabled"/>, else 0).</summary>
    public void Codec(string cacheName, string codec, string direction, int payloadBytes, long startedTimestamp)
    {
        if (_payloadSize.Enabled)
        {
            var tags = Tags(cacheName, codec);
            tags.Add(CacheTags.Direction, direction);
            _payloadSize.Record(payloadBytes, tags);
        }

        if (startedTimestamp != 0 && _codecDuration.Enabled)
        {
            var tags = Tags(cacheName, codec);
            tags.Add(CacheTags.Direction, direction);
            _codecDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tags);
        }
    }

    private static TagList Tags(string cacheName, string codec) =>
        new() { { CacheTags.CacheName, cacheName }, { CacheTags.Codec, codec } };
}
