namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// Fail-safe, factory timeouts and eager refresh on a real Redis behind the fault proxy, on the real clock. The cache
/// has no local memory layer: a stale value exists only where Redis can be read, so when Redis is down and the factory
/// fails, the factory's exception reaches the caller.
/// </summary>
public sealed class FailSafeFaultTests
{
    // Short enough to turn stale within a test, long enough that a fresh entry is seen fresh on a slow machine.
    private static readonly CacheEntryOptions FailSafe = new()
    {
        Expiration = TimeSpan.FromMilliseconds(300),
        FailSafe = true,
        FailSafeMaxDuration = TimeSpan.FromMinutes(5),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrowsWithStaleInRedis_ReturnsStaleValue()
    {
        await using var rig = await FaultRig.StartAsync();
        await StoreStaleAsync(rig, "k", "old");

        var value = await rig.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("db down"), FailSafe, Ct);

        Assert.Equal("old", value);
        Assert.Single(rig.Harness.LogRecords(4003));
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisDownAndFactoryThrows_FactoryExceptionReachesCaller()
    {
        await using var rig = await FaultRig.StartAsync();
        await StoreStaleAsync(rig, "k", "old");

        await rig.Proxy.SetModeAsync(ProxyMode.Refuse, Ct);
        var error = await Record.ExceptionAsync(async () =>
            await rig.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("db down"), FailSafe, Ct)
                .AsTask().WaitAsync(FaultRig.Bound, Ct));

        // The stale entry is in Redis, out of reach: nothing stale is in hand, so the factory's own failure surfaces.
        Assert.Equal("db down", Assert.IsType<InvalidOperationException>(error).Message);
        Assert.NotEmpty(rig.Harness.LogRecords(1001));

        await rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct);
        await rig.EventuallyHealthyAsync();
        Assert.Equal("old", await rig.Cache.GetOrCreateAsync<string>("k", _ => throw new InvalidOperationException("db down"), FailSafe, Ct));
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisDownAndFactorySucceeds_ReturnsFactoryValue()
    {
        await using var rig = await FaultRig.StartAsync();
        await StoreStaleAsync(rig, "k", "old");

        await rig.Proxy.SetModeAsync(ProxyMode.Refuse, Ct);
        var value = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("new"), FailSafe, Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);

