using CacheSerial.Internal;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;

namespace CacheSerial.Tests.Internal.Invalidation;

/// <summary>
/// Coherence through the store's server-assisted invalidation (a fake source here; the Redis one is in the integration
/// tests): reported keys are evicted, a hashed long key or a "everything changed" report flushes, a lost connection
/// bounds how long memory serves, and a server without the feature leaves memory local-only (or to the backplane).
/// </summary>
public sealed class InvalidationHubTrackingTests : IDisposable
{
    private readonly CoherenceRig _rig = new();
    private readonly FakeTracking _tracking = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyChanged_EvictsOnlyThatKey()
    {
        var node = await TrackedNodeAsync();
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        await node.Cache.SetAsync("b", "2", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged(node.StoreKey("a"));

        Assert.False(CoherenceRig.Holds(node, "a"));
        Assert.True(CoherenceRig.Holds(node, "b"));
        Assert.Equal(node.StoreKey("a")[..^1], _tracking.Prefix); // the cache's stored-key prefix, separator included
    }

    [Fact]
    public async Task KeyChanged_OtherPrefix_Ignored()
    {
        var node = await TrackedNodeAsync();
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged("someone-else\u001Fa");

        Assert.True(CoherenceRig.Holds(node, "a"));
    }

    [Fact]
    public async Task KeyChanged_HashedLongKey_Flushes()
    {
        var node = await TrackedNodeAsync();
        var longKey = new string('k', 2000);
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        await node.Cache.SetAsync(longKey, "2", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged(node.StoreKey(longKey));

        Assert.False(CoherenceRig.Holds(node, longKey));
        Assert.False(CoherenceRig.Holds(node, "a"));
    }

    [Fact]
    public async Task KeyChanged_NoPrefixAndKeyOfPrefixedCache_IgnoredWithoutFlush()
    {
        // A cache without a prefix hears every key on the server: another cache's keys (plain, hashed, markers) are not its.
        var node = await TrackedNodeAsync(prefix: string.Empty);
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged("other\u001Fb");
        _tracking.Listener.OnKeyChanged("other\u001F" + new string('k', 64) + "\u001E" + new string('0', 64));
        _tracking.Listener.OnKeyChanged("other\u001F\u001Dtag:t");
        _tracking.Listener.OnKeyChanged("other\u001F\u001Dclear");

        Assert.True(CoherenceRig.Holds(node, "a"));
        Assert.Equal(string.Empty, _tracking.Prefix);
    }

    [Fact]
    public async Task KeyChanged_NoPrefixAndOwnHashedLongKey_Flushes()
    {
        var node = await TrackedNodeAsync(prefix: string.Empty);
        var longKey = new string('k', 2000);
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged(node.StoreKey(longKey));

        Assert.False(CoherenceRig.Holds(node, "a"));
    }

    [Fact]
    public async Task KeyChanged_NoPrefixAndForeignKey_EvictsOnlyThatKey()
    {
        var node = await TrackedNodeAsync(prefix: string.Empty);
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        await node.Cache.SetAsync("session:1", "2", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnKeyChanged("session:1");

        Assert.True(CoherenceRig.Holds(node, "a"));
        Assert.False(CoherenceRig.Holds(node, "session:1"));
    }

    [Fact]
    public async Task AllChanged_Flushes()
    {
        var node = await TrackedNodeAsync();
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnAllChanged();

        Assert.False(CoherenceRig.Holds(node, "a"));
    }

    [Fact]
    public async Task ConnectionLost_ServesWithinToleranceThenRestoredFlushes()
    {
        var node = await TrackedNodeAsync();
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        _tracking.Listener!.OnConnectionLost();
        Assert.True(CoherenceRig.Holds(node, "a"));
        _rig.Time.Advance(MemoryTierOptions.DefaultDisconnectedTolerance);
        Assert.False(CoherenceRig.Holds(node, "a"));

        _tracking.Listener.OnConnectionRestored();
        Assert.True(CoherenceRig.Serves(node));
        Assert.Equal(0, CoherenceRig.Memory(node).Count);
    }

    [Fact]
    public async Task SubscribeThrows_RetriedOnTheClock_MemoryPassesThroughMeanwhile()
    {
        _tracking.FailuresLeft = 2;
        var node = _rig.Node(withBackplane: false, store: TrackedStore());
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        Assert.False(CoherenceRig.Holds(node, "a"));

        await _rig.AdvanceUntilAsync(() => CoherenceRig.Serves(node), "tracking was never retried");
        Assert.Equal(3, _tracking.Attempts);
    }

    [Fact]
    public async Task Unsupported_WithoutBackplane_LocalOnlyWithShortLifetime()
    {
        _tracking.Unsupported = true;
        var node = _rig.Node(withBackplane: false, store: TrackedStore());

        await CoherenceRig.EventuallyAsync(() => CoherenceRig.Serves(node), "memory never served");
        Assert.Equal(MemoryTierOptions.DefaultLocalExpiration, CoherenceRig.Memory(node).LocalExpiration);
        Assert.Contains(node.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7003);
        Assert.Contains(node.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7001);
    }

    [Fact]
    public async Task Unsupported_WithBackplane_BackplaneKeepsMemoryCoherent()
    {
        _tracking.Unsupported = true;
        var node = _rig.Node(store: TrackedStore());

        await CoherenceRig.EventuallyAsync(() => CoherenceRig.Serves(node), "memory never served");
        Assert.Equal(MemoryTierOptions.DefaultCoherentLocalExpiration, CoherenceRig.Memory(node).LocalExpiration);
        Assert.DoesNotContain(node.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7001);
    }

    [Fact]
    public async Task BothSources_MemoryServesOnlyWhenBothDeliver()
    {
        _rig.Bus.Disconnect();
        var node = _rig.Node(store: TrackedStore());
        await CoherenceRig.EventuallyAsync(() => _tracking.Listener is not null, "tracking never subscribed");
        await Task.Delay(50, Ct);
        Assert.False(CoherenceRig.Serves(node));

        _rig.Bus.Reconnect();
        await _rig.AdvanceUntilAsync(() => CoherenceRig.Serves(node), "memory never served with both sources up");
    }

    [Fact]
    public async Task LostWhileArming_NotTrustedUntilRestored()
    {
        _tracking.LoseWhileSubscribing = true;
        var node = _rig.Node(withBackplane: false, store: TrackedStore());
        await CoherenceRig.EventuallyAsync(() => _tracking.Attempts > 0 && _tracking.Listener is not null, "tracking never subscribed");
        await Task.Delay(50, Ct);
        Assert.False(CoherenceRig.Serves(node));

        _tracking.Listener!.OnConnectionRestored();

        Assert.True(CoherenceRig.Serves(node));
    }

    public void Dispose() => _rig.Dispose();

    private async Task<CacheNode> TrackedNodeAsync(string? prefix = null)
    {
        var node = _rig.Node(withBackplane: false, store: TrackedStore(), prefix: prefix);
        await CoherenceRig.EventuallyAsync(() => CoherenceRig.Serves(node), "tracking never delivered");
        return node;
    }

    private ControlledStore TrackedStore()
    {
        _rig.Store.Invalidation = _tracking;
        return _rig.Store;
    }

    private sealed class FakeTracking : ICacheStoreInvalidation
    {
        private int _attempts;

        public ICacheStoreInvalidationListener? Listener { get; private set; }

        public string? Prefix { get; private set; }

        public bool Unsupported { get; set; }

        public int FailuresLeft { get; set; }

        public bool LoseWhileSubscribing { get; set; }

        public int Attempts => Volatile.Read(ref _attempts);

        public ValueTask<IAsyncDisposable?> SubscribeAsync(string storedKeyPrefix, ICacheStoreInvalidationListener listener, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _attempts);
            if (FailuresLeft-- > 0)
            {
                return ValueTask.FromException<IAsyncDisposable?>(new InvalidOperationException("server not reachable"));
            }

            Prefix = storedKeyPrefix;
            Listener = listener;
            if (LoseWhileSubscribing)
            {
                listener.OnConnectionLost(); // the connection dropped after arming, before this call returned
            }

            return new ValueTask<IAsyncDisposable?>(Unsupported ? null : new Nothing());
        }

        private sealed class Nothing : IAsyncDisposable
        {
            public ValueTask DisposeAsync() => default;
        }
    }
}
