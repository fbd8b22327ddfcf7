using CacheSerial.Internal;
using CacheSerial.Testing;
using CacheSerial.TestSupport;

namespace CacheSerial.Tests.Internal.Invalidation;

/// <summary>
/// Coherence through a backplane: other nodes' writes and removes evict this node's memory, a node's own messages do
/// not, memory serves only once its own ping came back, a lost connection bounds how long memory serves, and any lost
/// message (dropped, failed publish, unknown sender mid-sequence, garbage) flushes memory.
/// </summary>
public sealed class InvalidationHubBackplaneTests : IDisposable
{
    private readonly CoherenceRig _rig = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SetAsync_OnOtherNode_EvictsThisNodesEntry()
    {
        var writer = await _rig.LiveNodeAsync();
        var reader = await _rig.LiveNodeAsync();
        await _rig.SettledAsync(() => writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct));
        Assert.Equal("v1", (await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
        Assert.True(CoherenceRig.Holds(reader, "k"));

        await writer.Cache.SetAsync("k", "v2", CoherenceRig.Hour, Ct);

        await CoherenceRig.EventuallyAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader kept the old value");
        Assert.Equal("v2", (await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
    }

    [Fact]
    public async Task RemoveAsync_OnOtherNode_EvictsThisNodesEntry()
    {
        var writer = await _rig.LiveNodeAsync();
        var reader = await _rig.LiveNodeAsync();
        await _rig.SettledAsync(() => writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct));
        await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);

        await writer.Cache.RemoveAsync("k", Ct);

        await CoherenceRig.EventuallyAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader kept the removed value");
        Assert.False((await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryRunOnOtherNode_EvictsThisNodesEntry()
    {
        var writer = await _rig.LiveNodeAsync();
        var reader = await _rig.LiveNodeAsync();
        await reader.Cache.SetAsync("k", "old", CoherenceRig.Hour, Ct);
        await _rig.Store.RemoveAsync(reader.StoreKey("k"), Ct); // gone from the store behind everyone's back

        var made = await writer.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("made"), CoherenceRig.Hour, Ct);

        Assert.Equal("made", made);
        await CoherenceRig.EventuallyAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader kept the old value");
        Assert.Equal("made", (await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
    }

    [Fact]
    public async Task SetAsync_OwnMessage_DoesNotEvictOwnEntry()
    {
        var writer = await _rig.LiveNodeAsync();
        var other = await _rig.LiveNodeAsync();
        var published = _rig.Bus.Published;
        await other.Cache.SetAsync("k", "theirs", CoherenceRig.Hour, Ct);
        await CoherenceRig.EventuallyAsync(() => _rig.Bus.Published > published, "the other node's write was never published");
        await writer.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);

        await writer.Cache.SetAsync("k", "mine", CoherenceRig.Hour, Ct);

        // The same message reached every subscriber, the writer included, in one delivery.
        await CoherenceRig.EventuallyAsync(() => !CoherenceRig.Holds(other, "k"), "the message never arrived");
        Assert.True(CoherenceRig.Holds(writer, "k"));
        var reads = _rig.Store.Reads;
        Assert.Equal("mine", (await writer.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
        Assert.Equal(reads, _rig.Store.Reads);
    }

    [Fact]
    public async Task SetAsync_NodeWithoutMemoryTier_StillPublishes()
    {
        var writer = _rig.Node(memory: false);
        var reader = await _rig.LiveNodeAsync();
        await _rig.SettledAsync(() => writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct));
        await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);

        await writer.Cache.SetAsync("k", "v2", CoherenceRig.Hour, Ct);

        await CoherenceRig.EventuallyAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader kept the old value");
    }

    [Fact]
    public async Task TryGetAsync_BeforeOwnPingReturns_ReadsTheStoreEveryTime()
    {
        _rig.Bus.Disconnect();
        var node = _rig.Node();
        await node.Cache.SetAsync("k", "v", CoherenceRig.Hour, Ct);

        await node.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);
        await node.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);

        Assert.Equal(2, _rig.Store.ReadsOf(node.StoreKey("k")));
        Assert.False(CoherenceRig.Serves(node));

        // The subscription is retried on the clock; once its ping comes back memory serves (flushed first).
        _rig.Bus.Reconnect();
        await _rig.AdvanceUntilAsync(() => CoherenceRig.Serves(node), "memory never served after the backplane came back");
        await node.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);
        await node.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);
        Assert.Equal(3, _rig.Store.ReadsOf(node.StoreKey("k")));
    }

