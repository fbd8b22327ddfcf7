using System.Collections.Concurrent;
using CacheSerial.TestSupport.Behaviour;
using StackExchange.Redis;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>
/// A real Redis that is absent, killed, paused, blackholed, reset or slow: callers always get a value or a miss, never a
/// store exception; the breaker opens (1101) and, once Redis is back, closes (1102) and entries are stored again.
/// Outcomes only: every wait is bounded by <see cref="FaultRig.Bound"/> as a hang guard.
/// </summary>
public sealed class StoreOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Client timeouts far beyond <see cref="FaultRig.Bound"/>: a call held by a paused server or a blackhole can then
    /// return within the bound only through the cache's own deadline, not through StackExchange.Redis giving up.
    /// </summary>
    private static void ClientWaitsLonger(ConfigurationOptions options)
    {
        options.AsyncTimeout = 120_000;
        options.SyncTimeout = 120_000;
    }

    [Fact]
    public async Task Calls_RedisAbsentAtStartup_MissesFactoryValuesAndBreakerOpens()
    {
        await using var rig = await FaultRig.StartAsync(initialMode: ProxyMode.Refuse);
        var runs = 0;

        await rig.Cache.SetAsync("set", new Sample("set", 1), cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
        for (var i = 0; i < 8; i++)
        {
            var read = await rig.Cache.TryGetAsync<Sample>("set", cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
            Assert.False(read.HasValue);
            var made = await rig.Cache.GetOrCreateAsync(
                $"g{i}", i, (n, _, _) => { Interlocked.Increment(ref runs); return new ValueTask<Sample>(new Sample("g", n)); },
                cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
            Assert.Equal(new Sample("g", i), made);
        }

        Assert.Equal(8, runs);
        Assert.NotEmpty(rig.Harness.LogRecords(1001));
        Assert.Single(rig.Harness.LogRecords(1101));
        Assert.True(rig.Breaker.IsOpen);
        Assert.NotEmpty(rig.Harness.LogRecords(1006)); // writes skipped while open, the store not called
    }

    [Fact]
    public async Task Calls_RedisAppearsAfterStartup_BreakerClosesAndEntriesStored()
    {
        await using var rig = await FaultRig.StartAsync(initialMode: ProxyMode.Refuse);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(i, await rig.Cache.GetOrCreateAsync($"k{i}", _ => new ValueTask<int>(i), cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct));
        }

        Assert.NotEmpty(rig.Harness.LogRecords(1101));

        await rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct);

        await rig.EventuallyHealthyAsync();
        Assert.False(rig.Breaker.IsOpen);
        Assert.NotEmpty(rig.Harness.LogRecords(1102));
        Assert.Equal(42, await rig.Cache.GetOrCreateAsync("after", _ => new ValueTask<int>(42), cancellationToken: Ct));
        Assert.Equal(42, (await rig.Cache.TryGetAsync<int>("after", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisKilledMidTrafficThenRestarted_ValuesThroughoutAndStoredAgain()
    {
        await using var rig = await FaultRig.StartAsync();
        var errors = new ConcurrentQueue<Exception>();
        var wrong = 0;
        var calls = 0;
        var runs = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = w; !stop.IsCancellationRequested; i++)
            {
                var n = i % 20;
                try
                {
                    var value = await rig.Cache.GetOrCreateAsync(
                        $"k{n}", n, (x, _, _) => { Interlocked.Increment(ref runs); return new ValueTask<Sample>(new Sample($"v{x}", x)); },
                        cancellationToken: Ct);
                    Interlocked.Increment(ref calls);
                    if (value != new Sample($"v{n}", n))
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    await Task.Delay(5, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        })).ToArray();

        try
        {
            // Healthy first: entries are stored and read back (more calls than factory runs).
            await FaultRig.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref calls) > Volatile.Read(ref runs) + 50), "no hits before the kill");
            await rig.Redis.KillAsync(Ct);
            await FaultRig.EventuallyAsync(() => Task.FromResult(rig.LogCount(1101) > 0), "the breaker never opened after the kill");
            var callsWhileDown = Volatile.Read(ref calls);
            await FaultRig.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref calls) > callsWhileDown + 50), "callers stalled while Redis was down");

            await rig.Redis.RestartAsync(Ct);
            await FaultRig.EventuallyAsync(() => Task.FromResult(rig.LogCount(1102) > 0), "the breaker never closed after the restart");
            await rig.EventuallyHealthyAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(workers).WaitAsync(FaultRig.Bound, Ct);
        }

        Assert.Empty(errors);
        Assert.Equal(0, wrong);
        Assert.False(rig.Breaker.IsOpen);

        // Entries written by get-or-create land in the restarted (empty) server and are read back.
        Assert.Equal(new Sample("v3", 3), await rig.Cache.GetOrCreateAsync("k3", _ => new ValueTask<Sample>(new Sample("v3", 3)), cancellationToken: Ct));
        Assert.Equal(new Sample("v3", 3), (await rig.Cache.TryGetAsync<Sample>("k3", cancellationToken: Ct)).Value);
    }

    [Fact]
    public async Task Calls_RedisPaused_MissesAndValuesThenHealthyAfterResume()
    {
        await using var rig = await FaultRig.StartAsync(client: ClientWaitsLonger);
        await AssertDegradedThenRecoversAsync(
            rig,
            () => { rig.Redis.Pause(); return Task.CompletedTask; },
            () => { rig.Redis.Resume(); return Task.CompletedTask; });
    }

    [Fact]
    public async Task Calls_ProxyBlackholed_MissesAndValuesThenHealthyAfterPass()
    {
        await using var rig = await FaultRig.StartAsync(client: ClientWaitsLonger);
        await AssertDegradedThenRecoversAsync(
            rig,
            () => rig.Proxy.SetModeAsync(ProxyMode.Blackhole, Ct).AsTask(),
            () => rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct).AsTask());
    }

    [Fact]
    public async Task Calls_ConnectionsReset_MissesAndValuesThenHealthyAfterPass()
    {
        await using var rig = await FaultRig.StartAsync();
        await AssertDegradedThenRecoversAsync(
            rig,
            () => rig.Proxy.SetModeAsync(ProxyMode.Reset, Ct).AsTask(),
            () => rig.Proxy.SetModeAsync(ProxyMode.Pass, Ct).AsTask());
    }

    [Fact]
    public async Task TryGetAsync_LatencyBelowDeadline_Hits()
    {
        await using var rig = await FaultRig.StartAsync();
        rig.Proxy.Latency = TimeSpan.FromMilliseconds(50); // about 100 ms per round trip against a 500 ms deadline
        var runs = 0;

        await rig.Cache.SetAsync("k", new Sample("v", 1), cancellationToken: Ct);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
            Assert.Equal(new Sample("v", 1), await rig.Cache.GetOrCreateAsync(
                "k", _ => { Interlocked.Increment(ref runs); return new ValueTask<Sample>(new Sample("other", 2)); }, cancellationToken: Ct));
        }

        Assert.Equal(0, runs);
        Assert.Empty(rig.Harness.LogRecords(1001));
    }

    [Fact]
    public async Task GetOrCreateAsync_LatencyAboveDeadline_MissesAndReturnsFactoryValue()
    {
        await using var rig = await FaultRig.StartAsync(client: ClientWaitsLonger);
        await rig.Cache.SetAsync("k", new Sample("old", 1), cancellationToken: Ct);
        Assert.True((await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);

        rig.Proxy.Latency = TimeSpan.FromMilliseconds(800); // each direction: a round trip cannot beat the 500 ms deadline
        var read = await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
        var made = await rig.Cache.GetOrCreateAsync("k", _ => new ValueTask<Sample>(new Sample("new", 2)), cancellationToken: Ct)
            .AsTask().WaitAsync(FaultRig.Bound, Ct);

        Assert.False(read.HasValue);
        Assert.Equal(new Sample("new", 2), made);
        Assert.Equal(2, rig.LogCount(1001));
        Assert.Single(rig.Harness.LogRecords(1002)); // the write was given up too; the caller kept its value

        rig.Proxy.Latency = TimeSpan.Zero;
        await rig.EventuallyHealthyAsync();
    }

    /// <summary>
    /// With a stored entry, breaks the store, checks that reads miss, get-or-create returns factory values, writes
    /// complete and the breaker opens; then heals it and waits until the cache stores and reads again.
    /// </summary>
    private static async Task AssertDegradedThenRecoversAsync(FaultRig rig, Func<Task> breakStore, Func<Task> healStore)
    {
        await rig.Cache.SetAsync("k", new Sample("v", 1), cancellationToken: Ct);
        Assert.True((await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).HasValue);
        var runs = 0;

        await breakStore();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var read = await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
                Assert.False(read.HasValue);
                var made = await rig.Cache.GetOrCreateAsync(
                    $"g{i}", i, (n, _, _) => { Interlocked.Increment(ref runs); return new ValueTask<Sample>(new Sample("g", n)); },
                    cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
                Assert.Equal(new Sample("g", i), made);
                await rig.Cache.SetAsync($"s{i}", new Sample("s", i), cancellationToken: Ct).AsTask().WaitAsync(FaultRig.Bound, Ct);
            }

            Assert.Equal(6, runs);
            Assert.NotEmpty(rig.Harness.LogRecords(1001));
            Assert.Single(rig.Harness.LogRecords(1101));
            Assert.True(rig.Breaker.IsOpen);
        }
        finally
        {
            await healStore();
        }

        await rig.EventuallyHealthyAsync();
        Assert.False(rig.Breaker.IsOpen);
        Assert.NotEmpty(rig.Harness.LogRecords(1102));
        Assert.Equal(new Sample("v", 1), (await rig.Cache.TryGetAsync<Sample>("k", cancellationToken: Ct)).Value);
    }
}
