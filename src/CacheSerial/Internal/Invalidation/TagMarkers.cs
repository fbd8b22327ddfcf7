using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// This process's copy of the tag markers (each tag's last removal time, and the cache's last clear time; the store holds
/// them, <see cref="TagMarker"/>): the one home of the tag check. A store read relies on a marker for
/// <see cref="CacheSerialOptions.TagRefreshInterval"/> after reading it (or, while the invalidation hub is coherent, until
/// the hub's epoch moves: a gap, a flush, a reconnect), and reads the markers it lacks with one store call for all of a
/// read's tags; a marker in use is read again in the background after half the interval, so reads rarely wait. The memory
/// tier checks its entries against the times known here without any I/O. Removal times only grow.
/// </summary>
internal sealed class TagMarkers
{
    /// <summary>Markers kept at most; past it, markers without a removal time leave first, then all (memory is flushed).</summary>
    public const int MaximumMarkers = 100_000;

    private readonly string _name;
    private readonly KeyBuilder _keys;
    private readonly DistributedTier _tier;
    private readonly MemoryClock _clock;
    private readonly long _refreshMs;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Marker> _tags = new(StringComparer.Ordinal);
    private readonly Marker _clear = new(null);
    private int _count;
    private int _epoch;

    private readonly CacheMetrics _metrics;

    public TagMarkers(string name, KeyBuilder keys, DistributedTier tier, TimeSpan refreshInterval, TimeProvider time, ILogger logger, CacheMetrics metrics)
    {
        _metrics = metrics;
        _name = name;
        _keys = keys;
        _tier = tier;
        _clock = new MemoryClock(time);
        _refreshMs = Math.Max(1, (long)refreshInterval.TotalMilliseconds);
        _logger = logger;
    }

    /// <summary>
    /// Set by the invalidation hub while it has a source: whether removals reach this process as they happen (memory
    /// trusted), so that markers read since the last epoch move need no re-reading.
    /// </summary>
    public Func<bool>? Coherent { get; set; }

    /// <summary>Told when markers with removal times had to be forgotten (over <see cref="MaximumMarkers"/>): memory must go.</summary>
    public Action? Forgotten { get; set; }

    /// <summary>The last clear time known here (unix ms; 0 for none).</summary>
    public long ClearedAtMs => Volatile.Read(ref _clear.RemovedAtMs);