        Assert.Equal("new", value);
        Assert.Empty(rig.Harness.LogRecords(4003)); // no stale value was in hand, and none was needed
    }

    [Fact]
    public async Task GetOrCreateAsync_SoftTimeoutWithStaleInRedis_ReturnsStaleThenStoresBackgroundResult()
    {
        await using var rig = await FaultRig.StartAsync();
        var options = FailSafe with { FactorySoftTimeout = TimeSpan.FromMilliseconds(200) };
        await StoreStaleAsync(rig, "k", "old");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var value = await rig.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options with { Expiration = TimeSpan.FromMinutes(5) }, Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
        release.SetResult();

        Assert.Equal("old", value);
        await EventuallyFreshAsync(rig, "k", "new");
        Assert.NotEmpty(rig.Harness.LogRecords(4006));
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutWithoutStale_ThrowsTimeoutThenStoresBackgroundResult()
    {
        await using var rig = await FaultRig.StartAsync();
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5), FactoryHardTimeout = TimeSpan.FromMilliseconds(300) };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var error = await Record.ExceptionAsync(async () => await rig.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options, Ct).AsTask().WaitAsync(FaultRig.Bound, Ct));
        release.SetResult();

        Assert.Equal(TimeSpan.FromMilliseconds(300), Assert.IsType<CacheFactoryTimeoutException>(error).Timeout);
        await EventuallyFreshAsync(rig, "k", "new");
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutWithStaleInRedis_ReturnsStale()
    {
        await using var rig = await FaultRig.StartAsync();
        var options = FailSafe with { FactoryHardTimeout = TimeSpan.FromMilliseconds(300) };
        await StoreStaleAsync(rig, "k", "old");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var value = await rig.Cache.GetOrCreateAsync("k", async ct =>
        {
            await release.Task.WaitAsync(ct);
            return "new";
        }, options with { Expiration = TimeSpan.FromMinutes(5) }, Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
        release.SetResult();

        Assert.Equal("old", value);
        Assert.Single(rig.Harness.LogRecords(4003));
        await EventuallyFreshAsync(rig, "k", "new");
    }

    [Fact]
    public async Task GetOrCreateAsync_HardTimeoutFastFactorySlowStoreWrite_ReturnsFactoryValue()
    {
        // The store is slow but healthy (every round trip well within its 10 s deadline); the factory returns at once.
        await using var rig = await FaultRig.StartAsync(o => o.DistributedCacheTimeout = TimeSpan.FromSeconds(10));
        rig.Proxy.Latency = TimeSpan.FromMilliseconds(500);
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromMinutes(5), FactoryHardTimeout = TimeSpan.FromMilliseconds(200) };

        var error = await Record.ExceptionAsync(async () =>
            Assert.Equal("new", await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("new"), options, Ct).AsTask().WaitAsync(FaultRig.Bound, Ct)));

        // A factory that finished at once did not time out; the store's slowness must not reach the caller as an error.
        Assert.Null(error);
        Assert.Empty(rig.Harness.LogRecords(4007));
    }

    [Fact]
    public async Task GetOrCreateAsync_SoftTimeoutFastFactorySlowStoreWrite_ReturnsFreshValue()
    {
        await using var rig = await FaultRig.StartAsync(o => o.DistributedCacheTimeout = TimeSpan.FromSeconds(10));
        var options = FailSafe with { FactorySoftTimeout = TimeSpan.FromMilliseconds(200) };
        await StoreStaleAsync(rig, "k", "old");
        rig.Proxy.Latency = TimeSpan.FromMilliseconds(500);

        var value = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("new"), options with { Expiration = TimeSpan.FromMinutes(5) }, Ct)
            .AsTask().WaitAsync(FaultRig.Bound, Ct);

        // "A stale value is never served while the factory succeeds" (CacheEntryOptions.FailSafe).
        Assert.Equal("new", value);
        Assert.Empty(rig.Harness.LogRecords(4006));
    }

    [Fact]
    public async Task GetOrCreateAsync_EagerRefreshUnder64ConcurrentHits_RunsFactoryOnce()
    {
        await using var rig = await FaultRig.StartAsync();

        // Due for refresh after 1 s; expired only after 20 s, far beyond the wait below even on a stalled machine.
        var options = new CacheEntryOptions { Expiration = TimeSpan.FromSeconds(20), EagerRefreshThreshold = 0.05 };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await rig.Cache.SetAsync("k", "old", options, Ct);
        var runs = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<CancellationToken, ValueTask<string>> factory = async ct =>
        {
            Interlocked.Increment(ref runs);
            await release.Task.WaitAsync(ct);
            return "new";
        };
        var wait = TimeSpan.FromSeconds(1.5) - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, Ct);
        }

        var hits = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => rig.Cache.GetOrCreateAsync("k", factory, options, Ct).AsTask(), Ct)))
            .WaitAsync(FaultRig.Bound, Ct);
        release.SetResult();

        Assert.All(hits, v => Assert.Equal("old", v));
        await EventuallyFreshAsync(rig, "k", "new", options);
        Assert.Equal(1, runs);
        Assert.Single(rig.Harness.LogRecords(4010));
    }

    /// <summary>Stores <paramref name="value"/> with fail-safe and waits (bounded) until a read sees it stale.</summary>
    private static async Task StoreStaleAsync(FaultRig rig, string key, string value)
    {
        await rig.Cache.SetAsync(key, value, FailSafe, Ct);
        await FaultRig.EventuallyAsync(
            async () => await rig.Cache.TryGetAsync<string>(key, FailSafe, Ct) is { IsStale: true } read && read.Value == value,
            $"'{key}' never turned stale");
    }

    private static Task EventuallyFreshAsync(FaultRig rig, string key, string expected, CacheEntryOptions? options = null) =>
        FaultRig.EventuallyAsync(
            async () => await rig.Cache.TryGetAsync<string>(key, options ?? FailSafe, Ct) is { HasValue: true, IsStale: false } read && read.Value == expected,
            $"'{key}' never became fresh '{expected}'");
}