    [Fact]
    public async Task ConnectionLost_MemoryServesWithinToleranceThenPassesThrough()
    {
        var node = await _rig.LiveNodeAsync(tier: o => o.DisconnectedTolerance = TimeSpan.FromSeconds(2));
        await node.Cache.SetAsync("k", "v", CoherenceRig.Hour, Ct);

        _rig.Bus.Disconnect();
        _rig.Time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.True(CoherenceRig.Holds(node, "k"));
        _rig.Time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(CoherenceRig.Holds(node, "k"));
        Assert.Equal("v", (await node.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
        Assert.Equal(1, _rig.Store.ReadsOf(node.StoreKey("k")));
        Assert.Equal("v", await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("made"), CoherenceRig.Hour, Ct)); // the shortest hit path too
        Assert.Equal(2, _rig.Store.ReadsOf(node.StoreKey("k")));
        Assert.Contains(node.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7005);
    }

    [Fact]
    public async Task ConnectionRestored_MemoryFlushedThenServesAgain()
    {
        var writer = await _rig.LiveNodeAsync();
        var reader = await _rig.LiveNodeAsync();
        await _rig.SettledAsync(() => writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct));
        await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);

        // While disconnected the writer's message is lost; the reader must not keep v1 once it reconnects.
        _rig.Bus.Disconnect();
        await writer.Cache.SetAsync("k", "v2", CoherenceRig.Hour, Ct);
        await _rig.AdvanceUntilAsync(() => _rig.Bus.Dropped > 0, "the writer never tried to publish");
        var lived = CoherenceRig.LogCount(reader, 7006);
        _rig.Bus.Reconnect();

