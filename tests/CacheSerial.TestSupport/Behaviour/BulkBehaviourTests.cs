using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.TestSupport.Behaviour;

/// <summary>
/// Bulk operations: <see cref="ITypedCache.GetManyAsync{T}"/> checks every entry as a single read does,
/// <see cref="ITypedCache.SetManyAsync{T}"/> writes as a single write does, and <see cref="ITypedCache.GetOrCreateManyAsync{TState, T}"/>
/// calls its batch factory once with only the missing keys, sharing per-key flights with single get-or-create callers.
/// </summary>
/// <remarks>
/// Tests that need a caller to have joined a running flight before they act use <see cref="CacheEntryFlags.SkipRead"/>
/// for that caller: without a store read in front it joins synchronously inside the call, on every store.
/// </remarks>
public abstract class BulkBehaviourTests : BehaviourTestBase
{
    private static readonly CacheEntryOptions JoinDirectly = new() { Flags = CacheEntryFlags.SkipRead };
    private static readonly CacheEntryOptions FailSafe = new() { Expiration = TimeSpan.FromMinutes(1), FailSafe = true };

    [Fact]
    public async Task SetManyThenGetMany_RoundTripsValuesInKeyOrder()
    {
        using var h = CreateHarness();
        await h.Cache.SetManyAsync<Sample?>([new("a", new Sample("a", 1)), new("b", new Sample("b", 2)), new("c", null)], cancellationToken: Ct);

        var results = await h.Cache.GetManyAsync<Sample?>(["c", "a", "missing", "b"], cancellationToken: Ct);

        Assert.Equal(4, results.Count);
        Assert.True(results[0].HasValue);
        Assert.Null(results[0].Value);
        Assert.Equal(new Sample("a", 1), results[1].Value);
        Assert.False(results[2].HasValue);
        Assert.Equal(new Sample("b", 2), results[3].Value);
        Assert.Equal(new Sample("b", 2), await h.Cache.GetAsync<Sample>("b", cancellationToken: Ct));
    }

    [Fact]
    public async Task GetManyAsync_DuplicateKeys_EachPositionAnswered()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("a", 1, cancellationToken: Ct);

        var results = await h.Cache.GetManyAsync<int>(["a", "b", "a"], cancellationToken: Ct);

