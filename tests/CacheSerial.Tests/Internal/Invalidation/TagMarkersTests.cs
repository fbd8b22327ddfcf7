using CacheSerial.Internal;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Invalidation;

/// <summary>
/// <see cref="TagMarkers"/> on its own, built as <c>DefaultTypedCache</c> builds it, over an in-memory store and a fake
/// clock: its verdicts, when a marker read is relied on, that removal times only grow, and its bound on markers kept.
/// </summary>
public sealed class TagMarkersTests
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CountingStore _store = new();
    private readonly FakeLogger _logger = new();
    private readonly KeyBuilder _keys = new("p", 1024);
    private readonly TagMarkers _markers;

    public TagMarkersTests()
    {
        // No store deadline: the fake clock moves while nothing is pending, and the in-memory store answers at once.
        var options = new CacheSerialOptions { KeyPrefix = "p", DistributedCacheTimeout = Timeout.InfiniteTimeSpan };
        var tier = new DistributedTier("c", new DistributedCacheStore(_store), options, _time, _logger, CacheMetrics.Shared);
        _markers = new TagMarkers("c", _keys, tier, Refresh, _time, _logger, CacheMetrics.Shared);
    }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Judge_MarkersNeverRead_IsDueWhenMayFetchElseUnverified()
    {
        Assert.Equal(TagVerdict.Due, _markers.Judge(["a"], Now, mayFetch: true));
        Assert.Equal(TagVerdict.Unverified, _markers.Judge(["a"], Now, mayFetch: false));
        Assert.Equal(TagVerdict.Due, _markers.Judge(null, Now, mayFetch: true)); // the clear marker governs untagged entries
    }

    [Fact]
    public async Task Judge_AfterFetchFindingNoMarkers_IsAdmitted()
    {
        await _markers.FetchAsync([["a", "b"]], Ct);

        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a", "b"], Now, mayFetch: true));
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(null, Now, mayFetch: true));
        Assert.Equal(3, _store.MarkerReads); // the clear marker, a and b
    }

    [Fact]
    public async Task Judge_TagRemovedHere_EntryAtOrBeforeRemovalIsRejected_LaterIsAdmitted()
    {
        await _markers.FetchAsync([["a"]], Ct);

        _markers.Removed(["a"], 1000);

        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], 999, mayFetch: true));
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], 1000, mayFetch: false));
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a"], 1001, mayFetch: true));
        Assert.False(_markers.AdmitsKnown(["x", "a"], 1000));
        Assert.True(_markers.AdmitsKnown(["a"], 1001));
    }

    [Fact]
    public void Judge_KnownRemoval_RejectsEvenBeforeMarkersAreRead()
    {
        // A known removal needs no store read to reject; it is a miss whatever the other markers say.
        _markers.Removed(["a"], 1000);

        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["b", "a"], 1000, mayFetch: false));
    }

    [Fact]
    public async Task Judge_ClearedHere_EveryEntryAtOrBeforeIsRejected()
    {
        await _markers.FetchAsync([["a"]], Ct);

        _markers.Cleared(2000);

        Assert.Equal(2000, _markers.ClearedAtMs);
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(null, 2000, mayFetch: true));
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], 1500, mayFetch: true));
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a"], 2001, mayFetch: true));
        Assert.False(_markers.AdmitsKnown(null, 2000));
        Assert.True(_markers.AdmitsKnown(null, 2001));
    }

    [Fact]
    public async Task Judge_MarkerOlderThanRefreshInterval_IsDueAgain()
    {
        await _markers.FetchAsync([["a"]], Ct);

        _time.Advance(Refresh);

        Assert.Equal(TagVerdict.Due, _markers.Judge(["a"], Now, mayFetch: true));
        Assert.Equal(TagVerdict.Unverified, _markers.Judge(["a"], Now, mayFetch: false));
    }

    [Fact]
    public async Task Judge_MarkerJustUnderRefreshInterval_IsAdmittedAndReadAgainInBackground()
    {
        await _markers.FetchAsync([["a"]], Ct);
        var reads = _store.MarkerReads;

        _time.Advance(Refresh - TimeSpan.FromMilliseconds(1));
        var verdict = _markers.Judge(["a"], Now - 1, mayFetch: true);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(TagVerdict.Admitted, verdict);
        Assert.True(_store.MarkerReads > reads, "an in-use marker past half its interval is read again in the background");
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a"], Now - 2, mayFetch: true)); // refreshed: not due at the interval
    }

    [Fact]
    public async Task FetchAsync_RemovalByAnotherProcess_IsSeenOnlyAfterRefreshInterval()
    {
        await _markers.FetchAsync([["a"]], Ct);
        var removedAt = Now;
        await WriteMarkerAsync("a", removedAt);

        var beforeRefresh = _markers.Judge(["a"], removedAt - 1, mayFetch: true);
        _time.Advance(Refresh);
        var due = _markers.Judge(["a"], removedAt - 1, mayFetch: true);
        await _markers.FetchAsync([["a"]], Ct);

        Assert.Equal(TagVerdict.Admitted, beforeRefresh); // relied on for TagRefreshInterval, as documented
        Assert.Equal(TagVerdict.Due, due);
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], removedAt - 1, mayFetch: true));
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a"], removedAt + 1, mayFetch: true));
    }

    [Fact]
    public async Task FetchAsync_ClearByAnotherProcess_RaisesClearedAt()
    {
        await _store.SetAsync(_keys.Marker(null).StoreKey, Marker(5000), new DistributedCacheEntryOptions(), Ct);

        await _markers.FetchAsync([], Ct);

        Assert.Equal(5000, _markers.ClearedAtMs);
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], 5000, mayFetch: false));
    }

    [Fact]
    public async Task FetchAsync_TagsRepeatedAcrossEntries_AreReadOnceEach()
    {
        await _markers.FetchAsync([["a", "b"], ["b", "c"], null], Ct);

        Assert.Equal(4, _store.MarkerReads); // the clear marker, a, b and c
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a", "b", "c"], Now, mayFetch: true));
    }

    [Fact]
    public async Task RemovedAndCleared_OnlyGrow()
    {
        _markers.Removed(["a"], 2000);
        _markers.Removed(["a"], 1000);
        _markers.Cleared(3000);
        _markers.Cleared(100);
        await WriteMarkerAsync("a", 500); // an older time in the store does not lower it either
        await _markers.FetchAsync([["a"]], Ct);

        Assert.Equal(3000, _markers.ClearedAtMs);
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], 1500, mayFetch: true));
        _markers.Cleared(0);
        Assert.False(_markers.AdmitsKnown(["a"], 2000));
        Assert.True(_markers.AdmitsKnown(["a"], 3001));
    }

    [Fact]
    public async Task Forget_WhileCoherent_MakesMarkersReadBeforeItDue()
    {
        // While the hub is coherent, markers need no re-reading however old; Forget (a gap, a flush) ends that.
        _markers.Coherent = () => true;
        await _markers.FetchAsync([["a"]], Ct);
        _time.Advance(Refresh * 10);
        var coherent = _markers.Judge(["a"], Now, mayFetch: true);

        _markers.Forget();

        Assert.Equal(TagVerdict.Admitted, coherent);
        Assert.Equal(TagVerdict.Due, _markers.Judge(["a"], Now, mayFetch: true));
    }

    [Fact]
    public async Task FetchAsync_MalformedMarkerBytes_AreARemovalAtTheReadsStart()
    {
        await _store.SetAsync(_keys.Marker("a").StoreKey, [1, 2, 3], new DistributedCacheEntryOptions(), Ct);
        var readAt = Now;

        await _markers.FetchAsync([["a"]], Ct);

        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], readAt, mayFetch: true));
        Assert.Equal(TagVerdict.Admitted, _markers.Judge(["a"], readAt + 1, mayFetch: true));
        Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 8003);
    }

    [Fact]
    public async Task FetchAsync_MarkerWithBadChecksum_IsMalformed()
    {
        var bytes = Marker(1000);
        bytes[^1] ^= 1;
        await _store.SetAsync(_keys.Marker("a").StoreKey, bytes, new DistributedCacheEntryOptions(), Ct);

        await _markers.FetchAsync([["a"]], Ct);

        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["a"], Now, mayFetch: true)); // not 1000: "removed now"
    }

    [Fact]
    public void MaximumMarkers_Exceeded_PrunesMarkersWithoutRemovalTimeFirst()
    {
        var forgotten = 0;
        _markers.Forgotten = () => forgotten++;
        _markers.Removed(["kept"], 5000);

        // Removal time 0 is no removal: these markers hold nothing worth keeping.
        _markers.Removed(Enumerable.Range(0, TagMarkers.MaximumMarkers).Select(i => "t" + i), 0);

        Assert.Equal(0, forgotten);
        Assert.Equal(TagVerdict.Rejected, _markers.Judge(["kept"], 5000, mayFetch: false));
    }

    [Fact]
    public void MaximumMarkers_ExceededByRemovals_ForgetsAllAndTellsMemory()
    {
        // docs/tags.md: past 100,000 markers, those without a removal time go first, "then all of them (and the memory
        // tier with them)". Fails today: see the next test.
        var forgotten = 0;
        _markers.Forgotten = () => forgotten++;

        _markers.Removed(Enumerable.Range(0, TagMarkers.MaximumMarkers + 1).Select(i => "t" + i), 5000);

        Assert.Equal(1, forgotten);
        Assert.Equal(TagVerdict.Due, _markers.Judge(["t0"], 4000, mayFetch: true));
    }

    [Fact]
    public void Removed_WithMaximumMarkersAlreadyHeld_NewRemovalIsKnownAtOnce()
    {
        // The removing process must know its removal at once (the memory tier asks AdmitsKnown, without I/O). Fails
        // today: Get adds the new marker and prunes before Removed raises it, so Prune finds the new marker still
        // without a removal time, drops it, and the removal is raised on a marker no longer in the table.
        var forgotten = 0;
        _markers.Forgotten = () => forgotten++;
        _markers.Removed(Enumerable.Range(0, TagMarkers.MaximumMarkers).Select(i => "t" + i), 5000);

        _markers.Removed(["new"], 6000);

        Assert.True(
            !_markers.AdmitsKnown(["new"], 5500) || forgotten > 0,
            "a removal recorded at the marker limit was lost, and memory was not told to forget");
    }

    private async Task WriteMarkerAsync(string tag, long removedAtMs) =>
        await _store.SetAsync(_keys.Marker(tag).StoreKey, Marker(removedAtMs), new DistributedCacheEntryOptions(), Ct);

    private static byte[] Marker(long removedAtMs)
    {
        var bytes = new byte[TagMarker.Length];
        TagMarker.Write(bytes, removedAtMs);
        return bytes;
    }

    /// <summary>An in-memory store that counts reads of marker keys.</summary>
    private sealed class CountingStore : IDistributedCache
    {
        private readonly MemoryDistributedCache _inner = new(Options.Create(new MemoryDistributedCacheOptions()));
        private int _markerReads;

        public int MarkerReads => Volatile.Read(ref _markerReads);

        public byte[]? Get(string key)
        {
            Count(key);
            return _inner.Get(key);
        }

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
        {
            Count(key);
            return _inner.GetAsync(key, token);
        }

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _inner.Set(key, value, options);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            _inner.SetAsync(key, value, options, token);

        public void Refresh(string key) => _inner.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => _inner.RefreshAsync(key, token);

        public void Remove(string key) => _inner.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => _inner.RemoveAsync(key, token);

        private void Count(string key)
        {
            if (key.Contains('\u001D', StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _markerReads);
            }
        }
    }
}
