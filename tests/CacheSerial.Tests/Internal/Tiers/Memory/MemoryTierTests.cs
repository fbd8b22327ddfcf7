using System.ComponentModel;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Tiers.Memory;

/// <summary>
/// The memory tier through the cache: what it answers without a store read, what it hands out (the same instance of an
/// immutable type, a fresh decode of anything else), how long it serves a value, what this process's writes and removes
/// do to it, and how it falls back when the store is dead.
/// </summary>
public sealed class MemoryTierTests : IDisposable
{
    private static readonly CacheEntryOptions Hour = new() { Expiration = TimeSpan.FromHours(1) };

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ControlledStore _store;
    private readonly string _prefix = CacheHarness.NewPrefix();
    private readonly List<CacheNode> _nodes = [];

    public MemoryTierTests()
    {
        _store = new ControlledStore(new InMemoryCacheStore(_time, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), withLock: false));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_SecondCall_AnsweredFromMemoryWithoutStoreRead()
    {
        var node = Node();
        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("v"), Hour, Ct);
        var readsAfterMiss = _store.ReadsOf(node.StoreKey("k"));

        var again = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("other"), Hour, Ct);

        Assert.Equal("v", again);
        Assert.Equal(1, readsAfterMiss);
        Assert.Equal(1, _store.ReadsOf(node.StoreKey("k")));
    }

    [Fact]
    public async Task TryGetAsync_AfterSet_AnsweredFromMemory()
    {
        var node = Node();
        await node.Cache.SetAsync("k", new Sample("a", 1), Hour, Ct);

        var read = await node.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.Equal(new Sample("a", 1), read.Value);
        Assert.Equal(0, _store.Reads);
    }

    [Fact]
    public async Task TryGetAsync_StoreHit_KeptForTheNextRead()
    {
        var writer = Node(memory: false);
        var reader = Node();
        await writer.Cache.SetAsync("k", "v", Hour, Ct);

        await reader.Cache.TryGetAsync<string>("k", cancellationToken: Ct);
        var second = await reader.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal("v", second.Value);
        Assert.Equal(1, _store.ReadsOf(reader.StoreKey("k")));
    }

    [Fact]
    public async Task GetOrCreateAsync_ImmutableType_SameInstanceEveryHit()
    {
        var node = Node();
        await node.Cache.SetAsync("k", new Frozen("a"), Hour, Ct);

        var first = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Frozen>(new Frozen("made")), Hour, Ct);
        var second = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Frozen>(new Frozen("made")), Hour, Ct);

        Assert.Equal("a", first.Name);
        Assert.Same(first, second);
    }

    [Fact]
    public async Task GetOrCreateAsync_TypeRegisteredWithShareInstancesOf_SameInstanceEveryHit()
    {
        var node = Node(build: b => b.ShareInstancesOf<Sample>());
        await node.Cache.SetAsync("k", new Sample("a", 1), Hour, Ct);

        var first = await node.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);
        var second = await node.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct);

        Assert.Same(first.Value, second.Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_OrdinaryClass_MutatingAReturnedObjectDoesNotChangeTheNextHit()
    {
        var node = Node();
        var first = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Mutable>(new Mutable { Name = "a" }), Hour, Ct);
        first.Name = "changed by a caller";

        var second = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Mutable>(new Mutable { Name = "made" }), Hour, Ct);

        Assert.Equal("a", second.Name);
        Assert.NotSame(first, second);
        Assert.Equal(1, _store.Reads); // the miss read the store once; the hit did not
    }

    [Fact]
    public async Task TryGetAsync_LocalExpirationPassed_ReadsTheStoreAgain()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10));
        await node.Cache.SetAsync("k", "v", Hour, Ct);

        _time.Advance(TimeSpan.FromSeconds(9));
        await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);
        var readsBefore = _store.Reads;
        _time.Advance(TimeSpan.FromSeconds(2));
        var read = await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal("v", read.Value);
        Assert.Equal(0, readsBefore);
        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task TryGetAsync_PerCallLocalExpiration_Applies()
    {
        var node = Node();
        await node.Cache.SetAsync("k", "v", Hour with { LocalExpiration = TimeSpan.FromSeconds(1) }, Ct);

        _time.Advance(TimeSpan.FromSeconds(2));
        await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task TryGetAsync_EntryExpiresBeforeLocalExpiration_NotServedPastItsExpiry()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromMinutes(10));
        await node.Cache.SetAsync("k", "v", new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(5) }, Ct);

        _time.Advance(TimeSpan.FromSeconds(6));
        var read = await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.False(read.HasValue);
    }

    [Fact]
    public async Task TryGetAsync_OtherProcessWrote_SeenOnlyAfterLocalExpiration()
    {
        var a = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10));
        var b = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10));
        await a.Cache.SetAsync("k", "old", Hour, Ct);
        Assert.Equal("old", (await b.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value);

        await a.Cache.SetAsync("k", "new", Hour, Ct);
        var beforeBound = await b.Cache.TryGetAsync<string>("k", cancellationToken: Ct);
        _time.Advance(TimeSpan.FromSeconds(10));
        var afterBound = await b.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal("old", beforeBound.Value); // local-only: the documented bound, not sooner
        Assert.Equal("new", afterBound.Value);
        Assert.Equal("new", (await a.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value); // its own write at once
    }

    [Fact]
    public async Task RemoveAsync_KeyInMemory_NextReadMisses()
    {
        var node = Node();
        await node.Cache.SetAsync("k", "v", Hour, Ct);

        await node.Cache.RemoveAsync("k", Ct);

        Assert.False((await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task RemoveAsync_StoreReadRacingIt_DoesNotPutTheOldValueBack()
    {
        var node = await RaceAStoreReadOfOldWithAsync(n => n.Cache.RemoveAsync("k", Ct).AsTask());

        Assert.False((await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task SetAsync_StoreReadRacingIt_DoesNotReplaceTheNewValue()
    {
        var node = await RaceAStoreReadOfOldWithAsync(n => n.Cache.SetAsync("k", "new", Hour, Ct).AsTask());

        Assert.Equal("new", (await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task TryGetAsync_SkipLocalRead_ReadsTheStore()
    {
        var node = Node();
        await node.Cache.SetAsync("k", "v", Hour, Ct);

        var read = await node.Cache.TryGetAsync<string>("k", new CacheEntryOptions { Flags = CacheEntryFlags.SkipLocalRead }, Ct);

        Assert.Equal("v", read.Value);
        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task SetAsync_SkipLocalWrite_NotKeptAndEarlierValueEvicted()
    {
        var node = Node();
        await node.Cache.SetAsync("k", "first", Hour, Ct);
        await node.Cache.SetAsync("k", "second", Hour with { Flags = CacheEntryFlags.SkipLocalWrite }, Ct);

        var read = await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal("second", read.Value);
        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task GetOrCreateAsync_StoreDeadAndFactoryFails_ServesTheLastGoodValueFromMemory()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10));
        var failSafe = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };
        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("good"), failSafe, Ct);

        _store.Down = true;
        _time.Advance(TimeSpan.FromMinutes(2)); // past its local lifetime and its expiry
        var value = await node.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("source down"), failSafe, Ct);

        Assert.Equal("good", value);
    }

    [Fact]
    public async Task GetOrCreateAsync_StoreDeadWithoutFailSafe_FactoryErrorReachesTheCaller()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10));
        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("good"), Hour, Ct);

        _store.Down = true;
        _time.Advance(TimeSpan.FromSeconds(11));

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await node.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("source down"), Hour, Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_MissWithMemoryTier_CallersReleasedBeforeTheStoreWriteEnds()
    {
        var node = Node();
        _store.HoldWrites();

        var value = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("v"), Hour, Ct);
        var stored = _store.Inner.Calls.Any(c => c.Kind == StoreCallKind.Set);
        _store.Release();

        Assert.Equal("v", value);
        Assert.False(stored);
        await _store.Inner.WhenCallsAsync(calls => calls.Any(c => c.Kind == StoreCallKind.Set)).WaitAsync(Ct);
    }

    [Fact]
    public async Task GetOrCreateAsync_AwaitStoreWrites_CallersWaitForTheStoreWrite()
    {
        var node = Node(configure: o => o.AwaitStoreWrites = true);
        _store.HoldWrites();

        var call = node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("v"), Hour, Ct).AsTask();
        await _store.WhenHoldingAsync(Ct);
        var completedWhileHeld = call.IsCompleted;
        _store.Release();

        Assert.False(completedWhileHeld);
        Assert.Equal("v", await call);
        Assert.Contains(_store.Inner.Calls, c => c.Kind == StoreCallKind.Set);
    }

    [Fact]
    public async Task GetManyAsync_SomeKeysInMemory_StoreReadOnlyForTheOthers()
    {
        var writer = Node(memory: false);
        var node = Node();
        await node.Cache.SetAsync("a", "1", Hour, Ct);
        await writer.Cache.SetAsync("b", "2", Hour, Ct);

        var results = await node.Cache.GetManyAsync<string>(["a", "b", "c"], cancellationToken: Ct);

        Assert.Equal(["1", "2"], results.Take(2).Select(r => r.Value));
        Assert.False(results[2].HasValue);
        Assert.Equal(0, _store.ReadsOf(node.StoreKey("a")));
        Assert.Equal(1, _store.ReadsOf(node.StoreKey("b")));
    }

    [Fact]
    public async Task SetManyAsync_Values_KeptInMemory()
    {
        var node = Node();
        await node.Cache.SetManyAsync([new("a", "1"), new KeyValuePair<string, string>("b", "2")], Hour, Ct);

        var results = await node.Cache.GetManyAsync<string>(["a", "b"], cancellationToken: Ct);

        Assert.Equal(["1", "2"], results.Select(r => r.Value));
        Assert.Equal(0, _store.Reads);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_SecondCall_AnsweredFromMemory()
    {
        var node = Node();
        var runs = 0;
        ValueTask<IReadOnlyDictionary<string, string>> Batch(IReadOnlyList<string> keys, CacheFactoryContext _, CancellationToken __)
        {
            runs++;
            return new(keys.ToDictionary(k => k, k => "v" + k));
        }

        await node.Cache.GetOrCreateManyAsync<int, string>(["a", "b"], 0, (_, keys, ctx, ct) => Batch(keys, ctx, ct), Hour, Ct);
        var readsAfterFirst = _store.Reads;
        var again = await node.Cache.GetOrCreateManyAsync<int, string>(["a", "b"], 0, (_, keys, ctx, ct) => Batch(keys, ctx, ct), Hour, Ct);

        Assert.Equal("va", again["a"]);
        Assert.Equal(1, runs);
        Assert.Equal(readsAfterFirst, _store.Reads);
    }

    [Fact]
    public async Task GetOrCreateAsync_HitPastEagerRefreshThreshold_RefreshedInTheBackground()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromMinutes(10));
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(10), EagerRefreshThreshold = 0.5 };
        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"), options, Ct);

        _time.Advance(TimeSpan.FromSeconds(6));
        var served = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("refreshed"), options, Ct);
        await node.WhenLoggedAsync(4009, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal("first", served);
        Assert.Equal("refreshed", await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("again"), options, Ct));
    }

    [Fact]
    public async Task Writes_PastMaximumEntries_MemoryStaysWithinTheBound()
    {
        var node = Node(configure: o => o.MaximumEntries = 50);
        for (var i = 0; i < 500; i++)
        {
            await node.Cache.SetAsync("k" + i, "v", Hour, Ct);
            Assert.InRange(MemoryOf(node).Count, 1, 50);
        }
    }

    [Fact]
    public async Task Writes_PastMaximumBytes_MemoryStaysWithinTheBound()
    {
        const long bound = 16 * 1024;
        var node = Node(configure: o => o.MaximumBytes = bound);
        var payload = new string('x', 500);
        for (var i = 0; i < 300; i++)
        {
            await node.Cache.SetAsync("k" + i, payload, Hour, Ct);
            Assert.InRange(MemoryOf(node).Bytes, 1, bound);
        }
    }

    [Fact]
    public async Task ConcurrentWritesAndReads_PastBothBounds_MemoryWithinThemOncePerWriterInFlight()
    {
        const int writers = 8;
        const int entries = 64;
        const long bytes = 64 * 1024;
        var node = Node(configure: o =>
        {
            o.MaximumEntries = entries;
            o.MaximumBytes = bytes;
        });
        var memory = MemoryOf(node);
        var payload = new string('x', 300);
        var highestCount = 0L;
        var highestBytes = 0L;
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 400; i++)
            {
                await node.Cache.SetAsync($"w{w}:{i}", payload, Hour, Ct);
                await node.Cache.TryGetAsync<string>($"w{w}:{i / 2}", cancellationToken: Ct);
                InterlockedMax(ref highestCount, memory.Count);
                InterlockedMax(ref highestBytes, memory.Bytes);
            }
        }, Ct)).ToArray();
        await Task.WhenAll(tasks);

        // Each writer may have one entry in before its own eviction pass runs; nothing beyond that.
        var largest = CacheSerial.Internal.MemoryTier.EntryOverheadBytes + (2 * "w0:000".Length) + 302;
        Assert.InRange(highestCount, 1, entries + writers);
        Assert.InRange(highestBytes, 1, bytes + (writers * largest));
        Assert.InRange(memory.Count, 1, entries);
        Assert.InRange(memory.Bytes, 1, bytes);
    }

    [Fact]
    public async Task Writes_PastMaximumEntries_RecentlyReadKeyStays()
    {
        var node = Node(configure: o => o.MaximumEntries = 10);
        for (var i = 0; i < 10; i++)
        {
            await node.Cache.SetAsync("k" + i, "v" + i, Hour, Ct);
        }

        for (var i = 10; i < 15; i++)
        {
            await node.Cache.TryGetAsync<string>("k0", cancellationToken: Ct); // kept in use while others come in
            await node.Cache.SetAsync("k" + i, "v" + i, Hour, Ct);
        }

        await node.Cache.TryGetAsync<string>("k0", cancellationToken: Ct);
        Assert.Equal(0, _store.ReadsOf(node.StoreKey("k0")));
    }

    [Fact]
    public async Task Writes_EntryLargerThanMaximumBytes_NotKeptInMemory()
    {
        var node = Node(configure: o => o.MaximumBytes = 1024);
        await node.Cache.SetAsync("k", new string('x', 2000), Hour, Ct);

        var read = await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.True(read.HasValue);
        Assert.Equal(1, _store.Reads);
        Assert.Equal(0, MemoryOf(node).Count);
    }

    [Fact]
    public async Task TryGetAsync_SlidingEntryReadByItsWindow_ServedFromMemoryRenewingTheStoreThenExpiresWithoutReads()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromMinutes(10));
        var sliding = new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(40) };
        await node.Cache.SetAsync("k", "v", sliding, Ct);

        // Reads every 20 s for two minutes, three windows: all from memory, each renewing the store's window.
        for (var i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(20));
            Assert.Equal("v", (await node.Cache.TryGetAsync<string>("k", sliding, Ct)).Value);
        }

        await _store.Inner.WhenCallsAsync(calls => calls.Count(c => c.Kind == StoreCallKind.Refresh) >= 6).WaitAsync(Ct);
        Assert.Equal(0, _store.Reads);
        Assert.True(await _store.Inner.GetAsync(node.StoreKey("k"), null, Ct) is { HasValue: true }, "the store lost the entry");

        // No read for a whole window: gone from memory as from the store.
        _time.Advance(TimeSpan.FromSeconds(41));
        Assert.False((await node.Cache.TryGetAsync<string>("k", sliding, Ct)).HasValue);
    }

    [Fact]
    public async Task TryGetAsync_SlidingEntryReadWithoutItsWindow_NotKeptInMemory()
    {
        var writer = Node(memory: false);
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromMinutes(10));
        await writer.Cache.SetAsync("k", "v", new CacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(30) }, Ct);

        await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct); // the entry says it slides: no logical expiry
        await node.Cache.TryGetAsync<string>("k", cancellationToken: Ct);

        Assert.Equal(2, _store.Reads);
    }

    [Fact]
    public async Task Gauges_MemoryEntriesAndBytes_ReportTheTiersSize()
    {
        var node = new CacheNode(_store, _time, _prefix, services: s => s.AddMetrics(), build: b => b.UseMemoryTier());
        _nodes.Add(node);
        using var entries = node.Collect<long>("cacheserial.memory.entries");
        using var bytes = node.Collect<long>("cacheserial.memory.bytes");
        await node.Cache.SetAsync("a", "1", Hour, Ct);
        await node.Cache.SetAsync("b", "2", Hour, Ct);

        entries.RecordObservableInstruments();
        bytes.RecordObservableInstruments();

        var count = Assert.Single(entries.GetMeasurementSnapshot());
        Assert.Equal(2, count.Value);
        Assert.Equal("default", count.Tags[CacheSerial.Internal.CacheTags.CacheName]);
        Assert.Equal(MemoryOf(node).Bytes, Assert.Single(bytes.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public void Creation_MemoryTierWithoutInvalidationSource_LogsTheBoundOnce()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(7));

        var record = Assert.Single(node.LogRecords(7001));
        Assert.Contains("00:00:07", record.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1024L, 10)]
    [InlineData(10, 10L, 10)]
    [InlineData(10, 1024L, 0)]
    public void Start_InvalidMemoryTierOptions_FailsWithOptionsValidationException(int entries, long bytes, int localSeconds)
    {
        var services = new ServiceCollection();
        services.AddCacheSerial().UseStore(_ => _store).UseMemoryTier(o =>
        {
            o.MaximumEntries = entries;
            o.MaximumBytes = bytes;
            o.LocalExpiration = TimeSpan.FromSeconds(localSeconds);
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<MemoryTierOptions>>().Get(Microsoft.Extensions.Options.Options.DefaultName));
        Assert.Contains("MemoryTierOptions.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ReadsAndGetOrCreate_InvalidKeyWithMemoryTier_ThrowArgumentException(int which)
    {
        // Built here: a lone surrogate would not survive the test framework's serialization of theory data.
        var key = new[] { "", "   ", "bad\u0001key", "lone" + '\uD800' }[which];
        var node = Node();
        await node.Cache.SetAsync("k", "v", Hour, Ct);

        var read = await Assert.ThrowsAsync<ArgumentException>(async () => await node.Cache.TryGetAsync<string>(key, cancellationToken: Ct));
        var created = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await node.Cache.GetOrCreateAsync(key, _ => new ValueTask<string>("v"), Hour, Ct));

        Assert.Equal("key", read.ParamName);
        Assert.Equal("key", created.ParamName);
    }

    [Fact]
    public async Task CacheEntryOptions_NonPositiveLocalExpiration_ThrowsAtTheCallSite()
    {
        var node = Node();

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await node.Cache.SetAsync("k", "v", new CacheEntryOptions { LocalExpiration = TimeSpan.Zero }, Ct));

        Assert.Equal("options", error.ParamName);
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            node.Dispose();
        }
    }

    // The shortest hit path (a shared value returned without judging the entry in full) is taken only while no lookup
    // counter is listened to: these nodes have a meter of their own that nothing listens to, so they take it for sure.
    [Fact]
    public async Task GetOrCreateAsync_SharedHitPastLocalExpiration_ReadsTheStore()
    {
        var node = Node(configure: o => o.LocalExpiration = TimeSpan.FromSeconds(10), ownMeter: true);
        await node.Cache.SetAsync("k", new Frozen("a"), Hour, Ct);
        _time.Advance(TimeSpan.FromSeconds(9));
        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Frozen>(new Frozen("made")), Hour, Ct);
        Assert.Equal(0, _store.Reads);

        _time.Advance(TimeSpan.FromSeconds(2));
        var read = await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Frozen>(new Frozen("made")), Hour, Ct);

        Assert.Equal("a", read.Name);
        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task GetOrCreateAsync_SharedHitWithSkipLocalRead_ReadsTheStore()
    {
        var node = Node(ownMeter: true);
        await node.Cache.SetAsync("k", new Frozen("a"), Hour, Ct);

        await node.Cache.GetOrCreateAsync("k", _ => new ValueTask<Frozen>(new Frozen("made")), Hour with { Flags = CacheEntryFlags.SkipLocalRead }, Ct);

        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task GetOrCreateAsync_SharedHitDueForEagerRefresh_RefreshesInTheBackground()
    {
        var node = Node(ownMeter: true);
        var options = Hour with { EagerRefreshThreshold = 0.5 };
        await node.Cache.SetAsync("k", new Frozen("a"), options, Ct);
        _time.Advance(TimeSpan.FromMinutes(31));
        var runs = 0;

        var read = await node.Cache.GetOrCreateAsync("k", _ => { Interlocked.Increment(ref runs); return new ValueTask<Frozen>(new Frozen("b")); }, options, Ct);

        Assert.Equal("a", read.Name);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref runs) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the eager refresh never ran");
            await Task.Delay(5, Ct);
        }
    }

    private CacheNode Node(bool memory = true, Action<MemoryTierOptions>? configure = null, Action<ICacheSerialBuilder>? build = null, bool ownMeter = false)
    {
        var node = new CacheNode(_store, _time, _prefix, services: ownMeter ? s => s.AddMetrics() : null, build: b =>
        {
            if (memory)
            {
                b.UseMemoryTier(configure);
            }

            build?.Invoke(b);
        });
        _nodes.Add(node);
        return node;
    }

    /// <summary>A read of "k" gets "old" from the store, then is held while <paramref name="change"/> runs on the same node.</summary>
    private async Task<CacheNode> RaceAStoreReadOfOldWithAsync(Func<CacheNode, Task> change)
    {
        var writer = Node(memory: false);
        var node = Node();
        await writer.Cache.SetAsync("k", "old", Hour, Ct);

        _store.HoldReads();
        var racing = node.Cache.TryGetAsync<string>("k", cancellationToken: Ct).AsTask();
        await _store.WhenHoldingAsync(Ct);
        await change(node);
        _store.Release();
        await racing;
        return node;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        for (var seen = Interlocked.Read(ref target); value > seen; seen = Interlocked.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen)
            {
                return;
            }
        }
    }

    private static CacheSerial.Internal.MemoryTier MemoryOf(CacheNode node) => CacheInternals.MemoryOf(node.Cache)!;

    [ImmutableObject(true)]
    public sealed record Frozen(string Name);

    public sealed class Mutable
    {
        public string Name { get; set; } = "";
    }

    public sealed record Sample(string Name, int Number);
}