    /// <summary>Whether an entry written at <paramref name="createdAtMs"/> with <paramref name="tags"/> survives every removal
    /// and clear known here (no I/O: what the memory tier asks on a hit).</summary>
    public bool AdmitsKnown(string[]? tags, long createdAtMs)
    {
        if (createdAtMs <= Volatile.Read(ref _clear.RemovedAtMs))
        {
            return false;
        }

        if (tags is not null)
        {
            foreach (var tag in tags)
            {
                if (_tags.TryGetValue(tag, out var marker) && createdAtMs <= Volatile.Read(ref marker.RemovedAtMs))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// A stored entry's verdict: rejected by any known removal; admitted when every marker it depends on is fresh; else
    /// <see cref="TagVerdict.Due"/> (when the caller may read markers) or <see cref="TagVerdict.Unverified"/>.
    /// </summary>
    public TagVerdict Judge(string[]? tags, long createdAtMs, bool mayFetch)
    {
        var now = _clock.NowMs();
        var epoch = Volatile.Read(ref _epoch);
        var coherent = Coherent?.Invoke() ?? false;
        var due = !IsFresh(_clear, now, coherent, epoch);
        if (createdAtMs <= Volatile.Read(ref _clear.RemovedAtMs))
        {
            return TagVerdict.Rejected;
        }

        if (tags is not null)
        {
            foreach (var tag in tags)
            {
                if (!_tags.TryGetValue(tag, out var marker))
                {
                    due = true;
                    continue;
                }

                if (createdAtMs <= Volatile.Read(ref marker.RemovedAtMs))
                {
                    return TagVerdict.Rejected;
                }

                due |= !IsFresh(marker, now, coherent, epoch);
            }
        }

        return !due ? TagVerdict.Admitted : mayFetch ? TagVerdict.Due : TagVerdict.Unverified;
    }

    /// <summary>
    /// Reads (one store call) the markers of <paramref name="tagLists"/> and the clear marker that are not fresh, joining
    /// reads of them already under way. A failed read leaves them as they were (the entries are then unverified).
    /// </summary>
    public ValueTask FetchAsync(IReadOnlyList<string[]?> tagLists, CancellationToken cancellationToken)
    {
        var now = _clock.NowMs();
        var epoch = Volatile.Read(ref _epoch);
        var coherent = Coherent?.Invoke() ?? false;
        List<Marker>? mine = null;
        List<Task>? waits = null;
        Consider(_clear, now, coherent, epoch, ref mine, ref waits);
        foreach (var tags in tagLists)
        {
            foreach (var tag in tags ?? [])
            {
                Consider(Get(tag), now, coherent, epoch, ref mine, ref waits);
            }
        }

        if (mine is not null)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var marker in mine)
            {
                marker.Pending = done.Task;
            }

            _ = ReadAsync(mine, done);
            (waits ??= []).Add(done.Task);
        }

        if (waits is null)
        {
            return default;
        }

        var all = waits.Count == 1 ? waits[0] : Task.WhenAll(waits);
        return new ValueTask(all.WaitAsync(cancellationToken));
    }

    /// <summary>A removal of <paramref name="tags"/> at <paramref name="removedAtMs"/>: by this process, or told by the hub.</summary>
    public void Removed(IEnumerable<string> tags, long removedAtMs)
    {
        foreach (var tag in tags)
        {
            Raise(Get(tag, removedAtMs), removedAtMs);
        }
    }

    /// <summary>A clear at <paramref name="clearedAtMs"/>: by this process, or told by the hub.</summary>
    public void Cleared(long clearedAtMs) => Raise(_clear, clearedAtMs);

    /// <summary>Markers read before now are read again at their next use (the hub lost track: a gap, a flush, a reconnect).</summary>
    public void Forget() => Interlocked.Increment(ref _epoch);

    private bool IsFresh(Marker marker, long now, bool coherent, int epoch)
    {
        var fetchedAt = Volatile.Read(ref marker.FetchedAtMs);
        if (fetchedAt == 0)
        {
            return false;
        }

        if (coherent && marker.Epoch == epoch)
        {
            return true;
        }

        var age = now - fetchedAt;
        if (age >= _refreshMs)
        {
            return false;
        }

        if (age >= _refreshMs / 2 && marker.Pending is null)
        {
            // In use and half way through its interval: read it again in the background, so reads need not wait for it.
            _ = FetchAsync(marker.Tag is null ? [] : [[marker.Tag]], CancellationToken.None).AsTask();
        }

        return true;
    }

    private void Consider(Marker marker, long now, bool coherent, int epoch, ref List<Marker>? mine, ref List<Task>? waits)
    {
        var fetchedAt = Volatile.Read(ref marker.FetchedAtMs);
        if (fetchedAt != 0 && ((coherent && marker.Epoch == epoch) || now - fetchedAt < _refreshMs / 2))
        {
            return;
        }

        if (marker.Pending is { } pending)
        {
            (waits ??= []).Add(pending);
        }
        else if (mine is null || !mine.Contains(marker))
        {
            (mine ??= []).Add(marker);
        }
    }

    private async Task ReadAsync(List<Marker> markers, TaskCompletionSource done)
    {
        var epoch = Volatile.Read(ref _epoch);
        var startedAt = _clock.NowMs();
        try
        {
            var keys = new CacheKey[markers.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = _keys.Marker(markers[i].Tag);
            }

            // Not the caller's token: other reads may be waiting for these markers too (the deadline bounds the call).
            var leases = await _tier.ReadManyAsync(keys, slidingExpiration: null, CancellationToken.None).ConfigureAwait(false);
            if (leases is null)
            {
                return; // failed or skipped (the tier logged it): the entries waiting on these stay unverified
            }

            _metrics.TagMarkersRead(_name, leases.Length);

            for (var i = 0; i < leases.Length; i++)
            {
                using var lease = leases[i];
                var removedAtMs = 0L;
                if (lease.HasValue && !TagMarker.TryRead(lease.Data.Span, out removedAtMs))
                {
                    // Not a marker we wrote: assume the tag was removed just now, so no older entry survives it.
                    Log.TagMarkerMalformed(_logger, _name);
                    removedAtMs = startedAt;
                }

                var marker = markers[i];
                Raise(marker, removedAtMs);
                marker.Epoch = epoch;
                Volatile.Write(ref marker.FetchedAtMs, startedAt);
            }
        }
        catch (Exception)
        {
            // The tier logs store failures; anything else leaves the markers as they were, which is safe.
        }
        finally
        {
            foreach (var marker in markers)
            {
                marker.Pending = null;
            }

            done.TrySetResult();
        }
    }

    /// <summary>The tag's marker, added when missing (with <paramref name="removedAtMs"/> already set, so a removal that
    /// fills the table is neither pruned as unused nor lost when everything else is forgotten).</summary>
    private Marker Get(string tag, long removedAtMs = 0)
    {
        if (_tags.TryGetValue(tag, out var marker))
        {
            return marker;
        }

        var added = new Marker(tag) { RemovedAtMs = removedAtMs };
        marker = _tags.GetOrAdd(tag, added);
        if (ReferenceEquals(marker, added) && Interlocked.Increment(ref _count) > MaximumMarkers)
        {
            Prune();
            if (!_tags.ContainsKey(tag) && _tags.TryAdd(tag, added))
            {
                Interlocked.Increment(ref _count); // everything was forgotten: the marker in hand starts the table again
            }
        }

        return marker;
    }

    private void Prune()
    {
        foreach (var (tag, marker) in _tags)
        {
            if (Volatile.Read(ref marker.RemovedAtMs) == 0 && marker.Pending is null && _tags.TryRemove(new KeyValuePair<string, Marker>(tag, marker)))
            {
                Interlocked.Decrement(ref _count);
            }
        }

        if (Volatile.Read(ref _count) > MaximumMarkers)
        {
            // Removal times would be lost: forget everything, and memory (checked against them) with it.
            _tags.Clear();
            Volatile.Write(ref _count, 0);
            Forget();
            Forgotten?.Invoke();
        }
    }

    private static void Raise(Marker marker, long removedAtMs)
    {
        var current = Volatile.Read(ref marker.RemovedAtMs);
        while (removedAtMs > current)
        {
            var seen = Interlocked.CompareExchange(ref marker.RemovedAtMs, removedAtMs, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private sealed class Marker(string? tag)
    {
        /// <summary>The tag, or null for the clear marker.</summary>
        public readonly string? Tag = tag;

        /// <summary>The latest removal time known (unix ms; 0 for none); only grows.</summary>
        public long RemovedAtMs;

        /// <summary>When it was last read from the store (unix ms, at the read's start); 0 for never.</summary>
        public long FetchedAtMs;

        /// <summary>The hub's epoch when it was read.</summary>
        public int Epoch;

        /// <summary>A read of it under way, for other reads to join.</summary>
        public Task? Pending;
    }
}