        await _rig.AdvanceUntilAsync(() => CoherenceRig.LogCount(reader, 7006) > lived, "the reader never trusted memory again");
        Assert.True(CoherenceRig.Serves(reader));
        Assert.False(CoherenceRig.Holds(reader, "k"));
        Assert.Equal("v2", (await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct)).Value);
        Assert.Contains(reader.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7006);
    }

    [Fact]
    public async Task DroppedMessage_ReceiverFlushesAtTheSendersNextPing()
    {
        var writer = await _rig.LiveNodeAsync();
        var reader = await _rig.LiveNodeAsync();
        var gaps = reader.Collect<long>("cacheserial.invalidation.gaps");
        var published = _rig.Bus.Published;
        await writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct);
        await reader.Cache.SetAsync("other", "x", CoherenceRig.Hour, Ct);
        await CoherenceRig.EventuallyAsync(() => _rig.Bus.Published >= published + 2, "the writes were never published");
        await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);
        _rig.Bus.DropWhere = m => m.Span[4] == (byte)InvalidationKind.Keys && new Guid(m.Span.Slice(5, 16)) == CoherenceRig.Hub(writer).SenderId;

        await writer.Cache.SetAsync("k", "v2", CoherenceRig.Hour, Ct);
        await CoherenceRig.EventuallyAsync(() => _rig.Bus.Dropped > 0, "the message was never published");
        Assert.True(CoherenceRig.Holds(reader, "k")); // lost: the reader cannot know yet

        _rig.Bus.DropWhere = null;
        await _rig.AdvanceUntilAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader never noticed the gap");
        Assert.False(CoherenceRig.Holds(reader, "other")); // a gap flushes everything: the lost message could name any key
        Assert.Equal(1, gaps.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Contains(reader.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7004);
    }

    [Fact]
    public async Task PublishFails_ReceiversSeeTheGapAndFlush()
    {
        var flaky = new FlakyBackplane(_rig.Bus);
        var writer = _rig.Node(backplane: flaky);
        await CoherenceRig.EventuallyAsync(() => CoherenceRig.Serves(writer), "the writer never went live");
        var reader = await _rig.LiveNodeAsync();
        await _rig.SettledAsync(() => writer.Cache.SetAsync("k", "v1", CoherenceRig.Hour, Ct));
        await reader.Cache.TryGetAsync<string>("k", CoherenceRig.Hour, Ct);
        flaky.FailKeys = true;

        await writer.Cache.SetAsync("k", "v2", CoherenceRig.Hour, Ct);
        await CoherenceRig.EventuallyAsync(() => flaky.Failures > 0, "the publish never failed");
        flaky.FailKeys = false;

        await _rig.AdvanceUntilAsync(() => !CoherenceRig.Holds(reader, "k"), "the reader never noticed the failed publish");
        Assert.Contains(writer.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7007);
    }

    [Fact]
    public async Task UnknownSenderMidSequence_Flushes()
    {
        var reader = await _rig.LiveNodeAsync();
        await reader.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        await reader.Cache.SetAsync("b", "2", CoherenceRig.Hour, Ct);

        var message = InvalidationMessage.Encode(InvalidationKind.Keys, Guid.NewGuid(), 5, 0, ["a"], InvalidationMessage.SizeOf("a"));
        await _rig.Bus.PublishAsync(CoherenceRig.Hub(reader).ChannelName, message, Ct);

        Assert.False(CoherenceRig.Holds(reader, "b"));
    }

    [Fact]
    public async Task NewSenderFromItsStart_EvictsOnlyItsKeys()
    {
        var reader = await _rig.LiveNodeAsync();
        await reader.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);
        await reader.Cache.SetAsync("b", "2", CoherenceRig.Hour, Ct);
        var sender = Guid.NewGuid();

        await _rig.Bus.PublishAsync(CoherenceRig.Hub(reader).ChannelName, InvalidationMessage.Encode(InvalidationKind.Ping, sender, 0, 0, null, 0), Ct);
        await _rig.Bus.PublishAsync(CoherenceRig.Hub(reader).ChannelName, InvalidationMessage.Encode(InvalidationKind.Keys, sender, 1, 0, ["a"], InvalidationMessage.SizeOf("a")), Ct);

        Assert.False(CoherenceRig.Holds(reader, "a"));
        Assert.True(CoherenceRig.Holds(reader, "b"));
    }

    [Fact]
    public async Task EverythingMessage_Flushes()
    {
        var reader = await _rig.LiveNodeAsync();
        await reader.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        await _rig.Bus.PublishAsync(CoherenceRig.Hub(reader).ChannelName, InvalidationMessage.Encode(InvalidationKind.All, Guid.NewGuid(), 1, 0, null, 0), Ct);

        Assert.False(CoherenceRig.Holds(reader, "a"));
    }

    [Fact]
    public async Task MalformedMessage_FlushesAndLogs()
    {
        var reader = await _rig.LiveNodeAsync();
        await reader.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        await _rig.Bus.PublishAsync(CoherenceRig.Hub(reader).ChannelName, "not a message"u8.ToArray(), Ct);

        Assert.False(CoherenceRig.Holds(reader, "a"));
        Assert.Contains(reader.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7008);
    }

    [Fact]
    public async Task SilentSubscription_NoticedWhenOwnPingsStopComingBack()
    {
        var node = await _rig.LiveNodeAsync();
        await node.Cache.SetAsync("a", "1", CoherenceRig.Hour, Ct);

        // Every message lost without the transport noticing: only the missing echo tells.
        _rig.Bus.DropWhere = _ => true;

        await _rig.AdvanceUntilAsync(() => !CoherenceRig.Serves(node), "the silent loss was never noticed");
        Assert.Contains(node.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7005);
    }

    [Fact]
    public async Task LocalExpiration_Unset_LongWithSourceShortWithout()
    {
        var coherent = await _rig.LiveNodeAsync();
        var localOnly = _rig.Node(withBackplane: false);
        var set = _rig.Node(tier: o => o.LocalExpiration = TimeSpan.FromSeconds(3));

        Assert.Equal(MemoryTierOptions.DefaultCoherentLocalExpiration, CoherenceRig.Memory(coherent).LocalExpiration);
        Assert.Equal(MemoryTierOptions.DefaultLocalExpiration, CoherenceRig.Memory(localOnly).LocalExpiration);
        Assert.Equal(TimeSpan.FromSeconds(3), CoherenceRig.Memory(set).LocalExpiration);
        Assert.DoesNotContain(coherent.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7001);
        Assert.Contains(localOnly.Logs.Collector.GetSnapshot(), r => r.Id.Id == 7001);
    }

    public void Dispose() => _rig.Dispose();

    /// <summary>Passes everything to the bus, except that it can fail the publishing of changes.</summary>
    private sealed class FlakyBackplane(ICacheBackplane inner) : ICacheBackplane
    {
        private int _failures;

        public volatile bool FailKeys;

        public int Failures => Volatile.Read(ref _failures);

        public ValueTask<IAsyncDisposable> SubscribeAsync(string channel, ICacheBackplaneListener listener, CancellationToken cancellationToken = default) =>
            inner.SubscribeAsync(channel, listener, cancellationToken);

        public ValueTask PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
        {
            if (FailKeys && message.Span[4] == (byte)InvalidationKind.Keys)
            {
                Interlocked.Increment(ref _failures);
                return ValueTask.FromException(new InvalidOperationException("publish refused"));
            }

            return inner.PublishAsync(channel, message, cancellationToken);
        }
    }
}