        Assert.Equal([CacheResultOf(1), CacheResult<int>.Miss, CacheResultOf(1)], results);
    }

    [Fact]
    public async Task EmptyInput_ReturnsEmptyWithoutCallingFactory()
    {
        using var h = CreateHarness();
        var runs = new Counter();

        var read = await h.Cache.GetManyAsync<int>([], cancellationToken: Ct);
        await h.Cache.SetManyAsync(Array.Empty<KeyValuePair<string, int>>(), cancellationToken: Ct);
        var created = await h.Cache.GetOrCreateManyAsync<int>([], (_, _) =>
        {
            runs.Increment();
            return new ValueTask<IReadOnlyDictionary<string, int>>(new Dictionary<string, int>());
        }, cancellationToken: Ct);

        Assert.Empty(read);
        Assert.Empty(created);
        Assert.Equal(0, runs.Value);
    }

    [Fact]
    public async Task SetManyAsync_DuplicateKey_LastValueWins()
    {
        using var h = CreateHarness();

        await h.Cache.SetManyAsync<int>([new("k", 1), new("other", 5), new("k", 2)], cancellationToken: Ct);

        Assert.Equal(2, await h.Cache.GetAsync<int>("k", cancellationToken: Ct));
        Assert.Equal(5, await h.Cache.GetAsync<int>("other", cancellationToken: Ct));
    }

    [Fact]
    public async Task SetManyAsync_ValueCodecCannotWrite_ThrowsAndWritesNothing()
    {
        using var h = CreateHarness();

        await Assert.ThrowsAsync<CacheSerializationException>(async () =>
            await h.Cache.SetManyAsync<SelfReferencing?>([new("ok", null), new("cycle", new SelfReferencing())], cancellationToken: Ct));

        Assert.False((await h.Cache.TryGetAsync<SelfReferencing?>("ok", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetManyAsync_ExpiredEntry_IsMissAndStaleUnderFailSafe()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        await h.Cache.SetManyAsync<string>([new("old", "v")], FailSafe, Ct);
        await h.Cache.SetAsync("fresh", "f", new CacheEntryOptions { Expiration = TimeSpan.FromHours(1) }, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        var plain = await h.Cache.GetManyAsync<string>(["old", "fresh"], new CacheEntryOptions { FailSafe = false }, Ct);
        var failSafe = await h.Cache.GetManyAsync<string>(["old", "fresh"], FailSafe, Ct);

        Assert.False(plain[0].HasValue);
        Assert.Equal("f", plain[1].Value);
        Assert.True(failSafe[0].IsStale);
        Assert.Equal("v", failSafe[0].Value);
        Assert.False(failSafe[1].IsStale);
    }

    [Fact]
    public async Task GetManyAsync_NegativeEntry_IsNegativeHit()
    {
        using var h = CreateHarness();
        await h.Cache.GetOrCreateManyAsync<string?>(["gone"], (_, ctx, _) =>
        {
            ctx.IsNegative = true;
            return new ValueTask<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?> { ["gone"] = null });
        }, new CacheEntryOptions { NegativeExpiration = TimeSpan.FromMinutes(1) }, Ct);

        var result = Assert.Single(await h.Cache.GetManyAsync<string?>(["gone"], cancellationToken: Ct));
        var single = await h.Cache.TryGetAsync<string?>("gone", cancellationToken: Ct);

        Assert.True(result.HasValue);
        Assert.True(result.IsNegative);
        Assert.Equal(single, result);
    }

    [Fact]
    public async Task GetManyAsync_TamperedAndOtherTypeEntries_AreLoggedMisses()
    {
        using var h = CreateHarness();
        await h.Cache.SetManyAsync<Sample>([new("good", new Sample("g", 1))], cancellationToken: Ct);
        await h.Cache.SetAsync("other-type", new OtherSample("o", 2), cancellationToken: Ct);
        await h.WriteRawAsync("foreign", [0x66, 0x6f, 0x72, 0x65, 0x69, 0x67, 0x6e], Ct);

        var results = await h.Cache.GetManyAsync<Sample>(["good", "foreign", "other-type"], cancellationToken: Ct);

        Assert.Equal([true, false, false], results.Select(r => r.HasValue));
        var rejected = h.LogRecords(2001);
        Assert.Equal(2, rejected.Count);
        Assert.Contains(rejected, r => r.Message.Contains(nameof(CacheEntryRejectReason.NotAnEnvelope), StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Message.Contains(nameof(CacheEntryRejectReason.TypeMismatch), StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetManyAsync_PlainJsonLayout_RoundTrips()
    {
        using var h = CreateHarness(o => o.EntryLayout = CacheEntryLayout.PlainJson);
        await h.Cache.SetManyAsync<Sample>([new("a", new Sample("a", 1))], cancellationToken: Ct);

        var results = await h.Cache.GetManyAsync<Sample>(["a", "b"], cancellationToken: Ct);

        Assert.Equal(new Sample("a", 1), results[0].Value);
        Assert.False(results[1].HasValue);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_SomeCached_FactoryCalledOnceWithOnlyMissingKeys()
    {
        using var h = CreateHarness();
        await h.Cache.SetAsync("cached", 1, cancellationToken: Ct);
        var calls = new List<string[]>();

        var values = await h.Cache.GetOrCreateManyAsync<int>(["cached", "m1", "m2", "m1"], (keys, _) =>
        {
            calls.Add([.. keys]);
            return new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, k => k.Length * 10));
        }, cancellationToken: Ct);

        var call = Assert.Single(calls);
        Assert.Equal(["m1", "m2"], call.Order());
        Assert.Equal(new Dictionary<string, int> { ["cached"] = 1, ["m1"] = 20, ["m2"] = 20 }, values);
        Assert.Equal([CacheResultOf(20), CacheResultOf(20)], await h.Cache.GetManyAsync<int>(["m1", "m2"], cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_SecondCall_AllHitsWithoutFactory()
    {
        using var h = CreateHarness();
        var runs = new Counter();
        Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyDictionary<string, string>>> factory = (keys, _) =>
        {
            runs.Increment();
            return new ValueTask<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, k => "v-" + k));
        };

        await h.Cache.GetOrCreateManyAsync(["a", "b"], factory, cancellationToken: Ct);
        var second = await h.Cache.GetOrCreateManyAsync(["a", "b"], factory, cancellationToken: Ct);

        Assert.Equal(1, runs.Value);
        Assert.Equal("v-b", second["b"]);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryOmitsKey_KeyAbsentAndNotCached()
    {
        using var h = CreateHarness();

        var values = await h.Cache.GetOrCreateManyAsync<int>(["found", "unknown"], (_, _) =>
            new ValueTask<IReadOnlyDictionary<string, int>>(new Dictionary<string, int> { ["found"] = 1, ["not-asked"] = 2 }), cancellationToken: Ct);

        Assert.Equal(new Dictionary<string, int> { ["found"] = 1 }, values);
        Assert.False((await h.Cache.TryGetAsync<int>("unknown", cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<int>("not-asked", cancellationToken: Ct)).HasValue);
        Assert.Single(h.LogRecords(4102));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_ContextChoices_ApplyToEveryEntry()
    {
        using var h = CreateHarness();

        var values = await h.Cache.GetOrCreateManyAsync<int>(["a", "b"], (keys, ctx, _) =>
        {
            Assert.Equal(string.Empty, ctx.Key);
            Assert.False(ctx.HasStaleValue);
            ctx.DoNotCache = true;
            return new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, _ => 7));
        }, cancellationToken: Ct);

        Assert.Equal(2, values.Count);
        Assert.Equal([CacheResult<int>.Miss, CacheResult<int>.Miss], await h.Cache.GetManyAsync<int>(["a", "b"], cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrowsWithoutStaleValues_ThrowsAndCachesNothing()
    {
        using var h = CreateHarness();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateManyAsync<int>(["a", "b"], (_, _) => throw new InvalidOperationException("db down"), cancellationToken: Ct));

        Assert.Equal("db down", ex.Message);
        Assert.Equal([CacheResult<int>.Miss, CacheResult<int>.Miss], await h.Cache.GetManyAsync<int>(["a", "b"], cancellationToken: Ct));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrowsAndEveryMissingKeyHasStaleValue_ReturnsStaleValues()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        await h.Cache.SetManyAsync<string>([new("a", "old-a"), new("b", "old-b")], FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        await h.Cache.SetAsync("fresh", "f", FailSafe, Ct);

        var values = await h.Cache.GetOrCreateManyAsync<string>(["a", "b", "fresh"], (_, _) => throw new InvalidOperationException("db down"), FailSafe, Ct);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "old-a", ["b"] = "old-b", ["fresh"] = "f" }, values);
        Assert.Equal(2, h.LogRecords(4003).Count);
        Assert.All(h.LogRecords(4003), r => Assert.Equal(LogLevel.Warning, r.Level));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_FactoryThrowsAndOneKeyHasNoStaleValue_Throws()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        await h.Cache.SetAsync("a", "old-a", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await h.Cache.GetOrCreateManyAsync<string>(["a", "new"], (_, _) => throw new InvalidOperationException("db down"), FailSafe, Ct));

        Assert.True((await h.Cache.TryGetAsync<string>("a", FailSafe, Ct)).IsStale);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_ContextFailWithStaleValue_ReturnsStale()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        await h.Cache.SetAsync("a", "old", FailSafe, Ct);
        time.Advance(TimeSpan.FromMinutes(2));

        var values = await h.Cache.GetOrCreateManyAsync<string>(["a"], (keys, ctx, _) =>
        {
            ctx.Fail("upstream returned 503");
            return new ValueTask<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, _ => "partial"));
        }, FailSafe, Ct);

        Assert.Equal("old", values["a"]);
    }

    [Fact]
    public async Task SetManyAsync_OneValueTooLarge_SkippedAndLoggedOthersWritten()
    {
        using var h = CreateHarness(o => o.MaximumPayloadBytes = 1024);

        await h.Cache.SetManyAsync<string>([new("small", "s"), new("large", new string('x', 4096))], cancellationToken: Ct);

        Assert.Equal(["s", null], (await h.Cache.GetManyAsync<string>(["small", "large"], cancellationToken: Ct)).Select(r => r.Value));
        Assert.Single(h.LogRecords(3001));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_CodecCannotWriteOneValue_ThrowsSerializationAndStoresTheOthers()
    {
        using var h = CreateHarness();

        await Assert.ThrowsAsync<CacheSerializationException>(async () =>
            await h.Cache.GetOrCreateManyAsync<SelfReferencing?>(["ok", "cycle"], (_, _) =>
                new ValueTask<IReadOnlyDictionary<string, SelfReferencing?>>(
                    new Dictionary<string, SelfReferencing?> { ["ok"] = null, ["cycle"] = new SelfReferencing() }), cancellationToken: Ct));

        Assert.True((await h.Cache.TryGetAsync<SelfReferencing?>("ok", cancellationToken: Ct)).HasValue);
        Assert.False((await h.Cache.TryGetAsync<SelfReferencing?>("cycle", cancellationToken: Ct)).HasValue);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_AfterFailSafeActivation_ThrottledKeysNotGivenToFactory()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = FailSafe with { FailSafeThrottleDuration = TimeSpan.FromSeconds(30) };
        await h.Cache.SetAsync("a", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var given = new List<string[]>();
        Func<IReadOnlyList<string>, CancellationToken, ValueTask<IReadOnlyDictionary<string, string>>> failing = (keys, _) =>
        {
            given.Add([.. keys]);
            throw new InvalidOperationException("db down");
        };

        var first = await h.Cache.GetOrCreateManyAsync(["a"], failing, options, Ct);
        var throttled = await h.Cache.GetOrCreateManyAsync(["a"], failing, options, Ct);
        time.Advance(TimeSpan.FromSeconds(31));
        var afterThrottle = await h.Cache.GetOrCreateManyAsync(["a"], failing, options, Ct);

        Assert.Equal(("old", "old", "old"), (first["a"], throttled["a"], afterThrottle["a"]));
        Assert.Equal(2, given.Count);
        Assert.Single(h.LogRecords(4005));
    }

    [Fact]
    public async Task GetOrCreateAsync_WhileBatchProducesKey_JoinsBatchFlight()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var singleRuns = new Counter();

        var batch = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], async (keys, ct) =>
        {
            entered.SetResult();
            await release.Task.WaitAsync(ct);
            return keys.ToDictionary(k => k, k => "batch-" + k);
        }, cancellationToken: Ct).AsTask();
        await entered.Task.WaitAsync(Ct);
        var single = h.Cache.GetOrCreateAsync("a", Counting(singleRuns, "single"), JoinDirectly, Ct).AsTask();
        release.SetResult();

        Assert.Equal("batch-a", await single);
        Assert.Equal("batch-a", (await batch)["a"]);
        Assert.Equal(0, singleRuns.Value);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_WhileSingleProducesKey_JoinsSingleFlightAndLeavesKeyOutOfBatch()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batchKeys = new List<string[]>();

        var single = h.Cache.GetOrCreateAsync("a", async ct =>
        {
            entered.SetResult();
            await release.Task.WaitAsync(ct);
            return "single";
        }, cancellationToken: Ct).AsTask();
        await entered.Task.WaitAsync(Ct);
        var batch = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], (keys, _) =>
        {
            batchKeys.Add([.. keys]);
            return new ValueTask<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, k => "batch-" + k));
        }, JoinDirectly, Ct).AsTask();
        release.SetResult();

        var values = await batch;
        Assert.Equal("single", await single);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "single", ["b"] = "batch-b" }, values);
        Assert.Equal(["b"], Assert.Single(batchKeys));
    }

    [Fact]
    public async Task GetOrCreateAsync_JoinedBatchOmitsKey_RunsOwnFactory()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var singleRuns = new Counter();

        var batch = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], async (_, ct) =>
        {
            entered.SetResult();
            await release.Task.WaitAsync(ct);
            return new Dictionary<string, string> { ["b"] = "batch-b" };
        }, cancellationToken: Ct).AsTask();
        await entered.Task.WaitAsync(Ct);
        var single = h.Cache.GetOrCreateAsync("a", Counting(singleRuns, "single"), JoinDirectly, Ct).AsTask();
        release.SetResult();

        Assert.Equal("single", await single);
        Assert.Equal(1, singleRuns.Value);
        Assert.False((await batch).ContainsKey("a"));
    }

    [Fact]
    public async Task GetOrCreateManyAsync_ConcurrentBatchesOnSameKeys_FactoryRunsOncePerKey()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var produced = new List<string>();

        var first = h.Cache.GetOrCreateManyAsync<int>(["a", "b"], async (keys, ct) =>
        {
            lock (produced)
            {
                produced.AddRange(keys);
            }

            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            return keys.ToDictionary(k => k, _ => 1);
        }, cancellationToken: Ct).AsTask();
        await entered.Task.WaitAsync(Ct);
        var second = h.Cache.GetOrCreateManyAsync<int>(["b", "c"], (keys, _) =>
        {
            lock (produced)
            {
                produced.AddRange(keys);
            }

            return new ValueTask<IReadOnlyDictionary<string, int>>(keys.ToDictionary(k => k, _ => 2));
        }, JoinDirectly, Ct).AsTask();
        release.SetResult();

        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 }, await first);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 1, ["c"] = 2 }, await second);
        Assert.Equal(["a", "b", "c"], produced.Order());
    }

    [Fact]
    public async Task GetOrCreateManyAsync_OneWaiterCancelled_OtherWaiterGetsValue()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var batch = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], async (keys, ct) =>
        {
            entered.SetResult();
            await release.Task.WaitAsync(ct);
            return keys.ToDictionary(k => k, k => "v-" + k);
        }, cancellationToken: cts.Token).AsTask();
        await entered.Task.WaitAsync(Ct);
        var single = h.Cache.GetOrCreateAsync("a", _ => new ValueTask<string>("single"), JoinDirectly, Ct).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        release.SetResult();
        Assert.Equal("v-a", await single);
        Assert.Empty(h.LogRecords(4002).Where(r => r.Message.Contains("'a'", StringComparison.Ordinal)));
        Assert.Single(h.LogRecords(4002)); // "b" had no other waiter
    }

    [Fact]
    public async Task GetOrCreateManyAsync_OnlyWaiterCancelled_FactoryTokenCancelled()
    {
        using var h = CreateHarness();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var factoryCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var batch = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], async (_, ct) =>
        {
            entered.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                factoryCancelled.SetResult();
                throw;
            }

            return new Dictionary<string, string>();
        }, cancellationToken: cts.Token).AsTask();
        await entered.Task.WaitAsync(Ct);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batch);
        await factoryCancelled.Task.WaitAsync(Ct);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_SoftTimeout_StaleKeyServedAndKeyWithoutStaleAwaited()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = FailSafe with { FactorySoftTimeout = TimeSpan.FromSeconds(1) };
        await h.Cache.SetAsync("stale", "old", options, Ct);
        time.Advance(TimeSpan.FromMinutes(2));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateManyAsync<string>(["stale", "new"], async (keys, ct) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            return keys.ToDictionary(k => k, k => "fresh-" + k);
        }, options, Ct).AsTask();
        await entered.Task.WaitAsync(Ct);
        await AdvanceUntilLoggedAsync(h, time, 4006, TimeSpan.FromSeconds(1));
        var completedBeforeRelease = call.IsCompleted; // "new" has no stale value: the caller still waits for it
        release.SetResult();

        Assert.False(completedBeforeRelease);
        Assert.Equal(new Dictionary<string, string> { ["stale"] = "old", ["new"] = "fresh-new" }, await call);
        await AssertEventuallyFreshAsync(h, ["stale", "new"], ["fresh-stale", "fresh-new"]);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_HardTimeoutWithoutStale_ThrowsTimeoutThenStoresBackgroundResult()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = FailSafe with { FactoryHardTimeout = TimeSpan.FromSeconds(5) };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = h.Cache.GetOrCreateManyAsync<string>(["a", "b"], async (keys, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return keys.ToDictionary(k => k, k => "new-" + k);
        }, options, Ct).AsTask();
        await AdvanceUntilCompletedAsync(time, call, TimeSpan.FromSeconds(5));
        release.SetResult();

        var ex = await Assert.ThrowsAsync<CacheFactoryTimeoutException>(() => call);
        Assert.Equal(TimeSpan.FromSeconds(5), ex.Timeout);
        await AssertEventuallyFreshAsync(h, ["a", "b"], ["new-a", "new-b"]);
    }

    [Fact]
    public async Task GetOrCreateManyAsync_HitsPastEagerRefreshThreshold_ReturnCurrentAndRefreshInBackground()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var h = CreateHarness(timeProvider: time);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(10), EagerRefreshThreshold = 0.5 };
        await h.Cache.SetManyAsync<string>([new("due", "old")], options, Ct);
        time.Advance(TimeSpan.FromMinutes(6));
        await h.Cache.SetAsync("young", "current", options, Ct);
        var refreshed = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        var values = await h.Cache.GetOrCreateManyAsync<string>(["due", "young"], (keys, _) =>
        {
            refreshed.TrySetResult([.. keys]);
            return new ValueTask<IReadOnlyDictionary<string, string>>(keys.ToDictionary(k => k, _ => "new"));
        }, options, Ct);

        Assert.Equal(new Dictionary<string, string> { ["due"] = "old", ["young"] = "current" }, values);
        Assert.Equal(["due"], await refreshed.Task.WaitAsync(Ct));
        await AssertEventuallyFreshAsync(h, ["due", "young"], ["new", "current"]);
    }

    /// <summary>Waits (bounded) until every key reads fresh with its expected value: background writes land when they land.</summary>
    private static async Task AssertEventuallyFreshAsync(CacheHarness h, string[] keys, string[] expected)
    {
        IReadOnlyList<CacheResult<string>> reads = [];
        for (var i = 0; i < 500; i++)
        {
            reads = await h.Cache.GetManyAsync<string>(keys, FailSafe, Ct);
            if (reads.Select(r => r.HasValue && !r.IsStale ? r.Value : null).SequenceEqual(expected))
            {
                return;
            }

            await Task.Delay(10, Ct);
        }

        Assert.Fail($"never fresh: {string.Join(", ", reads)}");
    }

    /// <summary>Moves the fake clock on by <paramref name="step"/> until the event is logged (bounded).</summary>
    private static async Task AdvanceUntilLoggedAsync(CacheHarness h, FakeTimeProvider time, int eventId, TimeSpan step)
    {
        for (var i = 0; i < 1000 && h.LogRecords(eventId).Count == 0; i++)
        {
            time.Advance(step);
            await Task.Delay(10, Ct);
        }

        Assert.NotEmpty(h.LogRecords(eventId));
    }

    private static CacheResult<T> CacheResultOf<T>(T value) => new(value);
}
